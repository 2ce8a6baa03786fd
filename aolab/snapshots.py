"""Memory snapshots that cost what changed since the previous one.

A WebAssembly memory is process state kept outside the message, so process@1.0
stores a *snapshot* of it with the state every ``cache-frequency`` slots.  An aos
process has 12.6 MB of memory, 1.77 MB of it in use, and one message changes
about 7,500 bytes spread over some 210 of its 4 KiB chunks.  Copying the whole
memory per slot would cost 1.77 MB of copying and storage per slot; a snapshot
here costs the chunks that changed:

- the memory is cut into 4 KiB *chunks*; a snapshot lists the chunks that are
  not all zeros (``chunks``: their numbers, 4-byte little-endian) and their
  contents (``bodies``, one ``bytes`` per chunk);
- a :class:`Tracker` keeps a copy of the memory as of the previous snapshot (a
  *shadow*); a new snapshot compares memory and shadow 64 KiB at a time
  (``memcmp``, about 0.5 ms for aos's 12.6 MB), then 4 KiB at a time inside the
  pages that differ (numpy), copies only the chunks that changed, and reuses the
  previous snapshot's ``bytes`` object for every other chunk;
- so a store that keeps messages as they are (the memory store) holds each
  unchanged chunk once, and a store that serialises (the LMDB store) keeps
  ``bytes`` values by their SHA-256, once: stored bytes per snapshot follow the
  changed chunks.

``pages`` gives the memory's size in 64 KiB WebAssembly pages.  A snapshot
restores on its own (no chain of earlier snapshots to replay).  The older forms
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
>>> chunk_numbers(second), second["bodies"][0] is first["bodies"][0]  # chunk 0 is shared
([0, 17], True)
"""
from __future__ import annotations

import ctypes
import struct

PAGE = 65536
CHUNK = 4096
_PER_PAGE = PAGE // CHUNK
_PAGES_PER_BLOCK = 16


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

    ``take(address, size)`` returns a snapshot message; ``reset(snapshot)``
    makes *snapshot* (one just restored) the previous one.
    """

    def __init__(self):
        self.shadow = None          # ctypes buffer: the memory as of the last snapshot
        self.zero_blocks: set = set()        # 1 MiB blocks of the shadow known to be zeros
        self.bodies: dict[int, bytes] = {}   # chunk number -> its content (non-zero chunks)
        self.changed_chunks = 0     # chunks copied by the last take (for benchmarks)

    def take(self, address: int, size: int) -> dict:
        """A snapshot of the *size* bytes at *address* (see the module doc)."""
        import numpy as np  # imported on first use: notebooks without WebAssembly never pay for it
        self._fit(size)
        bodies, changed, added = self.bodies, 0, False
        pages = _differing_pages(address, ctypes.addressof(self.shadow), size, self.zero_blocks)
        if pages:
            memory = np.ctypeslib.as_array((ctypes.c_uint64 * (size // 8)).from_address(address))
            shadow = np.frombuffer(self.shadow, dtype=np.uint64, count=size // 8)
            shape = (size // PAGE, _PER_PAGE, CHUNK // 8)
            now = memory.reshape(shape)[pages]  # the differing pages, copied once
            before = shadow.reshape(shape)[pages]
            shadow.reshape(shape)[pages] = now  # the shadow brought up to date
            for row, index in zip(*np.nonzero((now != before).any(axis=2))):
                chunk = pages[row] * _PER_PAGE + int(index)
                content = now[row, index].tobytes()
                changed += 1
                if content == _ZERO_CHUNK:
                    bodies.pop(chunk, None)
                else:
                    added = added or chunk not in bodies
                    bodies[chunk] = content
            for page in pages:
                self.zero_blocks.discard(page // _PAGES_PER_BLOCK)
        if added:  # keep the chunks in order (a changed chunk keeps its place)
            self.bodies = bodies = dict(sorted(bodies.items()))
        self.changed_chunks = changed
        return {"pages": size // PAGE, "chunk-size": CHUNK,
                "chunks": struct.pack(f"<{len(bodies)}I", *bodies),
                "bodies": list(bodies.values())}

    def reset(self, snapshot: dict | None, address: int = 0, size: int = 0) -> None:
        """Start again from *snapshot*, now in the memory at *address* (None:
        from an all-zero memory, so the next snapshot copies every used chunk)."""
        self.shadow, self.bodies, self.zero_blocks = None, {}, set()
        if snapshot is not None and "bodies" in snapshot and size:
            self._fit(size)
            ctypes.memmove(ctypes.addressof(self.shadow), address, size)
            self.bodies = dict(zip(chunk_numbers(snapshot), snapshot["bodies"]))
            used = {number * CHUNK // (PAGE * _PAGES_PER_BLOCK) for number in self.bodies}
            self.zero_blocks = set(range(-(-size // (PAGE * _PAGES_PER_BLOCK)))) - used

    def _fit(self, size: int) -> None:
        blocks = range(-(-size // (PAGE * _PAGES_PER_BLOCK)))
        if self.shadow is None:
            self.shadow = (ctypes.c_ubyte * size)()
            self.zero_blocks = set(blocks)
        elif len(self.shadow) < size:  # the memory grew: the new part was zeros
            grown = (ctypes.c_ubyte * size)()
            ctypes.memmove(grown, self.shadow, len(self.shadow))
            old_blocks = -(-len(self.shadow) // (PAGE * _PAGES_PER_BLOCK))
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
    """The chunk numbers a snapshot lists."""
    packed = snapshot.get("chunks") or b""
    return list(struct.unpack(f"<{len(packed) // 4}I", packed))


def pages_of(snapshot: dict) -> int:
    """The memory size, in 64 KiB pages, that *snapshot* needs."""
    if "bodies" in snapshot:
        return int(snapshot.get("pages") or 0)
    body = _body(snapshot)
    return int(snapshot.get("pages") or -(-len(body) // PAGE))


def writes(snapshot: dict):
    """``(offset, bytes)`` pieces that put *snapshot* into a zeroed memory.

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
    """Bytes of chunk bodies in *snapshot* not already in *seen* (ids of bodies
    counted before, updated): what keeping it costs next to earlier snapshots."""
    seen = set() if seen is None else seen
    total = len(snapshot.get("chunks") or b"")
    for body in snapshot.get("bodies") or [snapshot.get("body") or b""]:
        if id(body) not in seen:
            seen.add(id(body))
            total += len(body)
    return total


def _body(snapshot: dict) -> bytes:
    body = snapshot.get("body") or b""
    return body.encode("latin-1") if isinstance(body, str) else bytes(body)
