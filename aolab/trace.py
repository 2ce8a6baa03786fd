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

Recording keeps the hot path short: a step appends one record; the graph, the
base hashpaths and the hashpaths of plain-value results are derived from the
records when :attr:`Trace.graph` or :attr:`Trace.records` is read (messages are
immutable in practice, so they hash then as they did when the step ran).

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

from . import hashpaths as hp
from .events import Recorder, StepFailed, StepFinished, StepStarted

_active: contextvars.ContextVar = contextvars.ContextVar("aolab_recording", default=None)
_clock = time.perf_counter


class Trace(Recorder):
    """Records resolution steps; :attr:`graph` is the ``networkx.DiGraph``.

    :attr:`records` holds one dict per step, in the order the steps started:
    ``step, parent, depth, device, key, status, base, request, result,
    hashpath, ms`` (``base``/``result`` are graph node keys), plus
    ``request_message`` and, for failed steps, ``error``.
    """

    def __init__(self):
        self._graph = nx.DiGraph()
        self._raw: list[list] = []      # hot path: one list per step (see step_started)
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
    # A step's token is its raw record, a list:
    #   [base, request, key, device, parent_raw, depth, t0, status, value, hashpath, t1, index]
    # (one long-lived object per step: the event tuples themselves are not kept)
    def step_started(self, event: StepStarted) -> list:
        return self.started(event[0], event[1], event[2], event[3])

    def step_finished(self, event: StepFinished) -> None:
        self.finished(event[0], event[1], event[2], event[3])

    # The same two calls without event objects (the Recorder protocol the resolver prefers).
    def started(self, base, request, key, device) -> list:
        stack, raws = self._stack, self._raw
        raw = [base, request, key, device, stack[-1] if stack else None, len(stack),
               _clock(), "running", None, None, None, len(raws)]
        raws.append(raw)
        stack.append(raw)
        return raw

    def finished(self, raw: list, status, value, hashpath) -> None:
        stack = self._stack
        if stack[-1] is raw:
            stack.pop()
        else:
            self._unwind(raw)
        raw[7], raw[8], raw[9], raw[10] = status, value, hashpath, _clock()

    def step_failed(self, event: StepFailed) -> None:
        raw = event.step
        self._unwind(raw)
        raw[7], raw[8], raw[10] = "error", event.error, _clock()

    def _unwind(self, raw: list) -> None:
        """Pop *raw* and any inner step left open by an exception."""
        stack = self._stack
        while stack and stack[-1] is not raw:
            inner = stack.pop()
            inner[7], inner[10] = "error", _clock()
        if stack:
            stack.pop()

    # -- building the graph from the records ---------------------------------
    def _materialize(self) -> None:
        raws, graph, records = self._raw, self._graph, self._records
        while len(records) < len(raws):
            raw = raws[len(records)]
            if raw[7] == "running":
                return
            records.append(self._add(len(records), raw, graph))

    def _add(self, step: int, raw: list, graph: nx.DiGraph) -> dict:
        base_message, request, key, device, parent_raw, depth, t0, status, value, result_hp, t1, _ = raw
        parent = None if parent_raw is None else parent_raw[11]
        ms = None if t1 is None else (t1 - t0) * 1000.0
        if result_hp is not None and not isinstance(value, BaseException):
            # the resolver linked this result: its request part ends its hashpath
            base_hp, part = hp.hashpath_of(base_message), result_hp.rpartition("/")[2]
        else:
            base_hp, part = _hashpath_inputs(base_message, request)
        record = {"step": step, "parent": parent, "depth": depth, "device": device,
                  "key": key, "status": status, "base": base_hp or f"unhashed:{step}:base",
                  "request": part, "request_message": request,
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
                record["hashpath"] = hp.join(base_hp, part, _alg(base_message))
            result_key = record["hashpath"] or f"unhashed:{step}:result"
        record["result"] = result_key
        existing = graph.nodes.get(result_key)
        if existing is None or existing.get("step") is None or depth <= existing["depth"]:
            # Two steps can reach one hashpath (a stack's first inner call and the
            # stack call itself): the node shows the outer one, as the store keeps it.
            graph.add_node(result_key, kind=kind, hashpath=record["hashpath"], key=key,
                           device=device, depth=depth, step=step, message=value)
        graph.add_edge(record["base"], result_key, request=part, key=key,
                       device=device, step=step, parent=parent, depth=depth, status=status)
        return record

    # -- views ---------------------------------------------------------------
    def steps(self):
        """A ``pandas.DataFrame`` with one row per step, in order."""
        import pandas as pd

        columns = ["step", "parent", "depth", "device", "key", "status",
                   "base", "request", "result", "hashpath", "ms"]
        table = pd.DataFrame([{c: r[c] for c in columns} for r in self.records], columns=columns)
        # integers with gaps stay integers (pandas' nullable Int64: <NA>, not 3.0/NaN)
        for column in ("step", "parent", "depth"):
            table[column] = table[column].astype("Int64")
        return table

    def show(self, **view):
        """The Merkle execution tree drawn for Jupyter (see :func:`aolab.viz.show`)."""
        from .viz import show
        return show(self, **view)

    def stepper(self, **options):
        """Widgets to step through this trace (see :func:`aolab.viz.stepper`)."""
        from .viz import stepper
        return stepper(self, **options)

    def children(self, step: int) -> list[dict]:
        """The records of the steps run inside *step*."""
        return [r for r in self.records if r["parent"] == step]


def _hashpath_inputs(base, request):
    """The base's hashpath and the request's part, or (None, part) when the base
    cannot be hashed (it holds an inline device).  Messages are immutable in
    practice, so computing these when the graph is read gives what they were
    when the step ran."""
    from .errors import AolabError

    try:
        part = hp.request_part(request)
    except AolabError:
        part = None
    if isinstance(base, list):
        base = {str(i): v for i, v in enumerate(base, 1)}
    try:
        return hp.hashpath_of(base), part
    except AolabError:
        return None, part


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
