"""Two OS processes on one store: every acknowledged message gets exactly one slot.

Each writer schedules 150 messages (40 on the slower file store) on the same process and prints the slot each was
acknowledged with; afterwards the schedule must hold every one of them, each acknowledged
message at its slot and nowhere else, and a hash chain that verifies.  Run on the LMDB
store and on the file store (which takes a ``flock`` for the same section).  A writer
killed with SIGKILL mid-way leaves a store whose every acknowledged message is there.
"""
from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import aolab
from devices import scheduler

PROCESS = {"device": "process@1.0", "execution-device": "counter@1.0", "name": "shared"}

WRITER = textwrap.dedent("""
    import json, sys
    import aolab
    kind, folder, tag, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    store = aolab.LmdbStore(folder, sync=False) if kind == "lmdb" else aolab.DiskStore(folder)
    lab = aolab.Node(name="writer-" + tag, store=store, record=False)
    process = json.loads(sys.argv[5])
    for n in range(count):
        assignment = lab.schedule(process, {"action": "add", "amount": 1, "writer": tag, "n": n})
        print(json.dumps([tag, n, assignment["slot"]]), flush=True)
""")


def open_store(kind, folder):
    return aolab.LmdbStore(folder, sync=False) if kind == "lmdb" else aolab.DiskStore(folder)


def start_writer(kind, folder, tag, count):
    return subprocess.Popen([sys.executable, "-c", WRITER, kind, str(folder), tag, str(count),
                             json.dumps(PROCESS)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def acknowledged(lines: str) -> list:
    return [json.loads(line) for line in lines.splitlines() if line.startswith("[")]


def schedule_of(store) -> list:
    process_id = aolab.id(PROCESS)
    current, _ = scheduler.latest(store, process_id)
    return [scheduler.read_assignment(store, process_id, n) for n in range(current + 1)]


def assert_each_acknowledged_once(store, acks):
    assignments = schedule_of(store)
    assert scheduler.check_chain(assignments) == {"valid": True, "checked": len(assignments)}
    placed = {}
    for assignment in assignments:
        body = assignment["body"]
        placed.setdefault((body["writer"], body["n"]), []).append(assignment["slot"])
    for tag, n, slot in acks:
        assert placed.get((tag, n)) == [slot], (tag, n, slot, placed.get((tag, n)))
    return assignments


@pytest.mark.parametrize("kind, each", [("lmdb", 150), ("disk", 40)])  # files are slow to write
def test_two_processes_scheduling_messages_on_one_store(tmp_path, kind, each):
    folder = tmp_path / "store"
    open_store(kind, folder)  # created before the writers race to create it
    writers = [start_writer(kind, folder, tag, each) for tag in ("a", "b")]
    acks = []
    for writer in writers:
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
        acks += acknowledged(out)
    assert len(acks) == 2 * each
    store = open_store(kind, folder)
    assignments = assert_each_acknowledged_once(store, acks)
    assert sorted(a["slot"] for a in assignments) == list(range(2 * each))
    assert store.check()["corrupted"] == []
    lab = aolab.Node(store=store, record=False)
    assert lab.compute(PROCESS, slot=2 * each - 1)["count"] == 2 * each


@pytest.mark.parametrize("kind", ["lmdb", "disk"])
def test_a_writer_killed_mid_way_loses_no_acknowledged_message(tmp_path, kind):
    folder = tmp_path / "store"
    open_store(kind, folder)
    victim = start_writer(kind, folder, "killed", 100_000)
    survivor = start_writer(kind, folder, "survivor", 30)
    acks = []
    try:
        for _ in range(20):  # let the victim acknowledge some messages
            acks.append(json.loads(victim.stdout.readline()))
        time.sleep(0.05)
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
    acks += acknowledged(victim.stdout.read())
    out, err = survivor.communicate(timeout=300)
    assert survivor.returncode == 0, err
    acks += acknowledged(out)
    store = open_store(kind, folder)
    assert store.check()["corrupted"] == []
    assert_each_acknowledged_once(store, acks)


def test_the_lmdb_store_keeps_a_snapshot_chunk_once(tmp_path):
    """A slot's snapshot shares its unchanged chunks with the previous one, in memory;
    the LMDB store keeps each distinct chunk once, by its SHA-256."""
    store = aolab.LmdbStore(tmp_path / "lmdb")
    body = [bytes([n]) * 4096 for n in range(1, 9)]
    store.write_result("a/1", {"snapshot": {"bodies": body}})
    before = store.stored_bytes()
    store.write_result("a/2", {"snapshot": {"bodies": [*body[:7], bytes([99]) * 4096]}})
    assert store.stored_bytes() - before < 4096 + 2048  # one new chunk and the entry
    assert store.read("a/2")["snapshot"]["bodies"][7] == bytes([99]) * 4096


def test_a_corrupted_lmdb_blob_is_reported(tmp_path):
    store = aolab.LmdbStore(tmp_path / "lmdb")
    store.write_result("k/1", {"body": bytes(5000)})
    with store.exclusive():
        txn = store._local.txn
        for key, _ in txn.cursor(db=store._blobs):
            txn.put(bytes(key), b"tampered", db=store._blobs)
    assert store.check()["corrupted"]
    with pytest.raises(aolab.errors.StoreError, match="missing or corrupted"):
        store.read("k/1")


def test_two_lmdb_stores_on_one_folder_in_one_process_share_a_transaction(tmp_path):
    first = aolab.LmdbStore(tmp_path / "lmdb")
    second = aolab.LmdbStore(tmp_path / "lmdb")
    with first.exclusive():
        second.write_result("k/1", {"n": 1})  # no second write transaction: no deadlock
        assert first.read("k/1") == {"n": 1}
    second.close()
    assert first.read("k/1") == {"n": 1}  # the environment stays open for the first


@pytest.mark.parametrize("kind", ["memory", "disk"])
def test_a_store_with_its_lock_still_travels_to_another_process(tmp_path, kind):
    """Dask sends stores to its workers by pickling them: the lock is made anew there."""
    import pickle
    store = aolab.MemoryStore() if kind == "memory" else aolab.DiskStore(tmp_path / "store")
    copy = pickle.loads(pickle.dumps(store))
    with copy.exclusive():
        copy.write_result("k/1", {"n": 1})
    assert copy.read("k/1") == {"n": 1}
