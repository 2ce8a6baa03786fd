"""IDs of messages that do not change, computed once: a memo keyed by content.

A process computes the ID of its own process message on every slot (the scheduler
finds the schedule by it, json-iface@1.0 tells the module its ``Process.Id``), and the
ID of each scheduled message twice (the hash chain, then the module's ``Id``).  Those
messages never change, but Python dicts can: a memo keyed by the dict's identity would
answer the old ID for a dict changed in place.  This memo is keyed by the message's
*content*, frozen into nested tuples that carry every value's type (so ``1``, ``1.0``
and ``True`` differ): a changed message is a different key, and gets its own ID.

Freezing costs a walk over the message's keys; the large values in it are ``bytes``
and ``str`` objects, whose hash Python computes once per object and whose equality
with themselves is an identity check, so a lookup does not read a 500 KB image again.

>>> message = {"device": "process@1.0", "n": 1}
>>> id_of(message) == ids.id(message)
True
>>> message["n"] = 2          # changed in place: a new key, a new ID
>>> id_of(message) == ids.id(message) != ids.id({"device": "process@1.0", "n": 1})
True
"""
from __future__ import annotations

import threading
from collections import OrderedDict

from . import ids

#: Messages remembered (the least recently used are forgotten first).
SIZE = 2048

_memo: OrderedDict = OrderedDict()
_lock = threading.Lock()
_SCALARS = (str, bytes, int, float, bool, type(None))


class _Unfreezable(Exception):
    pass


def id_of(message, committers=None) -> str:
    """``ids.id(message, committers)``, remembered by content (see the module doc)."""
    try:
        key = (committers, _frozen(message, 0))
    except _Unfreezable:
        return ids.id(message, committers=committers)
    with _lock:
        found = _memo.get(key)
        if found is not None:
            _memo.move_to_end(key)
            return found
    found = ids.id(message, committers=committers)
    with _lock:
        _memo[key] = found
        while len(_memo) > SIZE:
            _memo.popitem(last=False)
    return found


def _frozen(value, depth: int):
    if depth > 64:
        raise _Unfreezable
    kind = type(value)
    if kind in _SCALARS:
        return (kind.__name__, value)
    if kind is dict:
        return ("map", tuple(sorted(((str(type(k).__name__), k), _frozen(v, depth + 1))
                                    for k, v in value.items())))
    if kind in (list, tuple):
        return (kind.__name__, tuple(_frozen(v, depth + 1) for v in value))
    raise _Unfreezable
