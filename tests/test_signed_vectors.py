"""Conformance: every record in data/vectors/signed/ (signed and judged by HyperBEAM b2743e4a).

For each record: verification, signers, committers, every ID kind, both hashpaths, the committed
keys, the signature bases, the tampered variants' verdicts, and aolab signing the same base with the
same wallets (signature-input byte-equal, same commitment shape and hmac ID).
"""
from __future__ import annotations

import base64
import json
import pathlib

import pytest

import aolab
from aolab import wallet as wallets
from aolab.codecs import httpsig

VECTORS = pathlib.Path(__file__).resolve().parents[1] / "data" / "vectors" / "signed"
RECORDS = [json.loads(line) for file in sorted(VECTORS.glob("*.jsonl"))
           for line in file.read_text().splitlines() if line.strip()]
RSA, HMAC = "rsa-pss-sha512", "hmac-sha256"


def from_json(value):
    """The vectors' JSON mapping: ``{"b64": S}`` is bytes, the rest as JSON reads."""
    if isinstance(value, dict):
        if list(value) == ["b64"]:
            return base64.b64decode(value["b64"])
        return {k: from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json(v) for v in value]
    return value


def _with_hashpath(message, record):
    hashpath = record.get("priv_hashpath")
    return {**message, "priv": {"hashpath": hashpath}} if hashpath else message


def _signed(record):
    return _with_hashpath(from_json(record["signed"]), record)


def _of(alg, message):
    return sorted(k for k, c in message["commitments"].items() if c["alg"] == alg)


cases = pytest.mark.parametrize("record", [pytest.param(r, id=r["name"]) for r in RECORDS])


@cases
def test_verify_signers_committers(record):
    signed, hb = _signed(record), record["hb"]
    assert httpsig.verify(signed) is hb["verify"]
    assert httpsig.signers(signed) == sorted(hb["signers"])
    assert sorted(httpsig.committers(signed)) == sorted(hb["committers"])
    assert sorted(signed["commitments"]) == sorted(hb["commitment_ids"])
    assert _of(RSA, signed) == sorted(hb["rsa_commitment_ids"])
    assert _of(HMAC, signed) == sorted(hb["hmac_commitment_ids"])


@cases
def test_every_id_kind(record):
    signed, expected = _signed(record), record["hb"]["ids"]
    assert aolab.id(from_json(record["base"])) == record["base_unsigned_id"]
    assert aolab.id(signed) == expected["dev_message_id_commitments_all"] == expected["hb_message_id_unsigned"]
    assert aolab.id(signed, committers="none") == expected["dev_message_id_commitments_none"] \
        == expected["hb_message_id_none"]
    assert aolab.id(signed, committers="all") == expected["hb_message_id_all"]
    assert aolab.id(signed, committers="signed") == expected["hb_message_id_signed"]


@cases
def test_hashpaths_through_a_signed_message(record):
    signed, hb = _signed(record), record["hb"]
    assert aolab.next_hashpath({"a": "1"}, signed) == hb["hashpath_as_request"]
    assert aolab.next_hashpath(signed, {"path": "key1"}) == hb["hashpath_as_base"]


@cases
def test_committed_keys(record):
    assert httpsig.committed_keys(_signed(record)) == sorted(record["hb"]["committed_keys"])


@cases
def test_signature_bases(record):
    signed = _signed(record)
    bases = sorted(httpsig.signed_base(signed, cid).decode() for cid in _of(RSA, signed))
    assert bases == sorted(record["hb"]["verify_signature_bases"]) == sorted(record["signing_bases"])


@cases
def test_tampered_verdicts(record):
    checked = 0
    for variant in record["tampered"]:
        if "msg" not in variant:
            continue
        message = _with_hashpath(from_json(variant["msg"]), record)
        assert httpsig.verify(message) is variant["hb_verify"], variant["kind"]
        assert sorted(httpsig.committers(message)) == sorted(variant["hb_signers"]), variant["kind"]
        checked += 1
    assert checked >= 2


@cases
def test_aolab_signs_the_base_as_hyperbeam_does(record):
    message = _with_hashpath(from_json(record["base"]), record)
    for name in record["signer_wallets"]:
        message = httpsig.sign(message, wallets.load(wallets.test_wallet_path(name)))
    hyperbeam = _signed(record)
    assert httpsig.verify(message) and httpsig.verify(message, exact=True)
    inputs = sorted(c["signature-input"] for c in message["commitments"].values() if c["alg"] == RSA)
    assert inputs == sorted(c["signature-input"] for c in hyperbeam["commitments"].values()
                            if c["alg"] == RSA)
    assert _of(HMAC, message) == _of(HMAC, hyperbeam)
    assert {k for c in message["commitments"].values() for k in c} == \
        {k for c in hyperbeam["commitments"].values() for k in c}
    assert httpsig.committed_keys(message) == sorted(record["hb"]["committed_keys"])
    assert aolab.id(message, committers="none") == record["hb"]["ids"]["hb_message_id_none"]


@cases
def test_http_round_trip_keeps_signatures(record):
    signed = _signed(record)
    again = httpsig.from_http(httpsig.to_http(signed))
    assert again == {k: v for k, v in signed.items() if k != "priv"}
    assert httpsig.verify(again) and aolab.id(again) == record["hb"]["ids"]["dev_message_id_commitments_all"]


def test_records_are_present():
    assert len(RECORDS) >= 12
    assert {f for r in RECORDS for f in r["features"]} >= {"flat", "nested", "signed-twice", "hashpath-tag"}
