"""Process benchmark: assignments per second, and slots computed per second.

The execution device is counter@1.0 (trivial work), so the figures measure
aolab itself: the scheduler's hash chain and store writes, and per slot the
``next`` + ``compute`` steps, store writes and hashpaths.  Recording on and off
are measured in the same run; ``stack_*`` runs the same slots through
stack@1.0 with dedup@1.0 + counter@1.0.

Run: ``.venv/bin/python bench/bench_process.py``.
"""
from __future__ import annotations

import time

import aolab


def _process(stack: bool) -> dict:
    if stack:
        return {"device": "process@1.0", "execution-device": "stack@1.0",
                "device-stack": ["dedup@1.0", "counter@1.0"]}
    return {"device": "process@1.0", "execution-device": "counter@1.0"}


def assignments_per_s(n: int, record: bool) -> float:
    lab = aolab.Node(record=record)
    proc = lab.spawn(_process(False))
    start = time.perf_counter()
    for i in range(n):
        lab.schedule(proc, {"action": "add", "amount": i})
    return n / (time.perf_counter() - start)


def slots_per_s(n: int, record: bool, stack: bool = False) -> float:
    lab = aolab.Node(record=record)
    proc = lab.spawn(_process(stack))
    for i in range(n):
        lab.schedule(proc, {"action": "add", "amount": 1})
    start = time.perf_counter()
    state = lab.compute(proc, slot=n - 1)
    elapsed = time.perf_counter() - start
    assert state["count"] == n
    return n / elapsed


def run(n: int = 2000) -> dict:
    best = lambda fn, *a: max(fn(*a) for _ in range(3))  # noqa: E731
    figures = {
        "assignments_per_s_recorded": best(assignments_per_s, n, True),
        "assignments_per_s_unrecorded": best(assignments_per_s, n, False),
        "slots_per_s_recorded": best(slots_per_s, n, True),
        "slots_per_s_unrecorded": best(slots_per_s, n, False),
        "stack_slots_per_s_recorded": best(slots_per_s, n, True, True),
    }
    figures["slot_recording_overhead_x"] = (figures["slots_per_s_unrecorded"]
                                            / figures["slots_per_s_recorded"])
    return figures


if __name__ == "__main__":
    import run as runner  # bench/run.py: prints figures the same way for every benchmark
    runner.show(run())
