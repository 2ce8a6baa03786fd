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

Recording keeps the hot path short: a step appends one record; the graph and
the hashpaths of plain-value results are derived from the records when
:attr:`Trace.graph` or :attr:`Trace.records` is read.

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

from . import hashpath as hp
from .events import StepFailed, StepFinished, StepStarted

_active: contextvars.ContextVar = contextvars.ContextVar("aolab_recording", default=None)
_clock = time.perf_counter


class Trace:
    """Records resolution steps; :attr:`graph` is the ``networkx.DiGraph``.

    :attr:`records` holds one dict per step, in the order the steps started:
    ``step, parent, depth, device, key, status, base, request, result,
    hashpath, ms`` (``base``/``result`` are graph node keys), plus
    ``request_message`` and, for failed steps, ``error``.
    """

    def __init__(self):
        self._graph = nx.DiGraph()
        self._raw: list[list] = []      # hot path: [started, parent, depth, t0, status, value, hashpath, ms]
        self._records: list[dict] = []  # derived from _raw, finished steps only
        self._stack: list[int] = []

    def __len__(self) -> int:
        return len(self._raw)

    def __repr__(self) -> str:
        return f"<Trace: {len(self._raw)} steps>"

    def clear(self) -> None:
        """Forget every recorded step."""
        self._graph.clear()
        self._raw.clear()
        self._records.clear()
        self._stack.clear()

    @property
    def graph(self) -> nx.DiGraph:
        """The Merkle execution DAG of every finished step."""
        self._materialize()
        return self._graph

    @property
    def records(self) -> list[dict]:
        """One dict per finished step (see the class docstring)."""
        self._materialize()
        return self._records

    # -- listener protocol ------------------------------------------------
    def step_started(self, event: StepStarted) -> int:
        stack = self._stack
        step = len(self._raw)
        self._raw.append([event, stack[-1] if stack else None, len(stack), _clock(),
                          "running", None, None, None])
        stack.append(step)
        return step

    def step_finished(self, event: StepFinished) -> None:
        raw = self._close(event.step, event.status)
        raw[5] = event.result
        raw[6] = event.hashpath

    def step_failed(self, event: StepFailed) -> None:
        raw = self._close(event.step, "error")
        raw[5] = event.error

    def _close(self, step: int, status: str) -> list:
        stack, raws = self._stack, self._raw
        while stack and stack[-1] != step:  # inner steps left open by an exception
            raws[stack.pop()][4] = "error"
        if stack:
            stack.pop()
        raw = raws[step]
        raw[4] = status
        raw[7] = (_clock() - raw[3]) * 1000.0
        return raw

    # -- building the graph from the records ---------------------------------
    def _materialize(self) -> None:
        raws, graph, records = self._raw, self._graph, self._records
        while len(records) < len(raws):
            raw = raws[len(records)]
            if raw[4] == "running":
                return
            records.append(self._add(len(records), raw, graph))

    def _add(self, step: int, raw: list, graph: nx.DiGraph) -> dict:
        started, parent, depth, _, status, value, result_hp, ms = raw
        base_hp, base_message = started.base_hashpath, started.base
        record = {"step": step, "parent": parent, "depth": depth, "device": started.device,
                  "key": started.key, "status": status, "base": base_hp or f"unhashed:{step}:base",
                  "request": started.request_part, "request_message": started.request,
                  "result": None, "hashpath": result_hp, "ms": ms}
        if record["base"] not in graph:
            graph.add_node(record["base"], kind="message", hashpath=base_hp, key=None,
                           device=_device_of(base_message), depth=depth, step=None,
                           message=base_message)
        if isinstance(value, BaseException):
            kind, result_key = "error", f"error:{step}"
            record["error"] = str(value)
        else:
            kind = "message" if isinstance(value, dict) else "value"
            if result_hp is None and base_hp is not None and kind == "value":
                record["hashpath"] = hp.join(base_hp, started.request_part, _alg(base_message))
            result_key = record["hashpath"] or f"unhashed:{step}:result"
        record["result"] = result_key
        graph.add_node(result_key, kind=kind, hashpath=record["hashpath"], key=started.key,
                       device=started.device, depth=depth, step=step, message=value)
        graph.add_edge(record["base"], result_key, request=started.request_part, key=started.key,
                       device=started.device, step=step, parent=parent, depth=depth, status=status)
        return record

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


def _alg(base) -> str:
    if isinstance(base, dict) and "hashpath-alg" in base:
        return hp.algorithm_of(base)
    return hp.DEFAULT_ALG


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
