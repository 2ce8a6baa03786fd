"""Stores: results by hashpath and ID, in memory and on disk."""
from __future__ import annotations

import os

import pytest

import aolab
from aolab.errors import StoreError
from aolab.store import DiskStore, MemoryStore, decode_value, encode_value


def test_results_can_be_fetched_back_by_hashpath_and_id(node):
    result = node.resolve({"a": "1"}, {"path": "set", "b": {"c": 2.5, "d": [1, b"\x00", None, True]}})
    hashpath = aolab.hashpath(result)
    fetched = node.read(hashpath)
    assert fetched["b"] == result["b"]
    assert node.read(aolab.id(result))["b"] == result["b"]


def test_write_returns_the_message_id(node):
    msg = {"a": "1"}
    assert node.write(msg) == aolab.id(msg)
    assert node.read(aolab.id(msg)) == msg


def test_missing_entry_is_a_clear_error(node):
    with pytest.raises(StoreError, match="no message stored"):
        node.read("x" * 43)


def test_disk_store_detects_corruption(tmp_path):
    store = DiskStore(tmp_path)
    message_id = store.write({"a": "1"})
    file = tmp_path / "messages" / f"{message_id}.json"
    file.write_bytes(file.read_bytes().replace(b'"1"', b'"2"'))
    with pytest.raises(StoreError, match="corrupted"):
        store.read(message_id)


def test_disk_store_leaves_no_temporary_files(tmp_path):
    store = DiskStore(tmp_path, fsync=True)
    for i in range(5):
        store.write_result(f"{aolab.id({'i': i})}/k", {"i": i})
    leftovers = [f for f in tmp_path.rglob(".tmp-*")]
    assert leftovers == []


def test_disk_store_survives_a_new_process_view(tmp_path):
    first = DiskStore(tmp_path)
    message_id = first.write({"a": "1", "n": 3})
    assert DiskStore(tmp_path).read(message_id) == {"a": "1", "n": 3}


def test_interrupted_write_keeps_the_old_entry(tmp_path, monkeypatch):
    store = DiskStore(tmp_path)
    hashpath = f"{aolab.id({'x': '1'})}/k"
    store.write_result(hashpath, {"v": "old"})

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(StoreError, match="disk full"):
        store.write_result(hashpath, {"v": "new"})
    monkeypatch.undo()
    assert store.read(hashpath) == {"v": "old"}
    assert not list(tmp_path.rglob(".tmp-*"))


def test_private_keys_are_not_stored():
    store = MemoryStore()
    message_id = store.write({"a": "1", "priv": {"secret": "x", "hashpath": "h"}})
    assert store.read(message_id) == {"a": "1", "priv": {"hashpath": "h"}}


@pytest.mark.parametrize("value", [
    {"s": "x", "b": b"\xff", "i": -(2 ** 70), "f": 0.1, "t": True, "n": None, "l": [1, [2, {"x": "y"}]]},
    {},
])
def test_typed_encoding_round_trips(value):
    assert decode_value(encode_value(value)) == value


def test_private_keys_are_never_stored_at_any_depth():
    from aolab.store import storable
    message = {"a": {"priv": {"instance": object()}, "b": 1}, "priv": {"hashpath": "x/y", "live": 1},
               "list": [{"priv-note": 1, "c": 2}]}
    assert storable(message) == {"a": {"b": 1}, "priv": {"hashpath": "x/y"}, "list": [{"c": 2}]}


def test_disk_store_keeps_no_nested_private_values(tmp_path):
    from aolab.store import DiskStore
    store = DiskStore(tmp_path / "s")
    key = store.write({"a": {"priv": {"instance": object()}, "b": 1}})
    assert store.read(key) == {"a": {"b": 1}}
