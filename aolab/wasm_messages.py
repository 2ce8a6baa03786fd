"""Where a live WebAssembly instance sits in a message, and nested-key helpers
(part of :mod:`aolab.wasm_runtime`; used by wasm64@1.0, wasi@1.0, json-iface@1.0).

A device keeps its instance in ``priv/<prefix>/instance`` (private keys are
never hashed or stored), where ``<prefix>`` is its ``output-prefix`` in a stack.

>>> with_value({"a": {"b": 1}}, ["a", "c"], 2)
{'a': {'b': 1, 'c': 2}}
>>> value_at({"a": {"b": 1}}, ["a", "b"]), parts("wasm/")
(1, ['wasm'])
"""
from __future__ import annotations

from .wasm_instance import Instance


def instance_of(message, prefix: str = ""):
    """The live :class:`Instance` a message holds in ``priv/<prefix>/instance``, or None."""
    priv = message.get("priv") if isinstance(message, dict) else None
    for part in parts(prefix):
        priv = priv.get(part) if isinstance(priv, dict) else None
    found = priv.get("instance") if isinstance(priv, dict) else None
    return found if isinstance(found, Instance) else None


def with_instance(message: dict, prefix: str, instance) -> dict:
    """*message* holding *instance* in ``priv/<prefix>/instance`` (None removes it)."""
    return with_value(message, ["priv", *parts(prefix), "instance"], instance)


def with_value(message: dict, path: list, value) -> dict:
    """A copy of *message* with *value* at the nested *path* (None removes it);
    every level on the path is copied, nothing else."""
    head, rest = path[0], path[1:]
    if not rest:
        new = dict(message)
        if value is None:
            new.pop(head, None)
        else:
            new[head] = value
        return new
    inner = message.get(head)
    return {**message, head: with_value(inner if isinstance(inner, dict) else {}, rest, value)}


def value_at(message, path: list, default=None):
    """The value at the nested *path* of *message*, or *default*."""
    for part in path:
        if not isinstance(message, dict) or part not in message:
            return default
        message = message[part]
    return message


def prefix_of(message) -> str:
    """A device's output prefix in a stack (``output-prefix``, default none)."""
    prefix = message.get("output-prefix") if isinstance(message, dict) else None
    return prefix if isinstance(prefix, str) else ""


def parts(prefix: str) -> list:
    """The path segments of a prefix (``"wasm/"`` -> ``["wasm"]``)."""
    return [p for p in str(prefix or "").split("/") if p]