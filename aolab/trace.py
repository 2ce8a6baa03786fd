"""The recorder: every resolution step kept as a record, and the networkx DAG of them.

:class:`Trace` is a listener (:mod:`aolab.events`): it keeps the
:class:`~aolab.step.Step` record the resolver made for each step, in the
order steps started.  :attr:`Trace.graph` is the Merkle execution DAG built
from those records by the one graph builder (:mod:`aolab.step_graph`), when
it is first read and then as steps are added.  A device that resolves inside
its handler produces child steps: their ``parent`` is the outer step and
their ``depth`` one more.  This is the tree the notebooks draw; :mod:`aolab.viz`
only reads it.  A trace saves to and loads from a file of one step per line
(:mod:`aolab.trace_file`).

>>> import aolab
>>> with aolab.recording() as trace:
...     aolab.resolve({"a": {"b": "RESULT"}}, "a/b")
'RESULT'
>>> [(r["key"], r["status"]) for r in trace.records]
[('a', 'ok'), ('b', 'ok')]
"""
from __future__ import annotations

import contextlib

import networkx as nx

from . import trace_file
from .context import EMPTY
from .events import StepFailed, StepFinished, StepStarted, listening
from .notify import OpenStep
from .step import COLUMNS
from .step_graph import StepGraph, add_steps

#: What ``show`` and ``stepper`` call: :mod:`aolab.viz` registers its functions
#: here when it is imported (a trace never imports the drawing code).
VIEWERS: dict = {}


class RecordedSteps:
    """What every trace reads like: :attr:`records`, :attr:`graph` built from
    them, :meth:`steps`, :meth:`children`, :meth:`show` and :meth:`stepper`.
    Subclasses define :attr:`records`."""

    TABLE_COLUMNS = COLUMNS

    def __init__(self):
        self._graph = StepGraph()
        self._in_graph = 0

    @property
    def records(self) -> list:
        """One :class:`~aolab.step.Step` per finished step, in the order steps started."""
        raise NotImplementedError

    @property
    def graph(self) -> nx.DiGraph:
        """The Merkle execution DAG of every finished step (``graph.graph["records"]``
        is the list of records it was built from)."""
        records = self.records
        self._in_graph = add_steps(self._graph, records, self._in_graph)
        self._graph.graph["records"] = records
        return self._graph

    def __len__(self) -> int:
        return len(self.records)

    def steps(self):
        """A ``pandas.DataFrame`` with one row per step, in order."""
        import pandas as pd

        columns = list(self.TABLE_COLUMNS)
        table = pd.DataFrame([[r.get(c) for c in columns] for r in self.records], columns=columns)
        # integers with gaps stay integers (pandas' nullable Int64: <NA>, not 3.0/NaN)
        for column in ("step", "parent", "depth"):
            table[column] = table[column].astype("Int64")
        return table

    def children(self, step: int) -> list:
        """The records of the steps run inside *step*."""
        return [r for r in self.records if r.parent == step]

    def show(self, **view):
        """The Merkle execution tree drawn for Jupyter (see :func:`aolab.viz.show`)."""
        return _viewer("show")(self, **view)

    def stepper(self, **options):
        """Widgets to step through this trace (see :func:`aolab.viz.stepper`)."""
        return _viewer("stepper")(self, **options)

    def save(self, path):
        """Write the steps to *path*, one JSON line per step (:mod:`aolab.trace_file`)."""
        return trace_file.save(self.records, path)


class Trace(RecordedSteps):
    """Records resolution steps; :attr:`graph` is the ``networkx.DiGraph``.

    :attr:`records` holds one :class:`~aolab.step.Step` per finished step, in
    the order the steps started (a step still running, and every step that
    started after it, is listed once it ends).
    """

    def __init__(self):
        super().__init__()
        self._slots: list = []     # one per started step: its record, or None while it runs
        self._done = 0             # the first slot still running

    def __len__(self) -> int:
        return len(self._slots)

    def __repr__(self) -> str:
        return f"<Trace: {len(self._slots)} steps>"

    @property
    def records(self) -> list:
        """One :class:`~aolab.step.Step` per finished step, in the order steps started."""
        slots = self._slots
        return slots if self._done == len(slots) else slots[: self._done]

    def clear(self) -> None:
        """Forget every recorded step."""
        self._graph.clear()
        self._slots.clear()
        self._done = self._in_graph = 0

    @classmethod
    def load(cls, path) -> "Trace":
        """A trace read from a file written by :meth:`save` (its messages as saved)."""
        trace = cls()
        for record in trace_file.load(path):
            trace._slots.append(record)
        trace._advance()
        return trace

    @property
    def _stack(self) -> list:
        """The numbers of the steps still running."""
        return [i for i in range(self._done, len(self._slots)) if self._slots[i] is None]

    # -- the listener protocol -------------------------------------------------
    def step_started(self, event: StepStarted) -> int:
        """Reserve the step's place (steps are listed in the order they started)."""
        slots = self._slots
        slots.append(None)
        return len(slots) - 1

    def step_finished(self, event: StepFinished) -> None:
        """Keep the step's record."""
        self._end(event.step, event.record)

    def step_failed(self, event: StepFailed) -> None:
        """Keep the failed step's record."""
        self._end(event.step, event.record)

    # -- a step opened by hand (a node's HTTP front door records each request) --
    def started(self, base, request, key: str, device: str):
        """Open a step by hand; steps resolved on this thread before :meth:`finished`
        are its children.  Returns the token to pass to :meth:`finished`."""
        return OpenStep(self, base, request, key, device, EMPTY)

    def finished(self, token, status: str, value, hashpath=None) -> None:
        """End a step opened with :meth:`started`."""
        token.finished(status, value, hashpath)

    def _end(self, step: int, record) -> None:
        slots = self._slots
        if step == self._done == len(slots) - 1:   # the one step running ended
            slots[step] = record
            self._done = step + 1
        elif step < len(slots) and slots[step] is None:   # (a step outlives a clear(): dropped)
            slots[step] = record
            if step == self._done:
                self._advance()

    def _advance(self) -> None:
        slots, done = self._slots, self._done
        while done < len(slots) and slots[done] is not None:
            done += 1
        self._done = done


def _viewer(name: str):
    try:
        return VIEWERS[name]
    except KeyError:
        raise RuntimeError(f"no viewer {name!r} is registered: import aolab.viz "
                           "(importing aolab does)") from None


@contextlib.contextmanager
def recording(trace: Trace | None = None):
    """Record every ``aolab.resolve`` made inside the ``with`` block.

    Calls that pass their own ``listener`` (a :class:`aolab.Node` does) keep it.
    """
    trace = Trace() if trace is None else trace
    with listening(trace):
        yield trace


def active_trace() -> Trace | None:
    """The trace of the innermost :func:`recording` block, if any."""
    from .events import active_listener
    found = active_listener()
    return found if isinstance(found, Trace) else None
