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

Commitments, as HyperBEAM's ``hb_message:commit`` makes them:

- :func:`aolab.signing.sign` adds an ``rsa-pss-sha512`` commitment whose ``signature-input``
  lists every field, sorted by bare name with ``@`` then added to derived
  components (``("ao-types" "@path" "quantity")``); its ID is the SHA-256 of
  the signature.  It then resets the ``hmac-sha256`` commitment (keyid ``ao``),
  which carries every signer's ``signature`` and ``signature-input`` and whose
  ID is the HMAC over the components of the first signature (so, for a message
  signed whole, the unsigned ID);
- :func:`verify_commitment` checks one commitment, :func:`verified_commitments`
  keeps those that hold (what :func:`aolab.ids.id` counts);
- :func:`committed_keys` is ``hb_message:committed/1`` and
  :func:`with_only_committed` keeps only those keys.

The codec is pure: it imports no wallet and trusts no node.  The RSA check is
given to it (:data:`SIGNATURE_CHECKS`, by :mod:`aolab.signing`, which also
holds signing with a wallet and the signers a node acts on; ``sign``,
``signers``, ``signed_keys``, ``verified_signers`` and ``only_signed`` are
still importable from here).

>>> from aolab import signing, wallet
>>> signed = signing.sign({"a": "1"}, wallet.load(wallet.test_wallet_path("alice")))
>>> sorted(c["alg"] for c in signed["commitments"].values())
['hmac-sha256', 'rsa-pss-sha512']
>>> committed_keys(signed), verify(signed)
(['a', 'signature', 'signature-input'], True)

Reference: HyperBEAM ``src/dev_codec_httpsig.erl`` and
``src/dev_codec_httpsig_conv.erl`` at b2743e4a.
"""
from __future__ import annotations

import base64
import hashlib
import hmac as _hmac

from ..errors import CommitmentError, EncodingError
from . import structured
from .base64url import b64url, b64url_decode  # noqa: F401 - b64url public here too
from .signature_fields import parse_signature_input, signature_entries, signature_name  # noqa: F401
from .structured import sf_string

MAX_HEADER_LENGTH = 4096
CRLF = b"\r\n"
DERIVED_COMPONENTS = frozenset(("method", "target-uri", "authority", "scheme", "request-target",
                                "path", "query", "query-param", "status"))
STRIPPED = ("commitments", "signature", "signature-input", "priv")
HMAC_PARAMS = b';alg="hmac-sha256";keyid="ao"'
ID_LENGTHS = (32, 42, 43)


# -- TABM -> HTTP message ------------------------------------------------------

def tabm_to_http(tabm: dict) -> dict:
    """The HTTP form of a TABM (no signatures): header fields (str -> bytes) and maybe ``body``.

    Includes ``body-keys`` for multipart bodies and ``content-digest`` whenever
    there is a body (``dev_codec_httpsig_conv:to/1``).
    """
    if isinstance(tabm, bytes):
        return tabm
    if not isinstance(tabm, dict):
        raise EncodingError(f"httpsig@1.0 encodes a TABM (a dict) or a binary, not a {type(tabm).__name__}")
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
    """The ``content-digest`` field of *body* (RFC 9530: ``sha-256=:<base64>:``)."""
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


def component_identifiers(fields) -> list:
    """Fields as hmac component identifiers: ``@`` added to derived components,
    then sorted (``normalize_component_identifiers``: ``"@path"`` sorts first)."""
    return sorted(("@" + k if k in DERIVED_COMPONENTS else k) for k in fields)


def signed_identifiers(fields) -> list:
    """Fields as a signature's component identifiers: sorted by bare name, then
    ``@`` added to derived components (``("ao-types" "@path" "quantity")``), as
    HyperBEAM's ``commit`` lists them."""
    return [("@" + k if k in DERIVED_COMPONENTS else k) for k in sorted(fields)]


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
    return _components_lines(fields, identifiers) + b'\n"@signature-params": ' + \
        signature_params(identifiers, params)


def _components_lines(fields: dict, identifiers, message=None) -> bytes:
    lines = []
    for ident in identifiers:
        name = field_name(ident)
        value = fields.get(name)
        if value is None and message is not None:
            value = _inlined_header(message, name)
        if value is None:
            raise CommitmentError(f"the signed component {ident!r} is not in the message", key=name)
        value = value.strip(b" ").replace(b"\n", b" ")
        lines.append(sf_string(name.encode()) + b": " + value)
    return b"\n".join(lines)


def _inlined_header(message: dict, name: str):
    """The value of key *name* as a header field, when the encoder carries it in the
    body instead: the inline key (``data`` of a message without ``body``) that a
    client signed as a header (aoconnect's ``spawn``/``message`` sign ``data: ...``).
    The signature then covers exactly this key's value, so it is checked against it;
    None for any other key, or a value no header could carry."""
    if name not in message or _inline_key(message)[1] != name:
        return None
    value = structured.to_tabm({name: message[name]}).get(name)
    if not isinstance(value, bytes) or len(value) > MAX_HEADER_LENGTH \
            or b"\r" in value or b"\n" in value or value != value.strip(b" \t"):
        return None  # no header field carries this value exactly
    return value


def hmac_fields(message: dict) -> dict:
    """The fields a signature or hmac covers: the HTTP form of *message*
    (without its commitments), the body replaced by its ``content-digest``."""
    http = tabm_to_http(structured.to_tabm({k: v for k, v in message.items() if k != "commitments"}))
    http.pop("body-keys", None)
    body = http.pop("body", None)
    if body is not None:
        http["content-digest"] = content_digest(body)
    return http


def hmac_id(message: dict) -> bytes:
    """The native (32-byte) unsigned ID of *message*, ignoring commitments."""
    return _hmac_over(hmac_fields(message), None)


def _hmac_over(fields: dict, identifiers, message=None) -> bytes:
    """HMAC-SHA256 (key ``ao``) over *identifiers* of *fields* (every field when None)."""
    if identifiers is None:
        base = signature_base_for(fields, component_identifiers(fields), HMAC_PARAMS)
    else:
        idents = component_identifiers(field_name(i) for i in identifiers)
        base = _components_lines(fields, idents, message) + b'\n"@signature-params": ' + \
            signature_params(idents, HMAC_PARAMS)
    return _hmac.new(b"ao", base, hashlib.sha256).digest()


# -- commitments -------------------------------------------------------------------

RSA_ALG = "rsa-pss-sha512"
HMAC_ALG = "hmac-sha256"
DEVICE = "httpsig@1.0"
HMAC_COMMITMENT = {"alg": HMAC_ALG, "commitment-device": DEVICE}


def commit(message: dict) -> dict:
    """*message* with a fresh hmac-sha256 commitment (``reset_hmac``).

    Without signatures its ID is the message's unsigned ID; with signatures it
    covers the keys the first signature covers and carries every signer's
    ``signature`` and ``signature-input``.
    """
    if not isinstance(message, dict):
        raise CommitmentError(f"can only commit to a message, not a {type(message).__name__}")
    commitments = _commitments(message)
    kept = {k: v for k, v in commitments.items() if not _is_hmac(v)}
    hmac_commitment = _hmac_commitment(kept)
    identifiers = _hmac_identifiers(hmac_commitment)
    kept[b64url(_hmac_over(hmac_fields(message), identifiers, message))] = hmac_commitment
    return {**message, "commitments": kept}


reset_hmac = commit


def _hmac_commitment(signed: dict) -> dict:
    """The hmac commitment's body: every signer's signature and input, as one
    structured-field dictionary each, sorted by signature name."""
    sigs, inputs = {}, {}
    for commitment in signed.values():
        if not isinstance(commitment, dict) or "signature-input" not in commitment:
            continue
        sigs.update(signature_entries(commitment.get("signature")))
        inputs.update(signature_entries(commitment["signature-input"]))
    if not inputs:
        return dict(HMAC_COMMITMENT)
    return {"alg": HMAC_ALG, "commitment-device": DEVICE,
            "signature": ", ".join(f"{k}={sigs[k]}" for k in sorted(sigs)),
            "signature-input": ", ".join(f"{k}={inputs[k]}" for k in sorted(inputs))}


def _hmac_identifiers(commitment: dict):
    """The components an hmac commitment covers: those of the first entry of
    its ``signature-input`` (every field when it has none)."""
    text = commitment.get("signature-input")
    if text is None:
        return None
    entries = signature_entries(text)
    first = sorted(entries)[0] if entries else None
    if first is None:
        return None
    return parse_signature_input(f"{first}={entries[first]}")[1]


# -- checking commitments ------------------------------------------------------------

#: Verifiers for commitments made by other codecs (``commitment-device`` -> ``fn(message,
#: commitment_id, commitment) -> bool``), e.g. an ans104@1.0 codec registers its own; a
#: commitment no verifier knows never verifies, so it never names a message.
COMMITMENT_VERIFIERS: dict = {}

#: Signature checks by ``alg``: ``fn(signature base, signature, keyid) -> bool``.  The
#: codec holds no keys and trusts no node: :mod:`aolab.signing` registers rsa-pss-sha512.
SIGNATURE_CHECKS: dict = {}


def verify_commitment(message: dict, commitment_id, commitment, fields=None) -> bool:
    """True when one commitment of *message* holds: an rsa-pss-sha512
    signature by its committer over the components it lists, or an
    hmac-sha256 whose ID HyperBEAM's ``reset_hmac`` recomputes.

    *fields* (:func:`hmac_fields` of the message) may be passed when already
    computed.  Malformed commitments do not verify; they never raise.
    """
    if not isinstance(commitment, dict) or not isinstance(commitment_id, str):
        return False
    try:
        fields = hmac_fields(message) if fields is None else fields
        if _is_hmac(commitment):
            signed = {k: v for k, v in _commitments(message).items() if not _is_hmac(v)}
            if _hmac_commitment(signed) != {k: v for k, v in commitment.items()}:
                return False  # the hmac carries other signatures than the message's
            expected = _hmac_over(fields, _hmac_identifiers(commitment), message)
            return b64url(expected) == commitment_id
        device = commitment.get("commitment-device", DEVICE)
        if device != DEVICE:
            verifier = COMMITMENT_VERIFIERS.get(device)
            return bool(verifier(message, commitment_id, commitment)) if verifier else False
        if commitment.get("alg") == RSA_ALG:
            return _verify_rsa(fields, commitment_id, commitment, message)
    except (KeyError, ValueError, TypeError, IndexError, CommitmentError, EncodingError):
        return False
    return False


def _verify_rsa(fields: dict, commitment_id: str, commitment: dict, message=None) -> bool:
    from ..ids import address_of

    name, identifiers, params, inner = parse_signature_input(commitment["signature-input"])
    sig_name, _, sig_value = commitment["signature"].partition("=")
    signature = base64.b64decode(sig_value.strip(":"), validate=True)
    keyid = params["keyid"]
    if sig_name != name or params.get("alg") != RSA_ALG:
        return False
    if address_of(b64url_decode(keyid)) != commitment.get("committer"):
        return False  # the key that signed is not the committer's
    if b64url(hashlib.sha256(signature).digest()) != commitment_id:
        return False  # the commitment ID does not name this signature
    base = _components_lines(fields, identifiers, message) + b'\n"@signature-params": ' + inner
    known = _verify_base(base, signature, keyid)
    if not known and not identifiers:
        # over no components HyperBEAM signs "\n" + the params line; RFC 9421 (hbsig,
        # aoconnect's GET requests) the params line alone
        known = _verify_base(base[1:], signature, keyid)
    return known


def _verify_base(base: bytes, signature: bytes, keyid: str) -> bool:
    check = SIGNATURE_CHECKS.get(RSA_ALG)
    return bool(check is not None and check(base, signature, keyid))


def signed_base(message: dict, commitment_id: str) -> bytes:
    """The RFC 9421 signature base an rsa-pss-sha512 commitment of *message*
    signs, rebuilt from the message (what its verification checks)."""
    commitment = _commitments(message)[commitment_id]
    _, identifiers, _, inner = parse_signature_input(commitment["signature-input"])
    return _components_lines(hmac_fields(message), identifiers, message) + \
        b'\n"@signature-params": ' + inner


def verified_commitments(message: dict) -> dict:
    """The commitments of *message* that verify (``{id: commitment}``); the
    others (forged, stale, of an unknown kind) are left out."""
    commitments = _commitments(message)
    if not commitments:
        return {}
    fields = hmac_fields(message)
    return {cid: c for cid, c in commitments.items() if verify_commitment(message, cid, c, fields)}


def verify(message: dict, exact: bool = False) -> bool:
    """True when *message* has commitments and every one of them verifies.

    A signature covers the keys it lists; keys added later are *uncommitted*
    and do not fail it, as in HyperBEAM (act on :func:`with_only_committed`).
    ``exact=True`` also fails a message holding any key a signature does not
    cover, or a hashpath other than the one signed (its ``tag``).
    """
    commitments = _commitments(message)
    if not commitments:
        return False
    fields = hmac_fields(message)
    for commitment_id, commitment in commitments.items():
        if not verify_commitment(message, commitment_id, commitment, fields):
            return False
        if exact and not _is_hmac(commitment) and not _covers_everything(message, commitment, fields):
            return False
    return True


def verify_signed(message: dict, commitment_id: str, commitment: dict) -> bool:
    """Check one rsa-pss-sha512 commitment of *message*."""
    return isinstance(commitment, dict) and commitment.get("alg") == RSA_ALG \
        and verify_commitment(message, commitment_id, commitment)


def _covers_everything(message: dict, commitment: dict, fields: dict) -> bool:
    _, identifiers, params, _ = parse_signature_input(commitment["signature-input"])
    if set(fields) != {field_name(i) for i in identifiers}:
        return False
    priv = message.get("priv")
    carried = priv.get("hashpath") if isinstance(priv, dict) else None
    return params.get("tag") == carried


# -- committed keys ----------------------------------------------------------------

def committed_keys(message: dict, commitment_ids=None) -> list:
    """The keys the commitments of *message* cover (``hb_message:committed/1``),
    sorted: the keys every one of them covers (all commitments, or
    *commitment_ids*).

    For a signature: ``signature`` and ``signature-input``, each component
    without its ``@``, the keys ``ao-types`` declares empty when ``ao-types``
    is signed, and when ``content-digest`` is signed ``body``,
    ``inline-body-key``, the inline key and the top of every ``body-keys``
    entry.  An hmac commitment with no signature covers nothing (as in
    HyperBEAM).  Commitments are not checked here: verify first.
    """
    commitments = _commitments(message)
    chosen = commitments if commitment_ids is None else \
        {k: commitments[k] for k in commitment_ids if k in commitments}
    if not chosen:
        return []
    http = None
    common = None
    for commitment in chosen.values():
        if not isinstance(commitment, dict) or "signature-input" not in commitment:
            return []
        if http is None:
            http = tabm_to_http(structured.to_tabm({k: v for k, v in message.items()
                                                    if k != "commitments"}))
        keys = set(_keys_of_signature(http, commitment["signature-input"]))
        common = keys if common is None else common & keys
    return sorted(common)


def _keys_of_signature(http: dict, signature_input: str) -> list:
    entries = signature_entries(signature_input)
    first = sorted(entries)[0]
    identifiers = parse_signature_input(f"{first}={entries[first]}")[1]
    signed = ["signature", "signature-input"] + [i[1:] if i.startswith("@") else i for i in identifiers]
    if "ao-types" in signed and "ao-types" in http:
        types = structured.parse_sf_dictionary(http["ao-types"])
        signed += [structured.unescape_key(k) for k, v in types.items() if v.startswith(b"empty-")]
    if "content-digest" in signed:
        signed += ["body", "inline-body-key"]
        if "inline-body-key" in http:
            signed.append(structured.binary_to_text(http["inline-body-key"]))
        if "body-keys" in http:
            signed += [k.decode().split("/")[0] for k in structured.parse_sf_string_list(http["body-keys"])]
    return signed


def with_only_committed(message: dict) -> dict:
    """*message* reduced to the keys its commitments cover, plus ``commitments``
    (``hb_message:with_only_committed``); a message without commitments is
    returned unchanged.  Check the commitments first (:func:`verify`)."""
    if not isinstance(message, dict) or "commitments" not in message:
        return message
    keep = set(committed_keys(message)) | {"commitments"}
    return {k: v for k, v in message.items() if k in keep}


# -- who committed ---------------------------------------------------------------

def committers(message: dict) -> list:
    """The committer addresses of the message's commitments (unchecked)."""
    return [c["committer"] for c in _commitments(message).values()
            if isinstance(c, dict) and "committer" in c]


def commitments_of(message) -> dict:
    """The ``commitments`` of *message* (``{}`` without any), checked to be a message."""
    commitments = message.get("commitments") if isinstance(message, dict) else None
    if commitments is None:
        return {}
    if not isinstance(commitments, dict):
        raise EncodingError(f"'commitments' must be a message of commitment ID -> commitment, "
                            f"not a {type(commitments).__name__}", key="commitments")
    return commitments


def is_hmac(commitment) -> bool:
    """Whether *commitment* is the hmac-sha256 one (which names the message, signs nothing)."""
    return isinstance(commitment, dict) and commitment.get("alg") == HMAC_ALG


_commitments, _is_hmac, _sf_entries = commitments_of, is_hmac, signature_entries  # old names

#: Names that moved to :mod:`aolab.signing` (signing with a wallet, what a node acts on),
#: still importable from here (loaded on first use, so the codec imports no wallet).
MOVED_TO_SIGNING = ("sign", "signers", "signed_keys", "verified_signers", "only_signed",
                    "_VERIFIED")


def __getattr__(name: str):
    if name in MOVED_TO_SIGNING:
        from .. import signing
        return getattr(signing, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def to_http(message):
    """The HTTP form of a message, signatures included (see :mod:`.httpsig_conv`)."""
    from .httpsig_conv import to_http as encode
    return encode(message)


def from_http(http):
    """The message an HTTP form holds (see :mod:`.httpsig_conv`)."""
    from .httpsig_conv import from_http as decode
    return decode(http)


__all__ = ["to_http", "from_http", "tabm_to_http", "signature_base", "hmac_id", "commit",
           "reset_hmac", "verify", "verify_commitment", "verified_commitments", "committers",
           "sign", "signed_base", "verify_signed", "committed_keys", "with_only_committed", "signers",
           "verified_signers", "signed_keys", "only_signed", "content_digest", "EncodingError"]
