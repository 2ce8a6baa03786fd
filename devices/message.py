"""message@1.0: the identity device.

Every message without a ``device`` key is resolved by this device, and every
other device falls back to it for keys it does not implement.  For an ordinary
key it returns the value stored under that key, matched case-insensitively;
private keys (``priv*``) are never returned.  Reserved keys:

``keys``
    the public keys, sorted.
``set``
    a copy of the base with the request's keys set (nested messages deep-merged;
    ``set-mode: explicit`` replaces instead).  A key written as a path
    (``a/b/c``) sets a nested key; the value ``aolab.UNSET`` removes the key.
``set-path``
    the base with ``path`` set to the request's ``value``.
``remove``
    the base without ``item`` (one key) or ``items`` (a list of keys).
``id``
    the message's ID over every commitment that verifies (``dev_message:id``);
    ``committers: all`` (the signatures), ``signed``, a list of addresses, or
    ``none`` (the unsigned ID) pick the other ID kinds (see :mod:`aolab.ids`).
``commit`` / ``verify`` / ``committers`` / ``committed``
    commitments in httpsig@1.0 form: rsa-pss-sha512 signatures by the node's
    wallet plus the hmac-sha256 commitment (hmac only when the node has no
    wallet, or with ``type: unsigned``); ``verify`` checks the request's
    ``body`` when it has one, else the base; ``committed`` lists the keys the
    commitments cover (``hb_message:committed/1``).

>>> import aolab
>>> aolab.resolve({"a": {"b": "RESULT"}}, "a/b")
'RESULT'
>>> aolab.resolve({"a": 1, "b": 2}, "keys")
['a', 'b']
>>> aolab.resolve({"a": 1}, {"path": "set", "c": 3})["c"]
3

Reference: HyperBEAM src/dev_message.erl at b2743e4a.
"""
from __future__ import annotations

from aolab import ids, signing
from aolab.codecs import httpsig
from aolab.context import as_context
from aolab.errors import KeyNotFound, MessageError
from aolab.message import UNSET, deep_merge, get_key, is_private, normalize_key, public_keys

NAME = "message@1.0"

#: Keys of the request that ``set`` never copies into the base.
RESERVED = frozenset(("id", "commitments", "committers", "keys", "path", "set", "remove",
                      "verify", "set-mode", "priv", "hashpath"))


def _get(key, base, request=None, opts=None):
    """Return the value of *key* in *base* (case-insensitive; never private keys)."""
    if is_private(key):
        raise KeyNotFound(f"key {key!r} is private and cannot be read", key=key, device=NAME)
    try:
        return get_key(base, key)
    except KeyError:
        raise KeyNotFound(
            f"key {key!r} not found in message (it has {', '.join(public_keys(base)) or 'no keys'})",
            key=key, device=NAME) from None


def info():
    """The device's info: any other key is read from the message (``get``)."""
    return {"default": _get}


def keys(base):
    """The public keys of the message, sorted."""
    return public_keys(base)


def set(base, request):  # noqa: A001 - the key is called `set`
    """Set every non-reserved key of *request* in *base*."""
    merged = base
    explicit = request.get("set-mode") == "explicit"
    for raw_key, value in request.items():
        key = normalize_key(raw_key)
        if key in RESERVED:
            continue
        merged = _set_one(merged, key.split("/") if "/" in key else [key], value, explicit)
    return merged


def _set_one(message: dict, parts: list, value, explicit: bool) -> dict:
    key, rest = parts[0], parts[1:]
    if not key:
        raise MessageError(f"set: empty key in path {'/'.join(parts)!r}", key="/".join(parts))
    new = dict(message)
    if rest:
        inner = new.get(key)
        new[key] = _set_one(inner if isinstance(inner, dict) else {}, rest, value, explicit)
    elif value is UNSET:
        new.pop(key, None)
    elif not explicit and isinstance(value, dict) and isinstance(new.get(key), dict):
        new[key] = deep_merge(new[key], _drop_unset(value))
    else:
        new[key] = value
    return new


def _drop_unset(value: dict) -> dict:
    return {k: v for k, v in value.items() if v is not UNSET}


def set_path(base, request):
    """The base with its ``path`` set to the request's ``value``."""
    return {**base, "path": request.get("value")}


def remove(base, request):
    """The base without ``item`` or ``items``."""
    items = request.get("items")
    if items is None:
        if "item" not in request:
            raise MessageError("remove needs 'item' or 'items' in the request", key="item", device=NAME)
        items = [request["item"]]
    drop = {normalize_key(k) for k in items}
    return {k: v for k, v in base.items() if normalize_key(k) not in drop}


def id(base, request):  # noqa: A001 - the key is called `id`
    """The message's ID (``committers`` picks the ID kind)."""
    return ids.id(base, committers=request.get("committers"))


def commit(base, request, opts=None):
    """The message with a commitment added: signed (rsa-pss-sha512) by the
    node's wallet when it has one, else hmac-sha256; ``type: unsigned``
    asks for hmac."""
    wallet = as_context(opts).wallet
    if wallet is not None and request.get("type", "signed") != "unsigned":
        return signing.sign(_target(base, request), wallet)
    return httpsig.commit(_target(base, request))


def verify(base, request):
    """True when every commitment of the target message verifies."""
    return httpsig.verify(_target(base, request))


def committers(base):
    """The committers (addresses) of the message's commitments."""
    return httpsig.committers(base)


def committed(base, request):
    """The keys the target message's commitments cover, sorted."""
    return httpsig.committed_keys(_target(base, request))


def _target(base, request):
    body = request.get("body")
    return body if isinstance(body, dict) else base
