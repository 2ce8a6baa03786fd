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

from .errors import AolabError
from .hashpaths import ALGORITHMS, DEFAULT_ALG
from .linking import result_hashpath

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
    linked_hashpath: str | None  # the hashpath the result carries (or a loaded trace's)
    ms: float | None
    error: str | None
    base_message: Any          # the live messages (None in a loaded or merged trace)
    request_message: Any
    result_message: Any
    origin: Origin | None = None
    hashpath_alg: str | None = None  # the base's, when it names one (for a value's hashpath)


class Step(_StepFields):
    """One resolution step (see the module docstring for the columns)."""

    __slots__ = ()

    @property
    def hashpath(self) -> str | None:
        """The result's hashpath: the one a linked message carries; for a plain
        value, ``base hashpath / request part`` (derived here, from the two
        strings the record holds, when first asked: nothing is hashed while
        the step runs that the result itself did not need)."""
        found = self.linked_hashpath
        if found is not None or self.kind != "value" or self.base_hashpath is None:
            return found
        return value_hashpath(self.base_hashpath, self.request_part, self.hashpath_alg)

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
        """The process a merged step computed (None in a local trace)."""
        return None if self.origin is None else self.origin.process

    @property
    def worker(self) -> str | None:
        """The worker a merged step ran on (None in a local trace)."""
        return None if self.origin is None else self.origin.worker

    # -- equal when they describe the same step ---------------------------------
    def _compared(self) -> tuple:
        # a value's hashpath, derived or loaded, compares as the hashpath it is
        return tuple.__getitem__(self, _BEFORE_LINKED) + (self.hashpath,) \
            + tuple.__getitem__(self, _AFTER_LINKED)

    def __eq__(self, other):
        if isinstance(other, Step):
            return self._compared() == other._compared()
        return tuple.__eq__(self, other)

    def __ne__(self, other):
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash(self._compared())

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
_LINKED = _StepFields._fields.index("linked_hashpath")
_BEFORE_LINKED = slice(0, _LINKED)
_AFTER_LINKED = slice(_LINKED + 1, _StepFields._fields.index("hashpath_alg"))
_NAMES = frozenset(_KEYS) | frozenset(_StepFields._fields) | {"hashpath"}


def value_hashpath(base_hp: str, part, alg: str | None) -> str | None:
    """The hashpath of a plain value computed from a base of hashpath *base_hp*
    by a request contributing *part* (None when it cannot be computed)."""
    if part is None:
        return None
    if "/" not in base_hp:
        return f"{base_hp}/{part}"
    alg = DEFAULT_ALG if alg is None else alg
    if not isinstance(alg, str) or alg not in ALGORITHMS:  # the base named no known algorithm
        return None
    try:
        return result_hashpath(base_hp, part, alg)
    except AolabError:
        return None


def kind_of(result) -> str:
    """The graph node kind of a step's result."""
    if isinstance(result, BaseException):
        return "error"
    return "message" if isinstance(result, dict) else "value"


#: A merged trace's table: the step's columns with where it ran after ``depth``.
MERGED_COLUMNS = COLUMNS[:3] + RUN_COLUMNS + COLUMNS[3:]


def as_portable(record: Step, process: str | None = None) -> dict:
    """*record* as a plain dict of its columns, ``kind``, ``slot`` (and ``error``
    for a failed step): what crosses the wire from a worker, and what a trace
    file holds (:mod:`aolab.trace_file`).  The live messages stay behind."""
    step = {name: getattr(record, name) for name in COLUMNS}
    slot = record.slot
    step.update(kind=record.kind, slot=slot if isinstance(slot, int) and not isinstance(slot, bool)
                else None, process=process if process is not None else record.process)
    if record.error is not None:
        step["error"] = record.error
    return step


def from_portable(step: dict, offset: int = 0, origin: Origin | None = None, *, base_message=None,
                  request_message=None, result_message=None) -> Step:
    """The :class:`Step` of a dict made by :func:`as_portable`, renumbered by *offset*.

    A hashed result's node key is its hashpath: ``result`` is read, so that a
    ``hashpath`` changed on the way (a forged claim) does not add a node."""
    base, result = step["base"], step["result"]
    parent = step["parent"]
    if request_message is None and step.get("slot") is not None:
        request_message = {"slot": step["slot"]}  # all of the request a portable step keeps
    return Step(step["step"] + offset, None if parent is None else parent + offset, step["depth"],
                step["device"], step["key"], step["status"], step["kind"],
                None if _unhashed(base) else base, step["request"],
                None if _unhashed(result) else result, step["ms"], step.get("error"),
                base_message, request_message, result_message, origin)


def _unhashed(node_key) -> bool:
    return not node_key or ("/" not in node_key and ":" in node_key)
