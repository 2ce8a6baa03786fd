"""Short, safe descriptions of messages and values, for error texts.

>>> preview({"a": "x" * 500})[:20]
"{'a': 'xxxxxxxxxxxxx"
>>> describe({"b": 1, "a": 2})
'{a, b}'
"""
from __future__ import annotations

import reprlib

from . import ids


def describe(message) -> str:
    """A short description of a message for error texts: its hashpath, else its keys."""
    if isinstance(message, dict):
        priv = message.get("priv")
        carried = priv.get("hashpath") if isinstance(priv, dict) else None
        if carried:
            return short_hashpath(carried)
        keys = ", ".join(sorted(str(k) for k in message if not str(k).startswith("priv"))[:6])
        return f"{{{keys}}}"
    return preview(message, 60)


def describe_request(request) -> str:
    """A request's path, for error texts."""
    if isinstance(request, dict):
        return repr(request.get("path"))
    return preview(request)


def short_hashpath(hashpath) -> str:
    """A hashpath with each ID shortened."""
    if not hashpath:
        return "<unhashed message>"
    return "/".join(ids.short_id(p) if len(p) == 43 else p for p in hashpath.split("/"))


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxdict, _REPR.maxlist, _REPR.maxstring, _REPR.maxother = 3, 8, 8, 60, 60


def preview(value, limit: int = 120) -> str:
    """A short, safe repr: bounded depth and size, whatever the value holds."""
    try:
        text = _REPR.repr(value)
    except Exception:  # a repr that fails is no reason to hide the real error
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."
