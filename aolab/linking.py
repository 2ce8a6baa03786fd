"""Linking a step's result to its inputs: the hashpaths of one resolution step.

A step's result hashpath is ``base hashpath / request part``
(:func:`result_hashpath`); a base that is itself a result (a two-part
hashpath) is folded into one ID first, with its ``hashpath-alg``.  The
resolver computes these in one place (:func:`aolab.resolver.link_result`),
from :func:`step_inputs`.

What a caller hands in is not trusted: a base's claimed ``priv/hashpath`` is
kept only when the node's store holds that very message under it
(:func:`caller_base`), and a one-part claim (another message's ID) is never
taken where results are stored (:func:`base_hashpath`).

>>> result_hashpath("N0nIQ3Vna7YDxuRsaVTYeYS4glkmxD4HrUbZIwIvN_s", "a", "sha-256-chain")
'N0nIQ3Vna7YDxuRsaVTYeYS4glkmxD4HrUbZIwIvN_s/a'

Reference: HyperBEAM ``src/hb_path.erl`` (``hashpath/2,3,4``) at b2743e4a.
"""
from __future__ import annotations

import functools
import threading

from . import hashpaths as hp
from . import ids
from .context import as_context
from .errors import AolabError, EncodingError
from .previews import preview as _preview


def step_inputs(base: dict, request: dict, opts) -> tuple:
    """``(base hashpath, request part)`` of a step; ``(None, None)`` for a base
    that holds an inline device which cannot be encoded.  A base handed in by
    the caller has its claimed hashpath checked first (:func:`caller_base`)."""
    if base is opts.caller_base:
        base = caller_base(base, opts)
    try:  # inline devices' functions are encoded by stable references, so they have IDs
        return base_hashpath(base, opts), request_part(request)
    except (EncodingError, UnicodeError, RecursionError) as exc:
        device = base.get("device")
        if (device is not None and not isinstance(device, (str, bytes, dict))) \
                or holds_function(base) or holds_function(request):
            return None, None  # a device object that cannot be encoded: no ID
        raise EncodingError(f"cannot compute the hashpath of a step: {type(exc).__name__}: {exc}",
                            key=getattr(exc, "key", None), message=_preview(base)) from None


def request_part(request) -> str:
    """What *request* adds to a hashpath (``hp.request_part``).

    The last request seen on this thread is remembered until the outermost
    resolution ends (:func:`forget_requests`): a stack hands the same request
    (an assignment) to each of its devices, pass after pass.  (Requests are
    never changed in place; the check of its items is a guard.)"""
    if type(request) is dict and len(request) == 1:  # the common {"path": key}
        path = request.get("path")
        if type(path) is str and path and "/" not in path:
            return path
    seen, items, part = getattr(_requests, "last", _NOTHING)
    if request is seen and isinstance(request, dict) and tuple(request.items()) == items:
        return part
    part = hp.request_part(request)
    if isinstance(request, dict):
        _requests.last = (request, tuple(request.items()), part)
    return part


def forget_requests() -> None:
    """Drop the request :func:`request_part` remembers on this thread."""
    _requests.__dict__.pop("last", None)


_requests = threading.local()
_NOTHING = (None, None, None)


def result_hashpath(base_hp: str, part: str, alg: str) -> str:
    """``base hashpath / part``, a two-part base hashpath folded first (``hp.join``)."""
    if "/" not in base_hp:
        return f"{base_hp}/{part}"
    return f"{compressed_hashpath(base_hp, alg)}/{part}"


@functools.lru_cache(maxsize=512)
def compressed_hashpath(hashpath: str, alg: str) -> str:
    """``hp.compress``, remembered for the last 512 hashpaths (a base is read by many steps)."""
    return hp.compress(hashpath, alg)


def base_hashpath(base: dict, opts=None) -> str:
    """The hashpath a step continues: the two-part hashpath the base carries (a
    result), else the base's ID.  Where results are stored (the context *opts*
    has a store, even an empty one) a one-part claim is never taken, the ID is
    recomputed: the claim would name another message's ID, and the base would
    be stored under it."""
    priv = base.get("priv")
    carried = priv.get("hashpath") if isinstance(priv, dict) else None
    if isinstance(carried, str) and ("/" in carried or as_context(opts).store is None):
        return carried
    if carried is not None:
        base = without_hashpath(base)
    return ids.id(base)


def holds_function(value, _depth: int = 0) -> bool:
    """True when a callable (an inline device) sits anywhere inside *value*."""
    if callable(value) and not isinstance(value, type(None)):
        return True
    if _depth > 64:
        return False
    if isinstance(value, dict):
        return any(holds_function(v, _depth + 1) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(holds_function(v, _depth + 1) for v in value)
    return False


def hashpath_alg(base: dict) -> str:
    """The hashpath algorithm a base names (``sha-256-chain`` unless it names one)."""
    return hp.algorithm_of(base) if "hashpath-alg" in base else hp.DEFAULT_ALG


def caller_base(base: dict, opts) -> dict:
    """*base* as a caller hands it in, with any hashpath it claims checked
    (when a step's result is linked to it: a plain value stores nothing).

    Results are stored under the hashpaths of their bases, so a node keeps a
    claimed ``priv/hashpath`` only when it computed it: its store holds that
    very message (same public keys and values) under that hashpath.  Any other
    claim is dropped, and the base counts as a message never computed (its
    hashpath is its ID).  Without a store nothing is written, and the claim
    stays the caller's own business (a verifier recomputes it anyway).
    """
    priv = base.get("priv")
    if not isinstance(priv, dict) or "hashpath" not in priv:
        return base
    store = opts.store
    if store is None or opts.hashpath != "update":
        return base
    claim = priv["hashpath"]
    if isinstance(claim, str) and "/" in claim and holds_result(store, claim, base):
        return base
    return without_hashpath(base)


def holds_result(store, hashpath: str, message: dict) -> bool:
    """True when *store* holds *message* (its public keys and values) under *hashpath*."""
    try:
        stored = store.read(hashpath)
    except (AolabError, RecursionError):
        return False
    if stored is message:
        return True
    if not isinstance(stored, dict):
        return False
    try:
        return _public_items(stored) == _public_items(message)
    except RecursionError:
        return False


def _public_items(message: dict) -> dict:
    if "priv" not in message and not any(type(k) is str and k[:4].lower() == "priv" for k in message):
        return message
    return {k: v for k, v in message.items() if not (type(k) is str and k[:4].lower() == "priv")}


def with_hashpath(message: dict, hashpath: str) -> dict:
    """A copy of *message* carrying *hashpath* in ``priv/hashpath``."""
    new = dict(message)
    priv = new.get("priv")
    new["priv"] = {**priv, "hashpath": hashpath} if isinstance(priv, dict) else {"hashpath": hashpath}
    return new


def without_hashpath(message: dict) -> dict:
    """A copy of *message* without ``priv/hashpath``."""
    new = dict(message)
    new["priv"] = {k: v for k, v in new["priv"].items() if k != "hashpath"}
    return new
