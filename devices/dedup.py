"""dedup@1.0: lets each request through a stack only once.

On the first pass of a stack (``pass`` 1 or absent) it computes the request's
ID: when that ID is in the state's ``dedup`` list it answers ``skip`` (the
rest of the stack does not run), otherwise it adds the ID to ``dedup`` and
lets the stack go on.  On later passes it does nothing.  ``set`` and ``keys``
go to message@1.0; so do ``snapshot`` and ``normalize`` (HyperBEAM's dedup
would add those requests to its list too and hand back the whole state as its
snapshot; it keeps no state outside the message, so aolab leaves them out).

>>> import aolab
>>> base = {"device": "stack@1.0", "device-stack": ["dedup@1.0", "counter@1.0"], "count": 0}
>>> once = aolab.resolve(base, {"path": "add", "amount": 5})
>>> twice = aolab.resolve(once, {"path": "add", "amount": 5})
>>> once["count"], twice["count"]
(5, 5)

Reference: HyperBEAM src/dev_dedup.erl at b2743e4a.
"""
from __future__ import annotations

from aolab import ids

NAME = "dedup@1.0"


def info():
    """The device's info: one handler for every key but message@1.0's own."""
    return {"handler": handle, "excludes": ["set", "keys", "snapshot", "normalize"]}


def handle(key, base, request):
    """Skip requests already seen (first pass only)."""
    if base.get("pass", 1) != 1:
        return base
    request_id = ids.id(request, committers="all")  # hb_message:id(M2, all)
    seen = list(base.get("dedup", []))
    if request_id in seen:
        return "skip", base
    return {**base, "dedup": [request_id, *seen]}
