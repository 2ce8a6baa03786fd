"""httpsig@1.0 both ways: a message as the HTTP message a node sends, and back.

:func:`to_http` gives header fields (``str -> bytes``) and maybe a ``body``, as
:func:`aolab.codecs.httpsig.tabm_to_http` lays a TABM out, plus the
``signature`` and ``signature-input`` fields of a signed message (every
signer's, as its hmac commitment carries them).  :func:`from_http` reads such a
message back: the multipart body split into its named parts, part names
(``a/b``) nested again, ``ao-ids`` ungrouped, ``ao-types`` decoded, and the
commitments rebuilt from the signature fields (one rsa-pss-sha512 commitment
per signature, then the hmac commitment), so that::

    from_http(to_http(m)) == m          # private keys aside

and a signed message still verifies after the round trip.  A raw binary passes
through both unchanged, as in HyperBEAM.

>>> from aolab.codecs.httpsig_conv import to_http, from_http
>>> http = to_http({"a": "1", "n": 2, "sub": {"x": "y"}})
>>> sorted(http)
['a', 'ao-types', 'body', 'body-keys', 'content-digest', 'content-type', 'n']
>>> from_http(http)
{'a': '1', 'n': 2, 'sub': {'x': 'y'}}

Limits: a value inside a multipart part cannot hold ``\\r\\n`` (the part's
header lines end there), in HyperBEAM as here.

Reference: HyperBEAM ``src/dev_codec_httpsig_conv.erl`` (``to/1``, ``from/1``)
at b2743e4a.
"""
from __future__ import annotations

import base64
import hashlib

from ..errors import EncodingError
from . import httpsig, structured
from .structured import binary_to_text, parse_sf_dictionary, parse_sf_string_list

CRLF = b"\r\n"


def to_http(message):
    """The HTTP form of *message*: ``{field: bytes, ..., "body": bytes}``."""
    if isinstance(message, bytes):
        return message
    if not isinstance(message, dict):
        raise EncodingError(f"httpsig@1.0 encodes messages or binaries, not a {type(message).__name__}")
    commitments = httpsig._commitments(message)
    http = httpsig.tabm_to_http(structured.to_tabm({k: v for k, v in message.items()
                                                    if k != "commitments"}))
    signed = {k: c for k, c in commitments.items() if not httpsig._is_hmac(c)}
    if signed:
        carried = httpsig._hmac_commitment(signed)
        http["signature"] = carried["signature"].encode()
        http["signature-input"] = carried["signature-input"].encode()
    return http


def from_http(http):
    """The message an HTTP form holds (the inverse of :func:`to_http`)."""
    if isinstance(http, bytes):
        return http
    if not isinstance(http, dict):
        raise EncodingError(f"httpsig@1.0 decodes an HTTP message (a dict of fields) or a "
                            f"binary, not a {type(http).__name__}")
    fields = {}
    for key, value in http.items():
        if not isinstance(key, str):
            raise EncodingError(f"HTTP field name {key!r} is not text", key=str(key))
        fields[key.lower() if len(key) not in (32, 42, 43) else key] = _field_bytes(key, value)
    body = fields.pop("body", b"")
    signature = fields.pop("signature", None)
    signature_input = fields.pop("signature-input", None)
    inline_key = structured.binary_to_text(fields.get("inline-body-key", b"body"))
    tabm = {k: v for k, v in fields.items() if k not in ("body-keys", "content-digest")}
    if body:
        if "content-digest" in fields and fields["content-digest"] != httpsig.content_digest(body):
            raise EncodingError("the body does not match its content-digest", key="content-digest")
        boundary = _boundary(fields.get("content-type"))
        if boundary is None:
            tabm[inline_key] = body
        else:
            tabm.pop("content-type")
            _merge_parts(tabm, _parts(body, boundary, inline_key))
    if tabm.get("inline-body-key") == b"data" and "data" in tabm and "body" not in tabm:
        del tabm["inline-body-key"]  # written by the encoder for a `data` key
    tabm = _ungroup_ids(tabm)
    try:
        message = structured.from_tabm(tabm)
    except (ValueError, KeyError, IndexError, TypeError, UnicodeDecodeError) as exc:
        raise EncodingError(f"the HTTP message's fields do not decode: {exc}") from None
    if signature is not None:
        message["commitments"] = _commitments(signature, signature_input)
        message = httpsig.commit(message)
    return message


def _field_bytes(key, value) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return structured.as_binary(value, key)
    raise EncodingError(f"HTTP field {key!r} must be bytes or text, not {type(value).__name__}", key=key)


def _boundary(content_type):
    if not content_type or not content_type.startswith(b"multipart/form-data"):
        return None
    _, sep, rest = content_type.partition(b"boundary=")
    if not sep:
        raise EncodingError("a multipart/form-data body needs a boundary", key="content-type")
    return rest.strip().strip(b'"')


def _parts(body: bytes, boundary: bytes, inline_key: str) -> dict:
    """``{part name: bytes or {field: bytes}}`` of a multipart body."""
    start, end = b"--" + boundary + CRLF, CRLF + b"--" + boundary + b"--"
    if not body.startswith(start) or not body.endswith(end):
        raise EncodingError("the multipart body does not open and close with its boundary",
                            key="body")
    parts = {}
    for part in body[len(start):-len(end)].split(CRLF + b"--" + boundary + CRLF):
        head, _, content = part.partition(CRLF + CRLF)
        headers = {}
        for line in head.split(CRLF):
            name, sep, value = line.partition(b": ")
            if not sep:
                raise EncodingError(f"malformed multipart header line {line[:60]!r}", key="body")
            text = name.decode("utf-8", "replace")
            headers[text if len(text) in httpsig.ID_LENGTHS else text.lower()] = value
        disposition = headers.pop("content-disposition", None)
        if disposition is None:
            raise EncodingError("a multipart part has no content-disposition", key="body")
        name = inline_key if disposition == b"inline" else _part_name(disposition)
        if headers:
            if content:
                headers["body"] = content
            parts[name] = headers
        else:
            parts[name] = content
    return parts


def _part_name(disposition: bytes) -> str:
    _, sep, rest = disposition.partition(b'name="')
    if not sep or not rest.endswith(b'"'):
        raise EncodingError(f"multipart content-disposition {disposition[:60]!r} names no part",
                            key="body")
    return rest[:-1].decode("utf-8")


def _merge_parts(tabm: dict, parts: dict) -> None:
    """Nest parts named by a path (``a/b``) as ``dev_codec_flat:from`` does."""
    for name in sorted(parts, key=lambda n: n.count("/")):
        *path, last = name.split("/")
        target = tabm
        for step in path:
            target = target.setdefault(step, {})
            if not isinstance(target, dict):
                raise EncodingError(f"part {name!r} nests under a binary", key=name)
        value = parts[name]
        if isinstance(value, dict) and isinstance(target.get(last), dict):
            target[last].update(value)
        else:
            target[last] = value


def _ungroup_ids(tabm: dict) -> dict:
    grouped = tabm.pop("ao-ids", None)
    if grouped is not None:
        for key, value in parse_sf_dictionary(grouped).items():
            tabm[key.decode("utf-8")] = value
    return tabm


def _commitments(signature: bytes, signature_input) -> dict:
    """One rsa-pss-sha512 commitment per entry of the signature dictionary."""
    from ..ids import address_of
    from .base64url import b64url_decode

    if signature_input is None:
        raise EncodingError("a 'signature' field needs its 'signature-input'", key="signature-input")
    sigs = httpsig._sf_entries(signature.decode("ascii", "replace"))
    inputs = httpsig._sf_entries(signature_input.decode("utf-8", "replace"))
    commitments = {}
    for name, value in sigs.items():
        if name not in inputs:
            raise EncodingError(f"signature {name!r} has no signature-input", key="signature-input")
        params = httpsig.parse_signature_input(f"{name}={inputs[name]}")[2]
        try:
            raw = base64.b64decode(value.strip(":"), validate=True)
            committer = address_of(b64url_decode(params["keyid"]))
        except (ValueError, KeyError) as exc:
            raise EncodingError(f"signature {name!r} is malformed: {exc}", key="signature") from None
        commitments[httpsig.b64url(hashlib.sha256(raw).digest())] = {
            "commitment-device": httpsig.DEVICE, "alg": params.get("alg", httpsig.RSA_ALG),
            "committer": committer, "signature": f"{name}={value}",
            "signature-input": f"{name}={inputs[name]}"}
    return commitments


__all__ = ["to_http", "from_http"]
