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
    return signature_base_for(fields, component_identifiers(fields), HMAC_PARAMS)


def component_identifiers(fields: dict) -> list:
    """Every field as a component identifier, sorted (derived ones with ``@``)."""
    return sorted(("@" + k if k in DERIVED_COMPONENTS else k) for k in fields)


def field_name(identifier: str) -> str:
    """The field a component identifier names (``@path`` -> ``path``; only
    derived components carry an ``@``)."""
    if identifier.startswith("@") and identifier[1:] in DERIVED_COMPONENTS:
        return identifier[1:]
    return identifier


def signature_params(identifiers: list, params: bytes) -> bytes:
    """The inner list ``("a" "b" "@path");alg=...``: the ``@signature-params`` value."""
    return b"(" + b" ".join(sf_string(i.lower().encode()) for i in identifiers) + b")" + params


def signature_base_for(fields: dict, identifiers: list, params: bytes) -> bytes:
    """The signature base over *identifiers* (each must name a field) and *params*."""
    lines = []
    for ident in identifiers:
        name = field_name(ident)
        if name not in fields:
            raise CommitmentError(f"the signed component {ident!r} is not in the message", key=name)
        value = fields[name].strip(b" ").replace(b"\n", b" ")
        lines.append(sf_string(name.encode()) + b": " + value)
    return b"\n".join(lines) + b'\n"@signature-params": ' + signature_params(identifiers, params)


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


def verify(message: dict, exact: bool = False) -> bool:
    """True when *message* has commitments and every one of them verifies:
    hmac-sha256 ones against its content, rsa-pss-sha512 ones against their
    signature, keyid and committer address.

    A signature covers the keys it lists; keys added later are *uncommitted*
    and do not fail it, as in HyperBEAM.  ``exact=True`` also fails a message
    holding any key a signature does not cover, or a hashpath other than the
    one signed (its ``tag``).
    """
    commitments = message.get("commitments") or {}
    if not isinstance(commitments, dict) or not commitments:
        return False
    for commitment_id, commitment in commitments.items():
        if _is_hmac(commitment):
            if commitment_id != b64url(hmac_id(message)):
                return False
        elif isinstance(commitment, dict) and commitment.get("alg") == RSA_ALG:
            if not verify_signed(message, commitment_id, commitment):
                return False
            if exact and not _covers_everything(message, commitment):
                return False
        else:
            raise CommitmentError(f"commitment {commitment_id!r} has an unknown alg "
                                  f"{commitment.get('alg') if isinstance(commitment, dict) else commitment!r}")
    return True


# -- signed (rsa-pss-sha512) commitments ----------------------------------------

RSA_ALG = "rsa-pss-sha512"


def sign(message: dict, wallet) -> dict:
    """*message* with an rsa-pss-sha512 commitment by *wallet* (httpsig@1.0 form).

    The commitment covers every public key of the message (its HTTP fields,
    the body through ``content-digest``); a message's hashpath, when it
    carries one, is signed as the ``tag`` parameter.  Its ID is the SHA-256 of
    the signature; hmac commitments are dropped (they no longer name the
    message alone).
    """
    if not isinstance(message, dict):
        raise CommitmentError(f"can only sign a message, not a {type(message).__name__}")
    unsigned = {k: v for k, v in message.items() if k != "commitments"}
    fields = hmac_fields(unsigned)
    identifiers = component_identifiers(fields)
    params = [("alg", RSA_ALG), ("keyid", wallet.keyid)]
    priv = message.get("priv")
    if isinstance(priv, dict) and isinstance(priv.get("hashpath"), str):
        params.append(("tag", priv["hashpath"]))
    param_bytes = b"".join(b";" + k.encode() + b"=" + sf_string(v.encode()) for k, v in sorted(params))
    signature = wallet.sign(signature_base_for(fields, identifiers, param_bytes))
    name = signature_name(wallet.address).encode()
    commitment = {
        "commitment-device": "httpsig@1.0",
        "alg": RSA_ALG,
        "committer": wallet.address,
        "signature": (name + b"=" + structured.sf_binary(signature)).decode("ascii"),
        "signature-input": (name + b"=" + signature_params(identifiers, param_bytes)).decode(),
    }
    kept = {k: v for k, v in (message.get("commitments") or {}).items() if not _is_hmac(v)}
    kept[b64url(hashlib.sha256(signature).digest())] = commitment
    return {**message, "commitments": kept}


def signature_name(address: str) -> str:
    """``http-sig-<hex of bytes 1..8 of the address>`` (HyperBEAM's signature label)."""
    from ..ids import native_id
    return "http-sig-" + native_id(address)[1:9].hex()


def parse_signature_input(text: str) -> tuple[str, list, dict, bytes]:
    """``(name, identifiers, params, inner bytes)`` of a one-entry signature-input."""
    raw = text.encode() if isinstance(text, str) else bytes(text)
    name, sep, inner = raw.partition(b"=")
    if not sep or not inner.startswith(b"("):
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
    return name.decode(), identifiers, params, inner


def verify_signed(message: dict, commitment_id: str, commitment: dict) -> bool:
    """Check one rsa-pss-sha512 commitment of *message*."""
    from ..wallet import address_of, b64url_decode, from_keyid

    try:
        name, identifiers, params, inner = parse_signature_input(commitment["signature-input"])
        sig_name, _, sig_value = commitment["signature"].partition("=")
        signature = base64.b64decode(sig_value.strip(":"))
        keyid = params["keyid"]
        if sig_name != name or params.get("alg") != RSA_ALG:
            return False
        if address_of(b64url_decode(keyid)) != commitment.get("committer"):
            return False  # the key that signed is not the committer's
        if b64url(hashlib.sha256(signature).digest()) != commitment_id:
            return False  # the commitment ID does not name this signature
        unsigned = {k: v for k, v in message.items() if k != "commitments"}
        fields = hmac_fields(unsigned)
        base = b"\n".join(
            sf_string(field_name(i).encode()) + b": "
            + fields[field_name(i)].strip(b" ").replace(b"\n", b" ")
            for i in identifiers)
        base += b'\n"@signature-params": ' + inner
    except (KeyError, ValueError, CommitmentError, EncodingError):
        return False
    return from_keyid(keyid).verify(base, signature)


def _covers_everything(message: dict, commitment: dict) -> bool:
    _, identifiers, params, _ = parse_signature_input(commitment["signature-input"])
    fields = hmac_fields({k: v for k, v in message.items() if k != "commitments"})
    if set(fields) != {field_name(i) for i in identifiers}:
        return False
    priv = message.get("priv")
    carried = priv.get("hashpath") if isinstance(priv, dict) else None
    return params.get("tag") == carried


def committed_keys(message: dict, commitment_id: str) -> list:
    """The message fields a signed commitment covers (``@`` removed)."""
    commitment = (message.get("commitments") or {})[commitment_id]
    if _is_hmac(commitment):
        return sorted(hmac_fields({k: v for k, v in message.items() if k != "commitments"}))
    _, identifiers, _, _ = parse_signature_input(commitment["signature-input"])
    return [field_name(i) for i in identifiers]


def committers(message: dict) -> list:
    """The committer addresses of the message's commitments."""
    return [c["committer"] for c in (message.get("commitments") or {}).values()
            if isinstance(c, dict) and "committer" in c]


def verified_signers(message):
    """Check every commitment of *message* once: the sorted addresses of its
    verified signers, or None when any commitment fails (what a node checks on
    a signed request, without verifying each signature twice)."""
    found = []
    for commitment_id, commitment in (message.get("commitments") or {}).items():
        if _is_hmac(commitment):
            if commitment_id != b64url(hmac_id(message)):
                return None
        elif isinstance(commitment, dict) and commitment.get("alg") == RSA_ALG \
                and verify_signed(message, commitment_id, commitment):
            found.append(commitment["committer"])
        else:
            return None
    return sorted(found)


def signers(message, opts=None) -> list:
    """The addresses whose signatures on *message* verify (``hb_message:signers``).

    Inside a node, a signed request is checked once, before its path is split
    into steps (a step's ``path`` is no longer the one signed); a step message
    that carries the request's commitments then has the signers the node
    verified (the ``signers`` option).
    """
    if not isinstance(message, dict):
        return []
    if opts and opts.get("signers") is not None and message.get("commitments"):
        verified = [c.get("committer") for c in message["commitments"].values() if isinstance(c, dict)]
        if sorted(a for a in verified if a) == sorted(opts["signers"]):
            return sorted(opts["signers"])
    found = []
    for commitment_id, commitment in (message.get("commitments") or {}).items():
        if isinstance(commitment, dict) and commitment.get("alg") == RSA_ALG \
                and verify_signed(message, commitment_id, commitment):
            found.append(commitment["committer"])
    return sorted(found)


def _is_hmac(commitment) -> bool:
    return isinstance(commitment, dict) and commitment.get("alg") == "hmac-sha256"


__all__ = ["to_http", "signature_base", "hmac_id", "commit", "verify", "committers", "sign",
           "verify_signed", "committed_keys", "signers", "verified_signers", "content_digest", "EncodingError"]
