"""10 · Research: 10,000 process slots."""

CELLS = [
    ("md", """# 10 · Research: 10,000 process slots

**What you'll do:** schedule and compute 10,000 slots of a process on two nodes, with recording
on and off, measure throughput as the process grows, and check that both nodes agree.
**What you'll learn:** whether computing a slot costs the same at slot 10 and at slot 10,000
(it should: each slot starts from the stored state of the one before), and what recording costs.
**What you need:** notebook 06. Timings differ between machines and runs: the cells that
print them are marked for nbval to ignore; everything else is deterministic."""),
    ("code", """import time
import pandas as pd
import matplotlib.pyplot as plt
import aolab

SLOTS, CHUNK = 10_000, 1_000
process = {"execution-device": "counter@1.0"}"""),
    ("md", """## Scheduling
Message `n` adds `n`, so the count after slot `k` is `k(k+1)/2`."""),
    ("code", """nodes = {"recorded": aolab.Node(name="recorded"), "unrecorded": aolab.Node(name="unrecorded", record=False)}
procs, schedule_seconds = {}, {}
for name, node in nodes.items():
    procs[name] = node.spawn(process)
    start = time.perf_counter()
    for n in range(SLOTS):
        node.schedule(procs[name], {"action": "add", "amount": n})
    schedule_seconds[name] = time.perf_counter() - start
[node.resolve(procs[name], "slot/current") for name, node in nodes.items()]"""),
    ("code", """# NBVAL_IGNORE_OUTPUT
{name: round(SLOTS / seconds) for name, seconds in schedule_seconds.items()}  # assignments per second"""),
    ("md", """## Computing, a thousand slots at a time"""),
    ("code", """rows = []
for name, node in nodes.items():
    for end in range(CHUNK - 1, SLOTS, CHUNK):
        start = time.perf_counter()
        state = node.compute(procs[name], slot=end)
        rows.append({"node": name, "slot": end, "count": state["count"],
                     "seconds": time.perf_counter() - start})
runs = pd.DataFrame(rows)
runs["slots_per_s"] = CHUNK / runs["seconds"]
runs[["node", "slot", "count"]].tail(3)"""),
    ("code", """# NBVAL_IGNORE_OUTPUT
throughput = runs.pivot(index="slot", columns="node", values="slots_per_s").round()
throughput"""),
    ("code", """# NBVAL_IGNORE_OUTPUT
axes = throughput.plot(marker="o", title="slots computed per second, by slot reached")
axes.set_ylim(bottom=0)
axes.set_ylabel("slots / s")
plt.show()"""),
    ("md", """## What we measured
Throughput stays flat as the process grows: computing slot N+1 starts from slot N's stored
state. The gap between the two lines is the cost of recording every step. A single slow chunk
on one line is most likely a full garbage-collection pass of the Python heap, which grows with
every stored state (try `gc.disable()` around the loop to see it go)."""),
    ("code", """# NBVAL_IGNORE_OUTPUT
summary = runs.groupby("node")["slots_per_s"].agg(["mean", "min", "max"]).round()
summary["recording overhead"] = (summary.loc["unrecorded", "mean"] / summary["mean"]).round(2)
summary"""),
    ("md", """## Both nodes agree
Recording changes nothing in the results: the same count and the same hashpath at slot 9,999."""),
    ("code", """last = {name: node.compute(procs[name], slot=SLOTS - 1) for name, node in nodes.items()}
(last["recorded"]["count"] == SLOTS * (SLOTS - 1) // 2,
 aolab.hashpath(last["recorded"]) == aolab.hashpath(last["unrecorded"]))"""),
    ("md", """## What the recorder kept
Steps per slot, by device (each slot: the scheduler's `next`, then the counter's `compute`)."""),
    ("code", """steps = nodes["recorded"].trace.steps()
steps.groupby(["device", "key"]).size().rename("steps").to_frame()"""),
    ("md", """## On your own
Find the first slot after which the count exceeds 1,000,000, using the computed states (each
`compute` of a past slot is a store read). Store it in `mine`."""),
    ("exercise", """# your answer here
mine = None"""),
    ("solution", """low, high = 0, SLOTS - 1
node, proc = nodes["unrecorded"], procs["unrecorded"]
while low < high:
    middle = (low + high) // 2
    if node.compute(proc, slot=middle)["count"] > 1_000_000:
        high = middle
    else:
        low = middle + 1
mine = low
mine"""),
    ("check", """from exercises import check_10
check_10(mine, SLOTS)"""),
]
