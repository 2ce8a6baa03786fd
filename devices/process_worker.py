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

#: Processes kept live per node (each may hold a WebAssembly instance).
MAX_LIVE = 16

_workers: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_guard = threading.Lock()


class Worker:
    """The lock and the latest live state of one process on one node."""

    def __init__(self):
        self.lock = threading.RLock()
        self.state: dict | None = None

    def at_slot(self) -> int:
        return int(self.state.get("at-slot", -1)) if self.state is not None else -2


def worker(opts, process_id: str) -> Worker:
    """The worker of *process_id* on the node (or store) that *opts* name."""
    owner = (opts or {}).get("node") or (opts or {}).get("store")
    with _guard:
        table = _workers.get(owner)
        if table is None:
            table = _workers[owner] = OrderedDict()
        found = table.get(process_id)
        if found is None:
            found = table[process_id] = Worker()
            while len(table) > MAX_LIVE:
                table.popitem(last=False)
        table.move_to_end(process_id)
        return found


def live(opts, process_id: str) -> dict | None:
    """The latest live state of *process_id* on this node, or None."""
    return worker(opts, process_id).state


def forget(opts, process_id: str) -> None:
    """Drop the live state (the next compute reloads from the store)."""
    worker(opts, process_id).state = None
