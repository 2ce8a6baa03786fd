"""Resolution events: the one protocol by which the resolver tells a listener about steps.

The resolver knows nothing of graphs or tables.  When the context names a
listener (``ctx.listener``, :mod:`aolab.context`) it calls, for each step (:mod:`aolab.notify`):

- ``listener.step_started(event) -> token`` before the handler runs (the
  event has :class:`StepStarted`'s fields; the resolver passes its open step,
  :class:`aolab.notify.OpenStep`, which has them, rather than a copy);
- ``listener.step_finished(StepFinished)`` or ``listener.step_failed(StepFailed)``
  when it ends, with the step's immutable :class:`~aolab.step.Step` record.

The finished and failed events are small named tuples, cheap to make on
the hot path.  The
recorder (:class:`aolab.Trace`) keeps the records and builds the networkx DAG
from them.  A device that resolves inside its handler passes its context on, so
its inner steps reach the same listener and become child steps.

:func:`listening` makes a listener the default for every ``aolab.resolve``
call made inside a ``with`` block that does not name its own
(:func:`aolab.recording` uses it).
"""
from __future__ import annotations

import contextlib
import contextvars
from typing import Any, NamedTuple, Protocol

_active: contextvars.ContextVar = contextvars.ContextVar("aolab_listener", default=None)


class StepStarted(NamedTuple):
    """A device handler is about to run ``key`` on ``base`` with ``request``.

    ``base_hashpath`` is the base's hashpath (None when the base cannot be
    hashed, e.g. it holds an inline device); ``request_part`` is what the
    request contributes to the result's hashpath.
    """

    base: Any
    request: dict
    key: str
    device: str
    base_hashpath: str | None
    request_part: str | None


class StepFinished(NamedTuple):
    """The handler returned ``status`` (``ok``, ``error``, ``skip``, ``pass``...).

    ``step`` is the token ``step_started`` returned.  ``hashpath`` is the one
    the result message carries (None for a plain value, or a message left
    unlinked); ``record`` is the step's :class:`~aolab.step.Step`, whose
    ``hashpath`` a plain value has too.
    """

    step: Any
    status: str
    result: Any
    hashpath: str | None
    record: Any = None


class StepFailed(NamedTuple):
    """The handler raised; ``error`` is the :class:`aolab.errors.AolabError`."""

    step: Any
    error: BaseException
    record: Any = None


class Listener(Protocol):
    """What the resolver calls; :class:`aolab.trace.Trace` is the recorder."""

    def step_started(self, event: StepStarted) -> Any:
        """A step starts; return a token (a :class:`~aolab.Trace` returns the step's number)."""

    def step_finished(self, event: StepFinished) -> None:
        """A step ended; ``event.record`` is its :class:`~aolab.step.Step`."""

    def step_failed(self, event: StepFailed) -> None:
        """A step raised; ``event.record`` is its :class:`~aolab.step.Step`."""


class Recorder:
    """A listener written with plain arguments instead of events (an adapter).

    Subclasses define ``started(base, request, key, device) -> token`` and
    ``finished(token, status, value, hashpath)`` (and ``step_failed``); this
    class turns the events into those calls.
    """

    def step_started(self, event: StepStarted):
        """Calls :meth:`started` with the event's fields."""
        return self.started(event.base, event.request, event.key, event.device)

    def step_finished(self, event: StepFinished) -> None:
        """Calls :meth:`finished` with the event's fields."""
        self.finished(event.step, event.status, event.result, event.hashpath)

    def started(self, base, request, key, device):
        """A step starts: return a token for :meth:`finished`."""
        raise NotImplementedError

    def finished(self, token, status, value, hashpath) -> None:
        """The step of *token* ended."""
        raise NotImplementedError


@contextlib.contextmanager
def listening(listener):
    """Make *listener* the default listener inside the ``with`` block."""
    token = _active.set(listener)
    try:
        yield listener
    finally:
        _active.reset(token)


def active_listener():
    """The listener of the innermost :func:`listening` block, if any."""
    return _active.get()
