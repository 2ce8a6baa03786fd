"""HyperBEAM's request-path syntax (``hb_singleton``): one request, many messages.

A node receives a *singleton*: a message whose ``path`` names a sequence of
messages to resolve one after another, and whose other keys go to every
message of it.  :func:`parse` turns it into that sequence; :func:`resolve_many`
resolves it.

=================================  ==============================================
``/a/b/c``                         base ``{}``, then ``{path: a}``, ``{path: b}``, ``{path: c}``
``/ID/key``                        base: the stored message ``ID``, then ``{path: key}``
``/~meta@1.0/info``                base ``{device: meta@1.0}``, then ``{path: info}``
``/ID~process@1.0/compute``        ``ID`` resolved as a process@1.0 message
``key&k=v&flag``                   ``{path: key, k: "v", flag: True}``
``key~dev@1.0``                    ``key`` resolved by ``dev@1.0`` (an ``As`` step)
``k+integer=1``                    typed values: ``+integer``/``+int``, ``+float``,
                                   ``+atom``, ``+list``, ``+binary``, ``+resolve``
``(/x/y)``                         the result of resolving ``/x/y`` (a segment, or a value)
``?k=v``                           keys for every message of the request
``N.key`` (a key of the singleton) the key for the N-th message only (1 = first step)
=================================  ==============================================

>>> parse({"path": "/a/b&k1=v1/c", "2.scoped+integer": "7"})
[{}, {'path': 'a'}, {'path': 'b', 'k1': 'v1', 'scoped': 7}, {'path': 'c'}]
>>> parse("/~meta@1.0/info")
[As(device='meta@1.0', message={}), {'path': 'info'}]

Reference: HyperBEAM ``src/hb_singleton.erl`` at b2743e4a.
"""
from __future__ import annotations

import threading
import urllib.parse
from typing import NamedTuple

from . import ids
from .codecs import structured
from .errors import EncodingError, PathError
from .message import normalize_key

MAX_SEGMENT_LENGTH = 512
#: The most messages one singleton request may stand for.
MAX_SEGMENTS = 10_000
#: The deepest ``( ... )`` resolutions may nest, in a path or a query.
MAX_NESTING = 32
_local = threading.local()
TYPE_NAMES = {"int": "integer", "integer": "integer", "float": "float", "atom": "atom",
              "list": "list", "binary": "binary", "bin": "binary"}


class As(NamedTuple):
    """A step whose message is resolved as if its device were *device*."""

    device: str
    message: object


class Resolve(NamedTuple):
    """A value that is the result of resolving a nested request (``(/x/y)``)."""

    messages: list


def parse(request) -> list:
    """The message sequence a singleton request stands for (see the module doc).

    At most :data:`MAX_SEGMENTS` messages, and ``( ... )`` nested at most
    :data:`MAX_NESTING` deep; :class:`~aolab.errors.PathError` beyond.
    """
    depth = getattr(_local, "depth", 0)
    if depth >= MAX_NESTING:
        raise PathError(f"request nests '( ... )' resolutions more than {MAX_NESTING} deep",
                        key="path")
    _local.depth = depth + 1
    try:
        return _parse(request)
    finally:
        _local.depth = depth


def _parse(request) -> list:
    if isinstance(request, str):
        request = {"path": request}
    if not isinstance(request, dict):
        raise PathError(f"a request is a path or a message, not {type(request).__name__}")
    raw_path = request.get("path", "/")
    if not isinstance(raw_path, str):
        raise PathError(f"request path must be text, not {type(raw_path).__name__}", key="path")
    path, _, query = _part(raw_path, "?")
    messages = [_parse_part(part) for part in path_segments(path)]
    messages = _normalize_base(messages)
    extra = {str(k): v for k, v in request.items() if k != "path"}
    if query:
        extra.update(_inlined_keys(query))
    scoped = _group_scoped(_apply_types(extra), len(messages))
    return [_merge(message, scoped[i]) for i, message in enumerate(messages)]


def path_segments(path: str) -> list[str]:
    """The ``/``-separated parts of *path*, keeping ``( ... )`` groups whole."""
    parts = []
    for part in _split_all(path, "/"):
        if not part:
            continue
        if len(parts) >= MAX_SEGMENTS:
            raise PathError(f"request path has more than {MAX_SEGMENTS:,} segments", key="path")
        if len(part) > MAX_SEGMENT_LENGTH:
            raise PathError(f"path segment of {len(part)} characters; at most {MAX_SEGMENT_LENGTH}",
                            key=part[:40] + "...")
        parts.append(urllib.parse.unquote(part))
    return parts


def resolve_many(messages: list, resolve, load):
    """Resolve a parsed sequence: ``resolve(base, request) -> result`` and
    ``load(id) -> message`` come from the caller (a node)."""
    if not messages:
        raise PathError("empty request: nothing to resolve")
    current = _materialize(messages[0], resolve, load, base=True)
    for step in messages[1:]:
        if isinstance(step, As):
            current = {**current, "device": step.device} if isinstance(current, dict) else current
            step = step.message
            if not step or step == {"path": ""}:
                continue
        if isinstance(step, Resolve):
            current = _materialize(step, resolve, load)
            continue
        if isinstance(step, str) and ids.is_id(step):
            current = load(step)
            continue
        current = resolve(current, _materialize(step, resolve, load))
    return current


def _materialize(item, resolve, load, base: bool = False):
    if isinstance(item, Resolve):
        return resolve_many(item.messages, resolve, load)
    if isinstance(item, As):
        inner = _materialize(item.message, resolve, load, base)
        return {**inner, "device": item.device}
    if isinstance(item, str) and ids.is_id(item):
        return load(item)
    if isinstance(item, dict):
        return {k: (_materialize(v, resolve, load) if isinstance(v, Resolve) else v)
                for k, v in item.items()}
    return item


def _parse_part(part: str):
    if ids.is_id(part):
        return part
    if part.startswith("(") and part.endswith(")"):
        return Resolve(parse({"path": part[1:-1]}))
    sep, key, mods = _split_once(part, "&~")
    message: dict = {"path": key} if key else {}
    if not sep:
        return message
    if sep == "~":
        amp, device, inline = _split_once(mods, "&")
        if amp:
            message.update(_inlined_keys(inline))
        if ids.is_id(key):
            return As(device, key)  # /ID~device@1.0: the stored message, as that device
        return As(device, message)
    message.update(_inlined_keys(mods))
    return message


def _normalize_base(messages: list) -> list:
    """A request starts from a message: an ID, a device switch, a nested
    resolution; otherwise from the empty message ``{}``."""
    first = messages[0] if messages else None
    if isinstance(first, (As, Resolve)) or (isinstance(first, str) and ids.is_id(first)):
        return messages
    return [{}, *messages]


def _inlined_keys(text: str) -> dict:
    found = {}
    for pair in _split_all(text, "&"):
        if not pair:
            continue
        sep, key, value = _split_once(pair, "=")
        if not sep:
            found[key] = True
            continue
        if value.startswith("(") and value.endswith(")"):
            value = Resolve(parse({"path": value[1:-1]}))
        found[key] = value
    return _apply_types(found)


def _apply_types(values: dict) -> dict:
    typed = {}
    for raw_key, value in values.items():
        key, plus, kind = str(raw_key).partition("+")
        typed[key] = _typed(kind, value, raw_key) if plus else value
    return typed


def _typed(kind: str, value, raw_key: str):
    kind = kind.lower()
    if kind in ("resolve", "res"):
        if isinstance(value, Resolve):
            return value
        return Resolve(parse({"path": str(value)}))
    if isinstance(value, Resolve) or kind not in TYPE_NAMES:
        if kind not in TYPE_NAMES:
            raise PathError(f"key {raw_key!r}: unknown type {kind!r} "
                            f"(expected one of {', '.join(sorted(set(TYPE_NAMES)))}, resolve)",
                            key=raw_key)
        return value
    try:
        raw = value if isinstance(value, bytes) else str(value).encode()
        return structured.decode_value(TYPE_NAMES[kind], raw)
    except (EncodingError, ValueError, TypeError, RecursionError) as exc:
        raise PathError(f"key {raw_key!r}: {value!r} is not a valid {TYPE_NAMES[kind]}: {exc}",
                        key=raw_key) from None


def _group_scoped(values: dict, count: int) -> list[dict]:
    shared, scoped = {}, {}
    for key, value in values.items():
        front, dot, rest = key.partition(".")
        if dot and front.isascii() and front.isdigit():
            scoped.setdefault(int(front) + 1, {})[rest] = value
        else:
            shared[key] = value
    for n in scoped:
        if n > count:
            raise PathError(f"scoped key for message {n - 1}, but the request has only "
                            f"{count - 1} steps", key=f"{n - 1}.")
    return [{**shared, **scoped.get(i + 1, {})} for i in range(count)]


def _merge(message, extra: dict):
    if not extra:
        return message
    extra = {normalize_key(k): v for k, v in extra.items()}
    if isinstance(message, As) and isinstance(message.message, dict):
        return As(message.device, {**message.message, **extra})
    if isinstance(message, dict):
        return {**message, **extra}
    return message


def _split_once(text: str, seps: str) -> tuple[str, str, str]:
    """``(separator, before, after)`` at the first separator outside ``( )``."""
    depth = 0
    for i, c in enumerate(text):
        if c == "(":
            depth += 1
        elif c == ")" and depth > 0:
            depth -= 1
        elif depth == 0 and c in seps:
            return c, text[:i], text[i + 1:]
    return "", text, ""


def _split_all(text: str, sep: str) -> list[str]:
    """*text* split at every *sep* outside ``( )``, in one pass."""
    if "(" not in text:
        return text.split(sep)
    parts, depth, start = [], 0, 0
    for i, c in enumerate(text):
        if c == "(":
            depth += 1
        elif c == ")" and depth > 0:
            depth -= 1
        elif depth == 0 and c == sep:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _part(text: str, sep: str) -> tuple[str, str, str]:
    found, before, after = _split_once(text, sep)
    return before, found, after
