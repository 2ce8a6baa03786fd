"""The step record: what one resolution step was, made once by the resolver.

A :class:`Step` is immutable (a named tuple: 16 slots, no per-record dict).
The resolver fills it when the step ends (:mod:`aolab.resolver`, stage
"notify"), and every reader takes it from there: the recorder
(:class:`aolab.Trace`), the graph builder (:mod:`aolab.step_graph`), merged
traces, tables, the stepper and trace files (:mod:`aolab.trace_file`).

:data:`COLUMNS` is the one list of a step's columns, in table order:

``step``       the step's number in its trace (in the order steps started);
``parent``     the number of the step whose handler ran this one, or None;
``depth``      how many steps enclose it (0 for a step a caller asked for);
``device``     the device that answered the key;
``key``        the key resolved;
``status``     ``ok``, ``error``, ``skip``, ``pass``...;
``base``       the base's graph node: its hashpath (``unhashed:N:base`` when it
               has none, e.g. it holds an inline device);
``request``    what the request added to the hashpath (its path segment or ID);
``result``     the result's graph node: its hashpath, ``error:N`` for a failed
               step, ``unhashed:N:result`` when there is none;
``hashpath``   the result's hashpath (None when it has none);
``ms``         how long the step took, in milliseconds.

Records read like dicts too (``record["key"]``, ``record.get("error")``), as
the notebooks and tests do.

>>> import aolab
>>> with aolab.recording() as trace:
...     aolab.resolve({"a": {"b": "RESULT"}}, "a/b")
'RESULT'
>>> second = trace.records[1]
>>> second.key, second["status"], second.parent, second.hashpath == second.result
('b', 'ok', None, True)
"""
from __future__ import annotations

from typing import Any, NamedTuple

COLUMNS = ("step", "parent", "depth", "device", "key", "status", "base", "request", "result",
           "hashpath", "ms")

#: The columns a step merged from a run on a worker adds (:mod:`aolab.merged_trace`).
RUN_COLUMNS = ("process", "worker", "slot")


class Origin(NamedTuple):
    """Where a merged step ran: the process it computed and the worker (shared by a run)."""

    process: str
    worker: str


class _StepFields(NamedTuple):
    step: Any
    parent: Any
    depth: int
    device: str
    key: str
    status: str
    kind: str                  # "message", "value" or "error": the result's graph node kind
    base_hashpath: str | None
    request_part: str | None
    hashpath: str | None
    ms: float | None
    error: str | None
    base_message: Any          # the live messages (None in a loaded or merged trace)
    request_message: Any
    result_message: Any
    origin: Origin | None = None


class Step(_StepFields):
    """One resolution step (see the module docstring for the columns)."""

    __slots__ = ()

    @property
    def base(self) -> str:
        """The base's graph node key."""
        found = self.base_hashpath
        return found if found is not None else f"unhashed:{self.step}:base"

    @property
    def request(self) -> str | None:
        """What the request added to the result's hashpath."""
        return self.request_part

    @property
    def result(self) -> str:
        """The result's graph node key."""
        if self.kind == "error":
            return f"error:{self.step}"
        found = self.hashpath
        return found if found is not None else f"unhashed:{self.step}:result"

    @property
    def slot(self):
        """The request's ``slot`` (a process's step), when it has one."""
        request = self.request_message
        return request.get("slot") if isinstance(request, dict) else None

    @property
    def process(self) -> str | None:
        return None if self.origin is None else self.origin.process

    @property
    def worker(self) -> str | None:
        return None if self.origin is None else self.origin.worker

    # -- read like a dict ------------------------------------------------------
    def __getitem__(self, name):
        if isinstance(name, str):
            if name in _NAMES:
                return getattr(self, name)
            raise KeyError(name)
        return tuple.__getitem__(self, name)

    def get(self, name: str, default=None):
        """``record[name]``, or *default* for a column this record lacks."""
        return getattr(self, name) if name in _NAMES else default

    def __contains__(self, name) -> bool:
        return name in _NAMES and (name != "error" or self.error is not None)

    def keys(self) -> tuple:
        """The names a record answers (``error`` only for a failed step)."""
        return tuple(n for n in _KEYS if n in self)

    def as_dict(self) -> dict:
        """The record's columns (and ``error``) as a plain dict."""
        return {name: getattr(self, name) for name in self.keys()}


_KEYS = COLUMNS + ("kind", "error", "request_message") + RUN_COLUMNS
_NAMES = frozenset(_KEYS) | frozenset(_StepFields._fields)


def kind_of(result) -> str:
    """The graph node kind of a step's result."""
    if isinstance(result, BaseException):
        return "error"
    return "message" if isinstance(result, dict) else "value"
