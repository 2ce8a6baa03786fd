"""Signing with a wallet, checking signatures with keys, and what a node acts on.

The httpsig codec (:mod:`aolab.codecs.httpsig`) is pure: it builds signature
bases, commitments and IDs, and holds no keys and trusts no node.  This module
is the glue around it: :func:`sign` with a wallet, the rsa-pss-sha512 check
(:func:`check_rsa_pss`, registered with the codec; :func:`check_ans104_rsa`,
registered with the ANS-104 codec), and the signers a node
acts on (:func:`signers`, :func:`signed_keys`, :func:`verified_signers`,
:func:`only_signed`), which may use what the node already verified.

>>> from aolab import wallet
>>> alice = wallet.load(wallet.test_wallet_path("alice"))
>>> signers(sign({"a": "1"}, alice)) == [alice.address]
True
"""
from __future__ import annotations

import collections
import hashlib

from .codecs import dataitem, httpsig
from .codecs.base64url import b64url
from .codecs.structured import sf_binary, sf_string
from .context import as_context
from .errors import CommitmentError
from .wallet import from_keyid

#: Signature checks already made: ``(sha256(base), signature, keyid) -> bool`` (bounded).
_VERIFIED: "collections.OrderedDict[tuple, bool]" = collections.OrderedDict()
_VERIFIED_MAX = 4096


def sign(message: dict, wallet) -> dict:
    """*message* signed by *wallet*, as HyperBEAM's ``hb_message:commit`` signs.

    Adds an rsa-pss-sha512 commitment (ID: SHA-256 of the signature) covering
    every public key of the message (its HTTP fields, the body through
    ``content-digest``; a carried hashpath is signed as the ``tag``
    parameter), then resets the hmac-sha256 commitment, which now carries
    every signer's signature.  Earlier signatures are kept.
    """
    if not isinstance(message, dict):
        raise CommitmentError(f"can only sign a message, not a {type(message).__name__}")
    fields = httpsig.hmac_fields(message)
    identifiers = httpsig.signed_identifiers(fields)
    params = [("alg", httpsig.RSA_ALG), ("keyid", wallet.keyid)]
    priv = message.get("priv")
    if isinstance(priv, dict) and isinstance(priv.get("hashpath"), str):
        params.append(("tag", priv["hashpath"]))
    param_bytes = b"".join(b";" + k.encode() + b"=" + sf_string(v.encode()) for k, v in sorted(params))
    signature = wallet.sign(httpsig.signature_base_for(fields, identifiers, param_bytes))
    name = httpsig.signature_name(wallet.address).encode()
    commitment = {
        "commitment-device": httpsig.DEVICE,
        "alg": httpsig.RSA_ALG,
        "committer": wallet.address,
        "signature": (name + b"=" + sf_binary(signature)).decode("ascii"),
        "signature-input": (name + b"=" + httpsig.signature_params(identifiers, param_bytes)).decode(),
    }
    kept = {k: v for k, v in httpsig.commitments_of(message).items() if not httpsig.is_hmac(v)}
    kept[b64url(hashlib.sha256(signature).digest())] = commitment
    return httpsig.commit({**message, "commitments": kept})


def check_rsa_pss(base: bytes, signature: bytes, keyid: str) -> bool:
    """Whether *signature* over *base* verifies with the public key *keyid*
    (``ar_wallet:verify``); remembered for the last :data:`_VERIFIED_MAX` checks."""
    key = (hashlib.sha256(base).digest(), signature, keyid)
    known = _VERIFIED.get(key)
    if known is None:
        known = from_keyid(keyid).verify(base, signature)
        _VERIFIED[key] = known
        if len(_VERIFIED) > _VERIFIED_MAX:
            _VERIFIED.popitem(last=False)
    return known


httpsig.SIGNATURE_CHECKS[httpsig.RSA_ALG] = check_rsa_pss


def check_ans104_rsa(data: bytes, signature: bytes, owner: bytes) -> bool:
    """Whether an ANS-104 item's *signature* over *data* is its *owner*'s (an
    Arweave RSA modulus): RSA-PSS-SHA256, as ``ar_bundles:verify_item``."""
    try:
        return from_keyid(b64url(owner)).verify_pss_sha256(data, signature)
    except (CommitmentError, ValueError):
        return False


dataitem.SIGNATURE_CHECKS[dataitem.SIGNATURE_TYPE_ARWEAVE] = check_ans104_rsa


def verified_signers(message):
    """Check every commitment of *message* once: the sorted addresses of its
    verified signers, or None when any commitment fails (what a node checks on
    a signed request, without verifying each signature twice)."""
    commitments = httpsig.commitments_of(message)
    fields = httpsig.hmac_fields(message)
    found = []
    for commitment_id, commitment in commitments.items():
        if not httpsig.verify_commitment(message, commitment_id, commitment, fields):
            return None
        if not httpsig.is_hmac(commitment):
            found.append(commitment["committer"])
    return sorted(found)


def signers(message, opts=None, covering=()) -> list:
    """The addresses whose signatures on *message* verify (``hb_message:signers``);
    with *covering*, only those whose signature covers every one of those keys
    (what an action taken on a signer's authority needs).

    Inside a node, a signed request is checked once, before its path is split
    into steps (a step's ``path`` is no longer the one signed); a step message
    that carries the request's commitments then has the signers the node
    verified (``ctx.signers`` of the context *opts*) and the keys each one
    signed (``ctx.signed_keys``).
    """
    if not isinstance(message, dict):
        return []
    wanted = set(covering)
    ctx = as_context(opts)
    if ctx.signers is not None and message.get("commitments"):
        verified = [c.get("committer") for c in message["commitments"].values() if isinstance(c, dict)]
        if sorted(a for a in verified if a) == sorted(ctx.signers):
            signed_keys = ctx.signed_keys or {}
            return sorted(a for a in ctx.signers
                          if not wanted or wanted <= set(signed_keys.get(a, ())))
    found = []
    for cid, commitment in httpsig.verified_commitments(message).items():
        if commitment.get("alg") != httpsig.RSA_ALG or "committer" not in commitment:
            continue
        if not wanted or wanted <= set(httpsig.committed_keys(message, [cid])):
            found.append(commitment["committer"])
    return sorted(found)


def signed_keys(message: dict) -> dict:
    """``{signer address: keys its signature covers}`` for the verified
    signatures of *message*."""
    return {c["committer"]: httpsig.committed_keys(message, [cid])
            for cid, c in httpsig.verified_commitments(message).items()
            if c.get("alg") == httpsig.RSA_ALG and "committer" in c}


def only_signed(request: dict) -> dict:
    """A signed request as a node acts on it: reduced to the keys its
    signatures cover, with ``method`` and ``path`` re-added from the request
    when no signature covers them (``hb_http:remove_unsigned_fields`` then
    ``maybe_add_unsigned``).  An unsigned request is returned unchanged."""
    if not any(isinstance(c, dict) and c.get("alg") == httpsig.RSA_ALG
               for c in httpsig.commitments_of(request).values()):
        return request
    reduced = httpsig.with_only_committed(request)
    for key in ("method", "path"):
        if key not in reduced and key in request:
            reduced[key] = request[key]
    return reduced
