"""Hashpaths: the 32-byte commitment to a computation's whole lineage.

A message that was never computed has a hashpath equal to its ID.  Applying a
request to a base gives ``<base-hashpath>/<request-id>``; when the base's
hashpath already has two parts ``A/B``, they are first folded into one with the
base's hashpath algorithm (``hashpath-alg``):

- ``sha-256-chain`` (the default): ``SHA-256(native(A) + native(B))``;
- ``accumulate-256``: ``native(A) + SHA-256(native(A) + native(B))`` as 256-bit
  integers, modulo 2**256.

A request that holds nothing but ``path`` contributes its first path segment,
not an ID; such a segment enters the fold as its raw UTF-8 bytes.

Reference: HyperBEAM ``src/hb_path.erl`` (``hashpath/2,3,4``,
``verify_hashpath/2``) and ``src/hb_crypto.erl`` at b2743e4a.
"""
from __future__ import annotations

import hashlib

from . import ids
from .errors import HashpathError
from .path import path_parts

#: Keys that never make a request "more than a path" (``?AO_CORE_KEYS``).
CORE_KEYS = frozenset(("path", "hashpath", "priv"))
DEFAULT_ALG = "sha-256-chain"


def sha256_chain(first: bytes, second: bytes) -> bytes:
    """``SHA-256(first + second)``, where *first* is a 32-byte native ID."""
    if len(first) != 32:
        raise HashpathError(f"cannot chain {first!r}: the first part must be a 32-byte ID")
    return hashlib.sha256(first + second).digest()


def accumulate_256(first: bytes, second: bytes) -> bytes:
    """``first + SHA-256(first + second)`` as 256-bit big-endian integers, mod 2**256."""
    total = int.from_bytes(first, "big") + int.from_bytes(sha256_chain(first, second), "big")
    return (total % (1 << 256)).to_bytes(32, "big")


ALGORITHMS = {"sha-256-chain": sha256_chain, "accumulate-256": accumulate_256}


def hashpath_of(message) -> str:
    """The hashpath a message carries (``priv/hashpath``), else its ID.

    >>> hashpath_of({"a": "1"})
    'N0nIQ3Vna7YDxuRsaVTYeYS4glkmxD4HrUbZIwIvN_s'
    """
    if isinstance(message, str):
        return message
    if isinstance(message, bytes):
        return ids.human_id(hashlib.sha256(message).digest())
    if not isinstance(message, dict):
        raise HashpathError(f"a {type(message).__name__} has no hashpath; expected a message")
    priv = message.get("priv")
    if isinstance(priv, dict):
        carried = priv.get("hashpath")
        if carried is not None:
            return carried
    return ids.id(message)


def request_part(request) -> str:
    """What a request contributes to a hashpath: its first path segment if it
    holds only ``path``, otherwise its ID."""
    if isinstance(request, str):
        return (path_parts(request) or [request])[0]
    if not isinstance(request, dict):
        raise HashpathError(f"a request must be a message or a path, not {type(request).__name__}")
    path = request.get("path")
    if path is not None and all(key in CORE_KEYS for key in request):
        parts = path_parts(path)
        if parts:
            return str(parts[0])
    return ids.id(request)


def algorithm_of(message) -> str:
    """The hashpath algorithm named by a message's ``hashpath-alg`` key."""
    if isinstance(message, dict):
        name = message.get("hashpath-alg", DEFAULT_ALG)
        if name not in ALGORITHMS:
            raise HashpathError(
                f"hashpath-alg {name!r} is unknown; expected one of {sorted(ALGORITHMS)}",
                key="hashpath-alg",
            )
        return name
    return DEFAULT_ALG


def next_hashpath(prev, request, alg: str | None = None) -> str:
    """The hashpath of the result of applying *request* to *prev*.

    *prev* is a message or a hashpath string; *request* a message or a path.

    >>> next_hashpath({"a": "1"}, {"path": "key1"})
    'N0nIQ3Vna7YDxuRsaVTYeYS4glkmxD4HrUbZIwIvN_s/key1'
    """
    if alg is None:
        alg = algorithm_of(prev)
    return join(hashpath_of(prev), request_part(request), alg)


def join(prev_hashpath: str, part: str, alg: str = DEFAULT_ALG) -> str:
    """Append one request part to a hashpath, folding a two-part base first."""
    head, sep, tail = prev_hashpath.partition("/")
    if not sep:
        return f"{prev_hashpath}/{part}"
    if "/" in tail:
        raise HashpathError(f"hashpath {prev_hashpath!r} has more than two parts")
    fold = ALGORITHMS[alg]
    second = ids.native_id(tail) if len(tail) == 43 else tail.encode("utf-8")
    return f"{ids.human_id(fold(_native(head, prev_hashpath), second))}/{part}"


def compress(hashpath: str, alg: str = DEFAULT_ALG) -> str:
    """The one-ID form a two-part hashpath takes as the base of the next step
    (``HashpathAlg(A, B)``); a one-part hashpath is itself.

    >>> compress("N0nIQ3Vna7YDxuRsaVTYeYS4glkmxD4HrUbZIwIvN_s")
    'N0nIQ3Vna7YDxuRsaVTYeYS4glkmxD4HrUbZIwIvN_s'
    """
    if "/" not in hashpath:
        return hashpath
    return join(hashpath, "x", alg)[:-2]


def _native(human: str, whole: str) -> bytes:
    try:
        return ids.native_id(human)
    except Exception:
        raise HashpathError(f"hashpath {whole!r}: {human!r} is not a 43-character ID") from None


def verify_hashpath(messages) -> bool:
    """Check a chain ``[m1, m2, m3, ...]`` where each ``m(k+2)`` claims to be the
    result of applying ``m(k+1)`` to ``m(k)`` (``hb_path:verify_hashpath/2``).

    >>> m1, m2 = {"test": "initial"}, {"firstapplied": "msg2"}
    >>> m3 = {"priv": {"hashpath": next_hashpath(m1, m2)}}
    >>> verify_hashpath([m1, m2, m3])
    True
    """
    messages = list(messages)
    if len(messages) < 3:
        raise HashpathError("verify_hashpath needs at least three messages: base, request, result")
    for base, request, result in zip(messages, messages[1:], messages[2:]):
        if next_hashpath(base, request) != hashpath_of(result):
            return False
    return True
