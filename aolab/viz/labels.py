"""Labels for drawing traces: short hashpaths, previews of messages, DOT quoting, colours.

Pure text functions of messages and values (deterministic: private keys left
out, functions and objects named, never shown with their memory address).

>>> print(short_hashpath("IWV-hhDDniPojOzgFci52JHPXF6Oy5ckjr3lQslz9Mc/a"))
IWV-hh../a
"""
from __future__ import annotations

import zlib

from .. import ids

HIGHLIGHT = "#d62728"
SHAPES = {"message": "box", "value": "ellipse", "error": "octagon", "summary": "box3d"}
DEVICE_COLOURS = {
    "message@1.0": "#dbe9f6", "process@1.0": "#fde0c5", "scheduler@1.0": "#d9f2d0",
    "stack@1.0": "#e8dcf5", "wasm-64@1.0": "#fbd3d3", "meta@1.0": "#f5f0c8",
    None: "#ffffff", "<inline>": "#eeeeee",
}
PALETTE = ("#c6e2e9", "#f1ffc4", "#ffcaaf", "#dab894", "#a7bed3", "#e2cfea", "#c9e4ca",
           "#f9d5e5", "#eeac99", "#d5e1df", "#fff2b2", "#b8e0d2")


# -- text -------------------------------------------------------------------
def short_hashpath(hashpath) -> str:
    """A hashpath with each 43-character ID cut to its first 6 characters.

    >>> short_hashpath("IWV-hhDDniPojOzgFci52JHPXF6Oy5ckjr3lQslz9Mc")
    'IWV-hh..'
    >>> short_hashpath(None)
    '(unhashed)'
    """
    return ids.short_hashpath(hashpath, head=6, tail=0)


def preview(value, limit: int = 40) -> str:
    """A one-line, deterministic preview of a message or value, at most *limit* long.

    Private keys (``priv...``) are left out; functions and objects are named,
    never shown with their memory address.

    >>> preview({"device": "message@1.0", "a": {"b": "RESULT"}, "priv": {"x": 1}}, 60)
    "{device: 'message@1.0', a: {b: 'RESULT'}}"
    >>> preview("x" * 50, 12)
    "'xxxxxxxx..."
    """
    text = _compact(value, 0, limit)
    return text if len(text) <= limit else text[: max(limit - 3, 0)] + "..."


def format_message(value, width: int = 60, max_lines: int = 12) -> str:
    """A message one key per line (values previewed), for tooltips and the stepper.

    >>> print(format_message({"device": "message@1.0", "n": 1}))
    device: 'message@1.0'
    n: 1
    """
    if not isinstance(value, dict):
        return preview(value, width * 2)
    keys = [k for k in value if not _is_private(k)]
    lines = [preview_line(f"{k}: {_compact(value[k], 1, width)}", width) for k in keys[:max_lines]]
    if len(keys) > max_lines:
        lines.append(f"... {len(keys) - max_lines} more keys")
    return "\n".join(lines) if lines else "{}"


def changes_preview(message, base, limit: int = 30) -> str:
    """A preview of *message* that leads with what differs from *base*.

    The keys whose value is new or changed come first, then the keys *base*
    lost (``-key``); keys left as they were are summarised as ``...``.  When
    either is not a message, or they share no key and value (a key's value
    read out of *base*), or nothing changed, it is :func:`preview`.

    >>> changes_preview({"device": "stack@1.0", "n": 2}, {"device": "stack@1.0", "n": 1})
    '{n: 2, ...}'
    >>> changes_preview({"a": 1}, {"a": 1, "b": 2})
    '{-b, ...}'
    >>> changes_preview({"b": "RESULT"}, {"device": "message@1.0", "a": {"b": "RESULT"}})
    "{b: 'RESULT'}"
    """
    if not isinstance(message, dict) or not isinstance(base, dict):
        return preview(message, limit)
    changed = {k: v for k, v in message.items()
               if not _is_private(k) and (k not in base or not _same(base[k], v))}
    removed = [k for k in base if k not in message and not _is_private(k)]
    kept = len(message) - len(changed) - sum(1 for k in message if _is_private(k))
    if not kept or (not changed and not removed):
        return preview(message, limit)
    text = _compact(changed, 0, limit)[1:-1] if changed else ""
    text = ", ".join(p for p in [text, *(f"-{k}" for k in removed)] + (["..."] if kept else []) if p)
    text = "{" + text + "}"
    return text if len(text) <= limit else text[: max(limit - 3, 0)] + "..."


def _same(a, b) -> bool:
    if a is b:
        return True
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - values that cannot be compared count as changed
        return False


def preview_line(text: str, width: int) -> str:
    """*text* cut to *width* characters, ``...`` marking the cut."""
    return text if len(text) <= width else text[: width - 3] + "..."


def plural(count: int, word: str) -> str:
    """``1 step``, ``2 steps``, ``1,000 steps``."""
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def _is_private(key) -> bool:
    return isinstance(key, str) and key[:4].lower() == "priv"


def _compact(value, depth: int, budget: int) -> str:
    if isinstance(value, str):
        return repr(value[: budget + 1])
    if isinstance(value, (bool, int, float)) or value is None:
        return repr(value)
    if isinstance(value, (bytes, bytearray)):
        return f"<{len(value)} bytes>"
    if isinstance(value, dict):
        if depth >= 2:
            return "{...}"
        parts, used = [], 0
        for key, item in value.items():
            if _is_private(key):
                continue
            if used > budget:
                parts.append("...")
                break
            part = f"{key}: {_compact(item, depth + 1, budget)}"
            parts.append(part)
            used += len(part) + 2
        return "{" + ", ".join(parts) + "}"
    if isinstance(value, (list, tuple)):
        if depth >= 2:
            return "[...]"
        items = [_compact(item, depth + 1, budget) for item in value[:8]]
        return "[" + ", ".join(items + (["..."] if len(value) > 8 else [])) + "]"
    if isinstance(value, BaseException):
        return f"{type(value).__name__}: {str(value)[: budget + 1]}"
    if isinstance(value, type):
        return f"<class {value.__qualname__}>"
    if callable(value):
        return f"<function {getattr(value, '__qualname__', type(value).__name__)}>"
    return f"<{type(value).__name__}>"


def dot_quote(text) -> str:
    """*text* as a DOT double-quoted string: quotes, backslashes, ``&`` and line
    breaks escaped, so a label taken from a message can never break the DOT.

    >>> print(dot_quote('say "hi" \\\\ & bye'))
    "say \\"hi\\" \\\\ &amp; bye"
    """
    text = str(text).replace("\\", "\\\\").replace('"', '\\"').replace("&", "&amp;")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    if not text.isprintable():
        text = "".join(c if c.isprintable() or c == "\\" else "?" for c in text)
    return f'"{text}"'


def device_colour(device) -> str:
    """The fill colour of a device's nodes (fixed for known devices, else by name).

    >>> device_colour("message@1.0")
    '#dbe9f6'
    """
    if device in DEVICE_COLOURS:
        return DEVICE_COLOURS[device]
    return PALETTE[zlib.crc32(str(device).encode("utf-8")) % len(PALETTE)]
