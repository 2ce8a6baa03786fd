"""Message IDs, as HyperBEAM computes them.

A message's **unsigned ID** commits to every public key and value it holds:
the message is encoded by the structured@1.0 and httpsig@1.0 codecs, and the ID
is HMAC-SHA256 (key ``ao``) over the HTTP signature base of that encoding (see
:mod:`aolab.codecs.httpsig`).  Key order, key case (except ID-length keys) and
private ``priv*`` keys never change an ID.  A message with commitments has the
ID of its commitment when it has one; with several, hmac commitments step
aside for signed ones, and several signed ones give the SHA-256 of their sorted
IDs written as a structured-field list (``"id1", "id2"``).

IDs are 32 bytes ("native"), shown as 43 base64url characters ("human").

Reference: HyperBEAM ``dev_message:id/3`` and ``hb_util`` at b2743e4a.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import re

from .codecs.httpsig import hmac_id
from .errors import EncodingError

_builtin_id = id


def id(message, committers="all") -> str:  # noqa: A001 - the protocol's word
    """The 43-character ID of *message*.

    ``committers="none"`` ignores the message's commitments (its unsigned ID).

    >>> id({"a": "1"})
    'N0nIQ3Vna7YDxuRsaVTYeYS4glkmxD4HrUbZIwIvN_s'
    """
    if not isinstance(message, dict):
        raise EncodingError(f"only messages have IDs, not a {type(message).__name__}")
    commitments = None
    if committers != "none":
        commitments = message.get("commitments")
        if commitments is None:  # the key in another case ("Commitments")
            commitments = next((v for k, v in message.items() if type(k) is str and len(k) == 11
                                and k.lower() == "commitments"), None)
    if commitments is not None and not isinstance(commitments, dict):
        raise EncodingError(f"'commitments' must be a message of commitment ID -> commitment, "
                            f"not a {type(commitments).__name__}", key="commitments")
    if commitments:
        bad = [k for k, c in commitments.items() if not (is_id(k) and isinstance(c, dict))]
        if bad:
            raise EncodingError(f"'commitments' must map 43-character commitment IDs to messages; "
                                f"{bad[0]!r} does not", key="commitments")
        keys = sorted(commitments)
        if len(keys) > 1:  # hmac commitments step aside for signed ones
            keys = sorted(k for k, c in commitments.items()
                          if not (isinstance(c, dict) and c.get("alg") == "hmac-sha256")) or keys
        if len(keys) == 1:
            return keys[0]
        listed = ", ".join('"' + k + '"' for k in keys)  # a structured-field list
        return human_id(hashlib.sha256(listed.encode("utf-8")).digest())
    return human_id(hmac_id(message))


def human_id(native: bytes) -> str:
    """43-character base64url form of a 32-byte ID (other strings pass through)."""
    if isinstance(native, str):
        return native
    if len(native) != 32:
        raise EncodingError(f"a native ID has 32 bytes, not {len(native)}")
    return base64.urlsafe_b64encode(native).rstrip(b"=").decode("ascii")


def native_id(human) -> bytes:
    """32-byte form of a 43-character ID."""
    if isinstance(human, bytes) and len(human) == 32:
        return human
    if not isinstance(human, str) or len(human) != 43:
        raise EncodingError(f"{human!r} is not a 43-character ID")
    try:
        return base64.urlsafe_b64decode(human + "=")
    except (binascii.Error, ValueError):
        raise EncodingError(f"{human!r} is not base64url") from None


#: 43 base64url characters in canonical form: the last one carries 4 bits and two zero bits.
_CANONICAL_ID = re.compile(r"[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]\Z")


def is_id(value) -> bool:
    """True for the canonical 43-character base64url spelling of 32 bytes (no
    ``+``, ``/``, ``.`` or padding, so one ID has exactly one spelling).

    >>> is_id("N0nIQ3Vna7YDxuRsaVTYeYS4glkmxD4HrUbZIwIvN_s"), is_id("../" * 14 + "x")
    (True, False)
    """
    return isinstance(value, str) and len(value) == 43 and _CANONICAL_ID.match(value) is not None


def short_id(value: str) -> str:
    """``abcde..vwxyz``: a 43-character ID shortened for display."""
    if isinstance(value, str) and len(value) == 43:
        return f"{value[:5]}..{value[-5:]}"
    return value
