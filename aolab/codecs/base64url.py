"""base64url without padding (RFC 4648, section 5): how AO writes IDs, keys and signatures.

The one encoder and decoder of the package; :mod:`aolab.ids`, the wallet and
every codec import them from here.

>>> b64url(b"\\xfb\\xff"), b64url_decode("-_8")
('-_8', b'\\xfb\\xff')
"""
from __future__ import annotations

import base64
import binascii

from ..errors import EncodingError


def b64url(raw: bytes) -> str:
    """*raw* as unpadded base64url text."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """The bytes of base64url *text*, padded or not; :class:`EncodingError` if it is not."""
    if not isinstance(text, str):
        raise EncodingError(f"expected base64url text, got {type(text).__name__}")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise EncodingError(f"{text[:60]!r} is not base64url") from None
