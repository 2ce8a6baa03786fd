"""ans104@1.0: ANS-104 data items, byte for byte with npm @dha-team/arbundles.

Vectors (data/vectors/ans104/FORMAT.md): items made by the npm library are read
by aolab, items made by aolab are read by the npm library (when node is here).
"""
from __future__ import annotations

import base64
import dataclasses
import json
import os
import pathlib
import subprocess

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aolab
from aolab import tools
from aolab.codecs import ans104, dataitem, httpsig
from aolab.errors import AolabError, CommitmentError, EncodingError
from tests.needs import require

ROOT = pathlib.Path(__file__).resolve().parent.parent
VECTORS = ROOT / "data" / "vectors" / "ans104"
NODE_MODULES = tools.node_modules()
SCRIPT = ROOT / "tests" / "npm" / "ans104_vectors.cjs"
ALICE = aolab.wallet.load(aolab.wallet.test_wallet_path("alice"))
BOB = aolab.wallet.load(aolab.wallet.test_wallet_path("bob"))
MESSAGES = {"MESSAGE": {"action": "Eval", "count": 3, "data": "1 + 1"},
            "NESTED": {"process": {"module": "aos", "scheduler": "alice"}, "slot": 1, "data": "state"}}


def _lines(name: str) -> list:
    return [json.loads(line) for line in (VECTORS / name).read_text().splitlines() if line.strip()]


def _npm_read(lines: list, tmp_path) -> dict:
    require("arbundles")
    file = tmp_path / "items.jsonl"
    file.write_text("".join(json.dumps(line) + "\n" for line in lines))
    out = subprocess.run(["node", str(SCRIPT), "read", str(file)], capture_output=True, text=True,
                         check=True, env={**os.environ, "NODE_PATH": str(NODE_MODULES)}, timeout=120)
    return {entry["name"]: entry for entry in map(json.loads, out.stdout.splitlines())}


# -- vectors made by npm, read by aolab -------------------------------------------

@pytest.mark.parametrize("case", _lines("npm-items.jsonl"), ids=lambda c: c["name"])
def test_npm_item_is_read_with_the_same_id_and_bytes(case):
    raw = base64.b64decode(case["raw"])
    item = dataitem.deserialize(raw)
    assert item.id == case["id"]
    assert dataitem.verify(item)
    assert dataitem.serialize(item) == raw
    assert dataitem.signature_data(item) == base64.b64decode(case["signature_data"])
    assert item.tags == [(k.encode(), v.encode()) for k, v in case["tags"]]
    assert item.data == base64.b64decode(case["data"])
    assert item.anchor == case.get("anchor_text", "").encode()
    assert dataitem.b64url(item.target) == case.get("target", "")
    assert item.owner == ALICE.modulus


@pytest.mark.parametrize("case", _lines("npm-items.jsonl"), ids=lambda c: c["name"])
def test_npm_item_becomes_a_message_that_reencodes_to_the_same_bytes(case):
    raw = base64.b64decode(case["raw"])
    if ["ao-type", "binary"] in case["tags"]:  # HyperBEAM reads it as a bare binary, no message
        with pytest.raises(EncodingError, match="bare binary"):
            ans104.deserialize(raw)
        return
    message = ans104.deserialize(raw)
    assert aolab.id(message) == case["id"]
    assert ans104.verify(message)
    assert ans104.serialize(message) == raw
    if case.get("message"):
        assert ans104.unsigned(message) == MESSAGES[case["message"]]


def test_npm_tags_keep_their_case_in_original_tags():
    case = next(c for c in _lines("npm-items.jsonl") if c["name"] == "tags-and-data")
    message = ans104.deserialize(base64.b64decode(case["raw"]))
    assert message["content-type"] == "text/plain"
    (commitment,) = message["commitments"].values()
    assert commitment["original-tags"]["1"] == {"name": "Content-Type", "value": "text/plain"}


def test_duplicated_tag_names_become_a_structured_field_list():
    case = next(c for c in _lines("npm-items.jsonl") if c["name"] == "duplicated-tag-names")
    message = ans104.deserialize(base64.b64decode(case["raw"]))
    assert message["test-tag"] == '"a", "b"'


# -- vectors made by aolab, read by npm ---------------------------------------------

@pytest.mark.parametrize("case", _lines("aolab-items.jsonl"), ids=lambda c: c["name"])
def test_aolab_vector_reads_back_in_aolab(case):
    raw = base64.b64decode(case["raw"])
    item = dataitem.deserialize(raw)
    assert item.id == case["id"] and dataitem.verify(item) and dataitem.serialize(item) == raw
    if ["ao-type", "binary"] in case.get("tags", []):
        return
    message = ans104.deserialize(raw)
    assert aolab.id(message) == case["id"] and ans104.verify(message)
    if case.get("message"):
        assert ans104.unsigned(message) == MESSAGES[case["message"]]


def test_npm_reads_aolab_vectors_with_equal_ids(tmp_path):
    lines = _lines("aolab-items.jsonl")
    read = _npm_read(lines, tmp_path)
    for case in lines:
        assert read[case["name"]]["valid"] is True, case["name"]
        assert read[case["name"]]["id"] == case["id"]
        assert base64.b64decode(read[case["name"]]["signature_data"]) == base64.b64decode(case["signature_data"])


def test_npm_reads_fresh_aolab_items(tmp_path):
    messages = [{"a": "1"}, {"n": 7, "f": 1.5, "ok": True, "list": [1, "two"]},
                {"deep": {"deeper": {"x": "y"}}, "big": "z" * 500}, {"data": bytes(range(256))}]
    lines = []
    for n, message in enumerate(messages):
        signed = ans104.sign(message, BOB)
        lines.append({"name": str(n), "raw": base64.b64encode(ans104.serialize(signed)).decode(),
                      "id": aolab.id(signed)})
    read = _npm_read(lines, tmp_path)
    for line, message in zip(lines, messages):
        assert read[line["name"]]["valid"] is True and read[line["name"]]["id"] == line["id"]
        assert ans104.unsigned(ans104.deserialize(base64.b64decode(line["raw"]))) == message


# -- the codec ----------------------------------------------------------------------

def test_small_text_values_become_tags_the_rest_child_items():
    item = ans104.to_item({"small": "x", "big": "y" * 200, "nested": {"k": "v"}, "binary": b"\xff\x00"})
    names = [name for name, _ in item.tags]
    assert b"small" in names and b"big" not in names and b"nested" not in names
    assert names[:2] == [b"bundle-format", b"bundle-version"] and names[-1] == b"bundle-map"
    assert ans104.unsigned(ans104.from_item(item)) == {"small": "x", "big": "y" * 200,
                                                        "nested": {"k": "v"}, "binary": b"\xff\x00"}


def test_target_and_anchor_are_item_fields():
    target = aolab.id({"target": "1"})
    item = ans104.to_item({"target": target, "last_tx": aolab.id({"anchor": "1"}), "k": "v"})
    assert dataitem.b64url(item.target) == target and len(item.anchor) == 32
    assert [name for name, _ in item.tags] == [b"k"]
    back = ans104.from_item(item)
    assert back["target"] == aolab.native_id(target)


def test_signed_id_is_the_sha256_of_the_signature():
    signed = ans104.sign({"a": "1"}, ALICE)
    (commitment_id, commitment), = signed["commitments"].items()
    import hashlib
    assert commitment_id == dataitem.b64url(hashlib.sha256(commitment["signature"]).digest())
    assert aolab.id(signed) == commitment_id
    assert commitment["committer"] == ALICE.address and commitment["alg"] == "rsa-pss"


def test_unsigned_item_round_trips_with_the_same_httpsig_id():
    message = {"action": "Eval", "count": 3, "nested": {"a": [1, 2]}, "data": "x" * 300}
    back = ans104.from_item(dataitem.deserialize(ans104.serialize(message)))
    assert back == message and aolab.id(back) == aolab.id(message)


def test_signed_item_round_trips_with_the_same_unsigned_httpsig_id():
    message = {"action": "Eval", "count": 3}
    signed = ans104.deserialize(ans104.serialize(ans104.sign(message, ALICE)))
    assert aolab.id(signed, committers="none") == aolab.id(message)


def test_httpsig_round_trip():
    """message -> ans104 -> message -> httpsig -> message keeps the unsigned ID, and a
    message signed as a data item keeps its ID and signature through the HTTP form."""
    message = {"action": "Eval", "count": 3, "nested": {"a": "b"}}
    signed = ans104.deserialize(ans104.serialize(ans104.sign(message, ALICE)))
    via_httpsig = httpsig.from_http(httpsig.to_http(ans104.unsigned(signed)))
    assert via_httpsig == message and aolab.id(via_httpsig) == aolab.id(message)
    assert aolab.id(signed) == ans104.item_id(signed) != aolab.id(message)


_values = st.one_of(st.text(max_size=40), st.integers(-10**6, 10**6), st.booleans(),
                    st.binary(min_size=1, max_size=200), st.text(min_size=129, max_size=200))
_keys = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12).filter(
    lambda k: k not in ("target", "last_tx", "unsigned_id", "commitments", "ao-types", "ao-ids",
                        "body-keys")
    and not k.startswith("priv") and k not in ("content-digest", "bundle-format", "bundle-map",
                                               "bundle-version", "ao-type"))
_messages = st.recursive(st.dictionaries(_keys, _values, min_size=1, max_size=5),
                         lambda inner: st.dictionaries(_keys, st.one_of(_values, inner), min_size=1, max_size=4),
                         max_leaves=12)


@settings(max_examples=60, deadline=None)
@given(_messages)
def test_property_messages_round_trip_through_data_items(message):
    raw = ans104.serialize(message)
    back = ans104.deserialize(raw)
    assert aolab.id(back) == aolab.id(message)
    assert ans104.serialize(back) == raw


# -- bad input --------------------------------------------------------------------------

def _signed_raw() -> bytes:
    return ans104.serialize(ans104.sign({"a": "1", "data": "payload"}, ALICE))


@pytest.mark.parametrize("cut", [0, 1, 100, 1026, 1030, 1045])
def test_truncated_item_is_a_clear_error(cut):
    with pytest.raises(EncodingError, match="ANS-104"):
        dataitem.deserialize(_signed_raw()[:cut])


def test_bad_signature_type_and_presence_bytes_are_refused():
    raw = bytearray(_signed_raw())
    raw[0] = 9
    with pytest.raises(EncodingError, match="signature type 9"):
        dataitem.deserialize(bytes(raw))
    raw = bytearray(_signed_raw())
    raw[1026] = 7
    with pytest.raises(EncodingError, match="presence byte"):
        dataitem.deserialize(bytes(raw))


def test_tag_count_that_lies_is_refused():
    item = dataitem.sign(dataitem.DataItem(tags=[(b"a", b"1")]), ALICE)
    raw = bytearray(dataitem.serialize(item))
    raw[1028] = 2  # the tag count, after two absent-field bytes
    with pytest.raises(EncodingError, match="announces 2 tags"):
        dataitem.deserialize(bytes(raw))


def test_tampered_item_does_not_verify():
    raw = _signed_raw()
    tampered = raw[:-1] + b"X"
    item = dataitem.deserialize(tampered)
    assert not dataitem.verify(item)
    message = ans104.from_item(item)
    assert not ans104.verify(message)
    with pytest.raises(CommitmentError, match="does not verify"):
        ans104.to_item(message)


def test_unsigned_item_does_not_verify():
    item = dataitem.DataItem(tags=[(b"a", b"1")])
    assert not item.signed and not dataitem.verify(item)
    assert not ans104.verify(ans104.from_item(dataitem.deserialize(dataitem.serialize(item))))


def test_wrong_commitment_id_does_not_verify():
    signed = ans104.sign({"a": "1"}, ALICE)
    (commitment,) = signed["commitments"].values()
    wrong = {**signed, "commitments": {aolab.id({"other": "1"}): commitment}}
    assert not ans104.verify(wrong)


def test_signature_from_another_key_does_not_verify():
    signed = ans104.sign({"a": "1"}, ALICE)
    (cid, commitment), = signed["commitments"].items()
    swapped = {**signed, "commitments": {cid: {**commitment, "owner": BOB.modulus}}}
    assert not ans104.verify(swapped)


def test_keys_named_like_item_fields_are_ordinary_tags():
    message = {"owner": "me", "signature": "mine", "id": "1", "tags": "x", "format": "2"}
    signed = ans104.sign(message, ALICE)
    back = ans104.deserialize(ans104.serialize(signed))
    assert ans104.unsigned(back) == message and ans104.verify(back)
    assert dataitem.deserialize(ans104.serialize(signed)).owner == ALICE.modulus


@pytest.mark.parametrize("key", ["bundle-map", "ao-type"])
def test_keys_the_codec_writes_itself_are_refused(key):
    with pytest.raises(EncodingError, match=key):
        ans104.to_item({"nested": {key: "binary"}})


def test_target_that_is_not_an_id_is_refused():
    with pytest.raises(EncodingError, match="'target'"):
        ans104.to_item({"target": "not an id"})


def test_too_many_tags_are_refused():
    with pytest.raises(EncodingError, match="at most 128"):
        ans104.serialize({f"k{n}": "v" for n in range(200)})


def test_malformed_nested_bundle_is_refused():
    item = ans104.to_item({"nested": {"k": "v"}})
    broken = dataclasses.replace(item, data=item.data[:40])
    with pytest.raises(EncodingError, match="bundle"):
        ans104.from_item(broken)


def test_every_bad_input_error_is_an_aolab_error():
    for raw in (b"", b"\x01\x00" + bytes(1024) + b"\x02" + bytes(40), _signed_raw()[:-600] + b"\xff" * 5,
                "text", None, b"\x01\x00" + bytes(1026) + b"\x05" + bytes(7) + b"\x09" + bytes(7)):
        with pytest.raises(AolabError):
            ans104.deserialize(raw)


def test_an_unsigned_zero_item_is_valid_but_unsigned():
    message = ans104.deserialize(b"\x01\x00" + bytes(1042))
    assert message == {} and not ans104.verify(message)


def test_bundle_round_trip_and_index_checks():
    items = [dataitem.sign(dataitem.DataItem(data=str(n).encode()), ALICE) for n in range(3)]
    raw = dataitem.bundle(items)
    assert [i.id for i in dataitem.unbundle(raw)] == [i.id for i in items]
    broken = bytearray(raw)
    broken[64] ^= 1  # the first item's ID in the index
    with pytest.raises(EncodingError, match="does not match the index"):
        dataitem.unbundle(bytes(broken))


# -- the device ----------------------------------------------------------------------------

def test_device_round_trip_and_ids():
    lab = aolab.Node(name="ans104-device", operator_key=ALICE, config={"force-signed": False})
    device = {"device": "ans104@1.0"}
    signed = lab.resolve(device, {"path": "commit", "body": {"a": "1"}})
    raw = lab.resolve(device, {"path": "serialize", "body": signed})
    assert lab.resolve(device, {"path": "id", "body": signed}) == aolab.id(signed) == dataitem.deserialize(raw).id
    assert lab.resolve(device, {"path": "verify", "body": signed}) is True
    assert lab.resolve(device, "content-type") == "application/ans104"


def test_device_bad_input_is_a_clear_error():
    lab = aolab.Node(name="ans104-device-bad")
    with pytest.raises(AolabError, match="ans104@1.0"):
        lab.resolve({"device": "ans104@1.0"}, {"path": "deserialize", "body": {"not": "bytes"}})
    with pytest.raises(AolabError, match="no wallet"):
        lab.resolve({"device": "ans104@1.0"}, {"path": "commit", "body": {"a": "1"}})
    with pytest.raises(AolabError, match="ANS-104"):
        lab.resolve({"device": "ans104@1.0"}, {"path": "deserialize", "body": b"short"})


# -- hostile input ---------------------------------------------------------------------------

_SIGNED_RAW = ans104.serialize(ans104.sign({"a": "1", "nested": {"b": "2"}, "data": "payload"}, ALICE))


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=3000))
def test_property_arbitrary_bytes_are_an_item_or_an_aolab_error(raw):
    try:
        message = ans104.deserialize(raw)
    except AolabError:
        return
    assert isinstance(message, dict)


@settings(max_examples=150, deadline=None)
@given(st.integers(0, len(_SIGNED_RAW) - 1), st.integers(1, 255))
def test_property_any_flipped_byte_is_refused_or_fails_verification(position, flip):
    """The item's bytes never verify once changed; its message verifies only when it is
    still the signed content (a changed byte the decoder ignores, such as an unsigned
    child's zero signature in a nested bundle, re-encodes to the signed bytes)."""
    raw = bytearray(_SIGNED_RAW)
    raw[position] ^= flip
    try:
        item = dataitem.deserialize(bytes(raw))
        message = ans104.from_item(item)
    except AolabError:
        return
    assert not dataitem.verify(item)
    if ans104.verify(message):
        assert message == ans104.deserialize(_SIGNED_RAW)


@settings(max_examples=150, deadline=None)
@given(st.deferred(lambda: __import__("tests.fuzz.strategies", fromlist=["x"]).hostile_messages))
def test_property_hostile_messages_encode_and_round_trip_or_are_refused(message):
    try:
        raw = ans104.serialize(message)
    except AolabError:
        return
    back = ans104.deserialize(raw)
    assert ans104.serialize(back) == raw
