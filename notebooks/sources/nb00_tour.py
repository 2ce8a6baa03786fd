"""00 · A ten-minute tour of AO-Core."""

CELLS = [
    ("md", """# 00 · A ten-minute tour of AO-Core

**What you'll do:** resolve a message with a device, compute an ID and a hashpath, and look at
the recorded execution DAG.
**What you'll learn:** what *message*, *device*, *ID* and *hashpath* mean in AO-Core.
**What you need:** nothing beyond `make lab`.

aolab follows HyperBEAM main at commit b2743e4a (May 2025): the IDs and hashpaths you see here
are the ones a HyperBEAM node computes for the same messages."""),
    ("code", """import aolab
aolab.HYPERBEAM_REFERENCE"""),
    ("md", """## Messages and devices
A **message** is a map of keys to values. Its `device` key names the code that answers
requests about it; `message@1.0` simply returns the value stored under a key."""),
    ("code", """base = {"device": "message@1.0", "a": {"b": "RESULT"}}
aolab.resolve(base, "a/b")"""),
    ("md", """## IDs
A message's **ID** is a SHA-256-based commitment to all its public keys and values, written as
43 base64url characters. Key order never matters; private (`priv*`) keys never count."""),
    ("code", """aolab.id(base)"""),
    ("code", """aolab.id({"a": {"b": "RESULT"}, "device": "message@1.0", "priv-note": "ignored"}) == aolab.id(base)"""),
    ("md", """## Hashpaths
Resolving a request against a base gives a result whose **hashpath** is
`<base hashpath>/<request ID>`: the result's whole lineage in 87 characters."""),
    ("code", """request = {"path": "set", "c": 3}
result = aolab.resolve(base, request)
aolab.hashpath(result) == f"{aolab.id(base)}/{aolab.id(request)}\""""),
    ("code", """aolab.verify_hashpath([base, request, result])"""),
    ("md", """## Every step, recorded
A `Node` keeps a device registry, a store and a recorder. Its trace is a networkx DAG whose
nodes are messages keyed by hashpath and whose edges are resolution steps."""),
    ("code", """lab = aolab.Node()
lab.resolve(base, "a/b")
lab.trace.steps()[["step", "depth", "device", "key", "status", "request"]]"""),
    ("code", """graph = lab.trace.graph
sorted(aolab.short_id(n.split("/")[0]) + ("/" + n.split("/")[1] if "/" in n else "") for n in graph.nodes)"""),
    ("md", """## The Merkle execution tree
`show()` draws the DAG: each box a message (short hashpath and a preview of its keys), each
arrow a step labelled with its number, key and request. Hover a box to see its full hashpath."""),
    ("code", """lab.resolve(base, {"path": "set", "c": 3})
lab.trace.show()"""),
    ("md", """## Step through it
The stepper replays the trace one step at a time: press Play or drag the slider. Each frame
shows the base, the request and the result side by side, and the hashpath being formed."""),
    ("code", """stepper = lab.trace.stepper()
stepper"""),
    ("md", """## On your own
Resolve `"a"` on `base` with a node and check that the result's hashpath is the base ID
followed by `/a`."""),
    ("code", """# your answer here
mine = None"""),
    ("solution", """# solution (run it to see)
mine = lab.resolve(base, "a")
aolab.hashpath(mine)"""),
    ("code", """assert aolab.hashpath(mine) == aolab.id(base) + "/a"
"checked\""""),
]
