"""06 · Processes."""

CELLS = [
    ("md", """# 06 · Processes

**What you'll do:** compute a process's state at any slot, ask for `now`, restart a node and
carry on from its stored state, and draw the process's timeline.
**What you'll learn:** how process@1.0 combines a scheduler and an execution device into a
persistent shared state, computed slot by slot.
**What you need:** notebooks 04 and 05."""),
    ("code", """import pathlib, tempfile
import aolab
from aolab import viz
lab = aolab.Node()
proc = lab.spawn({"scheduler-device": "scheduler@1.0",
                  "execution-device": "stack@1.0",
                  "device-stack": ["dedup@1.0", "counter@1.0"]})
for action, amount in [("add", 2), ("add", 5), ("subtract", 3), ("add", 10)]:
    lab.schedule(proc, {"action": action, "amount": amount})
lab.resolve(proc, "slot/current")"""),
    ("md", """## The state at slot N
`compute` with `slot: N` applies assignments 0..N in order."""),
    ("code", """state = lab.compute(proc, slot=1)
state["count"], state["at-slot"], state["results"]"""),
    ("md", """Each computed slot is stored, so slot 2 after slot 1 is one more step, and a past slot is a
store read."""),
    ("code", """lab.trace.clear()
lab.compute(proc, slot=2)["count"], len(lab.trace)"""),
    ("code", """lab.trace.clear()
lab.compute(proc, slot=0)["count"], len(lab.trace)"""),
    ("md", """## Now
`now` computes up to the schedule's current slot; paths reach into the state."""),
    ("code", """lab.resolve(proc, "now/count"), lab.resolve(proc, "now/results/action")"""),
    ("md", """## HyperBEAM paths
The process's ID names it, so the same request can be written as a path."""),
    ("code", """pid = aolab.id(proc)
lab.resolve(f"/{pid}~process@1.0/compute&slot=3/count")"""),
    ("md", """## A node that restarts
On a `DiskStore`, a new node carries on from the last stored state."""),
    ("code", """folder = pathlib.Path(tempfile.mkdtemp()) / "store"
first_node = aolab.Node(name="first", store=folder)
p = first_node.spawn({"execution-device": "counter@1.0"})
for amount in (1, 2, 3):
    first_node.schedule(p, {"action": "add", "amount": amount})
first_node.compute(p, slot=1)["count"]"""),
    ("code", """restarted = aolab.Node(name="restarted", store=folder)
restarted.compute(p, slot=2)["count"], [r["key"] for r in restarted.trace.records if r["depth"] == 1]"""),
    ("md", """## The timeline
Which step scheduled what, and which assignment produced which state."""),
    ("code", """timeline_lab = aolab.Node(name="timeline")
tp = timeline_lab.spawn({"execution-device": "counter@1.0"})
for amount in (4, 6):
    timeline_lab.schedule(tp, {"action": "add", "amount": amount})
timeline_lab.compute(tp, slot=1)
viz.process_timeline(timeline_lab.trace)[["step", "depth", "device", "key", "slot", "status"]]"""),
    ("code", """timeline_lab.trace.show()"""),
    ("md", """## On your own
Schedule `{"action": "reset", "amount": 100}` on `proc`, then store the state after that slot
in `mine`."""),
    ("exercise", """# your answer here
mine = None"""),
    ("solution", """reset = lab.schedule(proc, {"action": "reset", "amount": 100})
mine = lab.compute(proc, slot=reset["slot"])"""),
    ("check", """from exercises import check_06
check_06(mine)"""),
]
