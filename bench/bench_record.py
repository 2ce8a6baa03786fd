"""Recording benchmark: memory per recorded step (graph included) and recording overhead.

Run: ``.venv/bin/python bench/bench_record.py [--steps 1000000] [--before REV]``.

Each figure is measured in a fresh child process, for this checkout and for
the git revision *REV* (exported with ``git archive`` into a temporary
directory), in the same run, so the two are compared on one machine at one
time.  Workloads (message@1.0 ``get``, through ``aolab.resolve`` with an
``aolab.Trace`` as the listener and no store, so that nothing but the
recording keeps memory alive):

- ``value``: ``get a`` on one computed base (as ``bench_core``), a plain value;
- ``message``: ``get m`` on one computed base, a message (linked: it gets a
  hashpath, a new copy per step);
- ``fresh``: ``get a`` on a different base every step (bases built before the
  measurement and held by the caller): each step adds two graph nodes.

Memory is the growth of the child's resident set size (``/proc/self/statm``,
after ``gc.collect()``) from just before the first step to just after the
trace's graph was built, divided by the number of steps.  Overhead is the
rate of unrecorded over recorded gets on one base, in CPU time (best of 15
alternating rounds of 10,000 steps, the trace cleared between rounds).
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def rss_bytes() -> int:
    """The resident set size of this process."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def child_memory(workload: str, steps: int) -> dict:
    import aolab

    base = aolab.resolve({"device": "message@1.0", "a": "RESULT", "m": {"x": "1"}, "n": 1},
                         {"path": "set", "b": 2})
    key = "m" if workload == "message" else "a"
    bases = [{"a": "RESULT", "n": i} for i in range(steps)] if workload == "fresh" else None
    trace = aolab.Trace()
    gc.collect()
    before = rss_bytes()
    start = time.perf_counter()
    for i in range(steps):
        aolab.resolve(bases[i] if bases else base, key, listener=trace)
    trace.graph  # noqa: B018 - built from the records when first read
    seconds = time.perf_counter() - start
    gc.collect()
    grown = rss_bytes() - before
    return {"steps": len(trace), "nodes": trace.graph.number_of_nodes(),
            "bytes_per_step": grown / steps, "steps_per_s": steps / seconds}


def child_overhead(rounds: int = 15, n: int = 10_000) -> dict:
    import aolab

    base = aolab.resolve({"device": "message@1.0", "a": "RESULT", "n": 1}, {"path": "set", "b": 2})
    trace, request = aolab.Trace(), {"path": "a"}

    def timed(listener) -> float:  # CPU time: the machine's other work does not count
        start = time.process_time()
        for _ in range(n):
            aolab.resolve(base, request, listener=listener)
        return n / (time.process_time() - start)

    on = off = 0.0
    for _ in range(rounds):
        trace.clear()
        on, off = max(on, timed(trace)), max(off, timed(None))
    return {"recorded_per_s": on, "unrecorded_per_s": off, "overhead_x": off / on}


def in_child(tree: pathlib.Path, *args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree), "PYTHONHASHSEED": "0"}
    done = subprocess.run([sys.executable, __file__, "--child", *args], env=env, cwd=tree,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def exported(rev: str, into: str) -> pathlib.Path:
    """The files of git revision *rev* of this checkout, written into *into*."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", into], input=archive, check=True)
    return pathlib.Path(into)


def run(steps: int = 1_000_000, before: str = "2e8f1c1") -> dict:
    figures = {}
    with tempfile.TemporaryDirectory() as tmp:
        trees = {"before": exported(before, tmp), "after": ROOT}
        for name, tree in trees.items():
            for workload in ("value", "message", "fresh"):
                measured = in_child(tree, "memory", workload, str(steps))
                figures[f"{name}_{workload}_kb_per_step"] = measured["bytes_per_step"] / 1000
                figures[f"{name}_{workload}_steps_per_s"] = measured["steps_per_s"]
            overhead = in_child(tree, "overhead")
            figures[f"{name}_recording_overhead_x"] = overhead["overhead_x"]
            figures[f"{name}_get_recorded_per_s"] = overhead["recorded_per_s"]
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs="+")
    parser.add_argument("--steps", type=int, default=1_000_000)
    parser.add_argument("--before", default="2e8f1c1")
    options = parser.parse_args()
    if options.child:
        what, *rest = options.child
        result = child_memory(rest[0], int(rest[1])) if what == "memory" else child_overhead()
        print(json.dumps(result))
    else:
        sys.path.insert(0, str(ROOT / "bench"))
        import run as runner  # bench/run.py: prints figures the same way for every benchmark
        runner.show(run(options.steps, options.before))
