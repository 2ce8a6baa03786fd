"""A worker's trace as plain step records: what crosses the wire instead of messages."""
from __future__ import annotations

#: Trace record fields carried back from a worker (see :class:`aolab.Trace`).
STEP_FIELDS = ("step", "parent", "depth", "device", "key", "status", "base", "request",
               "result", "hashpath", "ms")
#: The fields two runs' steps must agree on to be the same computation.
COMPARED_FIELDS = ("key", "device", "status", "hashpath")


def portable_steps(trace, process_id: str) -> list[dict]:
    """A trace's records as plain dicts (hashpaths, keys, devices, statuses, slots).

    The live messages stay behind; ``slot`` is the request's slot, when it has one.
    """
    steps, graph = [], trace.graph
    for record in trace.records:
        request = record.get("request_message")
        slot = request.get("slot") if isinstance(request, dict) else None
        step = {field: record[field] for field in STEP_FIELDS}
        step.update(process=process_id, slot=slot if isinstance(slot, int) else None,
                    kind=graph.nodes[record["result"]]["kind"])
        if "error" in record:
            step["error"] = record["error"]
        steps.append(step)
    return steps


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
