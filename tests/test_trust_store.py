"""Trust, item 7: stores accept only well-formed keys, and their check never crashes.

Attacks: 43-character keys that climb out of the store root or alias another
spelling of one ID; corrupted store folders that used to crash ``check()``.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aolab
from aolab.errors import StoreError
from aolab.ids import is_id
from aolab.store import DiskStore, MemoryStore, decode_value

ID = aolab.id({"a": "1"})


@pytest.mark.parametrize("key", [
    "../" * 14 + "x",                      # 43 characters of path traversal
    "../../../../../../../../../../../etc/passwd",
    "./" * 21 + "x",
    "a/" * 21 + "b",
    ID.replace("_", "/"), ID.replace("-", "+") if "-" in ID else ID[:-1] + "+",
    ID[:-1] + ".",
    ID[:-1] + "=",
    ID[:-1] + "t",                         # non-canonical last character: aliases another spelling
])
def test_is_id_refuses_what_is_not_a_canonical_id(key):
    assert len(key) == 43
    assert not is_id(key)


def test_is_id_accepts_ids():
    assert is_id(ID) and is_id(aolab.human_id(bytes(32))) and is_id(aolab.human_id(b"\xff" * 32))


@settings(max_examples=200)
@given(st.binary(min_size=32, max_size=32))
def test_property_every_id_has_exactly_one_spelling(native):
    human = aolab.human_id(native)
    assert is_id(human)
    for index in range(43):
        for other in "+/.=":
            assert not is_id(human[:index] + other + human[index + 1:])
    variants = [human[:-1] + c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"]
    assert sum(is_id(v) for v in variants) == 16  # 4 bits in the last character, 2 zero bits
    assert [v for v in variants if is_id(v) and aolab.ids.native_id(v) == native] == [human]


@pytest.mark.parametrize("key", ["../" * 14 + "x", "..%2F" * 8 + "abc", ID[:-1] + "t", ID.replace("_", "/")])
def test_disk_store_never_reads_outside_its_messages(tmp_path, key):
    outside = tmp_path / "x.json"
    outside.write_text("secret")
    store = DiskStore(tmp_path / "a" / "b" / "c" / "d" / "store")
    with pytest.raises(StoreError):
        store.read(key)
    assert key not in store


def test_stores_refuse_non_text_keys(tmp_path):
    for store in (MemoryStore(), DiskStore(tmp_path / "s")):
        with pytest.raises(StoreError):
            store.read(["a"])
        with pytest.raises(StoreError):
            store.read(b"\xff")


def _entry_file(folder, name, entry):
    payload = json.dumps(entry).encode()
    (folder / name).write_bytes(hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)


def test_check_survives_hostile_files(tmp_path):
    store = DiskStore(tmp_path)
    good = store.write({"a": "1"})
    (tmp_path / "messages" / "dir.json").mkdir()                                 # a directory
    _entry_file(tmp_path / "messages", f"{aolab.id({'b': '1'})}.json", ["a", "list"])  # valid checksum
    deep = {"map": {}}
    for _ in range(5000):
        deep = {"list": [deep]}
    _entry_file(tmp_path / "messages", f"{aolab.id({'c': '1'})}.json",
                {"id": aolab.id({"c": "1"}), "message": {"str": "x"}})
    deep_payload = ('{"id": "x", "message": ' + '{"list": [' * 3000 + "{}" + "]}" * 3000 + "}").encode()
    (tmp_path / "messages" / f"{aolab.id({'d': '1'})}.json").write_bytes(
        hashlib.sha256(deep_payload).hexdigest().encode() + b"\n" + deep_payload)
    _entry_file(tmp_path / "messages", "not-an-id.json", {"id": "not-an-id", "message": {"str": "x"}})
    report = store.check()
    assert report["entries"] == 6
    assert f"messages/{good}.json" not in report["corrupted"]
    assert len(report["corrupted"]) == 5
    assert store.read(good) == {"a": "1"}


def test_check_reports_links_whose_message_is_missing(tmp_path):
    store = DiskStore(tmp_path)
    hashpath = f"{ID}/key"
    store.write_result(hashpath, {"v": "1"})
    message_id = aolab.id({"v": "1"})
    os.unlink(tmp_path / "messages" / f"{message_id}.json")
    report = store.check()
    assert report["dangling"] == [f"hashpaths/{hashlib.sha256(hashpath.encode()).hexdigest()}.json"]
    with pytest.raises(StoreError):
        store.read(hashpath)


def test_a_link_naming_a_traversal_id_is_refused(tmp_path):
    store = DiskStore(tmp_path / "store")
    hashpath = f"{ID}/key"
    link = store._link_file(hashpath)
    _entry_file(link.parent, link.name, {"hashpath": hashpath, "id": "../" * 14 + "x"})
    with pytest.raises(StoreError):
        store.read(hashpath)
    assert store.check()["corrupted"] == [f"hashpaths/{link.name}"]


@pytest.mark.parametrize("encoded", [
    None, [], "x", {"str": 1}, {"int": "one"}, {"bytes": "!!"}, {"atom": "maybe"},
    {"float": "x"}, {"list": "x"}, {"map": []}, {"a": 1, "b": 2}, {"nope": 1},
])
def test_decode_value_refuses_what_it_did_not_write(encoded):
    with pytest.raises(StoreError):
        decode_value(encoded)


def test_decode_value_refuses_deep_nesting():
    deep = {"str": "x"}
    for _ in range(2000):
        deep = {"list": [deep]}
    with pytest.raises(StoreError, match="nested"):
        decode_value(deep)


def test_a_full_disk_during_a_top_level_resolve_is_a_store_error(tmp_path, monkeypatch):
    lab = aolab.Node(name="full", store=tmp_path / "store")
    first = lab.resolve({"device": "counter@1.0", "count": 0}, {"path": "add"})
    entries = lab.store.check()

    def full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(StoreError, match="No space left"):
        lab.resolve(first, {"path": "add"})
    monkeypatch.undo()
    assert lab.store.check() == entries
    assert lab.trace.steps()["status"].iloc[-1] != "ok"


def test_bytes_and_base64_store_keys_do_not_alias(tmp_path):
    store = DiskStore(tmp_path)
    message_id = store.write({"a": "1"})
    native = aolab.ids.native_id(message_id)
    standard = base64.b64encode(native).rstrip(b"=").decode()
    if standard != message_id:
        with pytest.raises(StoreError):
            store.read(standard)
