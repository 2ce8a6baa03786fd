"""Stores: results kept by hashpath and by ID, so they can be fetched back.

:class:`MemoryStore` keeps messages in dicts; :class:`DiskStore` (the embedded
default for anything that must outlive the process) keeps one file per message
under ``messages/<id>.json`` and one link per hashpath under
``hashpaths/<sha256(hashpath)>.json``.  Every file is written to a temporary
name and renamed into place, so an interrupted write never leaves a half
message; every file carries the SHA-256 of its payload, checked on read, and a
message read back must have the ID it is stored under, so a corrupted file is
reported, never returned.  Several processes may share one folder: every
write is a whole file renamed into place.

Both answer the same calls: ``write(message) -> id``, ``write_result(hashpath,
message)``, ``write_step(...)`` (a result with the inputs that made it),
``read(id_or_hashpath)``, ``__contains__``, and ``exclusive()`` (a block no other
user of the store runs alongside).

A step's inputs are kept so that anyone can fetch them and re-execute the
step: the base under its ID (or it is already stored under its hashpath), the
request under its ID, and the result also under the compressed form of its
hashpath (``HashpathAlg(A, B)``), which is how the next step's hashpath names
it.
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import pathlib
import tempfile
import threading

try:  # POSIX: whole-file locks between processes
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

from . import ids
from .errors import AolabError, StoreError


def storable(message: dict, deep: bool = True) -> dict:
    """The message as stored: private keys dropped at every depth (they hold what
    a node keeps for itself, such as live WebAssembly instances), except the
    top-level ``priv/hashpath``.  ``deep=False`` drops only the top level's
    (what a memory store does: it serialises nothing, so nested private values
    stay as they are, unhashed, and copying every state would cost more)."""
    out = _public(message) if deep else {k: v for k, v in message.items() if k != "priv"}
    priv = message.get("priv")
    if isinstance(priv, dict) and "hashpath" in priv:
        out["priv"] = {"hashpath": priv["hashpath"]}
    return out


def _public(value, _depth: int = 0):
    if _depth > 256:
        raise StoreError("message nested more than 256 levels deep: it cannot be stored")
    if isinstance(value, dict):
        return {k: _public(v, _depth + 1) for k, v in value.items()
                if not (isinstance(k, str) and k[:4].lower() == "priv")}
    if isinstance(value, list):
        return [_public(v, _depth + 1) for v in value]
    return value


class Store:
    """What every store shares: ``key in store`` is a ``read`` that succeeds.

    A store defines ``read(id_or_hashpath)``, raising :class:`StoreError` for a
    key it does not hold; one that can answer without reading overrides
    ``__contains__`` (:class:`DiskStore` looks for the file).
    """

    def read(self, key: str) -> dict:
        """The message stored under *key* (an ID or a hashpath); each store defines it."""
        raise NotImplementedError(f"{type(self).__name__} defines no read()")

    def __contains__(self, key: str) -> bool:
        try:
            self.read(key)
            return True
        except StoreError:
            return False


class MemoryStore(Store):
    """An in-memory store (a node's default)."""

    def __init__(self):
        self._by_id: dict[str, dict] = {}
        self._by_hashpath: dict[str, dict] = {}
        self._unindexed: list[dict] = []
        self._lock = threading.RLock()

    @contextlib.contextmanager
    def exclusive(self):
        """Run the block alone among this store's users (threads of this process)."""
        with self._lock:
            yield self

    def __getstate__(self):  # a lock does not travel (to a Dask worker): a new one there
        return {k: v for k, v in self.__dict__.items() if k != "_lock"}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lock = threading.RLock()

    def __len__(self) -> int:
        return len(self._by_hashpath) + len(self._by_id)

    def write(self, message: dict) -> str:
        """Store *message* under its ID and return the ID."""
        message = storable(message, deep=False)
        message_id = ids.id(message)
        self._by_id[message_id] = message
        return message_id

    def write_result(self, hashpath: str, message: dict) -> None:
        """Store a computed *message* under its *hashpath* (indexed by ID lazily)."""
        message = storable(message, deep=False)
        self._by_hashpath[hashpath] = message
        self._unindexed.append(message)

    def write_step(self, result_hashpath: str, result: dict, base_hashpath: str, base,
                   request_part: str, request: dict, compressed: str | None = None) -> None:
        """Store a result with its inputs (see the module doc)."""
        self.write_result(result_hashpath, result)
        if compressed is not None:
            self._by_hashpath[compressed] = self._by_hashpath[result_hashpath]
        if "/" not in base_hashpath and isinstance(base, dict) and base_hashpath not in self._by_id:
            self._by_id[base_hashpath] = storable(base, deep=False)
        if request_part not in self._by_id and ids.is_id(request_part):
            self._by_id[request_part] = storable(request, deep=False)

    def read(self, key: str) -> dict:
        """The message stored under an ID or a hashpath."""
        try:
            found = self._by_hashpath.get(key) or self._by_id.get(key)
        except TypeError:  # an unhashable key
            found = None
        if found is None:
            _check_key(key)
        if found is None and self._unindexed and ids.is_id(key):
            self._index()
            found = self._by_id.get(key)
        if found is None:
            raise StoreError(f"no message stored under {key!r}", key=key)
        return found

    def _index(self) -> None:
        pending, self._unindexed = self._unindexed, []
        for message in pending:
            self._by_id.setdefault(ids.id(message), message)


class DiskStore(Store):
    """A store in a folder; safe against interrupted writes and corruption.

    Parameters
    ----------
    root : path
        The folder (created when missing).
    fsync : bool
        Also flush every file to the device before renaming it into place
        (survives power loss, not only a killed process).
    verify_ids : bool
        Recompute the ID of every message read and refuse one that does not
        match (on top of the per-file checksum).

    Temporary files left by a process killed mid-write (``.tmp-*``) are never
    read; :meth:`check` reads every entry and lists the corrupted ones.
    """

    def __init__(self, root, *, fsync: bool = False, verify_ids: bool = True):
        self.root = pathlib.Path(root)
        self.fsync = fsync
        self.verify_ids = verify_ids
        (self.root / "messages").mkdir(parents=True, exist_ok=True)
        (self.root / "hashpaths").mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._depth = 0

    @contextlib.contextmanager
    def exclusive(self):
        """Run the block alone among every user of the folder, in this process or
        another (an exclusive ``flock`` on ``<root>/lock``).  The scheduler appends
        to a schedule inside it, so two processes never give two messages one slot."""
        with self._lock:
            if self._depth or fcntl is None:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            with open(self.root / "lock", "a+b") as lock:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                    fcntl.flock(lock.fileno(), fcntl.LOCK_UN)

    def __getstate__(self):  # a lock does not travel (to a Dask worker): a new one there
        return {k: v for k, v in self.__dict__.items() if k not in ("_lock", "_depth")}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lock, self._depth = threading.RLock(), 0

    def __repr__(self) -> str:
        return f"<DiskStore {self.root}>"

    def write(self, message: dict) -> str:
        """Write *message* under its ID; return the ID."""
        message = storable(message)
        message_id = ids.id(message)
        self._put(self._message_file(message_id), {"id": message_id, "message": encode_value(message)})
        return message_id

    def write_result(self, hashpath: str, message: dict) -> None:
        """Write *message* and link *hashpath* to its ID."""
        message_id = self.write(message)
        self._put(self._link_file(hashpath), {"hashpath": hashpath, "id": message_id})

    def write_step(self, result_hashpath: str, result: dict, base_hashpath: str, base,
                   request_part: str, request: dict, compressed: str | None = None) -> None:
        """Write a step's result and link its hashpath (and compressed hashpath) to it."""
        message_id = self.write(result)
        self._put(self._link_file(result_hashpath), {"hashpath": result_hashpath, "id": message_id})
        if compressed is not None:
            self._put(self._link_file(compressed), {"hashpath": compressed, "id": message_id})
        for key, message in ((base_hashpath, base), (request_part, request)):
            if "/" not in key and ids.is_id(key) and isinstance(message, dict) \
                    and not self._message_file(key).exists():
                try:
                    self._put(self._message_file(key), {"id": key, "message": encode_value(storable(message))})
                except StoreError:
                    pass  # holds values a store cannot keep (an inline device): no input to offer

    def read(self, key: str) -> dict:
        """The message stored under *key* (an ID or a hashpath); :class:`StoreError` when absent or damaged."""
        _check_key(key)
        link = self._link_file(key)
        if link.exists():
            entry = self._get(link)
            if entry.get("hashpath") != key:
                raise StoreError(f"hashpath link {link.name} names {entry.get('hashpath')!r}, not {key!r}", key=key)
            key = entry["id"]
        if not ids.is_id(key):
            raise StoreError(f"no message stored under {key!r}", key=key)
        file = self._message_file(key)
        if not file.exists():
            raise StoreError(f"no message stored under {key!r}", key=key)
        entry = self._get(file)
        if entry.get("id") != key or "message" not in entry:
            raise StoreError(f"store file {file} holds {entry.get('id')!r}, not {key!r}", key=key)
        message = decode_value(entry["message"])
        if not isinstance(message, dict):
            raise StoreError(f"store file {file} is corrupted: it holds no message", key=key)
        if self.verify_ids and _message_id(message, file) != key:
            raise StoreError(f"store file {file} is corrupted: its message's ID is not {key!r}",
                             key=key)
        return message

    def check(self) -> dict:
        """Read every entry (an fsck): ``{"entries": n, "corrupted": [file names],
        "dangling": [link file names]}``; a dangling link names a message that is
        not in the store."""
        corrupted, dangling, count = [], [], 0
        for folder in ("messages", "hashpaths"):
            for file in sorted((self.root / folder).glob("*.json")):
                count += 1
                name = f"{folder}/{file.name}"
                try:
                    entry = self._get(file)
                    if folder == "messages":
                        if file.stem != entry.get("id"):
                            raise StoreError(f"{name} holds {entry.get('id')!r}")
                        self.read(entry["id"])
                    elif not (isinstance(entry.get("hashpath"), str) and ids.is_id(entry.get("id"))
                              and file == self._link_file(entry["hashpath"])):
                        raise StoreError(f"{name} is not a hashpath link")
                    elif not self._message_file(entry["id"]).is_file():
                        dangling.append(name)
                except (StoreError, KeyError):
                    corrupted.append(name)
        return {"entries": count, "corrupted": corrupted, "dangling": dangling}

    def __contains__(self, key: str) -> bool:
        if not isinstance(key, str):
            return False
        return self._link_file(key).exists() or (ids.is_id(key) and self._message_file(key).exists())

    def _message_file(self, message_id: str) -> pathlib.Path:
        if not ids.is_id(message_id):  # the only file names a key can reach: no '../', no aliases
            raise StoreError(f"{message_id!r} is not a message ID: the store keeps messages "
                             "under 43-character base64url IDs only", key=str(message_id))
        return self.root / "messages" / f"{message_id}.json"

    def _link_file(self, hashpath: str) -> pathlib.Path:
        try:
            digest = hashlib.sha256(hashpath.encode("utf-8")).hexdigest()
        except UnicodeEncodeError:
            raise StoreError(f"hashpath {hashpath!r} is not valid text", key=repr(hashpath)) from None
        return self.root / "hashpaths" / f"{digest}.json"

    def _put(self, file: pathlib.Path, entry: dict) -> None:
        payload = json.dumps(entry, sort_keys=True, separators=(",", ":")).encode("utf-8")
        data = hashlib.sha256(payload).hexdigest().encode("ascii") + b"\n" + payload
        fd, tmp = tempfile.mkstemp(dir=file.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                if self.fsync:
                    handle.flush()
                    os.fsync(handle.fileno())
            os.replace(tmp, file)
        except BaseException as exc:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if isinstance(exc, OSError):  # a full disk, a read-only folder: nothing half-written
                raise StoreError(f"cannot write {file.parent.name}/{file.name} to {self.root}: "
                                 f"{exc.strerror or exc}", key=file.stem) from exc
            raise

    def _get(self, file: pathlib.Path) -> dict:
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise StoreError(f"cannot read store file {file}: {exc.strerror or exc}", key=file.stem) from None
        digest, _, payload = data.partition(b"\n")
        if hashlib.sha256(payload).hexdigest().encode("ascii") != digest:
            raise StoreError(f"store file {file} is corrupted: its checksum does not match", key=file.stem)
        try:
            entry = json.loads(payload)
        except (ValueError, RecursionError):
            entry = None
        if not isinstance(entry, dict):
            raise StoreError(f"store file {file} is corrupted: it holds no store entry", key=file.stem)
        return entry


def encode_value(value):
    """A JSON-safe, lossless, typed form of a message value."""
    if isinstance(value, bool) or value is None:
        return {"atom": value}
    if isinstance(value, str):
        return {"str": value}
    if isinstance(value, bytes):
        return {"bytes": base64.b64encode(value).decode("ascii")}
    if isinstance(value, int):
        return {"int": str(value)}
    if isinstance(value, float):
        return {"float": value.hex()}
    if isinstance(value, (list, tuple)):
        return {"list": [encode_value(v) for v in value]}
    if isinstance(value, dict):
        return {"map": {str(k): encode_value(v) for k, v in value.items()}}
    if callable(value) and not isinstance(value, type):
        # an inline device's function is kept as its stable reference (same ID, as in HyperBEAM)
        from .codecs.structured import function_reference
        return {"str": function_reference(value)}
    raise StoreError(f"cannot store a value of type {type(value).__name__}")


def decode_value(encoded, _depth: int = 0):
    """The inverse of :func:`encode_value`; :class:`~aolab.errors.StoreError`
    for anything it did not write (or nested more than 256 levels deep)."""
    if _depth > 256:
        raise StoreError("stored value nested more than 256 levels deep")
    if not (isinstance(encoded, dict) and len(encoded) == 1):
        raise StoreError(f"stored value {_short(encoded)} is not a one-key typed value")
    (tag, body), = encoded.items()
    expected = _BODY_TYPES.get(tag)
    if expected is None:
        raise StoreError(f"unknown stored value tag {_short(tag)}")
    if not isinstance(body, expected) or (tag == "atom" and body not in (True, False, None)):
        raise StoreError(f"stored {tag!r} value {_short(body)} is malformed")
    try:
        if tag == "list":
            return [decode_value(v, _depth + 1) for v in body]
        if tag == "map":
            return {str(k): decode_value(v, _depth + 1) for k, v in body.items()}
        if tag == "bytes":
            return base64.b64decode(body, validate=True)
        if tag == "int":
            return int(body)
        if tag == "float":
            return float.fromhex(body)
        return body  # atom, str
    except (ValueError, TypeError, OverflowError):
        raise StoreError(f"stored {tag!r} value {_short(body)} is malformed") from None


_BODY_TYPES = {"atom": (bool, type(None)), "str": str, "bytes": str, "int": str, "float": str,
               "list": list, "map": dict}


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _check_key(key) -> None:
    if not isinstance(key, str):
        raise StoreError(f"store keys are IDs or hashpaths (text), not {type(key).__name__}",
                         key=repr(key))


def _message_id(message: dict, file) -> str:
    try:
        return ids.id(message)
    except (AolabError, RecursionError):
        raise StoreError(f"store file {file} is corrupted: its message has no ID") from None


class StoreChain(Store):
    """Stores tried in order, as HyperBEAM's store list (``hb_store``).

    Writes go to the first store; a read tries each store in turn and copies a
    message found further down the chain into the first one, so the next read
    is local.  ``Node(store=[MemoryStore(), gateway_store])`` reads through to a
    gateway on a miss.

    >>> first, second = MemoryStore(), MemoryStore()
    >>> key = second.write({"a": "1"})
    >>> chain = StoreChain([first, second])
    >>> chain.read(key) == {"a": "1"}, key in first
    (True, True)
    """

    def __init__(self, stores):
        self.stores = [store if hasattr(store, "read") else DiskStore(store) for store in stores]
        if not self.stores:
            raise StoreError("a store chain needs at least one store")

    def __repr__(self) -> str:
        return f"<StoreChain {' -> '.join(repr(s) for s in self.stores)}>"

    def __len__(self) -> int:
        return len(self.stores[0]) if hasattr(self.stores[0], "__len__") else 0

    def write(self, message: dict) -> str:
        """Write into the first store of the chain; return the ID."""
        return self.stores[0].write(message)

    def write_result(self, hashpath: str, message: dict) -> None:
        """Write into the first store of the chain."""
        self.stores[0].write_result(hashpath, message)

    def write_step(self, *args, **kwargs) -> None:
        """Write a step into the first store of the chain."""
        self.stores[0].write_step(*args, **kwargs)

    def exclusive(self):
        """The exclusive block of the first store (the one written to)."""
        return self.stores[0].exclusive()

    def read(self, key: str) -> dict:
        """The message under *key* from the first store that has it (cached in the first)."""
        misses = []
        for n, store in enumerate(self.stores):
            try:
                message = store.read(key)
            except StoreError as exc:
                misses.append(f"{store!r}: {exc}")
                continue
            if n:
                self._cache(key, message)
            return message
        raise StoreError(f"no store of the chain holds {key!r} ({'; '.join(misses)})", key=key)

    def _cache(self, key: str, message: dict) -> None:
        first = self.stores[0]
        if ids.is_id(key) and ids.id(message) == key:
            first.write(message)
        else:
            first.write_result(key, message)

    fetch = read  # what aolab.verify asks a source for

    def __contains__(self, key: str) -> bool:
        return any(key in store for store in self.stores)

