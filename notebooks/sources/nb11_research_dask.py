"""11 · Research: 1,000 processes on a Dask cluster."""

CELLS = [
    ("md", """# 11 · Research: 1,000 processes on a Dask cluster

**What you'll do:** compute 1,000 processes of 20 slots each on a local Dask cluster, first with
one worker and then with two, plot throughput against the number of workers, re-check every
result on another worker, catch a forged one, and resolve one message in parts on different
workers.
**What you'll learn:** why AO-Core computations shard so easily (each task is a pure function of
messages, and its result carries its hashpath), and how results computed elsewhere are trusted:
by re-executing them, not by trusting the worker.
**What you need:** notebooks 06 and 09, and `dask[distributed]` (installed by `make lab`).
Without Dask, every call below also runs with `client=None`, in this process. Timings, worker
addresses and the dashboard link differ between runs: the cells that show them are marked for
nbval to ignore; everything else is deterministic."""),
    ("code", """import logging
import pandas as pd
import matplotlib.pyplot as plt
import aolab
from aolab import dist

PROCESSES, SLOTS = 1_000, 20  # 20,000 slots per run: nbval stays quick"""),
    ("md", """## The same API without a cluster
`dist.compute_many(lab, N, slots=S)` makes `N` counter@1.0 processes (process `i`'s message `n`
adds `i + n`), and for each one a fresh node spawns it, schedules its messages and computes to
the last slot. Each result is a plain dict: process ID, final state, hashpath, head of the
assignment hash chain, the worker, timings. With `client=None` the tasks run here."""),
    ("code", """lab = aolab.Node(name="lab", record=False)
small = dist.compute_many(lab, 3, slots=4)
[(run["state"]["count"], run["worker"], aolab.short_id(run["hashpath"].split("/")[0])) for run in small]"""),
    ("md", """Every final state is also stored on the `lab` node, by hashpath:"""),
    ("code", """lab.fetch(small[2]["hashpath"])["count"]"""),
    ("md", """## A local cluster
`Client()` with no arguments starts an embedded local cluster; here we size it ourselves: one
single-threaded worker process to start with (`Client("tcp://host:8786")` would join a real
cluster). The dashboard link shows the tasks live."""),
    ("code", """from dask.distributed import Client, LocalCluster

cluster = LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                       dashboard_address=":0", silence_logs=logging.ERROR)
client = Client(cluster)
client.wait_for_workers(1)
dist.compute_many(None, 4, slots=2, client=client)  # warm up: the worker imports aolab
len(dist.workers_of(client))"""),
    ("code", """# NBVAL_IGNORE_OUTPUT
client.dashboard_link"""),
    ("md", """## 1,000 processes x 20 slots, one worker, then two
Recording is off for the throughput runs (section *The merged trace* records a smaller run).
`compute_many` cuts the processes into tasks of a few dozen each, so Dask's per-task cost
stays small next to the work."""),
    ("code", """throughput = []
runs = {}
for workers in (1, 2):
    if workers > 1:
        cluster.scale(workers)
        client.wait_for_workers(workers)
        dist.compute_many(None, 4 * workers, slots=2, client=client, chunk=1)  # warm up
    runs[workers] = dist.compute_many(lab, PROCESSES, slots=SLOTS, client=client, record=False)
    throughput.append({"workers": workers, "seconds": runs[workers].seconds,
                       "slots_per_s": runs[workers].slots_per_s})
len(runs[2]), runs[2].slots"""),
    ("md", """Both runs give the same results, and each count is the expected one
(`SLOTS * i + SLOTS * (SLOTS - 1) / 2` for process `i`):"""),
    ("code", """same = [r["hashpath"] for r in runs[1]] == [r["hashpath"] for r in runs[2]]
expected = all(run["state"]["count"] == SLOTS * i + SLOTS * (SLOTS - 1) // 2
               for i, run in enumerate(runs[2]))
same, expected"""),
    ("code", """# NBVAL_IGNORE_OUTPUT
table = pd.DataFrame(throughput).set_index("workers")
table["speed-up"] = table["slots_per_s"] / table.loc[1, "slots_per_s"]
table.round(2)"""),
    ("code", """# NBVAL_IGNORE_OUTPUT
axes = table["slots_per_s"].plot(marker="o", label="measured", xticks=[1, 2],
                                 title="slots scheduled and computed per second")
axes.plot([1, 2], [table.loc[1, "slots_per_s"], 2 * table.loc[1, "slots_per_s"]], "--",
          label="ideal (linear)")
axes.set_ylim(bottom=0)
axes.set_xlabel("workers")
axes.set_ylabel("slots / s")
axes.legend()
plt.show()"""),
    ("md", """Where the time went, per worker (compute seconds are summed over each worker's tasks):"""),
    ("code", """# NBVAL_IGNORE_OUTPUT
runs[2].per_worker()"""),
    ("md", """## Every result re-checked, on another worker
`verify_many` sends each result to a worker other than the one that computed it. That worker
spawns the process again, schedules the same messages (the hash chain must end at the claimed
head), computes to the last slot, and compares the hashpath and the content."""),
    ("code", """report = dist.verify_many(runs[2], client=client)
bool(report), report.counts(), all(r["verified_by"] != r["computed_by"] for r in report.rows)"""),
    ("code", """# NBVAL_IGNORE_OUTPUT
report.summary()"""),
    ("md", """## A forged result is caught and named
A smaller run, recorded this time, with two results altered after they came back: one final
count, and one step's hashpath in the trace a worker sent."""),
    ("code", """recorded = dist.compute_many(None, 20, slots=10, client=client, record=True)
recorded[7]["state"]["count"] += 1
forged_step = next(i for i, s in enumerate(recorded[12]["steps"])
                   if s["device"] == "counter@1.0" and s["slot"] == 4)
recorded[12]["steps"][forged_step]["hashpath"] = "forged"
checked = dist.verify_many(recorded, client=client)
checked.counts()"""),
    ("code", """names = {run["process_id"]: i for i, run in enumerate(recorded)}
[(names[row["process_id"]], row["slot"], row["step"], row["key"], row["reason"][:60])
 for row in checked.diverged]"""),
    ("md", """## The merged trace
Workers send their steps back as plain records (hashpaths, keys, devices, statuses, slots);
`runs.trace` merges them into one DAG by hashpath, in the order the processes were given, so
it is the same whichever worker finished first."""),
    ("code", """merged = recorded.trace
merged, merged.steps().groupby(["device", "key"]).size().rename("steps").to_frame()"""),
    ("md", """Two runs of one identical process share every message: merged by hashpath, they are one
branch of the graph, with twice the steps."""),
    ("code", """process, messages = dist.counter_processes(1, 3)[0]
twice = dist.compute_many(None, [(process, messages)] * 2, client=client, record=True)
once = dist.compute_many(None, [(process, messages)], record=True)
len(twice.trace) == 2 * len(once.trace), twice.graph.number_of_nodes() == once.graph.number_of_nodes()"""),
    ("code", """once.trace.show(view="summary")"""),
    ("md", """## One message, resolved in parts
A stack@1.0 in `map` mode runs every device of its stack on the same message: the parts are
independent. `resolve_sharded` resolves each part on a worker and recombines them; the result
has the same ID and hashpath as on one machine."""),
    ("code", """stack = {"device": "stack@1.0", "device-stack": ["counter@1.0", "dedup@1.0", "counter@1.0"],
         "count": 1}
request = {"path": "add", "amount": 2, "mode": "map"}
sharded = dist.resolve_sharded(stack, request, client=client)
single = aolab.resolve(stack, request)
aolab.id(sharded) == aolab.id(single), aolab.hashpath(sharded) == aolab.hashpath(single)"""),
    ("code", """# NBVAL_IGNORE_OUTPUT
sharded["priv"]["shards"]  # which worker resolved which device of the stack"""),
    ("md", """## On your own
Compute five processes of your own on the cluster: process `k` (for `k` in 0..4) runs
counter@1.0 and has ten messages, each adding `k`. Verify them, and store the report in `mine`."""),
    ("exercise", """# your answer here
mine = None"""),
    ("solution", """specs = [({"execution-device": "counter@1.0", "owner": f"me-{k}"},
          [{"action": "add", "amount": k}] * 10) for k in range(5)]
mine_runs = dist.compute_many(None, specs, client=client)
mine = dist.verify_many(mine_runs, client=client)
mine"""),
    ("check", """from exercises import check_11
check_11(mine)"""),
    ("md", """Close the cluster when you are done:"""),
    ("code", """client.close()
cluster.close()"""),
]
