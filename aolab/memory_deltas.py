"""Byte-level deltas of a memory: the runs of bytes that changed, and their new bytes.

A delta between two versions of a memory is two ``bytes`` values:

``delta-runs``
    LEB128 varints: the number of runs *n*; then one token per run,
    ``gap * 8 + length`` (``gap``: unchanged bytes between the end of the
    previous run, or address 0, and this run; ``length`` 1 to 7, or 0 when the
    run is longer); then the lengths of the longer runs, in order.
``delta-bytes``
    the new bytes of every run, one run after the other.

Runs separated by at most :data:`MERGE_GAP` unchanged bytes are one run (the
unchanged byte costs less than another token).  An aos message changes about
10,900 bytes in some 4,300 runs (most 1 to 4 bytes long, a few hundred bytes
apart): the tokens take about 8,000 bytes, so a delta costs about 1.7 times
the bytes that changed.  Everything is computed with numpy, a few arrays per
delta (a loop over 4,300 runs in Python would cost more than the message).

>>> import numpy as np
>>> before = np.zeros((1, 4096), np.uint8)
>>> now = before.copy(); now[0, 10:13] = 7; now[0, 14] = 9; now[0, 100] = 1
>>> starts, lengths, data = changed_runs(now, before, np.array([2]), 4096)
>>> [int(s) - 2 * 4096 for s in starts], [int(n) for n in lengths], data
([10, 100], [5, 1], b'\\x07\\x07\\x07\\x00\\t\\x01')
>>> runs = encode(starts, lengths)
>>> [int(s) for s in decode(runs, len(data))[0]] == [int(s) for s in starts]
True
"""
from __future__ import annotations

import numpy as np

#: Unchanged bytes between two changed ones that still make one run.
MERGE_GAP = 1
_SHORT = 8              # tokens hold lengths 1..7; 0 means "in the list of long lengths"
_GROUPS = 10            # 7-bit groups of a 64-bit varint


def changed_runs(now: np.ndarray, before: np.ndarray, numbers: np.ndarray, chunk: int):
    """``(starts, lengths, data)``: the runs where *now* differs from *before*.

    *now* and *before* are ``(K, chunk)`` uint8 arrays: chunks number *numbers*
    (ascending) of the memory, after and before.  *starts* are addresses in the
    memory; *data* the bytes of *now* in the runs, in order."""
    words = np.flatnonzero(now.view(np.uint64) != before.view(np.uint64))  # 8 bytes at a time
    if words.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), b""
    flat = now.reshape(-1)
    differ = flat.reshape(-1, 8)[words] != before.reshape(-1, 8)[words]
    changed = (words[:, None] * 8 + np.arange(8))[differ]
    address = numbers.astype(np.int64)[changed // chunk] * chunk + changed % chunk
    breaks = np.flatnonzero(np.diff(address) > MERGE_GAP + 1)
    first = np.r_[0, breaks + 1]
    last = np.r_[breaks, changed.size - 1]
    starts, lengths = address[first], address[last] - address[first] + 1
    # a run merged over a chunk boundary joins neighbouring chunks: adjacent rows of *now*
    offsets = np.cumsum(lengths) - lengths
    where = np.repeat(changed[first] - offsets, lengths) + np.arange(int(lengths.sum()))
    return starts, lengths, flat[where].tobytes()


def encode(starts: np.ndarray, lengths: np.ndarray) -> bytes:
    """The ``delta-runs`` varints of runs at *starts* of *lengths* bytes."""
    starts, lengths = starts.astype(np.uint64), lengths.astype(np.uint64)
    ends = starts + lengths
    gaps = starts - np.r_[np.uint64(0), ends[:-1]].astype(np.uint64)
    short = lengths < _SHORT
    tokens = gaps * np.uint64(_SHORT) + np.where(short, lengths, np.uint64(0))
    values = np.r_[np.uint64(len(starts)), tokens, lengths[~short]].astype(np.uint64)
    return _varints(values)


def decode(runs: bytes, data_size: int):
    """``(starts, lengths)`` of the runs in ``delta-runs`` *runs*, whose bytes
    (``delta-bytes``) are *data_size* long.  Raises ValueError on a malformed delta."""
    values = _read_varints(runs)
    if values.size == 0:
        raise ValueError("the delta's runs are empty (not even a count)")
    count = int(values[0])
    tokens = values[1:1 + count]
    lengths = tokens % np.uint64(_SHORT)
    long_runs = np.flatnonzero(lengths == 0)
    if tokens.size != count or values.size != 1 + count + long_runs.size:
        raise ValueError(f"the delta lists {count} runs; its runs hold {values.size - 1} numbers")
    lengths[long_runs] = values[1 + count:]
    if np.any(lengths == 0):
        raise ValueError("the delta has a run of 0 bytes")
    ends = np.cumsum(tokens // np.uint64(_SHORT) + lengths, dtype=np.uint64)
    if int(lengths.sum(dtype=np.uint64)) != data_size:
        raise ValueError(f"the delta's runs cover {int(lengths.sum())} bytes; its bytes are "
                         f"{data_size}")
    return (ends - lengths).astype(np.int64), lengths.astype(np.int64)


def apply(memory: np.ndarray, starts: np.ndarray, lengths: np.ndarray, data: bytes) -> None:
    """Write the runs into *memory* (a uint8 array).  Raises ValueError when a
    run falls outside it."""
    if starts.size == 0:
        return
    if int(starts[-1] + lengths[-1]) > memory.size:
        raise ValueError(f"the delta writes up to byte {int(starts[-1] + lengths[-1]):,}, past "
                         f"the memory's {memory.size:,} bytes")
    offsets = np.cumsum(lengths) - lengths
    where = np.repeat(starts - offsets, lengths) + np.arange(int(lengths.sum()))
    memory[where] = np.frombuffer(data, np.uint8)


def touched_chunks(starts: np.ndarray, lengths: np.ndarray, chunk: int) -> set:
    """The chunk numbers the runs write into."""
    firsts, lasts = starts // chunk, (starts + lengths - 1) // chunk
    found = set(firsts.tolist()) | set(lasts.tolist())
    for first, last in zip(firsts[lasts - firsts > 1].tolist(), lasts[lasts - firsts > 1].tolist()):
        found.update(range(first, last + 1))
    return found


_LIMITS = np.array([1 << (7 * k) for k in range(1, _GROUPS)], dtype=np.uint64)


def _varints(values: np.ndarray) -> bytes:
    """LEB128 encoding of unsigned 64-bit *values*, one after the other."""
    sizes = 1 + np.searchsorted(_LIMITS, values, side="right")
    groups = np.arange(int(sizes.max(initial=1)), dtype=np.uint64)
    septets = (values[:, None] >> (groups * np.uint64(7))) & np.uint64(0x7F)
    column = groups[None, :].astype(np.int64)
    more = (column < (sizes - 1)[:, None]).astype(np.uint64) << np.uint64(7)
    return (septets | more).astype(np.uint8)[column < sizes[:, None]].tobytes()


def _read_varints(encoded: bytes) -> np.ndarray:
    raw = np.frombuffer(encoded, np.uint8)
    if raw.size == 0:
        return np.zeros(0, np.uint64)
    if raw[-1] & 0x80:
        raise ValueError("the delta's runs end inside a number")
    ends = np.flatnonzero(raw < 0x80)
    firsts = np.r_[0, ends[:-1] + 1]
    if np.any(ends - firsts >= _GROUPS):
        raise ValueError("the delta's runs hold a number longer than 64 bits")
    position = np.arange(raw.size) - np.repeat(firsts, ends - firsts + 1)
    parts = (raw & 0x7F).astype(np.uint64) << (position.astype(np.uint64) * np.uint64(7))
    return np.add.reduceat(parts, firsts)
