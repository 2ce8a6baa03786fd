"""The disk store under SIGKILL, with two processes at once, and with corrupted files."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import aolab
from aolab.errors import StoreError
from aolab.store import DiskStore

WRITER = textwrap.dedent("""
    import sys
    import aolab
    from aolab.store import DiskStore
    store = DiskStore(sys.argv[1])
    tag = sys.argv[2]
    lab = aolab.Node(name="writer-" + tag, store=store, record=False)
    state = {"device": "counter@1.0", "count": 0, "writer": tag}
    n = 0
    while True:
        n += 1
        store.write({"writer": tag, "n": n, "payload": "x" * (n % 5000)})
        state = lab.resolve(state, {"path": "add", "amount": n})
        if n == 5:
            print("ready", flush=True)
""")


def start_writer(folder, tag):
    return subprocess.Popen([sys.executable, "-c", WRITER, str(folder), tag],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def assert_store_whole(folder):
    store = DiskStore(folder)
    report = store.check()
    assert report["corrupted"] == [], report
    assert report["entries"] > 0
    return store


@pytest.mark.parametrize("seed", range(4))
def test_sigkill_mid_write_leaves_no_half_entry(tmp_path, seed):
    rng = random.Random(seed)
    folder = tmp_path / "store"
    writer = start_writer(folder, "a")
    try:
        assert writer.stdout.readline().strip() == "ready", writer.stderr.read()
        time.sleep(rng.uniform(0.01, 0.3))
    finally:
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=10)
    store = assert_store_whole(folder)
    # the store is still usable: a node on it carries on
    lab = aolab.Node(name=f"after-kill-{seed}", store=store)
    assert lab.resolve({"device": "counter@1.0", "count": 1}, {"path": "add"})["count"] == 2


def test_two_processes_share_a_store(tmp_path):
    folder = tmp_path / "store"
    writers = [start_writer(folder, tag) for tag in ("a", "b")]
    try:
        for writer in writers:
            assert writer.stdout.readline().strip() == "ready", writer.stderr.read()
        reader = DiskStore(folder)
        deadline = time.monotonic() + 0.5
        reads = 0
        while time.monotonic() < deadline:  # read while both write
            for file in list((folder / "messages").glob("*.json"))[:20]:
                reader.read(file.stem)
                reads += 1
        assert reads > 0
    finally:
        for writer in writers:
            writer.send_signal(signal.SIGKILL)
            writer.wait(timeout=10)
    assert_store_whole(folder)


def test_corrupted_file_is_reported_not_returned(tmp_path):
    store = DiskStore(tmp_path / "store")
    message_id = store.write({"a": "1"})
    file = tmp_path / "store" / "messages" / f"{message_id}.json"
    data = bytearray(file.read_bytes())
    data[-5] ^= 0x01
    file.write_bytes(bytes(data))
    with pytest.raises(StoreError, match="corrupted"):
        store.read(message_id)
    assert store.check()["corrupted"] == [f"messages/{message_id}.json"]


def test_swapped_content_is_detected(tmp_path):
    """A file whose checksum is right but whose message is another one."""
    store = DiskStore(tmp_path / "store")
    first, second = store.write({"a": "1"}), store.write({"a": "2"})
    folder = tmp_path / "store" / "messages"
    text = (folder / f"{second}.json").read_text()
    import hashlib
    import json
    entry = json.loads(text.split("\n", 1)[1])
    entry["id"] = first
    payload = json.dumps(entry, sort_keys=True, separators=(",", ":")).encode()
    (folder / f"{first}.json").write_bytes(hashlib.sha256(payload).hexdigest().encode() + b"\n" + payload)
    with pytest.raises(StoreError, match="ID is not"):
        store.read(first)


def test_leftover_temporary_files_are_ignored(tmp_path):
    store = DiskStore(tmp_path / "store")
    (tmp_path / "store" / "messages" / ".tmp-abc").write_bytes(b"half a mess")
    message_id = store.write({"a": "1"})
    assert store.read(message_id) == {"a": "1"}
    assert store.check() == {"entries": 1, "corrupted": [], "dangling": []}


def test_failed_resolution_leaves_store_and_trace_consistent(tmp_path):
    lab = aolab.Node(store=tmp_path / "store")
    good = lab.resolve({"device": "counter@1.0", "count": 0}, {"path": "add"})
    entries = lab.store.check()["entries"]
    with pytest.raises(aolab.errors.AolabError):
        lab.resolve(good, {"path": "compute", "body": {"action": "explode"}})
    assert lab.store.check() == {"entries": entries, "corrupted": [], "dangling": []}
    assert [r["status"] for r in lab.trace.records] == ["ok", "error"]
    assert lab.resolve(good, {"path": "add"})["count"] == 2


@pytest.mark.skipif(os.name != "posix", reason="uses POSIX signals")
def test_writer_script_really_writes(tmp_path):
    writer = start_writer(tmp_path / "s", "z")
    try:
        assert writer.stdout.readline().strip() == "ready"
    finally:
        writer.kill()
        writer.wait(timeout=10)
    assert len(list((tmp_path / "s" / "messages").glob("*.json"))) >= 5
