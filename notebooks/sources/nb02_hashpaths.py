"""02 · Hashpaths."""

CELLS = [
    ("md", """# 02 · Hashpaths

**What you'll do:** chain hashpaths by hand with `hashlib`, then let aolab do it, and compose two
computations.
**What you'll learn:** what a hashpath commits to, why it stays 87 characters however long the
computation, and how results compose.
**What you need:** notebook 01 (IDs)."""),
    ("code", """import base64, hashlib
import aolab"""),
    ("md", """## One step
Applying request `R` to base `B` gives a result whose hashpath is `id(B)/id(R)`."""),
    ("code", """base = {"device": "counter@1.0", "count": 0}
request = {"path": "add", "amount": 5}
first = aolab.resolve(base, request)
aolab.hashpath(first)"""),
    ("code", """aolab.hashpath(first) == f"{aolab.id(base)}/{aolab.id(request)}\""""),
    ("md", """## Two steps, by hand
When the base already has a two-part hashpath `A/B`, the next hashpath is
`SHA-256(native(A) + native(B))/id(R2)`: the lineage folds into one ID (`sha-256-chain`)."""),
    ("code", """def native(human):
    return base64.urlsafe_b64decode(human + "=")

def human(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

A, B = aolab.hashpath(first).split("/")
request2 = {"path": "add", "amount": 7}
by_hand = human(hashlib.sha256(native(A) + native(B)).digest()) + "/" + aolab.id(request2)
by_hand"""),
    ("code", """second = aolab.resolve(first, request2)
aolab.hashpath(second) == by_hand, second["count"]"""),
    ("md", """## Verifiable
Anyone holding the messages can check each step: base, request, result."""),
    ("code", """aolab.verify_hashpath([base, request, first]), aolab.verify_hashpath([first, request2, second])"""),
    ("code", """aolab.verify_hashpath([base, {"path": "add", "amount": 6}, first])"""),
    ("md", """## A path-only request
A request that holds only a `path` contributes that path's first part instead of an ID, so
`resolve(m, "count")` and `resolve(m, {"path": "count"})` have the same lineage."""),
    ("code", """aolab.next_hashpath(first, {"path": "count"})"""),
    ("md", """## Composable
Results feed the next computation. Here is a two-key arithmetic device: `add` and `mul` on the
message's `value`. `add(2, 3)` gives H1; `mul(H1, 4)` gives H2, whose hashpath contains H1's."""),
    ("code", """def add(base, request):
    return {**base, "value": base["value"] + request["x"]}

def mul(base, request):
    return {**base, "value": base["value"] * request["x"]}

lab = aolab.Node()
lab.register_device("arith@1.0", {"add": add, "mul": mul})
h1 = lab.resolve({"device": "arith@1.0", "value": 2}, {"path": "add", "x": 3})
h2 = lab.resolve(h1, {"path": "mul", "x": 4})
h1["value"], h2["value"]"""),
    ("code", """aolab.hashpath(h2) == aolab.next_hashpath(h1, {"path": "mul", "x": 4})"""),
    ("code", """lab.trace.steps()[["step", "device", "key", "base", "request", "hashpath"]]"""),
    ("md", """## Compact
However many steps, the hashpath is two 43-character parts."""),
    ("code", """state = {"device": "counter@1.0", "count": 0}
for n in range(100):
    state = aolab.resolve(state, {"path": "add", "amount": n})
state["count"], len(aolab.hashpath(state))"""),
    ("md", """## On your own
Compute by hand (with `hashlib`, `native` and `human`) the hashpath of `h2` from `h1`'s hashpath
and the request `{"path": "mul", "x": 4}`; store it in `mine`."""),
    ("exercise", """# your answer here
mine = None"""),
    ("solution", """P, Q = aolab.hashpath(h1).split("/")
mine = human(hashlib.sha256(native(P) + native(Q)).digest()) + "/" + aolab.id({"path": "mul", "x": 4})"""),
    ("check", """from exercises import check_02
check_02(mine, h2)"""),
]
