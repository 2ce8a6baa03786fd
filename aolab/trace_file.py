"""Trace files: a trace saved as one JSON line per step, and read back.

The format (``docs/trace-format.md``): the first line is a header
``{"format": "aolab-trace", "version": 1, "columns": [...]}``; each further
line is one step, the dict :func:`aolab.step.as_portable` makes (its columns,
``kind``, ``slot``, ``error`` for a failed step) with ``messages``: the base,
the request and the result, each in the typed JSON of :func:`encode`.
A loaded trace draws the same DOT text as the trace that was saved.

>>> import aolab, io
>>> lab = aolab.Node()
>>> lab.resolve({"a": {"b": b"RESULT"}}, "a/b")
b'RESULT'
>>> text = io.StringIO()
>>> write(lab.trace.records, text)
>>> again = list(read(io.StringIO(text.getvalue())))
>>> again == lab.trace.records
True
"""
from __future__ import annotations

import base64
import json
import pathlib

from .step import COLUMNS, as_portable, from_portable

FORMAT, VERSION = "aolab-trace", 1


def save(records, path) -> pathlib.Path:
    """Write *records* to the file *path* (see the module docstring)."""
    path = pathlib.Path(path)
    with path.open("w", encoding="utf-8") as out:
        write(records, out)
    return path


def load(path) -> list:
    """The :class:`~aolab.step.Step` records of the trace file *path*."""
    with pathlib.Path(path).open(encoding="utf-8") as lines:
        return list(read(lines))


def write(records, out) -> None:
    """Write the header and one line per record to the text stream *out*."""
    out.write(json.dumps({"format": FORMAT, "version": VERSION, "columns": list(COLUMNS)}) + "\n")
    for record in records:
        line = as_portable(record)
        line["messages"] = [encode(record.base_message), encode(record.request_message),
                            encode(record.result_message)]
        out.write(json.dumps(line) + "\n")  # key order kept: drawings list keys as stored


def read(lines):
    """The records of the lines of a trace file (a header first)."""
    lines = iter(lines)
    header = json.loads(next(lines, "{}") or "{}")
    if header.get("format") != FORMAT or header.get("version") != VERSION:
        raise ValueError(f"not an aolab trace file of version {VERSION}: header {header!r}")
    for number, line in enumerate(lines, 2):
        try:
            step = json.loads(line)
            base, request, result = (decode(m) for m in step.pop("messages"))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"trace file line {number}: {exc}") from None
        yield from_portable(step, base_message=base, request_message=request,
                            result_message=result)


# -- typed JSON for messages ----------------------------------------------------
# A dict whose keys do not start with "$" is itself; anything else is tagged:
# {"$bytes": base64}, {"$tuple": [...]}, {"$map": {...}} (a dict with a "$" key),
# {"$error": [class, text]}, {"$function": qualname}, {"$object": type name}.

def encode(value):
    """*value* as JSON data; what JSON cannot hold is tagged (see above)."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        items = {str(k): encode(v) for k, v in value.items()}
        return {"$map": items} if any(str(k).startswith("$") for k in value) else items
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, tuple):
        return {"$tuple": [encode(v) for v in value]}
    if isinstance(value, BaseException):
        return {"$error": [type(value).__name__, str(value)]}
    if callable(value):
        return {"$function": getattr(value, "__qualname__", type(value).__name__)}
    return {"$object": type(value).__name__}


def decode(value):
    """The value :func:`encode` wrote (functions and objects as named stand-ins)."""
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        (tag, inner), = value.items()
        if tag in _TAGS:
            return _TAGS[tag](inner)
    return {k: decode(v) for k, v in value.items()}


def _function(qualname: str):
    def saved(*args, **kwargs):
        raise TypeError(f"{qualname} was loaded from a trace file: it cannot run")
    saved.__qualname__ = saved.__name__ = qualname
    return saved


_TAGS = {
    "$bytes": lambda text: base64.b64decode(text),
    "$tuple": lambda items: tuple(decode(v) for v in items),
    "$map": lambda items: {k: decode(v) for k, v in items.items()},
    "$error": lambda pair: type(pair[0], (Exception,), {})(pair[1]),
    "$function": _function,
    "$object": lambda name: type(name, (), {})(),
}
