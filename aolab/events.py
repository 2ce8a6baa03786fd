"""Resolution events: what the resolver tells a listener about each step.

The resolver knows nothing of graphs or tables; it hands these small immutable
records (named tuples: cheap to make on the hot path) to the listener found in ``opts["listener"]`` (when there is one), and
the recorder (:mod:`aolab.trace`) turns them into the networkx DAG.  A device
that resolves inside its handler passes ``opts`` on, so its inner steps reach
the same listener and become child steps with no code of its own.
"""
from __future__ import annotations

from typing import Any, NamedTuple, Protocol


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

    ``hashpath`` is the result's hashpath when the resolver computed one (a
    message result); None for plain values, whose hashpath the recorder
    derives from the step's base hashpath and request part when asked.
    """

    step: int
    status: str
    result: Any
    hashpath: str | None


class StepFailed(NamedTuple):
    """The handler raised; ``error`` is the :class:`aolab.errors.AolabError`."""

    step: int
    error: BaseException


class Listener(Protocol):
    """What the resolver calls; :class:`aolab.trace.Trace` is the recorder."""

    def step_started(self, event: StepStarted) -> int: ...

    def step_finished(self, event: StepFinished) -> None: ...

    def step_failed(self, event: StepFailed) -> None: ...


class Recorder:
    """A listener that takes the step's fields as plain arguments.

    The resolver calls ``started(base, request, key, device) -> token`` and
    ``finished(token, status, value, hashpath)`` on instances of this class
    instead of building :class:`StepStarted`/:class:`StepFinished` objects
    (a tenth of the cost of recording); ``step_failed`` stays an event.
    :class:`aolab.trace.Trace` is one.
    """

    def started(self, base, request, key, device):
        return self.step_started(StepStarted(base, request, key, device, None, None))

    def finished(self, token, status, value, hashpath) -> None:
        self.step_finished(StepFinished(token, status, value, hashpath))
