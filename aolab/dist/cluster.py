"""Running tasks: on a Dask client's workers, or here one after another.

Dask (``dask[distributed]``) is imported only when a client is given.
"""
from __future__ import annotations

import math
import uuid

from .tasks import IN_PROCESS

#: Tasks per worker when ``chunk`` is not given: enough to balance, few enough to be cheap.
TASKS_PER_WORKER = 16
#: How often a task is rerun after it raised (a killed worker's tasks rerun anyway).
RETRIES = 2
#: Seconds between checks that the workers a task is placed on are still there.
WATCH_SECONDS = 1.0


def workers_of(client) -> list[str]:
    """The addresses of a client's workers (``["in-process"]`` without a client)."""
    if client is None:
        return [IN_PROCESS]
    return sorted(client.scheduler_info(n_workers=-1)["workers"])


def chunks_of(items: list, chunk: int | None, workers: int) -> list[list]:
    """*items* cut into tasks of *chunk* items (default: about
    :data:`TASKS_PER_WORKER` tasks per worker)."""
    if chunk is None:
        chunk = max(1, math.ceil(len(items) / (TASKS_PER_WORKER * max(workers, 1))))
    return [items[i:i + chunk] for i in range(0, len(items), chunk)]


def run_tasks(function, chunks: list, client, name: str, progress=None, placement=None) -> list:
    """``function(*args)`` for every args tuple of *chunks*; results in chunk order.

    On a client: one Dask task per chunk, retried when it raises (Dask itself
    reruns the tasks of a worker that died), gathered as they complete.
    *placement(index, alive_workers)* names the only workers task ``index``
    may run on (None: any); a task whose workers have all left is placed again.
    *progress(done, tasks)* is called after each task.
    """
    if client is None:
        return _run_here(function, chunks, progress)
    return _Submission(function, chunks, client, name, placement).gather(progress)


def _run_here(function, chunks: list, progress) -> list:
    results = []
    for args in chunks:
        results.append(function(*args))
        if progress is not None:
            progress(len(results), len(chunks))
    return results


class _Submission:
    """The tasks of one :func:`run_tasks` call on a client, and where each runs."""

    def __init__(self, function, chunks: list, client, name: str, placement):
        self.function, self.chunks, self.client, self.placement = function, chunks, client, placement
        self.prefix = f"aolab-{name}-{uuid.uuid4().hex[:12]}"
        self.pending: dict = {}  # future -> (chunk index, its workers, attempt)
        alive = workers_of(client) if placement is not None else []
        for index in range(len(chunks)):
            self.submit(index, alive)

    def submit(self, index: int, alive: list, attempt: int = 0) -> None:
        workers = None if self.placement is None else self.placement(index, alive)
        key = f"{self.prefix}-{index}" + (f"-{attempt}" if attempt else "")
        future = self.client.submit(self.function, *self.chunks[index], key=key, retries=RETRIES,
                                    workers=workers, allow_other_workers=False)
        self.pending[future] = (index, workers, attempt)

    def gather(self, progress) -> list:
        from distributed import wait

        results: list = [None] * len(self.chunks)
        done = 0
        while self.pending:
            try:
                finished = wait(list(self.pending), timeout=WATCH_SECONDS,
                                return_when="FIRST_COMPLETED").done
            except TimeoutError:
                finished = ()
            for future in finished:
                try:
                    value = future.result(timeout=WATCH_SECONDS)
                except TimeoutError:  # finished, then lost with its worker: pending again,
                    continue          # and placed again below if its workers have all left
                results[self.pending.pop(future)[0]] = value
                future.release()  # gathered: a worker lost later need not recompute it
                done += 1
                if progress is not None:
                    progress(done, len(self.chunks))
            self.replace_orphans()
        return results

    def replace_orphans(self) -> None:
        """Place again the tasks whose workers have all left."""
        if self.placement is None or not self.pending:
            return
        alive = workers_of(self.client)
        for future, (index, workers, attempt) in list(self.pending.items()):
            if workers and not set(alive).intersection(workers):
                del self.pending[future]
                future.cancel()
                self.submit(index, alive, attempt + 1)
