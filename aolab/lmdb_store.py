"""A store on LMDB: one file, several processes, crash-safe (HyperBEAM's ``hb_store_lmdb``).

LMDB (the ``lmdb`` package, which bundles the library) is a memory-mapped B-tree with
copy-on-write pages: every write transaction commits atomically and durably, readers never
block, and writers of *all* processes that open the folder take turns through LMDB's own
lock.  So a process killed at any moment leaves the store as of its last commit, and two
processes scheduling on one process can never give two messages the same slot:
``exclusive()`` runs the scheduler's read-latest-then-append as one write transaction.

Layout (four named databases in ``<root>/data.mdb``):

``messages``  message ID -> entry
``results``   hashpath or key -> entry (a computed result, a slot's state, a schedule head)
``pending``   result keys whose message ID is not yet indexed (computed on the first read
              by ID, as the memory store does: a process state is never hashed for nothing)
``blobs``     SHA-256 -> bytes: every ``bytes`` value of 1 KiB or more is kept once by its
              content, so a WebAssembly snapshot whose chunks are shared with the previous
              one (:mod:`aolab.snapshots`) costs only its changed chunks on disk

An entry is 16 bytes of SHA-256 of its payload, then the payload: the message as typed JSON
(:func:`aolab.store.encode_value`), with large ``bytes`` as ``{"blob": <sha256>}``.  Reads check
the entry's checksum and every blob's hash, and :meth:`LmdbStore.check` reads everything.

>>> import tempfile, aolab
>>> store = LmdbStore(tempfile.mkdtemp())
>>> message_id = store.write({"hello": "world", "body": bytes(5000)})
>>> store.read(message_id)["hello"], len(store.read(message_id)["body"])
('world', 5000)
>>> lab = aolab.Node(store=store)
>>> proc = lab.spawn({"device": "process@1.0", "execution-device": "counter@1.0"})
>>> lab.schedule(proc, {"action": "add", "amount": 3})["slot"]
0
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import pathlib
import threading

import lmdb

from . import ids
from .errors import StoreError
from .store import Store, encode_value, storable

#: ``bytes`` values from this size on are kept once, by their SHA-256.
BLOB_MIN = 1024
#: The largest the store may grow to (LMDB reserves the address space, not the disk).
DEFAULT_MAP_SIZE = 1 << 36


_environments: dict = {}   # real path -> [environment, users]
_environments_lock = threading.Lock()


def _open(root: pathlib.Path, *, map_size: int, sync: bool):
    """The process's one environment for *root*, and the thread-local place of its
    open write transaction: LMDB must not open a folder twice in one process (closing
    the second would drop the first's locks)."""
    key = str(root.resolve())
    with _environments_lock:
        found = _environments.get(key)
        if found is None:
            env = lmdb.open(key, map_size=map_size, max_dbs=4, sync=sync, metasync=sync,
                            readahead=False, max_readers=256)
            found = _environments[key] = [env, 0, threading.local()]
        found[1] += 1
        return found[0], found[2]


def _release(root: pathlib.Path) -> None:
    key = str(root.resolve())
    with _environments_lock:
        found = _environments.get(key)
        if found is None:
            return
        found[1] -= 1
        if found[1] <= 0:
            del _environments[key]
            found[0].close()


class LmdbStore(Store):
    """A store in an LMDB environment in the folder *root* (created when missing).

    Parameters
    ----------
    root : path
    map_size : int
        The most bytes the store may hold (address space; the file grows as needed).
    sync : bool
        Flush every commit to the device (survives power loss, not only a killed process).

    Stores of one process on the same folder share one LMDB environment (the first
    one's ``map_size`` and ``sync`` apply).
    """

    def __init__(self, root, *, map_size: int = DEFAULT_MAP_SIZE, sync: bool = True):
        self.root = pathlib.Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.env, self._local = _open(self.root, map_size=map_size, sync=sync)
        self._messages = self.env.open_db(b"messages")
        self._results = self.env.open_db(b"results")
        self._pending = self.env.open_db(b"pending")
        self._blobs = self.env.open_db(b"blobs")

    def __repr__(self) -> str:
        return f"<LmdbStore {self.root}>"

    def close(self) -> None:
        """Let go of the environment (closed when no store of this process uses it)."""
        if self.env is not None:
            _release(self.root)
            self.env = None

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    # -- transactions -------------------------------------------------------------------
    @contextlib.contextmanager
    def exclusive(self):
        """Run the block as one write transaction: no other writer, in this process or
        another, runs until it commits (or, on an exception, until it is rolled back)."""
        if getattr(self._local, "txn", None) is not None:
            yield self  # already inside one
            return
        with self.env.begin(write=True) as txn:
            self._local.txn = txn
            try:
                yield self
            finally:
                self._local.txn = None

    @contextlib.contextmanager
    def _txn(self, write: bool):
        current = getattr(self._local, "txn", None)
        if current is not None:
            yield current
            return
        with self.env.begin(write=write) as txn:
            yield txn

    # -- the store interface -----------------------------------------------------------
    def write(self, message: dict) -> str:
        """Store *message* under its ID and return the ID."""
        message = storable(message)
        message_id = ids.id(message)
        with self._txn(True) as txn:
            if txn.get(message_id.encode(), db=self._messages) is None:
                txn.put(message_id.encode(), self._entry(txn, message), db=self._messages)
        return message_id

    def write_result(self, hashpath: str, message: dict) -> None:
        """Store a computed *message* under *hashpath* (its ID indexed on first need)."""
        message = storable(message)
        with self._txn(True) as txn:
            self._put_result(txn, hashpath, self._entry(txn, message))

    def write_step(self, result_hashpath: str, result: dict, base_hashpath: str, base,
                   request_part: str, request: dict, compressed: str | None = None) -> None:
        """Store a result with its inputs (see :mod:`aolab.store`)."""
        with self._txn(True) as txn:
            entry = self._entry(txn, storable(result))
            self._put_result(txn, result_hashpath, entry)
            if compressed is not None:
                self._put_result(txn, compressed, entry)
            for key, message in ((base_hashpath, base), (request_part, request)):
                if "/" in key or not ids.is_id(key) or not isinstance(message, dict) \
                        or txn.get(key.encode(), db=self._messages) is not None:
                    continue
                try:
                    txn.put(key.encode(), self._entry(txn, storable(message)), db=self._messages)
                except StoreError:
                    pass  # holds values a store cannot keep (an inline device)

    def read(self, key: str) -> dict:
        """The message stored under an ID, a hashpath or a key."""
        with self._txn(False) as txn:
            raw = txn.get(key.encode(), db=self._results)
            if raw is None:
                raw = txn.get(key.encode(), db=self._messages)
            if raw is not None:
                return self._decode(txn, raw, key)
        if ids.is_id(key) and self._index_pending():
            return self.read(key)
        raise StoreError(f"no message stored under {key!r}", key=key)

    def __len__(self) -> int:
        with self._txn(False) as txn:
            return txn.stat(self._messages)["entries"] + txn.stat(self._results)["entries"]

    def check(self) -> dict:
        """Read every entry and blob (an fsck): ``{"entries": n, "corrupted": [names],
        "dangling": []}``, the same shape as ``DiskStore.check``. A result here holds its
        message itself, not a link, so nothing can dangle; an entry whose blob is missing
        is corrupted."""
        corrupted, count = [], 0
        with self._txn(False) as txn:
            for name, db in (("messages", self._messages), ("results", self._results)):
                for key, raw in txn.cursor(db=db):
                    count += 1
                    try:
                        message = self._decode(txn, raw, key.decode())
                        if name == "messages" and ids.id(message) != key.decode():
                            raise StoreError("its message's ID differs")
                    except (StoreError, ValueError, KeyError):
                        corrupted.append(f"{name}/{key.decode()}")
            for key, raw in txn.cursor(db=self._blobs):
                count += 1
                if hashlib.sha256(raw).hexdigest() != key.decode():
                    corrupted.append(f"blobs/{key.decode()}")
        return {"entries": count, "corrupted": corrupted, "dangling": []}

    def stored_bytes(self) -> int:
        """Bytes of keys and values held (what the database pages carry)."""
        total = 0
        with self._txn(False) as txn:
            for db in (self._messages, self._results, self._pending, self._blobs):
                for key, raw in txn.cursor(db=db):
                    total += len(key) + len(raw)
        return total

    # -- entries -------------------------------------------------------------------------
    def _put_result(self, txn, key: str, entry: bytes) -> None:
        txn.put(key.encode(), entry, db=self._results)
        if ids.is_id(key) or "/" not in key:
            return  # stored under an ID-like key: found by it
        txn.put(key.encode(), b"", db=self._pending)

    def _entry(self, txn, message: dict) -> bytes:
        payload = json.dumps(self._encode(txn, message), sort_keys=True,
                             separators=(",", ":")).encode("utf-8")
        return hashlib.sha256(payload).digest()[:16] + payload

    def _decode(self, txn, raw: bytes, key: str) -> dict:
        raw = bytes(raw)
        digest, payload = raw[:16], raw[16:]
        if hashlib.sha256(payload).digest()[:16] != digest:
            raise StoreError(f"the entry under {key!r} is corrupted: its checksum does not match",
                             key=key)
        return self._decode_value(txn, json.loads(payload), key)

    def _encode(self, txn, value):
        if isinstance(value, (bytes, bytearray)) and len(value) >= BLOB_MIN:
            digest = hashlib.sha256(value).hexdigest()
            txn.put(digest.encode(), bytes(value), db=self._blobs, overwrite=False)
            return {"blob": digest}
        if isinstance(value, dict):
            return {"map": {str(k): self._encode(txn, v) for k, v in value.items()}}
        if isinstance(value, (list, tuple)):
            return {"list": [self._encode(txn, v) for v in value]}
        if isinstance(value, bool) or value is None:
            return {"atom": value}
        if isinstance(value, str):
            return {"str": value}
        if isinstance(value, (bytes, bytearray)):
            return {"bytes": base64.b64encode(value).decode("ascii")}
        if isinstance(value, int):
            return {"int": str(value)}
        if isinstance(value, float):
            return {"float": value.hex()}
        if callable(value) and not isinstance(value, type):
            return encode_value(value)  # an inline device's function: its stable reference, as the file store
        raise StoreError(f"cannot store a value of type {type(value).__name__}")

    def _decode_value(self, txn, encoded, key):
        (tag, body), = encoded.items()
        if tag == "map":
            return {k: self._decode_value(txn, v, key) for k, v in body.items()}
        if tag == "list":
            return [self._decode_value(txn, v, key) for v in body]
        if tag == "blob":
            found = txn.get(body.encode(), db=self._blobs)
            if found is None or hashlib.sha256(found).hexdigest() != body:
                raise StoreError(f"the entry under {key!r} names blob {body}, which is missing "
                                 "or corrupted", key=key)
            return bytes(found)
        if tag in ("atom", "str"):
            return body
        if tag == "bytes":
            return base64.b64decode(body)
        if tag == "int":
            return int(body)
        if tag == "float":
            return float.fromhex(body)
        raise StoreError(f"unknown stored value tag {tag!r} under {key!r}", key=key)

    def _index_pending(self) -> bool:
        """Index the IDs of results stored since the last lookup by ID; True if any."""
        with self._txn(True) as txn:
            keys = [bytes(k) for k, _ in txn.cursor(db=self._pending)]
            for key in keys:
                raw = txn.get(key, db=self._results)
                txn.delete(key, db=self._pending)
                if raw is None:
                    continue
                message_id = ids.id(self._decode(txn, raw, key.decode())).encode()
                if txn.get(message_id, db=self._messages) is None:
                    txn.put(message_id, bytes(raw), db=self._messages)
        return bool(keys)
