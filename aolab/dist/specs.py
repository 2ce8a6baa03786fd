"""The processes a scale-out run computes: ``(process, messages)`` pairs.

>>> process, messages = counter_processes(3, 2)[2]
>>> process["name"], messages
('counter-2', [{'action': 'add', 'amount': 2}, {'action': 'add', 'amount': 3}])
"""
from __future__ import annotations


def counter_processes(count: int, slots: int) -> list[tuple[dict, list[dict]]]:
    """*count* deterministic counter@1.0 processes with *slots* messages each.

    Process ``i`` is ``{"device": "process@1.0", "execution-device":
    "counter@1.0", "name": "counter-<i>"}``; its message ``n`` adds ``i + n``,
    so after slot ``k`` its count is ``(k + 1) * i + k * (k + 1) / 2``.
    """
    return [({"device": "process@1.0", "execution-device": "counter@1.0", "name": f"counter-{i}"},
             [{"action": "add", "amount": i + n} for n in range(slots)])
            for i in range(count)]


def as_specs(processes, slots: int | None) -> list[tuple[dict, list[dict]]]:
    """``(process, messages)`` pairs from what :func:`aolab.dist.compute_many` accepts.

    *processes* is an integer (that many :func:`counter_processes`), or a list
    whose items are ``(process, messages)`` pairs or ``{"process": ...,
    "messages": [...]}`` messages.
    """
    if isinstance(processes, int) and not isinstance(processes, bool):
        return counter_processes(processes, 100 if slots is None else slots)
    specs = []
    for item in processes:
        process, messages = (item["process"], item["messages"]) if isinstance(item, dict) else item
        specs.append(({"device": "process@1.0", **process}, list(messages)))
    return specs
