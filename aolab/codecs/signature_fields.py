"""The RFC 9421 signature fields of httpsig@1.0 commitments: their names, the
``signature`` and ``signature-input`` dictionaries, and one signature-input parsed.

>>> parse_signature_input('http-sig-1=("a" "@path");alg="hmac-sha256";keyid="ao"')[:3]
('http-sig-1', ['a', '@path'], {'alg': 'hmac-sha256', 'keyid': 'ao'})
"""
from __future__ import annotations

import functools

from ..errors import CommitmentError, EncodingError
from . import structured


def signature_name(address: str) -> str:
    """``http-sig-<hex of bytes 1..8 of the address>`` (HyperBEAM's signature label)."""
    from ..ids import native_id
    return "http-sig-" + native_id(address)[1:9].hex()


def parse_signature_input(text: str) -> tuple[str, list, dict, bytes]:
    """``(name, identifiers, params, inner bytes)`` of a one-entry signature-input."""
    if not isinstance(text, (str, bytes)):
        raise CommitmentError(f"signature-input must be text, not {type(text).__name__}")
    name, identifiers, params, inner = _parse_signature_input(text)
    return name, list(identifiers), dict(params), inner


@functools.lru_cache(maxsize=1024)
def _parse_signature_input(text) -> tuple:
    raw = text.encode() if isinstance(text, str) else bytes(text)
    name, sep, inner = raw.partition(b"=")
    if not sep or not inner.startswith(b"(") or b")" not in inner:
        raise CommitmentError(f"malformed signature-input {raw[:60]!r}")
    close = inner.index(b")")
    identifiers = [i.decode() for i in structured.parse_sf_string_list(inner[1:close].replace(b'" "', b'", "'))] \
        if close > 1 else []
    params, rest = {}, inner[close + 1:]
    while rest.startswith(b";"):
        eq = rest.index(b"=")
        key = rest[1:eq].decode()
        value, end = structured.parse_sf_string(rest, eq + 1)
        params[key] = value.decode()
        rest = rest[end:]
    if rest.strip():
        raise CommitmentError(f"malformed signature-input parameters {rest[:40]!r}")
    return name.decode(), tuple(identifiers), tuple(params.items()), inner


def signature_entries(text) -> dict:
    """``{name: serialised value}`` of a signature or signature-input dictionary."""
    if not isinstance(text, str):
        raise CommitmentError(f"a signature field must be text, not {type(text).__name__}")
    try:
        return structured.dictionary_entries(text)
    except EncodingError as exc:
        raise CommitmentError(f"malformed signature dictionary: {exc}") from None
