"""The live state of each process a node computes (HyperBEAM's dev_process_worker).

A process's state after slot N, with the WebAssembly instance that holds its
memory, stays in the node after ``compute`` returns, so asking for slot N+1
applies one assignment to it, whatever the caller's rhythm: a batch (schedule
everything, compute once) and one message at a time cost the same ``handle``
calls.  Without it, every compute would start a new instance and restore (or
replay from) the last snapshot.

- One :class:`Worker` per (node, process ID): a lock, so two callers asking
  for different slots take turns, and the latest live state.
- A caller asking for a slot before the live one is answered from the store
  (each slot's state is stored), or computed on a fresh instance restored
  from a snapshot: the live instance never goes backwards.
- A node that restarts (a new :class:`aolab.Node` on the same store) has no
  workers: its first compute reloads from the last snapshot.
- At most :data:`MAX_LIVE` processes stay live per node; the least recently
  used one is dropped (its states and snapshots are in the store).
- Snapshots are lazy: at a ``cache-frequency`` slot the instance only takes a
  checkpoint (its memory copied aside) and the snapshot is *owed*; it is written
  when the live state is dropped (evicted, :func:`stop`, :func:`stop_all`), or
  at the next ``cache-frequency`` slot once the last one written is
  ``process_snapshot_lag`` slots old (default 64; 0 writes every one).  A node
  that crashes restarts from the last snapshot written and replays the rest.

>>> import aolab
>>> lab = aolab.Node()
>>> proc = lab.spawn({"device": "process@1.0", "execution-device": "counter@1.0"})
>>> _ = lab.schedule(proc, {"action": "add", "amount": 2})
>>> _ = lab.compute(proc, slot=0)
>>> live(lab.opts(), aolab.id(proc))["at-slot"]
0

Reference: HyperBEAM src/dev_process_worker.erl at b2743e4a.
"""
from __future__ import annotations

import threading
import weakref
from collections import OrderedDict

from aolab.context import as_context

#: Processes kept live per node (each may hold a WebAssembly instance).
MAX_LIVE = 16

_workers: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_guard = threading.Lock()


class Worker:
    """The lock and the latest live state of one process on one node.

    ``owed``: ``(slot, state, checkpoints)`` when the state at a
    ``cache-frequency`` slot was checkpointed but its snapshot not yet written
    (lazy); ``flush(process_id, worker, opts)`` writes it (a plain function: a
    worker keeps no reference to its node, which keys the weak table of
    workers); ``written``: the slot of the last snapshot written (None: not
    read from the store yet)."""

    def __init__(self):
        self.lock = threading.RLock()
        self.state: dict | None = None
        self.owed = None
        self.flush = None           # flush(process_id, worker, opts) writes the owed snapshot
        self.process_id: str | None = None
        self.written: int | None = None

    def at_slot(self) -> int:
        """The slot the live state is at (-1 before any, -2 with no live state)."""
        return int(self.state.get("at-slot", -1)) if self.state is not None else -2

    def drop(self, opts) -> None:
        """Write the owed snapshot (with the node's *opts*), then drop the live state."""
        with self.lock:
            if self.owed is not None and self.flush is not None:
                self.flush(self.process_id, self, opts)
            self.state = None


def worker(opts, process_id: str) -> Worker:
    """The worker of *process_id* on the node (or store) that *opts* name; the
    least recently used one beyond :data:`MAX_LIVE` is dropped (its owed
    snapshot written)."""
    owner = _owner(opts)
    with _guard:
        table = _workers.get(owner)
        if table is None:
            table = _workers[owner] = OrderedDict()
        found = table.get(process_id)
        if found is None:
            found = table[process_id] = Worker()
        table.move_to_end(process_id)
        evicted = [table.popitem(last=False)[1] for _ in range(len(table) - MAX_LIVE)]
    for old in evicted:  # outside the guard: writing a snapshot takes the worker's lock
        old.drop(opts)
    return found


def live(opts, process_id: str) -> dict | None:
    """The latest live state of *process_id* on this node, or None."""
    return worker(opts, process_id).state


def forget(opts, process_id: str) -> None:
    """Drop the live state, writing its owed snapshot (the next compute reloads
    from the store)."""
    stop(opts, process_id)


def stop(opts, process_id: str) -> None:
    """Stop the worker of *process_id*: its owed snapshot is written, its
    instance dropped."""
    with _guard:
        found = _workers.get(_owner(opts), {}).pop(process_id, None)
    if found is not None:
        found.drop(opts)


def stop_all(opts) -> None:
    """Stop every worker of the node *opts* name (before the node goes away)."""
    with _guard:
        table = _workers.pop(_owner(opts), None) or {}
    for found in table.values():
        found.drop(opts)


def _owner(opts):
    ctx = as_context(opts)
    return ctx.node or ctx.store
