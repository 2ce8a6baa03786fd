"""Message IDs, as HyperBEAM computes them.

A message's **unsigned ID** commits to every public key and value it holds:
the message is encoded by the structured@1.0 and httpsig@1.0 codecs, and the ID
is HMAC-SHA256 (key ``ao``) over the HTTP signature base of that encoding (see
:mod:`aolab.codecs.httpsig`).  Key order, key case (except ID-length keys) and
private ``priv*`` keys never change an ID.

A committed message has IDs of several kinds, all from one rule: take a set
of commitment IDs; none -> the unsigned ID, one -> that ID, several -> the
SHA-256 of the sorted IDs joined by ``", "``.  Which set:

=====================================  ==================================  =============================================
aolab                                  HyperBEAM                           commitments used
=====================================  ==================================  =============================================
``id(m)``                              ``dev_message:id(M, #{commitments    every commitment (signatures and the hmac):
                                       => all})``, ``hb_message:id(M)``    the ID hashpaths, stores and caches use
``id(m, committers="all")``            ``hb_message:id(M, all)``           the signatures (commitments with a
                                                                           ``committer``): a process's ID
``id(m, committers="signed")``         ``hb_message:id(M, signed)``        the signatures of the message's signers
``id(m, committers=[address, ...])``   ``hb_message:id(M, [Address])``     those signers' signatures
``id(m, committers="none")``           ``hb_message:id(M, none)``          none: the unsigned ID of the content
=====================================  ==================================  =============================================

An ID is never taken from a claim: only commitments that verify count (a
forged, stale or unknown one is left out and the ID is recomputed), so
``id({"count": 1000, "commitments": {X: {}}})`` is the ID of ``{"count": 1000}``.

IDs are 32 bytes ("native"), shown as 43 base64url characters ("human").

Reference: HyperBEAM ``dev_message:id/3``, ``hb_message:id/2`` and ``hb_util``
at b2743e4a.
"""
from __future__ import annotations

import hashlib
import re

from .codecs import httpsig
from .codecs.base64url import b64url, b64url_decode
from .errors import EncodingError

_builtin_id = id

#: The ``committers`` spellings :func:`id` accepts besides a list of addresses.
ID_KINDS = (None, "all", "signed", "none")


def id(message, committers=None) -> str:  # noqa: A001 - the protocol's word
    """The 43-character ID of *message* (see the table above for *committers*).

    >>> id({"a": "1"})
    'N0nIQ3Vna7YDxuRsaVTYeYS4glkmxD4HrUbZIwIvN_s'
    """
    if not isinstance(message, dict):
        raise EncodingError(f"only messages have IDs, not a {type(message).__name__}")
    commitments = _commitments_of(message)
    if commitments is None:
        return human_id(httpsig.hmac_id(message))  # the common case: nothing to strip
    if committers == "none" or not commitments:
        return human_id(httpsig.hmac_id(_without_commitments(message)))
    if committers not in ID_KINDS and not isinstance(committers, (list, tuple)):
        raise EncodingError(f"committers={committers!r}: expected None, 'all', 'signed', 'none' "
                            "or a list of addresses", key="committers")
    verified = httpsig.verified_commitments({**message, "commitments": commitments})
    if committers is not None:
        wanted = set(committers) if isinstance(committers, (list, tuple)) else None
        verified = {k: c for k, c in verified.items() if "committer" in c
                    and (wanted is None or c["committer"] in wanted)}
    return of_commitments(verified) or human_id(httpsig.hmac_id(_without_commitments(message)))


def of_commitments(commitment_ids) -> str | None:
    """The ID named by a set of commitment IDs: None for none, the ID itself
    for one, else SHA-256 of the sorted IDs joined by ``", "`` (no quotes).

    >>> of_commitments(["N0nIQ3Vna7YDxuRsaVTYeYS4glkmxD4HrUbZIwIvN_s"])
    'N0nIQ3Vna7YDxuRsaVTYeYS4glkmxD4HrUbZIwIvN_s'
    """
    keys = sorted(commitment_ids)
    if not keys:
        return None
    if len(keys) == 1:
        return keys[0]
    return human_id(hashlib.sha256(", ".join(keys).encode("utf-8")).digest())


def _commitments_of(message: dict):
    """The message's commitments (any key case); None when it has no such key."""
    commitments = message.get("commitments")
    if commitments is None:  # the key in another case ("Commitments")
        commitments = next((v for k, v in message.items() if type(k) is str and len(k) == 11
                            and k.lower() == "commitments"), None)
    if commitments is not None and not isinstance(commitments, dict):
        raise EncodingError(f"'commitments' must be a message of commitment ID -> commitment, "
                            f"not a {type(commitments).__name__}", key="commitments")
    if commitments is None:
        return None
    bad = [k for k, c in commitments.items() if not (is_id(k) and isinstance(c, dict))]
    if bad:
        raise EncodingError(f"'commitments' must map 43-character commitment IDs to messages; "
                            f"{bad[0]!r} does not", key="commitments")
    return commitments


def _without_commitments(message: dict) -> dict:
    return {k: v for k, v in message.items()
            if not (type(k) is str and len(k) == 11 and k.lower() == "commitments")}


def human_id(native: bytes) -> str:
    """43-character base64url form of a 32-byte ID (other strings pass through)."""
    if isinstance(native, str):
        return native
    if len(native) != 32:
        raise EncodingError(f"a native ID has 32 bytes, not {len(native)}")
    return b64url(native)


def native_id(human) -> bytes:
    """32-byte form of a 43-character ID."""
    if isinstance(human, bytes) and len(human) == 32:
        return human
    if not isinstance(human, str) or len(human) != 43:
        raise EncodingError(f"{human!r} is not a 43-character ID")
    return b64url_decode(human)


#: 43 base64url characters in canonical form: the last one carries 4 bits and two zero bits.
_CANONICAL_ID = re.compile(r"[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]\Z")


def is_id(value) -> bool:
    """True for the canonical 43-character base64url spelling of 32 bytes (no
    ``+``, ``/``, ``.`` or padding, so one ID has exactly one spelling).

    >>> is_id("N0nIQ3Vna7YDxuRsaVTYeYS4glkmxD4HrUbZIwIvN_s"), is_id("../" * 14 + "x")
    (True, False)
    """
    return isinstance(value, str) and len(value) == 43 and _CANONICAL_ID.match(value) is not None


def address_of(modulus: bytes) -> str:
    """The address of an RSA public key: the SHA-256 of its modulus ``n``
    (big-endian bytes), base64url, as Arweave and HyperBEAM name a wallet."""
    return b64url(hashlib.sha256(modulus).digest())


def short_id(value: str, head: int = 5, tail: int = 5) -> str:
    """``abcde..vwxyz``: a 43-character ID shortened for display (other values pass through).

    >>> short_id("IWV-hhDDniPojOzgFci52JHPXF6Oy5ckjr3lQslz9Mc"), short_id("add")
    ('IWV-h..lz9Mc', 'add')
    """
    if isinstance(value, str) and len(value) == 43:
        return f"{value[:head]}..{value[len(value) - tail:]}"
    return value


def short_hashpath(hashpath, head: int = 5, tail: int = 5, unhashed: str = "(unhashed)") -> str:
    """A hashpath with each of its IDs shortened by :func:`short_id`; *unhashed*
    when there is no hashpath.

    >>> short_hashpath("IWV-hhDDniPojOzgFci52JHPXF6Oy5ckjr3lQslz9Mc/add", head=6, tail=0)
    'IWV-hh../add'
    """
    if not isinstance(hashpath, str):
        return unhashed
    return "/".join(short_id(part, head, tail) for part in hashpath.split("/"))
