"""The tasks: pure, top-level functions of messages, run wherever Dask sends them.

Each builds a fresh :class:`aolab.Node` (its own store and network), so
nothing but messages and plain values crosses the wire.
"""
from __future__ import annotations

import time

from .. import hashpaths as hp
from ..ids import id as message_id
from ..node import Network, Node
from ..store import storable
from .steps import portable_steps

IN_PROCESS = "in-process"


def compute_process(process: dict, messages: list, slots: int, record: bool = False,
                    worker: str = IN_PROCESS) -> dict:
    """Spawn *process* on a fresh node, schedule *messages*, compute slot ``slots - 1``.

    Returns the run as a plain dict: ``process_id``, ``process``, ``slots``,
    ``state`` (a message carrying its hashpath), ``hashpath``, ``chain`` (the
    head of the assignment hash chain), ``worker``, ``started``, ``seconds``
    and ``steps`` (None unless *record*).
    """
    if not 1 <= slots <= len(messages):
        raise ValueError(f"cannot compute {slots} slots of a process given {len(messages)} "
                         "messages")
    node = Node(name="dist", record=record, network=Network())
    started, clock = time.time(), time.perf_counter()
    spawned = node.spawn(process)
    for message in messages:
        last = node.schedule(spawned, message)
    state = node.compute(spawned, slot=slots - 1)
    seconds = time.perf_counter() - clock
    process_id = message_id(spawned)
    return {"process_id": process_id, "process": spawned, "slots": slots,
            "state": storable(state), "hashpath": hp.hashpath_of(state),
            "chain": last["hash-chain"], "worker": worker, "started": started,
            "seconds": seconds,
            "steps": portable_steps(node.trace, process_id) if record else None}


def compute_chunk(specs: list, slots: int | None, record: bool) -> list[dict]:
    """:func:`compute_process` for each ``(process, messages)`` of a task.

    ``compute_process`` is looked up on :mod:`aolab.dist`, the public name, so
    a worker can be given another one (a test forges a worker that way).
    """
    from aolab import dist

    worker = worker_address()
    return [dist.compute_process(process, messages, len(messages) if slots is None else slots,
                                 record, worker) for process, messages in specs]


def verify_chunk(items: list) -> list[dict]:
    """:func:`aolab.dist.verify_process` for each ``(run, messages[, process])`` of a task."""
    from .checks import verify_process

    worker = worker_address()
    return [verify_process(run, messages, worker, *process) for run, messages, *process in items]


def echo(value):
    """A trivial task (the benchmark's measure of what a round trip through Dask costs)."""
    return value


def worker_address() -> str:
    """The Dask worker running this task, or ``"in-process"``."""
    try:
        from distributed import get_worker
        return get_worker().address
    except (ImportError, ValueError):
        return IN_PROCESS
