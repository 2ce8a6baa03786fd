"""Messages: maps of normalised keys to values.

A message is a plain ``dict`` whose keys are strings and whose values are
``str``/``bytes`` (HyperBEAM binaries), ``int``, ``float``, ``bool``/``None``
(the atoms ``true``/``false``/``null``), lists, or nested messages.

Keys are normalised as HyperBEAM's ``hb_ao:normalize_key/1`` does: lower-cased,
except keys of 32, 42 or 43 characters, which are taken to be IDs and kept as
they are.  Integer keys become their decimal string.  Keys that begin with
``priv`` are private: they never take part in an ID (``hb_private``).
"""
from __future__ import annotations

from .errors import MessageError

ID_LENGTHS = (32, 42, 43)
PRIVATE_PREFIX = "priv"


def normalize_key(key) -> str:
    """Return *key* as HyperBEAM normalises it (``hb_ao:normalize_key/1``).

    >>> normalize_key("Content-Type")
    'content-type'
    >>> normalize_key(3)
    '3'
    """
    if isinstance(key, str):
        return key if len(key) in ID_LENGTHS else key.lower()
    if isinstance(key, bytes):
        try:
            return normalize_key(key.decode("utf-8"))
        except UnicodeDecodeError:
            raise MessageError(f"key {key!r} is not valid UTF-8", key=key) from None
    if isinstance(key, bool):
        raise MessageError(f"key {key!r} is a boolean; keys are strings", key=key)
    if isinstance(key, int):
        return str(key)
    raise MessageError(
        f"key {key!r} has type {type(key).__name__}; keys are strings", key=key
    )


def is_private(key: str) -> bool:
    """True when *key* is private (begins with ``priv``) and never part of an ID."""
    return key[:4].lower() == PRIVATE_PREFIX


class _Unset:
    """The ``unset`` value: setting a key to it removes the key."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __reduce__(self):
        return (_Unset, ())


UNSET = _Unset()


def public_keys(message: dict) -> list[str]:
    """The message's keys without private ones, sorted as HyperBEAM lists them."""
    return sorted(k for k in message if not is_private(k))


def get_key(message: dict, key: str):
    """The value of *key*, matched case-insensitively (RFC 9110), or raise KeyError."""
    if key in message:
        return message[key]
    wanted = normalize_key(key)
    found = [k for k in message if isinstance(k, str) and normalize_key(k) == wanted]
    if len(found) > 1:
        raise MessageError(f"keys {', '.join(repr(k) for k in sorted(found))} all normalise to "
                           f"{wanted!r}: the message is ambiguous", key=wanted)
    if found:
        return message[found[0]]
    raise KeyError(key)


def deep_merge(base: dict, new: dict) -> dict:
    """*new* merged into *base*: nested messages merge, other values replace."""
    merged = dict(base)
    for key, value in new.items():
        old = merged.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            merged[key] = deep_merge(old, value)
        else:
            merged[key] = value
    return merged
