"""Stage 11 of a step ("notify waiters"): what the resolver tells a listener.

When the context names a listener (``ctx.listener``), the resolver opens an :class:`OpenStep` for
each step: the listener hears :class:`~aolab.events.StepStarted` (with the
step's base hashpath and request part), then :class:`~aolab.events.StepFinished`
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
from .events import StepFailed, StepFinished, StepStarted
from .linking import base_hashpath, request_part, step_inputs
from .step import Step, kind_of

_event = tuple.__new__  # builds the named tuples without their Python-level __new__
_clock = time.perf_counter
_local = threading.local()   # per thread: the steps open for listeners, innermost last


class OpenStep:
    """A step a listener was told has started; :meth:`finished` or
    :meth:`failed` ends it with its :class:`~aolab.step.Step` record."""

    __slots__ = ("listener", "base", "request", "key", "device", "opts", "token", "parent",
                 "depth", "started", "_inputs", "_open")

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
        self.parent, self.depth = _enclosing(open_steps, listener) if open_steps else (None, 0)
        try:  # the base's hashpath as it carries it: nothing is stored under it here
            self._inputs = inputs = (base_hashpath(base, opts), request_part(request))
        except (AolabError, UnicodeError, RecursionError):  # e.g. it holds an inline device
            self._inputs = inputs = (None, _safe(request_part, request))
        self.token = listener.step_started(_event(StepStarted, (base, request, key, device) + inputs))
        self.started = _clock()
        open_steps.append(self)

    def inputs(self, strict: bool = False) -> tuple:
        """The step's ``(base hashpath, request part)``, computed when it opened.

        *strict* is for linking a result that will be stored: what could not
        be computed is computed again (raising the error), and a caller's base
        has its claimed hashpath checked (:func:`aolab.linking.caller_base`);
        the record shows what the link used."""
        if strict and (self._inputs[0] is None or self.base is self.opts.caller_base):
            self._inputs = step_inputs(self.base, self.request, self.opts)
        return self._inputs

    def finished(self, status: str, value, hashpath) -> None:
        """Tell the listener the step ended with *status* and *value* (of *hashpath*)."""
        record = self._record(status, value, hashpath, None)
        linked = hashpath if isinstance(value, dict) else None  # the one the result carries
        self.listener.step_finished(_event(StepFinished, (self.token, status, value, linked, record)))

    def failed(self, error: BaseException) -> None:
        """Tell the listener the step raised *error*."""
        record = self._record("error", error, None, str(error))
        self.listener.step_failed(_event(StepFailed, (self.token, error, record)))

    def _record(self, status, value, hashpath, error) -> Step:
        """The step's record; the step is closed."""
        open_steps = self._open
        if open_steps and open_steps[-1] is self:
            open_steps.pop()
        elif self in open_steps:
            open_steps.remove(self)
        return _event(Step, (self.token, self.parent, self.depth, self.device, self.key, status,
                             kind_of(value), *self._inputs, hashpath,
                             (_clock() - self.started) * 1000.0, error,
                             self.base, self.request, value, None))


def _enclosing(open_steps: list, listener) -> tuple:
    """``(parent token, depth)`` of a new step: the innermost open step told to the same listener."""
    for outer in reversed(open_steps):
        if outer.listener is listener:
            return outer.token, outer.depth + 1
    return None, 0


def _safe(function, *args):
    try:
        return function(*args)
    except AolabError:
        return None
