"""counter@1.0: a counter kept in the message, the smallest useful process state.

The state holds ``count`` (an integer, 0 when absent).  Keys:

``init``
    set ``count`` to 0 unless it is set.
``add`` / ``subtract`` / ``reset``
    change ``count`` by the request's ``amount`` (default 1); ``reset`` sets it
    to ``amount`` (default 0).
``compute``
    the process entry point: applies the ``action`` of the scheduled message
    (the request's ``body`` when it has one, as in an assignment, else the
    request itself): ``add``, ``subtract`` or ``reset``; the result's
    ``results`` say what happened.

Amounts may be integers or decimal strings (``"5"``), as they arrive over HTTP.

>>> import aolab
>>> state = aolab.resolve({"device": "counter@1.0"}, {"path": "add", "amount": 2})
>>> state["count"]
2
>>> aolab.resolve(state, {"path": "compute", "body": {"action": "subtract", "amount": "5"}})["results"]
{'action': 'subtract', 'amount': 5, 'count': -3}
"""
from __future__ import annotations

from aolab.errors import MessageError

NAME = "counter@1.0"
ACTIONS = ("add", "subtract", "reset")


def init(base):
    """Start counting from 0 (keeps an existing count)."""
    return base if "count" in base else {**base, "count": 0}


def add(base, request):
    """``count + amount``."""
    return _apply(base, "add", _amount(request, 1))


def subtract(base, request):
    """``count - amount``."""
    return _apply(base, "subtract", _amount(request, 1))


def reset(base, request):
    """``count = amount`` (0 by default)."""
    return _apply(base, "reset", _amount(request, 0))


def compute(base, request):
    """Apply the scheduled message's ``action`` (see the module doc)."""
    message = request.get("body") if isinstance(request.get("body"), dict) else request
    action = str(message.get("action", "add")).lower()
    if action not in ACTIONS:
        raise MessageError(f"counter@1.0: unknown action {message.get('action')!r} "
                           f"(expected one of {', '.join(ACTIONS)})", key="action", device=NAME)
    amount = _amount(message, 0 if action == "reset" else 1)
    state = _apply(base, action, amount)
    return {**state, "results": {"action": action, "amount": amount, "count": state["count"]}}


def _apply(base, action: str, amount: int) -> dict:
    count = _int(base.get("count", 0), "count")
    count = {"add": count + amount, "subtract": count - amount, "reset": amount}[action]
    return {**base, "count": count}


def _amount(message, default: int) -> int:
    return _int(message.get("amount", default), "amount")


def _int(value, key: str) -> int:
    if isinstance(value, bool):
        raise MessageError(f"counter@1.0: {key!r} must be an integer, not {value!r}", key=key, device=NAME)
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise MessageError(f"counter@1.0: {key!r} must be an integer, not {value!r}",
                           key=key, device=NAME) from None
