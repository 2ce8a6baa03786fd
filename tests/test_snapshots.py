"""Memory snapshots: keyframes and byte-level deltas restore exactly (aolab.snapshots).

Properties over random memories and random edits: every snapshot, restored
through its chain of bases, gives back the memory byte for byte; the same
history gives the same snapshots (the same IDs); a restored tracker goes on
exactly as one that never stopped.
"""
from __future__ import annotations

import ctypes

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aolab import ids, memory_deltas, snapshots

PAGE = snapshots.PAGE
CHUNK = snapshots.CHUNK


def restored(snapshot: dict, stored: dict, pages: int) -> bytes:
    """The memory a snapshot restores into a zeroed one (as Instance.restore does)."""
    memory = np.zeros(pages * PAGE, np.uint8)
    chain = snapshots.chain(snapshot, stored.__getitem__)
    for offset, body in snapshots.writes(chain[0]):
        memory[offset:offset + len(body)] = np.frombuffer(body, np.uint8)
    for delta in chain[1:]:
        memory_deltas.apply(memory, *snapshots.delta_runs(delta))
    return memory.tobytes()


def take(tracker, memory) -> dict:
    return tracker.take(ctypes.addressof(memory), len(memory))


edits = st.lists(st.tuples(st.integers(0, 3 * PAGE - 1), st.binary(min_size=1, max_size=300)),
                 max_size=12)


@settings(max_examples=60, deadline=None)
@given(history=st.lists(edits, min_size=1, max_size=8), ratio=st.sampled_from([0, 0.01, 8]),
       grow=st.booleans())
def test_every_snapshot_restores_the_memory_byte_for_byte(history, ratio, grow):
    memory = (ctypes.c_ubyte * (2 * PAGE))()
    tracker, stored = snapshots.Tracker(keyframe_ratio=ratio), {}
    for step, edit in enumerate(history):
        if grow and step == len(history) // 2:  # the memory grows by a page
            bigger = (ctypes.c_ubyte * (3 * PAGE))()
            ctypes.memmove(bigger, memory, len(memory))
            memory = bigger
        for offset, data in edit:
            offset %= len(memory) - len(data)
            ctypes.memmove(ctypes.addressof(memory) + offset, data, len(data))
        snapshot = take(tracker, memory)
        stored[ids.id(snapshot)] = snapshot
        assert snapshots.pages_of(snapshot) == len(memory) // PAGE
        assert restored(snapshot, stored, len(memory) // PAGE) == bytes(memory)


@settings(max_examples=30, deadline=None)
@given(history=st.lists(edits, min_size=2, max_size=6), stop=st.integers(0, 4))
def test_a_restored_tracker_takes_the_snapshots_of_one_that_never_stopped(history, stop):
    stop %= len(history) - 1
    memory = (ctypes.c_ubyte * (3 * PAGE))()
    steady, stored, taken = snapshots.Tracker(keyframe_ratio=0.05), {}, []
    for edit in history:
        for offset, data in edit:
            offset %= len(memory) - len(data)
            ctypes.memmove(ctypes.addressof(memory) + offset, data, len(data))
        taken.append(take(steady, memory))
        stored[ids.id(taken[-1])] = taken[-1]
    # replay: stop after snapshot *stop*, restore it into a new tracker, go on
    memory = (ctypes.c_ubyte * (3 * PAGE))()
    ctypes.memmove(memory, restored(taken[stop], stored, 3), len(memory))
    again = snapshots.Tracker(keyframe_ratio=0.05)
    again.reset(taken[stop], ctypes.addressof(memory), len(memory),
                snapshots.chain(taken[stop], stored.__getitem__))
    for index, edit in enumerate(history[stop + 1:], start=stop + 1):
        for offset, data in edit:
            offset %= len(memory) - len(data)
            ctypes.memmove(ctypes.addressof(memory) + offset, data, len(data))
        assert ids.id(take(again, memory)) == ids.id(taken[index])


def test_unchanged_memory_gives_an_empty_delta_and_keyframes_share_chunks():
    memory = (ctypes.c_ubyte * PAGE)()
    memory[5], memory[9000] = 1, 2
    tracker = snapshots.Tracker(max_depth=0)  # every snapshot a keyframe
    first = take(tracker, memory)
    memory[9001] = 3
    second = take(tracker, memory)
    assert snapshots.chunk_numbers(second) == [0, 2]
    assert second["bodies"][0] is first["bodies"][0]  # chunk 0 did not change
    assert second["bodies"][1] is not first["bodies"][1]
    deltas = snapshots.Tracker()
    take(deltas, memory)
    empty = take(deltas, memory)
    assert empty["delta-bytes"] == b"" and memory_deltas.decode(empty["delta-runs"], 0)[0].size == 0


def test_a_keyframe_comes_when_the_deltas_outweigh_the_memory_in_use():
    memory = (ctypes.c_ubyte * PAGE)()
    memory[0] = 1  # one chunk in use: deltas may add up to 2 * 4096 bytes
    tracker = snapshots.Tracker(keyframe_ratio=2)
    kinds = []
    for step in range(12):
        ctypes.memmove(ctypes.addressof(memory) + 100, bytes([step + 1]) * 1000, 1000)
        kinds.append("delta" if snapshots.is_delta(take(tracker, memory)) else "keyframe")
    assert kinds[0] == "keyframe" and kinds.count("keyframe") >= 2
    assert max(len(run) for run in "".join(k[0] for k in kinds).split("k")) <= 8


@pytest.mark.parametrize("runs, size, message", [
    (b"", 0, "empty"),
    (b"\x81", 0, "end inside a number"),
    (b"\x02\x08", 0, "lists 2 runs"),
    (b"\x01\x08\x00", 0, "run of 0 bytes"),
    (b"\x01\x09", 5, "cover 1 bytes; its bytes are 5"),
])
def test_a_malformed_delta_is_refused_with_what_is_wrong(runs, size, message):
    with pytest.raises(ValueError, match=message):
        memory_deltas.decode(runs, size)


def test_a_delta_past_the_memory_is_refused():
    starts, lengths = memory_deltas.decode(memory_deltas.encode(np.array([PAGE]), np.array([1])), 1)
    with pytest.raises(ValueError, match="past the memory"):
        memory_deltas.apply(np.zeros(PAGE, np.uint8), starts, lengths, b"\x01")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5000), st.integers(1, 5000)), max_size=30))
def test_runs_encode_and_decode_exactly(gaps_and_lengths):
    starts, at = [], 0
    for gap, length in gaps_and_lengths:
        starts.append(at + gap)
        at += gap + length
    lengths = np.array([n for _, n in gaps_and_lengths], np.int64)
    encoded = memory_deltas.encode(np.array(starts, np.int64), lengths)
    found = memory_deltas.decode(encoded, int(lengths.sum()))
    assert found[0].tolist() == starts and found[1].tolist() == lengths.tolist()


@settings(max_examples=40, deadline=None)
@given(history=st.lists(st.tuples(edits, st.booleans()), min_size=1, max_size=8))
def test_a_lazy_snapshot_writes_the_memory_of_the_last_checkpoint(history):
    """Checkpoints copy the memory aside; a snapshot written later is of the last
    checkpoint (edits made after it are not in it) and restores through the
    snapshots written before it."""
    memory = (ctypes.c_ubyte * (2 * PAGE))()
    tracker, stored = snapshots.Tracker(keyframe_ratio=0.05), {}
    for edit, write in history:
        for offset, data in edit:
            offset %= len(memory) - len(data)
            ctypes.memmove(ctypes.addressof(memory) + offset, data, len(data))
        tracker.checkpoint(ctypes.addressof(memory), len(memory))
        at_checkpoint = bytes(memory)
        memory[7] = (memory[7] + 1) % 256  # changed after the checkpoint
        if write:
            snapshot = tracker.write()
            stored[ids.id(snapshot)] = snapshot
            assert restored(snapshot, stored, 2) == at_checkpoint
