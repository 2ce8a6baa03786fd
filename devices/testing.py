"""test-device@1.0: the device HyperBEAM's own tests run processes with.

``test_func`` answers ``GOOD_FUNCTION``; ``init`` sets ``already-seen`` to an
empty list; ``compute`` puts the assignment's ``slot`` in front of
``already-seen`` and in ``results/assignment-slot``; ``restore`` checks that
``already-seen`` is there; ``snapshot`` gives an empty message; ``mul``
multiplies the two ``args`` of the request.

>>> import aolab
>>> state = aolab.resolve({"device": "test-device@1.0"}, "init")
>>> aolab.resolve(state, {"path": "compute", "slot": 0})["already-seen"]
[0]

Reference: HyperBEAM src/dev_test.erl at b2743e4a.
"""
from __future__ import annotations

from aolab.errors import KeyNotFound

NAME = "test-device@1.0"


def test_func(base):
    """A constant, for tests of key lookup."""
    return "GOOD_FUNCTION"


def init(base):
    """Start with no slot seen."""
    return {**base, "already-seen": []}


def compute(base, request):
    """Note the slot as seen; put a fixed key and the slot in the results."""
    slot = request.get("slot")
    return {**base, "random-key": "random-value", "results": {"assignment-slot": slot},
            "already-seen": [slot, *base.get("already-seen", [])]}


def restore(base):
    """Keep the slots seen so far in ``priv/test-key`` (an error with none to restore)."""
    if "already-seen" not in base:
        raise KeyNotFound("test-device@1.0: no viable state to restore (no 'already-seen')",
                          key="already-seen", device=NAME)
    priv = dict(base.get("priv") or {})
    priv["test-key"] = {"started-state": base["already-seen"]}
    return {**base, "priv": priv}


def snapshot(base):
    """An empty snapshot."""
    return {}


def mul(base, request):
    """The product of the two ``args`` (a wasm import for tests)."""
    first, second = request.get("args")
    return {"state": base.get("state"), "results": [first * second]}
