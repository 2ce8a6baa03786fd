"""Write the curriculum notebooks from their cell sources (then execute them).

Each notebook is a list of ``(kind, source)`` cells below; run
``.venv/bin/python notebooks/make_notebooks.py NAME`` to rewrite one and
``.venv/bin/jupyter nbconvert --execute --inplace notebooks/NAME.ipynb`` to
execute it.  The committed notebooks are executed, so nbval compares outputs.
"""
from __future__ import annotations

import pathlib
import sys

import nbformat

HERE = pathlib.Path(__file__).parent

TOUR = [
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
    ("md", """## On your own
Resolve `"a"` on `base` with a node and check that the result's hashpath is the base ID
followed by `/a`."""),
    ("code", """# your answer here
mine = None"""),
    ("code", """# solution (run it to see)
mine = lab.resolve(base, "a")
aolab.hashpath(mine)"""),
    ("code", """assert aolab.hashpath(mine) == aolab.id(base) + "/a"
"checked\""""),
]

NOTEBOOKS = {"00-tour": TOUR}


def build(name: str, cells) -> pathlib.Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell(src) if kind == "md" else nbformat.v4.new_code_cell(src)
                for kind, src in cells]
    path = HERE / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


if __name__ == "__main__":
    for name in sys.argv[1:] or NOTEBOOKS:
        print(build(name, NOTEBOOKS[name]))
