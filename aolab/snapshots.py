"""Memory snapshots that cost what changed since the previous one, byte by byte.

A WebAssembly memory is process state kept outside the message, so process@1.0
stores a *snapshot* of it with the state every ``cache-frequency`` slots.  An aos
process has 12.6 MB of memory, 1.77 MB of it in use, and one message changes
about 10,900 of its bytes, in some 4,300 runs spread over 210 of its 4 KiB
chunks.  A snapshot here is one of two messages:

- a *keyframe* restores on its own: ``pages`` (the memory's size in 64 KiB
  WebAssembly pages), ``chunk-size`` (4096), ``chunks`` (the numbers of the
  chunks that are not all zeros, 4-byte little-endian) and ``bodies`` (their
  contents, one ``bytes`` per chunk; a chunk unchanged since the previous
  keyframe is the previous keyframe's ``bytes`` object, and a store that
  serialises keeps equal ``bytes`` once, by their SHA-256);
- a *delta* holds ``pages``, ``base`` (the ID of the snapshot before it) and
  the bytes that changed since that one, ``delta-runs`` and ``delta-bytes``
  (:mod:`aolab.memory_deltas`): about 1.7 times the bytes that changed.

A :class:`Tracker` keeps a copy of the memory as of the previous snapshot (a
*shadow*).  A new snapshot compares memory and shadow 1 MiB, then 64 KiB, at a
time (``memcmp``: about 0.5 ms for 12.6 MB), then 4 KiB and byte by byte with
numpy inside the pages that differ.  It is a keyframe when there is no previous
snapshot, or when the deltas since the last keyframe would exceed
:data:`KEYFRAME_RATIO` times the memory in use (or number :data:`MAX_DEPTH`):
so a restore reads at most ``1 + KEYFRAME_RATIO`` times the memory in use,
and keyframes add at most ``1 / KEYFRAME_RATIO`` to the bytes stored per delta
(a keyframe stores only the chunks changed since the previous one).  A
snapshot depends only on the memory and on the snapshots written before it:
two machines that write snapshots at the same slots store the same messages,
under the same IDs.

Taking a snapshot is two steps, so that it can be lazy: a *checkpoint*
copies the changed pages into the shadow (keeping each page as of the last
written snapshot aside), and a *write*, now or later, encodes the snapshot of
the last checkpoint against the last snapshot written.

Restoring a delta walks its ``base`` IDs back to a keyframe (:func:`chain`,
reading them from the store) and applies the deltas in order.  The older forms
restore too: ``body`` with ``runs`` (``[first page, count, ...]`` of the
non-zero 64 KiB pages), and ``body`` alone, the whole memory from address 0, as
HyperBEAM snapshots it.

>>> memory = (ctypes.c_ubyte * (2 * 65536))()
>>> tracker = Tracker()
>>> memory[5] = 7
>>> first = tracker.take(ctypes.addressof(memory), len(memory))
>>> first["pages"], chunk_numbers(first), len(first["bodies"][0])
(2, [0], 4096)
>>> memory[70000] = 1
>>> second = tracker.take(ctypes.addressof(memory), len(memory))
>>> second["base"] == ids.id(first), second["delta-bytes"]
(True, b'\\x01')
>>> [keyframe, delta] = chain(second, {ids.id(first): first}.get)
>>> keyframe is first and delta is second
True
"""
from __future__ import annotations

import ctypes
import struct

from . import ids, memory_deltas

PAGE = 65536
CHUNK = 4096
#: Deltas since a keyframe may add up to this many times the memory in use.
KEYFRAME_RATIO = 8
#: Deltas after a keyframe, at most (each one is a store read on restore).
MAX_DEPTH = 1024
_PER_PAGE = PAGE // CHUNK
_PAGES_PER_BLOCK = 16
_BLOCK = PAGE * _PAGES_PER_BLOCK


def _memcmp():
    try:
        compare = ctypes.CDLL(None).memcmp
    except (OSError, AttributeError):  # pragma: no cover - not Linux or macOS
        return None
    compare.restype = ctypes.c_int
    compare.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
    return compare


_MEMCMP = _memcmp()


def _differ(first: int, second: int, size: int) -> bool:
    if _MEMCMP is not None:
        return _MEMCMP(first, second, size) != 0
    return ctypes.string_at(first, size) != ctypes.string_at(second, size)  # pragma: no cover


_ZERO_CHUNK = bytes(CHUNK)
_ZEROS = ctypes.create_string_buffer(PAGE * _PAGES_PER_BLOCK)


class Tracker:
    """The previous snapshot of one memory, to take the next one from.

    ``take(address, size)`` returns a snapshot message (a keyframe or a delta:
    see the module doc): a ``checkpoint`` (the memory copied into ``shadow``,
    what :meth:`aolab.wasm_runtime.Instance.recover` goes back to), then a
    ``write`` (the message, encoded against the last one written; it may come
    later, for a lazy snapshot).  ``reset(snapshot, ...)`` makes *snapshot*
    (one just restored) the previous one.
    """

    def __init__(self, keyframe_ratio: float = KEYFRAME_RATIO, max_depth: int = MAX_DEPTH):
        self.keyframe_ratio, self.max_depth = keyframe_ratio, max_depth
        self.shadow = None          # ctypes buffer: the memory as of the last snapshot
        self.zero_blocks: set = set()        # 1 MiB blocks of the shadow known to be zeros
        self.bodies: dict | None = None      # chunk -> content as of the last keyframe
        self.dirty: set = set()     # chunks changed since the last keyframe
        self.last: dict | None = None        # the last snapshot taken or restored
        self._last_id: str | None = None
        self.depth = self.chain_bytes = 0    # deltas, and their bytes, since the keyframe
        self.size: int | None = None         # memory size at the last checkpoint (None: none)
        self.preimages: dict = {}   # page -> its content as of the last written snapshot
        self.changed_chunks = 0     # chunks that changed since the last take (for benchmarks)

    def take(self, address: int, size: int) -> dict:
        """A snapshot of the *size* bytes at *address* (see the module doc):
        :meth:`checkpoint`, then :meth:`write`."""
        self.checkpoint(address, size)
        return self.write()

    def checkpoint(self, address: int, size: int) -> None:
        """Bring the shadow up to date with the memory (what a trapped call goes
        back to), keeping each changed page as of the last written snapshot, so
        that :meth:`write` can encode the delta later (a lazy snapshot)."""
        import numpy as np  # imported on first use: notebooks without WebAssembly never pay for it
        self._fit(size)
        self.size = size
        pages = _differing_pages(address, ctypes.addressof(self.shadow), size, self.zero_blocks)
        if not pages:
            return
        shadow = np.frombuffer(self.shadow, np.uint8, count=size).reshape(-1, PAGE)
        memory = np.ctypeslib.as_array((ctypes.c_uint8 * size).from_address(address))
        memory = memory.reshape(-1, PAGE)
        for page in pages:
            if page not in self.preimages:
                self.preimages[page] = shadow[page].copy()
            shadow[page] = memory[page]
            self.zero_blocks.discard(page // _PAGES_PER_BLOCK)

    def write(self) -> dict:
        """The snapshot of the memory as of the last :meth:`checkpoint`: a delta on
        the last snapshot written, or a keyframe (see the module doc)."""
        if self.size is None:
            raise ValueError("no checkpoint to write a snapshot of")
        starts, lengths, data = self._pending_runs()
        runs = memory_deltas.encode(starts, lengths)
        if self._keyframe_due(len(runs) + len(data)):
            snapshot = self._keyframe(self.size)
        else:
            snapshot = {"pages": self.size // PAGE, "base": self.last_id(),
                        "delta-runs": runs, "delta-bytes": data}
            self.depth, self.chain_bytes = self.depth + 1, self.chain_bytes + len(runs) + len(data)
        self.last, self._last_id, self.preimages = snapshot, None, {}
        return snapshot

    def last_id(self) -> str:
        """The ID of the last snapshot (a delta's ``base``)."""
        if self._last_id is None:
            self._last_id = ids.id(self.last)
        return self._last_id

    def remember_id(self, snapshot_id: str) -> None:
        """The last snapshot's ID, as a store computed it (``ids.id``)."""
        if self.last is not None:
            self._last_id = snapshot_id

    def reset(self, snapshot: dict | None, address: int = 0, size: int = 0,
              chain: list | None = None) -> None:
        """Start again from *snapshot*, now in the memory at *address*; *chain* is
        its keyframe and deltas (:func:`chain`).  None: from an all-zero memory."""
        self.__init__(self.keyframe_ratio, self.max_depth)
        if snapshot is None or not size:
            return
        self._fit(size)
        self.size = size
        ctypes.memmove(ctypes.addressof(self.shadow), address, size)
        self.zero_blocks = {block for block in range(-(-size // _BLOCK))
                            if not _differ(address + block * _BLOCK, ctypes.addressof(_ZEROS),
                                           min(_BLOCK, size - block * _BLOCK))}
        chain = chain or [snapshot]
        if "bodies" not in chain[0]:
            return  # an older form: the next snapshot is a keyframe
        self.bodies = dict(zip(chunk_numbers(chain[0]), chain[0]["bodies"]))
        for delta in chain[1:]:
            starts, lengths, data = delta_runs(delta)
            self.dirty |= memory_deltas.touched_chunks(starts, lengths, CHUNK)
            self.depth += 1
            self.chain_bytes += len(delta["delta-runs"]) + len(data)
        self.last = snapshot

    def _keyframe_due(self, cost: int) -> bool:
        if self.last is None or self.bodies is None or self.depth >= self.max_depth:
            return True
        used = max(len(self.bodies), 1) * CHUNK
        return self.chain_bytes + cost > self.keyframe_ratio * used

    def _keyframe(self, size: int) -> dict:
        """A keyframe of the shadow: its non-zero chunks, sharing the previous
        keyframe's ``bytes`` for every chunk unchanged since."""
        import numpy as np
        rows = np.frombuffer(self.shadow, np.uint8, count=size).reshape(-1, CHUNK)
        if self.bodies is None:
            self.bodies, self.dirty = {}, set(np.flatnonzero(rows.any(axis=1)).tolist())
        bodies, added = self.bodies, False
        for chunk in sorted(self.dirty):
            content = rows[chunk].tobytes()
            if content == _ZERO_CHUNK:
                bodies.pop(chunk, None)
            else:
                added = added or chunk not in bodies
                bodies[chunk] = content
        if added:  # keep the chunks in order (a changed chunk keeps its place)
            self.bodies = bodies = dict(sorted(bodies.items()))
        self.dirty, self.depth, self.chain_bytes = set(), 0, 0
        return {"pages": size // PAGE, "chunk-size": CHUNK,
                "chunks": struct.pack(f"<{len(bodies)}I", *bodies),
                "bodies": list(bodies.values())}

    def _pending_runs(self):
        """The runs where the shadow differs from the last written snapshot."""
        import numpy as np
        self.changed_chunks = 0
        if not self.preimages:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), b""
        pages = sorted(self.preimages)
        shadow = np.frombuffer(self.shadow, np.uint8, count=self.size).reshape(-1, PAGE)
        now = shadow[pages].reshape(len(pages), _PER_PAGE, CHUNK)
        before = np.stack([self.preimages[page] for page in pages]).reshape(now.shape)
        rows, index = np.nonzero((now.view(np.uint64) != before.view(np.uint64)).any(axis=2))
        numbers = np.asarray(pages)[rows] * _PER_PAGE + index
        self.dirty.update(numbers.tolist())
        self.changed_chunks = len(numbers)
        return memory_deltas.changed_runs(now[rows, index], before[rows, index], numbers, CHUNK)

    def _fit(self, size: int) -> None:
        blocks = range(-(-size // _BLOCK))
        if self.shadow is None:
            self.shadow = (ctypes.c_ubyte * size)()
            self.zero_blocks = set(blocks)
        elif len(self.shadow) < size:  # the memory grew: the new part was zeros
            grown = (ctypes.c_ubyte * size)()
            ctypes.memmove(grown, self.shadow, len(self.shadow))
            old_blocks = -(-len(self.shadow) // _BLOCK)
            self.zero_blocks |= set(blocks[old_blocks:])
            self.zero_blocks.discard(old_blocks - 1)  # a partial last block: compare it
            self.shadow = grown


def _differing_pages(address: int, shadow: int, size: int, zero_blocks=frozenset()) -> list[int]:
    """The 64 KiB pages where memory and shadow differ.  1 MiB is compared at
    once first (most of a memory is untouched), against a buffer of zeros where
    the shadow is known to be zeros (which stays in the CPU cache)."""
    found, pages = [], size // PAGE
    zeros = ctypes.addressof(_ZEROS)
    for block in range(0, pages, _PAGES_PER_BLOCK):
        end = min(block + _PAGES_PER_BLOCK, pages)
        reference = zeros if block // _PAGES_PER_BLOCK in zero_blocks else shadow + block * PAGE
        if not _differ(address + block * PAGE, reference, (end - block) * PAGE):
            continue
        found += [page for page in range(block, end)
                  if _differ(address + page * PAGE, shadow + page * PAGE, PAGE)]
    return found


def chunk_numbers(snapshot: dict) -> list[int]:
    """The chunk numbers a keyframe lists."""
    packed = snapshot.get("chunks") or b""
    return list(struct.unpack(f"<{len(packed) // 4}I", packed))


def is_delta(snapshot: dict) -> bool:
    """Whether *snapshot* is a delta on a ``base`` (else it restores on its own)."""
    return isinstance(snapshot, dict) and "delta-runs" in snapshot


def chain(snapshot: dict, load=None) -> list:
    """``[keyframe, delta, ..., snapshot]``: what restoring *snapshot* applies, in
    order.  ``load(id)`` reads a base snapshot (from the store).  Raises
    ValueError when a base cannot be read, or the chain is longer than
    :data:`MAX_DEPTH` deltas."""
    found = [snapshot]
    while is_delta(found[-1]):
        if len(found) > MAX_DEPTH:
            raise ValueError(f"the snapshot is more than {MAX_DEPTH} deltas from a keyframe")
        base = found[-1].get("base")
        if load is None:
            raise ValueError("a delta snapshot restores only with the store its base is in")
        try:
            found.append(load(base))
        except Exception as exc:  # noqa: BLE001 - any store's error: the base is missing
            raise ValueError(f"the snapshot's base {base!r} cannot be read: {exc}") from None
        if not isinstance(found[-1], dict):
            raise ValueError(f"the snapshot's base {base!r} is not a snapshot")
    return found[::-1]


def delta_runs(snapshot: dict):
    """``(starts, lengths, data)`` of a delta (:mod:`aolab.memory_deltas`)."""
    runs, data = snapshot.get("delta-runs"), snapshot.get("delta-bytes")
    if not isinstance(runs, bytes) or not isinstance(data, bytes):
        raise ValueError("a delta snapshot holds 'delta-runs' and 'delta-bytes' as bytes")
    return (*memory_deltas.decode(runs, len(data)), data)


def pages_of(snapshot: dict) -> int:
    """The memory size, in 64 KiB pages, that *snapshot* needs."""
    if "bodies" in snapshot or is_delta(snapshot):
        return int(snapshot.get("pages") or 0)
    body = _body(snapshot)
    return int(snapshot.get("pages") or -(-len(body) // PAGE))


def writes(snapshot: dict):
    """``(offset, bytes)`` pieces that put a keyframe (or an older form) into a
    zeroed memory.

    Raises ValueError naming what is inconsistent in a malformed snapshot."""
    if "bodies" in snapshot:
        numbers, bodies = chunk_numbers(snapshot), snapshot["bodies"]
        size = int(snapshot.get("chunk-size") or CHUNK)
        if not isinstance(bodies, list) or len(numbers) != len(bodies):
            raise ValueError(f"the snapshot lists {len(numbers)} chunks and "
                             f"{len(bodies) if isinstance(bodies, list) else 'no list of'} bodies")
        if any(len(body) != size for body in bodies):
            raise ValueError(f"a chunk body of the snapshot is not {size} bytes")
        return [(number * size, body) for number, body in zip(numbers, bodies)]
    if is_delta(snapshot):
        raise ValueError("a delta snapshot is applied on its base (see chain)")
    body = _body(snapshot)
    if "runs" not in snapshot:
        return [(0, body)] if body else []
    flat = list(snapshot.get("runs") or [])
    runs = list(zip(flat[0::2], flat[1::2]))
    if sum(count for _, count in runs) * PAGE != len(body):
        raise ValueError(f"the snapshot's runs cover {sum(c for _, c in runs)} pages; its body "
                         f"holds {len(body)} bytes")
    pieces, offset = [], 0
    for first, count in runs:
        pieces.append((first * PAGE, body[offset:offset + count * PAGE]))
        offset += count * PAGE
    return pieces


def stored_bytes(snapshot: dict, seen: set | None = None) -> int:
    """Bytes of *snapshot* not already in *seen* (ids of ``bytes`` counted
    before, updated): what keeping it costs next to earlier snapshots.  Counts
    its ``bytes`` values and its ``base`` ID (not its few integers)."""
    seen = set() if seen is None else seen
    total = len(snapshot.get("base") or "")
    values = [snapshot.get(key) for key in ("chunks", "body", "delta-runs", "delta-bytes")]
    for value in [*values, *(snapshot.get("bodies") or [])]:
        if isinstance(value, bytes) and id(value) not in seen:
            seen.add(id(value))
            total += len(value)
    return total


def _body(snapshot: dict) -> bytes:
    body = snapshot.get("body") or b""
    return body.encode("latin-1") if isinstance(body, str) else bytes(body)
