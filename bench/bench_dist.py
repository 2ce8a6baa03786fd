"""Dask benchmark: process slots per second in-process, on 1 and on 2 workers.

The workload is 200 counter@1.0 processes x 100 slots (each slot scheduled and
computed, so a slot is one ``schedule`` and one ``compute`` of a process), with
recording off: the figures measure aolab's work and Dask's overhead, not the
recorder.  The 1- and 2-worker figures use one LocalCluster of single-threaded
worker processes (scaled from 1 to 2 workers), each run after a warm-up task on
every worker; the speed-up is measured in the same run (goal >= 1.6x on a
2-core machine, where the client and the scheduler share the cores with the
workers).  The per-task overhead is a trivial task's round trip through Dask,
one at a time and in a batch of 1,000, against calling it in this process.
``dask_1_worker_vs_in_process_x`` is what a single worker costs against the same
loop here (measured 1.1-1.25x: the worker's event loop shares the GIL with the
task thread, and the nanny starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``).

Run: ``.venv/bin/python bench/bench_dist.py`` (needs ``dask[distributed]``).
"""
from __future__ import annotations

import logging
import statistics
import time

from aolab import dist

PROCESSES, SLOTS = 200, 100


def slots_per_s(client=None, processes: int = PROCESSES, slots: int = SLOTS) -> float:
    """Best of two runs of the workload (scheduling and computing every slot)."""
    return max(dist.compute_many(None, processes, slots=slots, client=client,
                                 record=False).slots_per_s for _ in range(2))


def warm_up(client) -> None:
    """Import aolab and its devices in every worker before timing."""
    dist.compute_many(None, 4 * len(dist.workers_of(client)), slots=5, client=client, chunk=1)


def round_trip_ms(client, n: int = 200) -> float:
    """Median time of one trivial task submitted and gathered, in ms."""
    times = []
    for i in range(n):
        start = time.perf_counter()
        client.submit(dist.echo, i, pure=False).result()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def batch_task_ms(client, n: int = 1000) -> float:
    """Wall time per trivial task when 1,000 are mapped and gathered at once, in ms."""
    start = time.perf_counter()
    client.gather(client.map(dist.echo, range(n), pure=False))
    return (time.perf_counter() - start) / n * 1000


def in_process_call_us(n: int = 100_000) -> float:
    """The same trivial task called here, in microseconds."""
    start = time.perf_counter()
    for i in range(n):
        dist.echo(i)
    return (time.perf_counter() - start) / n * 1e6


def run() -> dict:
    figures = {"slots_per_s_in_process": slots_per_s()}
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        return {**figures, "dask": "not installed: pip install 'dask[distributed]'"}
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0",
                      silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        client.wait_for_workers(1)
        warm_up(client)
        figures["slots_per_s_1_worker"] = slots_per_s(client)
        cluster.scale(2)
        client.wait_for_workers(2)
        warm_up(client)
        figures["slots_per_s_2_workers"] = slots_per_s(client)
        figures["speedup_2_vs_1_x"] = (figures["slots_per_s_2_workers"]
                                       / figures["slots_per_s_1_worker"])
        figures["task_round_trip_ms"] = round_trip_ms(client)
        figures["task_in_batch_ms"] = batch_task_ms(client)
    figures["task_in_process_us"] = in_process_call_us()
    figures["dask_1_worker_vs_in_process_x"] = (figures["slots_per_s_in_process"]
                                                / figures["slots_per_s_1_worker"])
    return figures


if __name__ == "__main__":
    import run as runner  # bench/run.py: prints figures the same way for every benchmark
    runner.show(run())
