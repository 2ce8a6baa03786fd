"""Stage 11 of a step ("notify waiters"): what the resolver tells a listener.

When the context names a listener (``ctx.listener``), the resolver opens an
:class:`OpenStep` for each step: the listener hears it start (the
:class:`OpenStep` itself is the event, with :class:`~aolab.events.StepStarted`'s
fields: the step's base hashpath and request part), then :class:`~aolab.events.StepFinished`
or :class:`~aolab.events.StepFailed`, each carrying the step's one immutable
:class:`~aolab.step.Step` record.  A step's ``parent`` and ``depth`` come from
the steps still open on this thread for the same listener, so a device that
resolves inside its handler produces child steps with no code of its own.
Without a listener none of this runs.
"""
from __future__ import annotations

import threading
import time

from .errors import AolabError
from .events import StepFailed, StepFinished
from .linking import base_hashpath, request_part, step_inputs
from .step import Step

_event = tuple.__new__  # builds the named tuples without their Python-level __new__
_clock = time.perf_counter
_local = threading.local()   # per thread: the steps open for listeners, innermost last


class OpenStep:
    """A step a listener was told has started: it is the started event
    (:class:`~aolab.events.StepStarted`'s fields: ``base``, ``request``,
    ``key``, ``device``, ``base_hashpath``, ``request_part``);
    :meth:`finished` or :meth:`failed` ends it with its
    :class:`~aolab.step.Step` record."""

    __slots__ = ("listener", "base", "request", "key", "device", "opts", "token", "parent",
                 "depth", "started", "base_hashpath", "request_part", "alg", "_open")

    def __init__(self, listener, base, request, key, device, opts):
        self.listener = listener
        self.base = base
        self.request = request
        self.key = key
        self.device = device
        self.opts = opts
        try:
            open_steps = _local.open
        except AttributeError:
            open_steps = _local.open = []
        self._open = open_steps
        if open_steps:
            self.parent, self.depth = _enclosing(open_steps, listener)
        else:
            self.parent = None
            self.depth = 0
        self.alg = base.get("hashpath-alg")
        self.base_hashpath, self.request_part = _inputs(base, request, opts)
        self.token = listener.step_started(self)
        open_steps.append(self)
        self.started = _clock()

    def inputs(self, strict: bool = False) -> tuple:
        """The step's ``(base hashpath, request part)``, computed when it opened.

        *strict* is for linking a result that will be stored: what could not
        be computed is computed again (raising the error), and a caller's base
        has its claimed hashpath checked (:func:`aolab.linking.caller_base`);
        the record shows what the link used."""
        if strict and (self.base_hashpath is None or self.base is self.opts.caller_base):
            self.base_hashpath, self.request_part = step_inputs(self.base, self.request, self.opts)
        return self.base_hashpath, self.request_part

    def finished(self, status: str, value, hashpath) -> None:
        """Tell the listener the step ended with *status* and *value* (of *hashpath*,
        the one a linked message result carries)."""
        ended = _clock()
        open_steps = self._open
        if open_steps and open_steps[-1] is self:
            open_steps.pop()
        else:
            self._close()
        kind = "message" if isinstance(value, dict) else "value"
        record = _event(Step, (self.token, self.parent, self.depth, self.device, self.key, status,
                               kind, self.base_hashpath, self.request_part, hashpath,
                               (ended - self.started) * 1000.0, None, self.base, self.request,
                               value, None, self.alg))
        self.listener.step_finished(_event(StepFinished, (self.token, status, value,
                                                          hashpath if kind == "message" else None,
                                                          record)))

    def failed(self, error: BaseException) -> None:
        """Tell the listener the step raised *error*."""
        ended = _clock()
        self._close()
        record = _event(Step, (self.token, self.parent, self.depth, self.device, self.key, "error",
                               "error", self.base_hashpath, self.request_part, None,
                               (ended - self.started) * 1000.0, str(error), self.base,
                               self.request, error, None, self.alg))
        self.listener.step_failed(_event(StepFailed, (self.token, error, record)))

    def _close(self) -> None:
        open_steps = self._open
        if open_steps and open_steps[-1] is self:
            open_steps.pop()
        elif self in open_steps:
            open_steps.remove(self)


def _enclosing(open_steps: list, listener) -> tuple:
    """``(parent token, depth)`` of a new step: the innermost open step told to the same listener."""
    for outer in reversed(open_steps):
        if outer.listener is listener:
            return outer.token, outer.depth + 1
    return None, 0


def _inputs(base: dict, request: dict, opts) -> tuple:
    """``(base hashpath, request part)`` of a step as it opens; the base's
    hashpath as it carries it (nothing is stored under it here)."""
    try:
        return base_hashpath(base, opts), request_part(request)
    except (AolabError, UnicodeError, RecursionError):  # e.g. it holds an inline device
        return None, _safe(request_part, request)


def _safe(function, *args):
    try:
        return function(*args)
    except AolabError:
        return None
