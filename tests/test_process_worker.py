"""The live process worker: slot N+1 after N costs one call, whatever the rhythm."""
from __future__ import annotations

import threading

import pytest

import aolab
import aolab.data
from aolab import wasm_runtime
from devices import process_worker

AO_STACK = ["wasi@1.0", "json-iface@1.0", "wasm64@1.0"]


def counter_process(node, **extra):
    return node.spawn({"device": "process@1.0", "execution-device": "stack@1.0",
                       "device-stack": AO_STACK, "image": aolab.data.wasm("counter-process"),
                       **extra})


@pytest.fixture
def handle_calls(monkeypatch):
    """Counts the ``handle`` calls made into WebAssembly instances."""
    calls = []
    original = wasm_runtime.Instance.call

    def counting(self, name, *args, **kwargs):
        if name == "handle":
            calls.append(name)
        return original(self, name, *args, **kwargs)
    monkeypatch.setattr(wasm_runtime.Instance, "call", counting)
    return calls


@pytest.mark.parametrize("frequency", [1, 100])
def test_one_message_at_a_time_costs_one_handle_per_slot(handle_calls, frequency):
    lab = aolab.Node()
    proc = counter_process(lab, **{"cache-frequency": frequency})
    for slot in range(8):
        lab.schedule(proc, {"action": "Ping"})
        assert lab.compute(proc, slot=slot)["results"]["data"] == str(slot + 1)
    assert len(handle_calls) == 8


def test_batch_and_one_at_a_time_give_the_same_states():
    one, batch = aolab.Node(), aolab.Node()
    first, second = counter_process(one), counter_process(batch)
    for slot in range(5):
        one.schedule(first, {"action": "Ping"})
        one.compute(first, slot=slot)
        batch.schedule(second, {"action": "Ping"})
    stepwise, at_once = one.compute(first, slot=4), batch.compute(second, slot=4)
    assert stepwise["results"] == at_once["results"]
    assert aolab.hashpath(stepwise) == aolab.hashpath(at_once)


def test_a_restarted_node_reloads_from_the_last_snapshot(tmp_path, handle_calls):
    lab = aolab.Node(store=tmp_path / "store")
    proc = counter_process(lab)
    for _ in range(4):
        lab.schedule(proc, {"action": "Ping"})
    lab.compute(proc, slot=2)
    process_worker.stop_all(lab.opts())  # the node stops: its owed snapshot is written
    stored = lab.store.read(f"~process@1.0/{aolab.id(proc)}/computed/2")
    assert "snapshot" in stored and "snapshot" not in lab.store.read(
        f"~process@1.0/{aolab.id(proc)}/computed/1")  # lazy: only the last one was written
    again = aolab.Node(store=tmp_path / "store")  # a restart: nothing live
    assert process_worker.live(again.opts(), aolab.id(proc)) is None
    assert again.compute(proc, slot=3)["results"]["data"] == "4"
    assert [r["key"] for r in again.trace.records if r["device"] == "wasm64@1.0"][0] == "normalize"
    assert len(handle_calls) == 4  # 3 before the restart, 1 after: no replay


def test_a_crashed_node_replays_from_the_last_snapshot_written(tmp_path, handle_calls):
    lab = aolab.Node(store=tmp_path / "store")
    proc = counter_process(lab)
    for _ in range(8):
        lab.schedule(proc, {"action": "Ping"})
    computed = lab.compute(proc, slot=6, process_snapshot_lag=4)  # written at slot 3 only
    key = f"~process@1.0/{aolab.id(proc)}"
    assert [n for n in range(7) if "snapshot" in lab.store.read(f"{key}/computed/{n}")] == [3]
    again = aolab.Node(store=tmp_path / "store")  # a crash: the owed snapshot of 6 is lost
    state = again.compute(proc, slot=7)
    assert state["results"]["data"] == "8" and len(handle_calls) == 7 + 4  # replays 4-6, then 7
    fresh = aolab.Node()
    other = counter_process(fresh)
    for _ in range(8):
        fresh.schedule(other, {"action": "Ping"})
    assert aolab.hashpath(fresh.compute(other, slot=7)) == aolab.hashpath(state)
    assert computed["results"]["data"] == "7"


def test_an_evicted_worker_writes_its_owed_snapshot(monkeypatch):
    monkeypatch.setattr(process_worker, "MAX_LIVE", 1)
    lab = aolab.Node()
    first, second = counter_process(lab, tag="first"), counter_process(lab, tag="second")
    lab.schedule(first, {"action": "Ping"})
    lab.compute(first, slot=0)
    assert "snapshot" not in lab.store.read(f"~process@1.0/{aolab.id(first)}/computed/0")
    lab.schedule(second, {"action": "Ping"})
    lab.compute(second, slot=0)  # the first process's worker is evicted
    assert "snapshot" in lab.store.read(f"~process@1.0/{aolab.id(first)}/computed/0")


def test_two_callers_asking_for_different_slots_get_their_own_states(handle_calls):
    lab = aolab.Node(record=False)
    proc = counter_process(lab)
    for _ in range(12):
        lab.schedule(proc, {"action": "Ping"})
    answers, errors = {}, []

    def ask(slot):
        try:
            answers[slot] = lab.compute(proc, slot=slot)["results"]["data"]
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
    threads = [threading.Thread(target=ask, args=(slot,)) for slot in (11, 4, 7)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and answers == {11: "12", 4: "5", 7: "8"}
    assert len(handle_calls) == 12  # each slot once: the later callers read the store


def test_an_old_state_never_computes_on_the_moved_on_instance():
    """A state returned for slot 1 shares the instance that is now at slot 4:
    computing from it must not use that memory."""
    lab = aolab.Node()
    proc = counter_process(lab)
    for _ in range(5):
        lab.schedule(proc, {"action": "Ping"})
    old = lab.compute(proc, slot=1)
    lab.compute(proc, slot=4)
    for slot in (2, 3, 4):  # drop the stored states after slot 1
        lab.store._by_hashpath.pop(f"~process@1.0/{aolab.id(proc)}/computed/{slot}")
    assert lab.resolve(old, {"path": "compute", "slot": 3})["results"]["data"] == "4"


def test_a_failed_slot_leaves_no_stale_live_state():
    lab = aolab.Node()
    proc = counter_process(lab)
    lab.schedule(proc, {"action": "Ping"})
    lab.compute(proc, slot=0)
    live = process_worker.live(lab.opts(), aolab.id(proc))
    assert live is not None and live["at-slot"] == 0
    status, _ = lab.resolve_status(proc, {"path": "compute", "slot": 1})  # nothing scheduled
    assert status == "error"
    lab.schedule(proc, {"action": "Ping"})
    assert lab.compute(proc, slot=1)["results"]["data"] == "2"


def test_a_slot_hashes_neither_the_process_nor_its_message_again(monkeypatch):
    """The process ID and each scheduled message's ID are computed once (a memo
    keyed by content, so a message changed in place gets a new ID)."""
    from aolab import ids
    lab = aolab.Node(record=False)
    proc = counter_process(lab, tag="ids-once")
    for _ in range(4):
        lab.schedule(proc, {"action": "Ping"})
    lab.compute(proc, slot=0)
    hashed = []
    original = ids.id

    def counting(message, *args, **kwargs):
        hashed.append(message)
        return original(message, *args, **kwargs)
    monkeypatch.setattr(ids, "id", counting)
    lab.compute(proc, slot=3)
    process = [m for m in hashed if m.get("tag") == "ids-once"]
    assert len(process) == 1  # the compute call's base (its step's hashpath), not per slot
    assert not [m for m in hashed if m.get("action") == "Ping"]  # the scheduled messages
    assert len(hashed) == 2 + 3  # the compute request, and each slot's assignment once
    # (a slot's snapshot is lazy: a checkpoint, nothing hashed until it is written)
