"""Request paths: splitting ``a/b/c`` into the keys resolved one after another.

Follows HyperBEAM's ``hb_path:term_to_path_parts/1``: a path is a string
(``"a/b"``, ``"/a/b"``; empty segments are dropped, ``"/"`` is no key at all),
a list of parts (flattened), or an integer.  aolab adds the parts of
``hb_singleton`` syntax that requests use inside a single segment:

- ``key~device@1.0``: resolve ``key`` as if the base's device were
  ``device@1.0``; a segment that is only ``~device@1.0`` switches the device of
  the current message;
- ``key&name=value&other=value``: extra request keys for this step only;
- ``key?name=value``: the same, written as a query.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .errors import MessageError, PathError
from .message import normalize_key

#: The deepest a path given as nested lists may be.
MAX_LIST_NESTING = 64
#: The most keys one request path may name (a node may lower it: ``max-path-segments``).
MAX_PATH_SEGMENTS = 10_000


def path_parts(path) -> list[str] | None:
    """Split *path* into its keys, as ``hb_path:term_to_path_parts/1``.

    >>> path_parts("/a/b")
    ['a', 'b']
    >>> path_parts(["a", "b/c"])
    ['a', 'b', 'c']
    >>> path_parts("/")
    []
    """
    if path is None or path == "" or path == []:
        return None
    if isinstance(path, str):
        if path == "/":
            return []
        if "/" not in path:
            return [path]
        return [part for part in path.split("/") if part]
    if isinstance(path, (list, tuple)):
        parts: list[str] = []
        _flatten(path, parts, 0)
        return parts
    if isinstance(path, bytes):
        try:
            return path_parts(path.decode("utf-8", errors="strict"))
        except UnicodeDecodeError:
            raise PathError(f"path {path[:40]!r} is not valid UTF-8", key="path") from None
    if isinstance(path, int) and not isinstance(path, bool):
        return [str(path)]
    raise PathError(f"path {path!r} has type {type(path).__name__}; expected a string or a list of strings")


def _flatten(items, parts: list, depth: int) -> None:
    if depth >= MAX_LIST_NESTING:
        raise PathError(f"path lists nested more than {MAX_LIST_NESTING} deep", key="path")
    for item in items:
        if isinstance(item, (list, tuple)):
            _flatten(item, parts, depth + 1)
            continue
        sub = path_parts(item)
        if sub:
            parts.extend(sub)


def to_path(parts) -> str:
    """Join path parts back into one ``a/b/c`` string (``hb_path:to_binary/1``).

    >>> to_path(["a", "b", "c"])
    'a/b/c'
    """
    return "/".join(path_parts(parts) or [])


@dataclass(frozen=True)
class Segment:
    """One step of a path: the key, the device to use for it, extra request keys."""

    key: str | None
    device: str | None = None
    params: dict = field(default_factory=dict)


def parse_segment(part: str) -> Segment:
    """Parse one path segment: ``key``, ``key~dev@1.0``, ``~dev@1.0``, ``key&a=1``.

    >>> parse_segment("compute&slot=1")
    Segment(key='compute', device=None, params={'slot': '1'})
    >>> parse_segment("ID~process@1.0").device
    'process@1.0'
    """
    if "&" not in part and "~" not in part and "?" not in part:
        return Segment(part)
    head, params = _split_params(part)
    device = None
    if "~" in head:
        head, device = head.split("~", 1)
        if not device or "~" in device:
            raise PathError(f"path segment {part!r}: expected 'key~device@version'", key=part)
    return Segment(head or None, device, params)


def _split_params(part: str) -> tuple[str, dict]:
    params: dict = {}
    for sep in ("?", "&"):
        if sep in part:
            part, _, rest = part.partition(sep)
            for pair in rest.replace("?", "&").split("&"):
                if not pair:
                    continue
                name, eq, value = pair.partition("=")
                if not eq or not name:
                    raise PathError(f"path parameter {pair!r}: expected 'name=value'", key=pair)
                try:
                    params[normalize_key(name)] = value
                except MessageError as exc:
                    raise PathError(f"path parameter {pair!r}: {exc}", key=pair) from None
            break
    return part, params
