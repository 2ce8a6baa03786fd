"""httpsig@1.0: messages as HTTP messages, their signature base and hmac IDs.

A TABM (see :mod:`aolab.codecs.structured`) becomes HTTP header fields plus an
optional body:

- small binaries (up to 4096 bytes) are header fields;
- ``body``, the inline key (``data`` when there is no ``body``, announced by
  ``inline-body-key: data``), binaries over 4096 bytes and nested messages go
  into the body; a lone inline binary is the body itself, anything else a
  ``multipart/form-data`` body whose parts are named by their path
  (``a``, ``a/b``; a boundary derived from the parts' SHA-256) and listed in
  ``body-keys``;
- a body is committed to by ``content-digest: sha-256=:<base64>:``;
- keys of 32, 42 or 43 characters (IDs) with binary values are grouped into one
  ``ao-ids`` dictionary field, so their case survives.

The unsigned ID of a message is HMAC-SHA256, keyed ``ao``, over the RFC 9421
signature base of every field (the body replaced by its digest): one line
``"name": value`` per field in sorted order (values trimmed of spaces, line
feeds turned into spaces; derived components such as ``@path`` named without
their ``@``), then ``"@signature-params": (...);alg="hmac-sha256";keyid="ao"``.

Reference: HyperBEAM ``src/dev_codec_httpsig.erl`` and
``src/dev_codec_httpsig_conv.erl`` at b2743e4a.
"""
from __future__ import annotations

import base64
import hashlib
import hmac as _hmac

from ..errors import CommitmentError, EncodingError
from . import structured
from .structured import sf_string

MAX_HEADER_LENGTH = 4096
CRLF = b"\r\n"
DERIVED_COMPONENTS = frozenset(("method", "target-uri", "authority", "scheme", "request-target",
                                "path", "query", "query-param", "status"))
STRIPPED = ("commitments", "signature", "signature-input", "priv")
HMAC_PARAMS = b';alg="hmac-sha256";keyid="ao"'
ID_LENGTHS = (32, 42, 43)


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


# -- TABM -> HTTP message ------------------------------------------------------

def to_http(tabm: dict) -> dict:
    """The HTTP form of a TABM: header fields (str -> bytes) and maybe ``body``.

    Includes ``body-keys`` for multipart bodies and ``content-digest`` whenever
    there is a body (``dev_codec_httpsig_conv:to/1``).
    """
    fields = _group_ids({k: v for k, v in tabm.items() if k not in STRIPPED})
    inline_headers, inline_key = _inline_key(tabm)
    headers: dict = dict(inline_headers)
    body_map: dict = {}
    for key, value in fields.items():
        if key == "body" or key == inline_key or isinstance(value, dict) or len(value) > MAX_HEADER_LENGTH:
            body_map[key] = value
        else:
            headers[key] = value
    grouped = _group_maps(body_map, "", {})
    if not grouped:
        return headers
    sole = grouped.get(inline_key)
    if len(grouped) == 1 and isinstance(sole, bytes):
        headers["body"] = sole
    else:
        parts = sorted((_part_name(k, v), _encode_part(k, v, inline_key)) for k, v in grouped.items())
        parts = [(name, data) for name, data in parts]
        boundary = b64url(hashlib.sha256(CRLF.join(data for _, data in parts)).digest()).encode()
        body = CRLF.join(b"--" + boundary + CRLF + data for _, data in parts)
        headers["body-keys"] = b", ".join(sf_string(name.encode()) for name, _ in parts)
        headers["content-type"] = b'multipart/form-data; boundary="' + boundary + b'"'
        headers["body"] = body + CRLF + b"--" + boundary + b"--"
    if headers["body"]:
        headers["content-digest"] = content_digest(headers["body"])
    return headers


def content_digest(body: bytes) -> bytes:
    return b"sha-256=" + structured.sf_binary(hashlib.sha256(body).digest())


def _group_ids(fields: dict) -> dict:
    ids = {k: v for k, v in fields.items() if len(k) in ID_LENGTHS and isinstance(v, bytes)}
    if not ids:
        return fields
    out = {k: v for k, v in fields.items() if k not in ids}
    out["ao-ids"] = structured.sf_dictionary((k.encode(), sf_string(ids[k])) for k in sorted(ids))
    return out


def _inline_key(tabm: dict) -> tuple[dict, str]:
    explicit = tabm.get("inline-body-key")
    if explicit:
        return {}, structured.binary_to_text(structured.as_binary(explicit))
    if "body" in tabm:
        return {}, "body"
    if "data" in tabm:
        return {"inline-body-key": b"data"}, "data"
    return {}, "body"


def _group_maps(values: dict, parent: str, top: dict) -> dict:
    """Flatten nested messages into parts named by their path (``group_maps``)."""
    flat: dict = {}
    for key, value in values.items():
        flat_key = key if not parent else f"{parent}/{key}"
        if isinstance(value, dict):
            _group_maps(value, flat_key, top)
        elif len(value) > MAX_HEADER_LENGTH:
            top[flat_key] = value
        else:
            flat[key] = value
    if flat:
        if parent:
            top[parent] = flat
        else:
            top.update(flat)
    return top


def _part_name(key: str, value) -> str:
    return key


def _encode_part(key: str, value, inline_key: str) -> bytes:
    if isinstance(value, dict) and list(value) == ["body"]:
        key, inline_key = f"{key}/body", "body"
    disposition = b"inline" if key == inline_key else b'form-data;name="' + key.encode() + b'"'
    if isinstance(value, bytes):
        return b"content-disposition: " + disposition + CRLF + CRLF + value
    fields = {**value, "content-disposition": disposition}
    head = CRLF.join(k.encode() + b": " + v for k, v in sorted(fields.items()) if k != "body")
    body = fields.get("body", b"")
    return head + CRLF + CRLF + body if body else head


# -- signature base and the hmac ID ----------------------------------------------

def signature_base(fields: dict) -> bytes:
    """The RFC 9421 signature base of every field, as the hmac ID uses it."""
    identifiers = sorted(("@" + k if k in DERIVED_COMPONENTS else k) for k in fields)
    lines = []
    for ident in identifiers:
        name = ident[1:] if ident.startswith("@") else ident
        value = fields[name].strip(b" ").replace(b"\n", b" ")
        lines.append(sf_string(name.encode()) + b": " + value)
    params = b"(" + b" ".join(sf_string(i.lower().encode()) for i in identifiers) + b")" + HMAC_PARAMS
    return b"\n".join(lines) + b'\n"@signature-params": ' + params


def hmac_fields(message: dict) -> dict:
    """The fields an hmac ID covers: the HTTP form, body replaced by its digest."""
    http = to_http(structured.to_tabm(message))
    http.pop("body-keys", None)
    body = http.pop("body", None)
    if body is not None:
        http["content-digest"] = content_digest(body)
    return http


def hmac_id(message: dict) -> bytes:
    """The native (32-byte) unsigned ID of *message*, ignoring commitments."""
    unsigned = {k: v for k, v in message.items() if k != "commitments"}
    return _hmac.new(b"ao", signature_base(hmac_fields(unsigned)), hashlib.sha256).digest()


# -- commitments -------------------------------------------------------------------

HMAC_COMMITMENT = {"alg": "hmac-sha256", "commitment-device": "httpsig@1.0"}


def commit(message: dict) -> dict:
    """*message* with an hmac-sha256 commitment (its ID) added."""
    if not isinstance(message, dict):
        raise CommitmentError(f"can only commit to a message, not a {type(message).__name__}")
    commitments = {k: v for k, v in (message.get("commitments") or {}).items()
                   if not _is_hmac(v)}
    commitments[b64url(hmac_id(message))] = dict(HMAC_COMMITMENT)
    return {**message, "commitments": commitments}


def verify(message: dict) -> bool:
    """True when every hmac commitment of *message* matches its content."""
    commitments = message.get("commitments") or {}
    if not commitments:
        return False
    expected = b64url(hmac_id(message))
    for commitment_id, commitment in commitments.items():
        if _is_hmac(commitment) and commitment_id != expected:
            return False
        if not _is_hmac(commitment):
            raise CommitmentError(f"commitment {commitment_id!r} is not an hmac-sha256 commitment; "
                                  "signed commitments need a wallet-aware verifier")
    return True


def committers(message: dict) -> list:
    """The committer addresses of the message's commitments."""
    return [c["committer"] for c in (message.get("commitments") or {}).values()
            if isinstance(c, dict) and "committer" in c]


def _is_hmac(commitment) -> bool:
    return isinstance(commitment, dict) and commitment.get("alg") == "hmac-sha256"


__all__ = ["to_http", "signature_base", "hmac_id", "commit", "verify", "committers",
           "content_digest", "EncodingError"]
