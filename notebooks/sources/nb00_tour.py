"""00 · A tour of AO-Core: what it is, why hashpaths matter, and a first computation."""

AO_CORE = """digraph ao {
  rankdir=LR; bgcolor="transparent";
  node [fontname="Helvetica", fontsize=11, shape=box, style="rounded,filled", fillcolor="#dbe9f6"];
  edge [fontname="Helvetica", fontsize=10];
  base [label="base message\\n{device: 'counter@1.0',\\n count: 10}"];
  request [label="request message\\n{path: 'add', amount: 5}", fillcolor="#f5f0c8"];
  device [label="device counter@1.0\\nits function add(base, request)", shape=component, fillcolor="#e8dcf5"];
  result [label="result message\\n{device: 'counter@1.0',\\n count: 15}\\n+ hashpath id(base)/id(request)", fillcolor="#d9f2d0"];
  base -> device [label="the base names\\nits device"];
  request -> device [label="path: add\\nnames the key"];
  device -> result [label="returns"];
}"""

HYPERBEAM = """digraph hyperbeam {
  rankdir=TB; bgcolor="transparent"; compound=true;
  node [fontname="Helvetica", fontsize=11, shape=box, style="rounded,filled", fillcolor="#ffffff"];
  edge [fontname="Helvetica", fontsize=10];
  client [label="you\\n(HTTP, or a notebook)", shape=ellipse, fillcolor="#f5f0c8"];
  subgraph cluster_node {
    label="a HyperBEAM node (aolab.Node)"; fontname="Helvetica"; style="rounded,dashed"; color="#888888";
    hooks [label="request hook\\n(p4: price, ledger)", fillcolor="#fde0c5"];
    resolver [label="resolver\\n(hb_ao / aolab.resolve)", fillcolor="#dbe9f6"];
    devices [label="device registry\\nmessage@1.0, stack@1.0,\\nprocess@1.0, wasm64@1.0, ...", fillcolor="#e8dcf5"];
    store [label="store\\n(by ID and hashpath)", shape=cylinder, fillcolor="#d9f2d0"];
    trace [label="recorder\\n(the trace, a DAG)", shape=note, fillcolor="#eeeeee"];
  }
  other [label="another node\\n(re-executes to verify)", shape=ellipse, fillcolor="#c6e2e9"];
  client -> hooks [label="request"];
  hooks -> resolver;
  resolver -> devices [label="which function?"];
  resolver -> store [label="results"];
  resolver -> trace [label="every step"];
  resolver -> client [label="signed result", style=dashed];
  store -> other [label="inputs by hashpath", style=dashed];
}"""

HASHPATH = """digraph hashpath {
  rankdir=LR; bgcolor="transparent";
  node [fontname="Helvetica", fontsize=11, shape=box, style="rounded,filled", fillcolor="#ffffff"];
  edge [fontname="Helvetica", fontsize=10];
  hp [label="hashpath of the base\\nA / B", fillcolor="#dbe9f6"];
  fold [label="fold: SHA-256(native(A) + native(B))\\n= F  (one 43-character ID)", fillcolor="#e8dcf5"];
  first [label="a base with no history\\n(a message you wrote)", fillcolor="#dbe9f6"];
  fid [label="its ID = F", fillcolor="#e8dcf5"];
  req [label="the request", fillcolor="#f5f0c8"];
  rid [label="id(request) = R\\n(a request that is only a path:\\nthe key itself, R = a)", fillcolor="#f5f0c8"];
  out [label="hashpath of the result\\nF / R", fillcolor="#d9f2d0", penwidth=2];
  hp -> fold; first -> fid; fold -> out; fid -> out; req -> rid; rid -> out;
}"""

CELLS = [
    ("md", """# 00 · A tour of AO-Core

**What you'll do:** see AO-Core and HyperBEAM in three pictures, resolve a message with a device,
compute an ID and a hashpath, and look at the recorded execution tree.
**What you'll learn:** what *message*, *device*, *ID* and *hashpath* mean, and why a hashpath lets
anyone check a result without trusting whoever computed it.
**What you need:** nothing beyond `make lab`. Each notebook takes 5 to 10 minutes; from here to
notebook 08 (your own device, its result verified by a second node) is under an hour."""),
    ("md", """## AO-Core in one picture
AO-Core is a protocol for computing with **messages**. A message is a map of keys to values. Its
`device` key names the code that answers requests about it. Resolving a *request* against a
*base* message gives a *result* message, and the result carries its **hashpath**: the IDs of
the base and of the request, so the result says how it was made."""),
    ("picture", ("AO-Core: a base message, a request, a device, a result", AO_CORE)),
    ("md", """## HyperBEAM in one picture
HyperBEAM is the reference implementation of AO-Core (in Erlang): a **node** that takes requests
over HTTP, runs hooks (payments), finds the device function for each step, stores the results
and signs what it returns. aolab is the same thing in Python, inside a notebook, byte for byte:
the IDs and hashpaths below are the ones HyperBEAM computes (main at commit b2743e4a, May
2025). Another node can fetch the inputs a hashpath names, run the steps again and compare:
that is how a result is **verified** without trusting the node that computed it."""),
    ("picture", ("A HyperBEAM node: hooks, resolver, devices, store, recorder", HYPERBEAM)),
    ("code", """import aolab
aolab.HYPERBEAM_REFERENCE"""),
    ("md", """## Messages and devices
A message without a `device` key, or with `message@1.0`, simply returns the value stored
under a key. A path `a/b` is two steps: `a`, then `b` on what `a` gave."""),
    ("code", """base = {"device": "message@1.0", "a": {"b": "RESULT"}}
aolab.resolve(base, "a/b")"""),
    ("md", """## IDs
A message's **ID** is a SHA-256-based commitment to all its public keys and values, written as
43 base64url characters. Key order never matters; private (`priv*`) keys never count."""),
    ("code", """aolab.id(base)"""),
    ("code", """aolab.id({"a": {"b": "RESULT"}, "device": "message@1.0", "priv-note": "ignored"}) == aolab.id(base)"""),
    ("md", """## Hashpaths
A hashpath has two parts, `F/R`. `R` stands for the request: its ID, or, for a request that
is only a path such as `"a"`, the key itself. `F` stands for the base: the ID of a message you
wrote, or, when the base is itself a result, its own hashpath folded into one ID. However long
the computation, a hashpath stays two parts."""),
    ("picture", ("The hashpath formula", HASHPATH)),
    ("code", """request = {"path": "set", "c": 3}
result = aolab.resolve(base, request)
aolab.hashpath(result) == f"{aolab.id(base)}/{aolab.id(request)}\""""),
    ("code", """aolab.verify_hashpath([base, request, result])"""),
    ("md", """A second step on `result` folds `result`'s hashpath into `F` (notebook 02 does it by hand
with `hashlib`):"""),
    ("code", """again = aolab.resolve(result, {"path": "set", "d": 4})
F, R = aolab.hashpath(again).split("/")
F == aolab.hashpaths.compress(aolab.hashpath(result)), R == aolab.id({"path": "set", "d": 4})"""),
    ("md", """## Every step, recorded
A `Node` keeps a device registry, a store and a recorder. Its trace is a networkx DAG whose
nodes are messages keyed by hashpath and whose edges are resolution steps."""),
    ("code", """lab = aolab.Node()
lab.resolve(base, "a/b")
lab.trace.steps()[["step", "depth", "device", "key", "status", "request"]]"""),
    ("code", """graph = lab.trace.graph
sorted(aolab.short_id(n.split("/")[0]) + ("/" + n.split("/")[1] if "/" in n else "") for n in graph.nodes)"""),
    ("md", """## The Merkle execution tree
`show()` draws the DAG: each box a message (its short hashpath, then what the step changed),
each arrow a step labelled with its number, key and request."""),
    ("code", """lab.resolve(base, {"path": "set", "c": 3})
lab.trace.show()"""),
    ("md", """## Step through it
The stepper replays the trace one step at a time: press Play or drag the slider. Each frame
shows the base, the request and the result side by side, and the hashpath being formed.
(It is a widget: it appears when you run the cell.)"""),
    ("code", """stepper = lab.trace.stepper()
stepper"""),
    ("md", """## On your own
Resolve `"a"` on `base` with the node `lab`, and store the result in `mine`. Its hashpath should
be the base's ID followed by `/a` (a request that is only a path)."""),
    ("exercise", """# your answer here
mine = None"""),
    ("solution", """mine = lab.resolve(base, "a")
aolab.hashpath(mine)"""),
    ("check", """from exercises import check_00
check_00(mine, base)"""),
]
