"""The recorder: every resolution step as a node and edge of a networkx DAG.

:class:`Trace` listens to the resolver's events (:mod:`aolab.events`).  Each
message that takes part in a computation is a graph node keyed by its hashpath
(a message never computed is keyed by its ID); each step is an edge
``base -> result`` labelled with what the request contributed to the hashpath
(its ID, or its path segment).  Node attributes: ``kind`` (``message``,
``value`` or ``error``), ``hashpath``, ``key``, ``device``, ``depth`` and
``step`` (of the step that produced it) and the ``message`` itself.  A device
that resolves inside its handler produces child steps: their ``parent`` is the
outer step and their ``depth`` one more.  This is the Merkle execution tree the
notebooks draw; :mod:`aolab.viz` only reads it.

>>> import aolab
>>> with aolab.recording() as trace:
...     aolab.resolve({"a": {"b": "RESULT"}}, "a/b")
'RESULT'
>>> [(r["key"], r["status"]) for r in trace.records]
[('a', 'ok'), ('b', 'ok')]
"""
from __future__ import annotations

import contextlib
import contextvars
import time

import networkx as nx

from .events import StepFailed, StepFinished, StepStarted

_active: contextvars.ContextVar = contextvars.ContextVar("aolab_recording", default=None)


class Trace:
    """Records resolution steps into :attr:`graph` (a ``networkx.DiGraph``).

    ``records`` holds one dict per step, in the order the steps started:
    ``step, parent, depth, device, key, status, base, request, result,
    hashpath, ms`` (``base``/``result`` are graph node keys).
    """

    def __init__(self):
        self.graph = nx.DiGraph()
        self.records: list[dict] = []
        self._stack: list[int] = []
        self._started: list[float] = []

    def __len__(self) -> int:
        return len(self.records)

    def __repr__(self) -> str:
        return f"<Trace: {len(self.records)} steps, {self.graph.number_of_nodes()} messages>"

    def clear(self) -> None:
        """Forget every recorded step."""
        self.graph.clear()
        self.records.clear()
        self._stack.clear()
        self._started.clear()

    # -- listener protocol ------------------------------------------------
    def step_started(self, event: StepStarted) -> int:
        step = len(self.records)
        base_key = event.base_hashpath or f"unhashed:{step}:base"
        graph = self.graph
        if base_key not in graph:
            graph.add_node(base_key, kind="message", hashpath=event.base_hashpath, key=None,
                           device=_device_of(event.base), depth=len(self._stack), step=None,
                           message=event.base)
        self.records.append({
            "step": step, "parent": self._stack[-1] if self._stack else None,
            "depth": len(self._stack), "device": event.device, "key": event.key,
            "status": "running", "base": base_key, "request": event.request_part,
            "request_message": event.request, "result": None, "hashpath": None, "ms": None,
        })
        self._stack.append(step)
        self._started.append(time.perf_counter())
        return step

    def step_finished(self, event: StepFinished) -> None:
        record = self._close(event.step, event.status)
        result_key = event.hashpath or f"unhashed:{event.step}:result"
        kind = "message" if isinstance(event.result, dict) else "value"
        self._link(record, result_key, kind, event.hashpath, event.result)

    def step_failed(self, event: StepFailed) -> None:
        record = self._close(event.step, "error")
        record["error"] = str(event.error)
        self._link(record, f"error:{event.step}", "error", None, event.error)

    # -- helpers -------------------------------------------------------------
    def _close(self, step: int, status: str) -> dict:
        # Pop this step (and any inner step left open by an exception).
        while self._stack and self._stack[-1] != step:
            self._stack.pop()
            self._started.pop()
        started = time.perf_counter()
        if self._stack:
            self._stack.pop()
            started = self._started.pop()
        record = self.records[step]
        record["status"] = status
        record["ms"] = (time.perf_counter() - started) * 1000.0
        return record

    def _link(self, record: dict, result_key: str, kind: str, hashpath, value) -> None:
        record["result"] = result_key
        record["hashpath"] = hashpath
        self.graph.add_node(result_key, kind=kind, hashpath=hashpath, key=record["key"],
                            device=record["device"], depth=record["depth"], step=record["step"],
                            message=value)
        self.graph.add_edge(record["base"], result_key, request=record["request"],
                            key=record["key"], device=record["device"], step=record["step"],
                            parent=record["parent"], depth=record["depth"], status=record["status"])

    # -- views ---------------------------------------------------------------
    def steps(self):
        """A ``pandas.DataFrame`` with one row per step, in order."""
        import pandas as pd

        columns = ["step", "parent", "depth", "device", "key", "status",
                   "base", "request", "result", "hashpath", "ms"]
        return pd.DataFrame([{c: r[c] for c in columns} for r in self.records], columns=columns)

    def children(self, step: int) -> list[dict]:
        """The records of the steps run inside *step*."""
        return [r for r in self.records if r["parent"] == step]


def _device_of(message) -> str | None:
    if isinstance(message, dict):
        device = message.get("device")
        return device if isinstance(device, str) else (None if device is None else "<inline>")
    return None


@contextlib.contextmanager
def recording(trace: Trace | None = None):
    """Record every ``aolab.resolve`` made inside the ``with`` block.

    Calls that pass their own ``listener`` (a :class:`aolab.Node` does) keep it.
    """
    trace = Trace() if trace is None else trace
    token = _active.set(trace)
    try:
        yield trace
    finally:
        _active.reset(token)


def active_trace() -> Trace | None:
    """The trace of the innermost :func:`recording` block, if any."""
    return _active.get()
