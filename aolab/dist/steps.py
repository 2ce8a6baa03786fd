"""A worker's trace as plain step records: what crosses the wire instead of messages."""
from __future__ import annotations

from ..merged_trace import portable_steps  # noqa: F401 - a worker's steps, re-exported here
from ..step import COLUMNS

#: Trace record fields carried back from a worker (see :class:`aolab.step.Step`).
STEP_FIELDS = COLUMNS
#: The fields two runs' steps must agree on to be the same computation.
COMPARED_FIELDS = ("key", "device", "status", "hashpath")


def first_step_difference(claimed: list, recomputed: list) -> dict:
    """The first step where two runs' records disagree: ``{step, slot, key, reason}``,
    or ``{}`` when they agree on every step (see :data:`COMPARED_FIELDS`)."""
    for index in range(max(len(claimed), len(recomputed))):
        a = claimed[index] if index < len(claimed) else {}
        b = recomputed[index] if index < len(recomputed) else {}
        if all(a.get(k) == b.get(k) for k in COMPARED_FIELDS):
            continue
        slot = next((r["slot"] for r in recomputed[index:] if r.get("slot") is not None), None)
        return {"step": index, "slot": slot, "key": b.get("key", a.get("key")),
                "reason": f"step {index} ({b.get('device')} {b.get('key')}) has hashpath "
                          f"{b.get('hashpath')} where the result's trace claims "
                          f"{a.get('hashpath')}"}
    return {}
