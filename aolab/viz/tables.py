"""Traces as tables: where two runs diverge, and a process's slots over time.

Both read only the step records (:attr:`aolab.Trace.records`): ``step, key,
device, status, hashpath, request_message``, so they work for any device.

>>> import aolab
>>> a, b = aolab.Node(), aolab.Node()
>>> a.resolve({"a": {"b": "1"}}, "a/b")
'1'
>>> b.resolve({"a": {"b": "2"}}, "a/b")
'2'
>>> table = diff(a.trace, b.trace)
>>> list(table["same"]), table.attrs["first_divergence"]
([False, False], 0)
"""
from __future__ import annotations

from ..step import COLUMNS
from .render import step_records
from .tree import graph_of, to_dot

DIFF_COLUMNS = ("step", "key", "device", "status", "hashpath_a", "hashpath_b", "same")
TIMELINE_KEYS = ("schedule", "compute", "slot")
TIMELINE_COLUMNS = COLUMNS[:5] + ("slot", "status", "hashpath")


def diff(trace_a, trace_b):
    """Compare two traces step by step.

    Parameters
    ----------
    trace_a, trace_b : aolab.Trace or list of step records

    Returns
    -------
    pandas.DataFrame
        One row per step number: ``step, key, device, status, hashpath_a,
        hashpath_b, same``.  ``key``, ``device`` and ``status`` show
        ``a | b`` where the two differ.  A step is ``same`` when both traces
        have it with the same key, device, status and hashpath (for unhashed
        steps, the same request part).  ``df.attrs["first_divergence"]`` is
        the first step that is not the same (None when the traces agree).

    Examples
    --------
    >>> import aolab
    >>> a, b = aolab.Node(), aolab.Node()
    >>> base = {"device": "message@1.0", "a": {"b": "RESULT"}}
    >>> a.resolve(base, "a/b")
    'RESULT'
    >>> b.resolve(base, "a")["b"]
    'RESULT'
    >>> table = diff(a.trace, b.trace)
    >>> table[["step", "key", "same"]].values.tolist()
    [[0, 'a', True], [1, 'b', False]]
    >>> table.attrs["first_divergence"]
    1
    """
    import pandas as pd

    records_a, records_b = step_records(trace_a), step_records(trace_b)
    rows, first = [], None
    for step in range(max(len(records_a), len(records_b))):
        a = records_a[step] if step < len(records_a) else {}
        b = records_b[step] if step < len(records_b) else {}
        same = bool(a) and bool(b) and all(a.get(k) == b.get(k) for k in ("key", "device", "status",
                                                                           "hashpath"))
        if same and a.get("hashpath") is None:
            same = a.get("request") == b.get("request")
        if not same and first is None:
            first = step
        rows.append({"step": step, "key": _pair(a, b, "key"), "device": _pair(a, b, "device"),
                     "status": _pair(a, b, "status"), "hashpath_a": a.get("hashpath"),
                     "hashpath_b": b.get("hashpath"), "same": same})
    table = pd.DataFrame(rows, columns=list(DIFF_COLUMNS))
    table.attrs["first_divergence"] = first
    return table


def _pair(a: dict, b: dict, field: str) -> str | None:
    left, right = a.get(field), b.get(field)
    if a and b and left == right:
        return left
    if not b:
        return left
    return f"{'' if left is None else left} | {'' if right is None else right}"


def divergence_dot(trace_a, trace_b, *, side: str = "b", **view) -> str:
    """DOT of one side's tree around the first divergence, the diverging step highlighted.

    Keywords are those of :func:`aolab.viz.to_dot`; with no divergence the
    whole tree is drawn (collapsed as usual).

    >>> import aolab
    >>> a, b = aolab.Node(), aolab.Node()
    >>> a.resolve({"a": "1"}, "a")
    '1'
    >>> b.resolve({"a": "2"}, "a")
    '2'
    >>> 'penwidth="3"' in divergence_dot(a.trace, b.trace)
    True
    """
    if side not in ("a", "b"):
        raise ValueError(f"side must be 'a' or 'b', not {side!r}")
    first = diff(trace_a, trace_b).attrs["first_divergence"]
    trace = trace_a if side == "a" else trace_b
    records = step_records(trace)
    if first is None or first >= len(records):
        return to_dot(graph_of(trace), **view)
    view.setdefault("view", "window")
    view.setdefault("step", first)
    return to_dot(graph_of(trace), view.pop("view"), highlight=(first, records[first]["result"]),
                  **view)


def process_timeline(trace_or_records, keys=TIMELINE_KEYS):
    """The steps of a trace whose key is one of *keys*, with the request's slot.

    Parameters
    ----------
    trace_or_records : aolab.Trace or list of step records
    keys : iterable of str
        The keys kept (``schedule``, ``compute`` and ``slot`` by default).

    Returns
    -------
    pandas.DataFrame
        ``step, parent, depth, device, key, slot, status, hashpath``; ``slot``
        is the request's ``slot`` (an integer when it is one), else missing.

    Examples
    --------
    >>> import aolab
    >>> lab = aolab.Node(devices={"clock@1.0": {"compute": lambda base, req: {"at": req["slot"]}}})
    >>> lab.resolve({"device": "clock@1.0"}, {"path": "compute", "slot": 2})["at"]
    2
    >>> process_timeline(lab.trace)[["step", "key", "slot"]].values.tolist()
    [[0, 'compute', 2]]
    """
    import pandas as pd

    wanted = frozenset(keys)
    rows = []
    for record in step_records(trace_or_records):
        if record.get("key") not in wanted:
            continue
        rows.append({**{c: record.get(c) for c in TIMELINE_COLUMNS}, "slot": _as_int(record.get("slot"))})
    table = pd.DataFrame(rows, columns=list(TIMELINE_COLUMNS))
    slots = [row["slot"] for row in rows if row["slot"] is not None]
    if all(isinstance(s, int) and not isinstance(s, bool) for s in slots):
        table["slot"] = table["slot"].astype("Int64")
    for column in ("step", "parent", "depth"):
        table[column] = table[column].astype("Int64")
    return table


def _as_int(value):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value
