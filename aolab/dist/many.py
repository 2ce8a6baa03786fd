"""The two calls of a scale-out run: compute many processes, then re-check them all."""
from __future__ import annotations

import time

from .cluster import chunks_of, run_tasks, workers_of
from .runs import Runs, RunsReport
from .specs import as_specs
from .tasks import compute_chunk, verify_chunk


def compute_many(lab, processes, slots: int | None = None, client=None, record=None,
                 chunk: int | None = None, progress=None) -> Runs:
    """Compute many processes, sharded over a Dask client's workers (or here).

    Parameters
    ----------
    lab : aolab.Node or None
        The client-side node: ``record`` defaults to its recording setting, and
        every process and final state is written to its store (so
        ``lab.fetch(run["hashpath"])`` returns the state).
    processes : int or list
        ``N`` (``N`` :func:`counter_processes` with *slots* messages each,
        ``slots`` defaulting to 100), or ``(process, messages)`` pairs.
    slots : int, optional
        Compute slots ``0 .. slots - 1`` (default: every message scheduled).
    client : distributed.Client, optional
        Without one, the tasks run in this process, one after another.
    record : bool, optional
        Record every step in the workers and merge the records (:attr:`Runs.trace`).
    chunk : int, optional
        Processes per task (default: about 16 tasks per worker).
    progress : callable, optional
        ``progress(tasks_done, tasks)`` after each task is gathered.

    Returns
    -------
    Runs
        One result per process, in the order given.
    """
    record = (lab.recording if lab is not None else False) if record is None else bool(record)
    specs = as_specs(processes, slots)
    workers = workers_of(client)
    chunks = [(part, slots, record) for part in chunks_of(specs, chunk, len(workers))]
    started = time.perf_counter()
    results = [run for chunk_runs in run_tasks(compute_chunk, chunks, client, "compute", progress)
               for run in chunk_runs]
    seconds = time.perf_counter() - started
    if lab is not None:
        for run in results:
            lab.store.write(run["process"])
            lab.store.write_result(run["hashpath"], run["state"])
    return Runs(results, [messages for _, messages in specs], seconds=seconds, workers=workers,
                record=record, dashboard=_dashboard(client),
                processes=[process for process, _ in specs])


def verify_many(runs: Runs, client=None, chunk: int | None = None, progress=None) -> RunsReport:
    """Re-execute every result of *runs* and compare it (see :func:`aolab.dist.check_run`).

    On a client with two workers or more, each result is re-executed on a
    worker other than the one that computed it (on any worker when the one
    that computed it has left, or is the only one).
    """
    workers = workers_of(client)
    chunks, computed_by = _verify_chunks(runs, chunk, len(workers))

    def placement(index, alive):
        others = [w for w in alive if w != computed_by[index]]
        return others if others and len(others) < len(alive) else None

    started = time.perf_counter()
    rows = [row for chunk_rows in run_tasks(verify_chunk, chunks, client, "verify", progress,
                                             placement if client is not None else None)
            for row in chunk_rows]
    order = {run["process_id"]: index for index, run in enumerate(runs)}
    rows.sort(key=lambda row: order[row["process_id"]])
    return RunsReport(rows, runs, seconds=time.perf_counter() - started)


def _verify_chunks(runs: Runs, chunk: int | None, workers: int) -> tuple[list, list]:
    """The verification tasks, one worker's results at a time, and who computed each."""
    asked = runs.processes if runs.processes is not None else [None] * len(runs)
    if len(asked) != len(runs) or len(runs.messages) != len(runs):
        raise ValueError(f"verify_many: {len(runs)} results for {len(asked)} processes asked for")
    by_worker: dict[str, list] = {}
    for run, messages, process in zip(runs, runs.messages, asked):
        by_worker.setdefault(run["worker"], []).append((run, messages, process))
    chunks, computed_by = [], []
    for worker in sorted(by_worker):
        for part in chunks_of(by_worker[worker], chunk, workers):
            chunks.append((part,))
            computed_by.append(worker)
    return chunks, computed_by


def _dashboard(client) -> str | None:
    return None if client is None else getattr(client, "dashboard_link", None)
