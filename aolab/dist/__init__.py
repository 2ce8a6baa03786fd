"""Scale-out: many processes computed, and re-checked, on a Dask cluster.

Every task here is a pure function of messages: given a process message and
the messages to schedule on it, a fresh :class:`aolab.Node` (in a Dask worker,
or in this process) spawns the process, schedules the messages, computes to
the last slot and returns a plain dict: the process ID, the final state (a
message carrying its hashpath), the hashpath, the head of the assignment hash
chain, the worker that ran it, timings and (when recording) the steps as plain
records.  Nothing but messages and plain values crosses the wire.

* :func:`compute_many` shards processes over the workers (``chunk`` processes
  per task) and returns :class:`Runs`: the results in order, and
  :attr:`Runs.trace`, one DAG merged from every worker's records by hashpath.
* :func:`verify_many` re-executes every result on another worker and compares
  hashpath and content; a :class:`Report` names what diverged.
* :func:`resolve_sharded` resolves one stack@1.0 request in ``map`` mode with
  each device of the stack on a worker; the recombined result has the ID and
  hashpath of ``aolab.resolve(base, request)``.

Dask (``dask[distributed]``) is optional: with ``client=None``, or without
Dask installed, the same task functions run here, one after another.  A
``distributed.Client()`` with no arguments starts an embedded local cluster
(no server to set up); ``Client("tcp://host:8786")`` uses a real one.

>>> import aolab
>>> from aolab import dist
>>> runs = dist.compute_many(aolab.Node(record=False), 2, slots=3)
>>> [run["state"]["count"] for run in runs]      # process i adds i, i+1, i+2
[3, 6]
>>> runs[0]["worker"]
'in-process'
>>> report = dist.verify_many(runs)
>>> bool(report), report.counts()
(True, {'verified': 2, 'diverged': 0})

The package, by job: :mod:`~aolab.dist.specs` (what to compute),
:mod:`~aolab.dist.tasks` (what a worker runs), :mod:`~aolab.dist.checks`
(re-checking a run with :mod:`aolab.verify`'s comparison and
:class:`aolab.verify.Report`), :mod:`~aolab.dist.steps` (steps as plain
records), :mod:`~aolab.dist.cluster` (running tasks on Dask or here),
:mod:`~aolab.dist.many` (:func:`compute_many`, :func:`verify_many`),
:mod:`~aolab.dist.sharded` (:func:`resolve_sharded`, through stack@1.0's own
functions), :mod:`~aolab.dist.runs` and :mod:`~aolab.merged_trace` (what comes back).
"""

from __future__ import annotations

from .checks import check_run, verify_process
from .cluster import RETRIES, TASKS_PER_WORKER, WATCH_SECONDS, chunks_of, run_tasks, workers_of
from .many import compute_many, verify_many
from ..merged_trace import MergedTrace
from .runs import Runs, RunsReport
from .sharded import resolve_part, resolve_sharded
from .specs import as_specs, counter_processes
from .steps import STEP_FIELDS, portable_steps
from .tasks import IN_PROCESS, compute_chunk, compute_process, echo, verify_chunk, worker_address

#: The old name of :class:`RunsReport` (one report per verification is :class:`aolab.verify.Report`).
Report = RunsReport

__all__ = [
    "IN_PROCESS", "MergedTrace", "RETRIES", "Report", "Runs", "RunsReport", "STEP_FIELDS",
    "TASKS_PER_WORKER", "WATCH_SECONDS", "as_specs", "check_run", "chunks_of", "compute_chunk",
    "compute_many", "compute_process", "counter_processes", "echo", "portable_steps",
    "resolve_part", "resolve_sharded", "run_tasks", "verify_chunk", "verify_many",
    "verify_process", "workers_of",
]
