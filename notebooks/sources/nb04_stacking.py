"""04 · Stacking devices."""

CELLS = [
    ("md", """# 04 · Stacking devices

**What you'll do:** run several devices as one with stack@1.0, in fold and map mode, and make a
device skip the rest of the stack or ask for another pass; then step through it.
**What you'll learn:** how a stack threads one state through its devices, and why the whole
stack call still has a single hashpath.
**What you need:** notebooks 00–03."""),
    ("code", """import aolab
lab = aolab.Node()"""),
    ("md", """## Fold: one state through every device
`append@1.0` appends the request's `bin` to the state's `result`, after its separator. Two of
them in a stack append twice."""),
    ("code", """base = {"device": "stack@1.0", "device-stack": ["append@1.0", "append@1.0"],
        "separators": {"1": "+D1", "2": "+D2"}, "result": "INIT"}
folded = lab.resolve(base, {"path": "append", "bin": "2"})
folded["result"]"""),
    ("md", """The stack call is one step with one hashpath; each device call inside it is a child step."""),
    ("code", """lab.trace.steps()[["step", "parent", "depth", "device", "key", "hashpath"]]"""),
    ("code", """aolab.hashpath(folded) == aolab.next_hashpath(base, {"path": "append", "bin": "2"})"""),
    ("md", """## Map: every device on the same input
`mode: map` runs each device on the original state and collects the results by position."""),
    ("code", """mapped = lab.resolve(base, {"path": "append", "bin": "2", "mode": "map"})
mapped["1"]["result"], mapped["2"]["result"]"""),
    ("md", """## Skip and pass
A device answering `skip` ends the stack for this call. Answering `pass` starts again from the
first device with `pass` incremented; `multipass@1.0` asks for passes until `passes` is reached,
and `dedup@1.0` lets each request through only once."""),
    ("code", """skipping = {**base, "status": "skip"}
lab.resolve(skipping, {"path": "append", "bin": "2"})["result"]"""),
    ("code", """twice = {"device": "stack@1.0", "passes": 2, "result": "INIT", "separator": "+",
         "device-stack": ["dedup@1.0", "append@1.0", "multipass@1.0"]}
lab.resolve(twice, {"path": "append", "bin": "x"})["result"]"""),
    ("code", """once = lab.resolve(twice, {"path": "append", "bin": "x"})
again = lab.resolve(once, {"path": "append", "bin": "x"})
once["result"] == again["result"]"""),
    ("md", """## Step through it
The stepper replays every recorded step; the frames show the state as each device received
and returned it."""),
    ("code", """lab.trace.show(view="depth")"""),
    ("code", """lab.trace.stepper()"""),
    ("md", """## On your own
Build a stack of three `counter@1.0` devices starting from `count: 1` and resolve
`{"path": "add", "amount": 2}` in fold mode; store the result in `mine`."""),
    ("exercise", """# your answer here
mine = None"""),
    ("solution", """mine = lab.resolve({"device": "stack@1.0", "count": 1,
                    "device-stack": ["counter@1.0"] * 3}, {"path": "add", "amount": 2})"""),
    ("check", """from exercises import check_04
check_04(mine)"""),
]
