"""Setting keys through devices: ``hb_ao:set/3,4`` and ``deep_set/4``.

Each level of a deep path is read, updated and written back through that
level's own device (its ``set`` key), so a device decides what setting means.

>>> set_values({"a": {"b": 1}}, {"a/c": 2})
{'a': {'b': 1, 'c': 2}}

Reference: HyperBEAM ``src/hb_ao.erl`` (``set/3,4``, ``deep_set/4``) at b2743e4a.
"""
from __future__ import annotations

from .errors import KeyNotFound, ResolutionError
from .message import normalize_key
from .path import path_parts
from .resolver import make_context, resolve_status


def set_values(message, values: dict, opts=None, **options):
    """*message* with every key of *values* set (``hb_ao:set/3``).

    A key may be a path (``"a/b/c"``): each level is read, updated and written
    back through that level's own device.  *opts* (a context, or a mapping)
    and *options* are the resolution's; the results are not linked
    (``hashpath="ignore"``) unless the caller or the node names a ``hashpath``.
    """
    opts = make_context(opts, options)
    if opts.option("hashpath") is None:
        opts = opts.derive(hashpath="ignore")
    for raw_key, value in values.items():
        if raw_key in ("path", "priv", "hashpath"):
            continue
        message = deep_set(message, path_parts(raw_key) or [], value, opts)
    return message


def deep_set(message, parts: list, value, opts):
    """Set *value* at the path *parts* below *message* (``hb_ao:deep_set/4``)."""
    if not parts:
        return device_set(message, "/", value, opts) if isinstance(message, dict) else value
    key = normalize_key(parts[0])
    if len(parts) == 1:
        return device_set(message, key, value, opts)
    try:
        status, inner = resolve_status(message, {"path": key}, opts)
    except (KeyNotFound, ResolutionError):
        status, inner = "error", None
    if status == "ok" and isinstance(inner, dict):
        return device_set(message, key, deep_set(inner, parts[1:], value, opts), opts, explicit=True)
    return {**message, key: deep_set({}, parts[1:], value, opts)}


def device_set(message, key: str, value, opts, explicit: bool = False):
    """Ask *message*'s device to set one key."""
    if key == "path":
        request = {"path": "set-path", "value": value}
    elif key == "/" and isinstance(value, dict):
        request = {**value, "path": "set"}
    else:
        request = {"path": "set", key: value}
    if explicit:
        request["set-mode"] = "explicit"
    status, result = resolve_status(message, request, opts)
    if status != "ok":
        raise ResolutionError(f"setting key {key!r} ended with status {status!r}", key=key)
    return result
