"""One instantiated WebAssembly module, metered and snapshot-able (part of
:mod:`aolab.wasm_runtime`; HyperBEAM's ``hb_beamr`` and ``hb_beamr_io``).

See :class:`Instance`.

>>> from aolab.wasm_engine import wat2wasm
>>> from aolab.wasm_images import load_module
>>> instance = Instance(load_module(wat2wasm('(module (memory (export "memory") 1))')))
>>> instance.write(10, b"hi"); instance.read(10, 2), instance.size()
(b'hi', 65536)
"""
from __future__ import annotations

import ctypes
import math
import struct
import weakref

import wasmtime

from . import ids, snapshots
from . import wasm_fastcall as fastcall
from .wasm_engine import (_EPOCH_TICK, _UNLIMITED, DEFAULT_DEADLINE, DEFAULT_FUEL,
                          DEFAULT_MEMORIES, DEFAULT_MEMORY_LIMIT, DEFAULT_TABLE_ELEMENTS,
                          DEFAULT_TABLES, HOST_CALL_FUEL, PAGE, WasmError, _start_ticker,
                          engine, first_lines)
from .wasm_images import Module

_RANGE = {"i32": (-(1 << 31), 1 << 32), "i64": (-(1 << 63), 1 << 64)}


class Instance:
    """One instance of a :class:`Module` in its own wasmtime store.

    Parameters
    ----------
    module : Module
    memory_limit : int or None
        Bytes of linear memory the store may hold (``Store.set_limits``);
        None: :data:`DEFAULT_MEMORY_LIMIT`.
    imports : callable or None
        ``imports(module, name, args, signature) -> list`` answers every import
        call (``env.invoke_*`` go through the table first).  None answers 0.
    fuel : int or None
        Fuel for instantiation (the start function); None: unlimited.
    memories, table_elements, tables : int or None
        How many linear memories, table elements (over all tables) and tables
        the instance may hold; *memory_limit* is shared by all its memories.
    """

    def __init__(self, module: Module, *, memory_limit: int | None = None, imports=None,
                 fuel: int | None = DEFAULT_FUEL, memories: int | None = None,
                 table_elements: int | None = None, tables: int | None = None):
        self.module = module
        self.memory_limit = DEFAULT_MEMORY_LIMIT if memory_limit is None else int(memory_limit)
        self.memories = max(1, DEFAULT_MEMORIES if memories is None else int(memories))
        self.tables = max(0, DEFAULT_TABLES if tables is None else int(tables))
        self.table_elements = max(0, DEFAULT_TABLE_ELEMENTS if table_elements is None
                                  else int(table_elements))
        self.imports = imports
        self.last_snapshot: dict | None = None
        self._tracker = snapshots.Tracker()
        self._checkpoint_globals: dict = {}
        self.checkpoints = 0        # how many checkpoints were taken (for lazy snapshots)
        self.fuel_used = 0
        self._instantiate(fuel)

    def __repr__(self) -> str:
        return (f"<wasm Instance of {ids.short_id(self.module.image_id)}: "
                f"{self.size() // PAGE} pages{', memory64' if self.memory64 else ''}>")

    def _instantiate(self, fuel) -> None:
        self.store = wasmtime.Store(engine())
        self.store.set_limits(memory_size=self.memory_limit // self.memories,
                              table_elements=self.table_elements // max(1, self.tables),
                              tables=self.tables, memories=self.memories, instances=1)
        self.store.set_fuel(_UNLIMITED if fuel is None else int(fuel))
        self.store.set_epoch_deadline(1 << 62)
        self._depth = 0
        self._functions: dict[str, fastcall.Export] = {}
        externs = [self._import(module, name, kind) for module, name, kind in self.module.imports]
        try:
            self._instance = wasmtime.Instance(self.store, self.module.wasm, externs)
        except (wasmtime.WasmtimeError, wasmtime.Trap) as exc:
            text = first_lines(exc)
            kind = "memory" if ("memory" in text or "table" in text) and \
                ("limit" in text or "exceeds" in text or "count" in text) else "instantiate"
            raise WasmError(f"the module cannot be instantiated: {text}"
                            + (f" (memory limit {self.memory_limit:,} bytes over at most "
                               f"{self.memories} memor{'y' if self.memories == 1 else 'ies'}, "
                               f"{self.table_elements:,} table elements over at most "
                               f"{self.tables} tables; raise 'wasm-memory-limit')"
                               if kind == "memory" else ""),
                            kind=kind) from None
        exports = self._instance.exports(self.store)
        self._exports = exports
        memories = [exports[n] for n, t in self.module.exports.items() if isinstance(t, wasmtime.MemoryType)]
        self.memory = exports["memory"] if "memory" in exports else (memories[0] if memories else None)
        memory_types = [t for n, t in self.module.exports.items() if isinstance(t, wasmtime.MemoryType)]
        self.memory64 = bool(memory_types and memory_types[0].is_64)
        tables = [n for n, t in self.module.exports.items() if isinstance(t, wasmtime.TableType)]
        name = "__indirect_function_table" if "__indirect_function_table" in tables else (tables or [None])[0]
        self._table = exports[name] if name else None

    def recover(self) -> "Instance":
        """Start this instance again from its last checkpoint (every snapshot takes one; or as
        instantiated): what to do after a trap, which may leave memory half-written.  Every
        message that holds this instance sees the recovered one.  The memory
        comes back from the snapshot tracker's copy (no store needed, even when
        the last snapshot is a delta)."""
        self._instantiate(None)
        size = self._tracker.size
        if size is None:  # never checkpointed: as instantiated
            self._tracker = snapshots.Tracker()
            return self
        if self.memory is not None and size:
            self._restore_memory(size // PAGE, [])
            ctypes.memmove(self._address(), self._tracker.shadow, size)
        self._restore_globals({"globals": self._checkpoint_globals})
        return self

    # -- calls ----------------------------------------------------------------------
    def function(self, name: str) -> fastcall.Export:
        """The exported function *name* (a clear error lists the exports when it is absent)."""
        found = self._functions.get(name)
        if found is None:
            item = self._exports.get(name) if isinstance(name, str) else None
            if not isinstance(item, wasmtime.Func):
                names = sorted(n for n, t in self.module.exports.items() if isinstance(t, wasmtime.FuncType))
                raise WasmError(f"the module exports no function {name!r} (its functions: "
                                f"{', '.join(names) or 'none'})", kind="export", function=name)
            found = self._functions[name] = fastcall.Export(name, item, self.store)
        return found

    def signature(self, name: str) -> str:
        """``(i32, i32) -> (i32)``: the parameter and result types of an export."""
        export = self.function(name)
        return f"({', '.join(export.params)}) -> ({', '.join(export.results)})"

    def call(self, name: str, params=(), *, fuel: int | None = DEFAULT_FUEL,
             deadline: float | None = DEFAULT_DEADLINE, imports=None) -> list:
        """Call the exported function *name*; return its results as a list.

        *fuel* (instructions, about) and *deadline* (seconds) bound this call;
        None lifts a limit.  *imports* answers import calls during it (default:
        the instance's).  Raises :class:`WasmError` naming the function and why.
        """
        export = self.function(name)
        params = list(params)
        if len(params) != len(export.params):
            raise WasmError(f"{name} takes {len(export.params)} parameters "
                            f"({', '.join(export.params)}); got {len(params)}: {params!r}",
                            kind="parameters", function=name)
        values = [_as_param(name, i, kind, v) for i, (kind, v) in enumerate(zip(export.params, params))]
        outermost = self._depth == 0
        if outermost:  # limits are per call: an import calling back in shares them
            given = _UNLIMITED if fuel is None else int(fuel)
            if deadline is not None:
                _start_ticker()
            self._set_limits(given, 1 << 62 if deadline is None
                             else 1 + math.ceil(deadline / _EPOCH_TICK))
        previous = self.imports
        if imports is not None:
            self.imports = imports
        self._depth += 1
        try:
            if fastcall.ENABLED:
                return self._call_fast(export, values, outermost, fuel, deadline)
            return self._call_public(export, values, fuel, deadline)
        finally:
            self._depth -= 1
            self.imports = previous
            if outermost:
                self.fuel_used = given - self._fuel_left()

    def charge(self, fuel: int, what: str = "host work") -> None:
        """Take *fuel* from the running call's budget for work done outside
        WebAssembly (an import copying memory, say); :class:`WasmError` (kind
        ``fuel``) when the budget cannot pay, so host work is metered like
        instructions.  Outside a call it does nothing."""
        if self._depth == 0 or fuel <= 0:
            return
        left = self._fuel_left()
        if fuel > left:
            self._set_fuel(0)
            raise WasmError(f"{what} needs {fuel:,} fuel; the call has {left:,} left (raise "
                            "'wasm-fuel')", kind="fuel")
        self._set_fuel(left - fuel)

    def _set_fuel(self, fuel: int) -> None:
        fastcall.set_fuel(self.store, fuel)

    def _set_limits(self, fuel: int, epoch_ticks: int) -> None:
        fastcall.set_limits(self.store, fuel, epoch_ticks)

    def _fuel_left(self) -> int:
        return fastcall.fuel_left(self.store)

    def _call_fast(self, export, values: list, outermost: bool, fuel, deadline) -> list:
        """:func:`aolab.wasm_fastcall.call`: no FuncType lookup, no Val objects."""
        results, failed = fastcall.call(self.store, export, values, not outermost)
        if failed is None:
            return results
        error, code, raised = failed
        raise _failure(export.name, first_lines(error), code, raised, fuel, deadline)

    def _call_public(self, export: fastcall.Export, values: list, fuel, deadline) -> list:
        """The same through wasmtime-py's public ``Func.__call__``."""
        try:
            answer = export.func(self.store, *values)
        except wasmtime.Trap as caught:
            raise _failure(export.name, first_lines(caught.message), caught.trap_code, None,
                           fuel, deadline) from None
        except wasmtime.WasmtimeError as caught:
            raise _failure(export.name, first_lines(caught), None, None, fuel, deadline) from None
        except Exception as raised:  # an import failed
            raise _failure(export.name, str(raised), None, raised, fuel, deadline) from None
        if answer is None:
            return []
        return list(answer) if isinstance(answer, list) else [answer]

    # -- imports --------------------------------------------------------------------
    def _import(self, module: str, name: str, kind):
        if not isinstance(kind, wasmtime.FuncType):
            raise WasmError(f"the module imports a {type(kind).__name__.replace('Type', '').lower()} "
                            f"{module}.{name}: only function imports are supported", kind="instantiate")
        owner = weakref.ref(self)  # the store keeps the callback: no cycle through it
        signature = f"({', '.join(str(t) for t in kind.params)}) -> ({', '.join(str(t) for t in kind.results)})"
        results = tuple(str(t) for t in kind.results)
        invoke = module == "env" and name.startswith("invoke_")

        def answer(caller, *args):
            return owner()._answer(caller, module, name, args, signature, results, invoke)
        return wasmtime.Func(self.store, kind, answer, access_caller=True)

    def _answer(self, caller, module, name, args, signature, results, invoke):
        self.charge(HOST_CALL_FUEL, f"import {module}.{name}")
        if invoke and self._table is not None:
            target = self._table.get(caller, int(args[0]))
            if not isinstance(target, wasmtime.Func):
                raise WasmError(f"{module}.{name}: table entry {args[0]} is not a function",
                                kind="trap")
            answer = target(caller, *args[1:])
        elif self.imports is None:
            answer = [0] * len(results)
        else:
            answer = self.imports(module, name, list(args), signature)
        if answer is None:
            answer = []
        elif not isinstance(answer, (list, tuple)):
            answer = [answer]
        if len(answer) != len(results):
            raise WasmError(f"import {module}.{name} answered {len(answer)} values; its signature "
                            f"{signature} needs {len(results)}", kind="import")
        answer = [float(v) if kind in ("f32", "f64") else int(v) for v, kind in zip(answer, results)]
        return None if not answer else answer[0] if len(answer) == 1 else answer

    # -- memory (hb_beamr_io) ---------------------------------------------------------
    def size(self) -> int:
        """Bytes of linear memory (0 when the module has none)."""
        return self.memory.data_len(self.store) if self.memory is not None else 0

    def _address(self) -> int:
        if self.memory is None:
            raise WasmError("the module exports no memory", kind="memory")
        return ctypes.addressof(self.memory.data_ptr(self.store).contents)

    def _check(self, what: str, offset: int, size: int) -> None:
        total = self.size()
        if offset < 0 or size < 0 or offset + size > total:
            raise WasmError(f"{what} of {size} bytes at offset {offset} is outside the memory "
                            f"({total:,} bytes)", kind="memory")

    def read(self, offset: int, size: int) -> bytes:
        """*size* bytes of memory from *offset*."""
        self._check("read", offset, size)
        return ctypes.string_at(self._address() + offset, size) if size else b""

    def write(self, offset: int, data: bytes) -> None:
        """Write *data* into memory at *offset*."""
        self._check("write", offset, len(data))
        if data:
            ctypes.memmove(self._address() + offset, bytes(data), len(data))

    def read_int(self, offset: int, size: int) -> int:
        """An unsigned little-endian integer of *size* bytes at *offset*."""
        return int.from_bytes(self.read(offset, size), "little")

    def write_int(self, offset: int, value: int, size: int) -> None:
        """Write *value* as a little-endian integer of *size* bytes at *offset* (wrapped to its width)."""
        self.write(offset, (value % (1 << (8 * size))).to_bytes(size, "little"))

    def pointer(self, value: int) -> int:
        """A pointer argument as an unsigned offset (i32/i64 arrive signed)."""
        return value % (1 << (64 if self.memory64 else 32))

    def malloc(self, size: int) -> int:
        """Allocate *size* bytes with the module's exported ``malloc``; raises on 0."""
        pointer = self.pointer(self.call("malloc", [size])[0])
        if pointer == 0:
            raise WasmError(f"malloc({size}) failed: the module returned 0", kind="malloc",
                            function="malloc")
        return pointer

    def free(self, pointer: int) -> None:
        """Free with the module's exported ``free``."""
        self.call("free", [pointer])

    def read_string(self, offset: int, limit: int = 1 << 30) -> bytes:
        """The NUL-terminated string at *offset* (without its NUL)."""
        total = self.size()
        self._check("read", offset, 0)
        address, end, chunk = self._address(), offset, 256
        while end < total:
            piece = ctypes.string_at(address + end, min(chunk, total - end))
            found = piece.find(b"\0")
            if found >= 0:
                return ctypes.string_at(address + offset, end - offset + found)
            end, chunk = end + len(piece), min(chunk * 2, 1 << 20)
            if end - offset > limit:
                break
        raise WasmError(f"no NUL-terminated string at offset {offset}", kind="memory")

    def write_string(self, text) -> int:
        """Copy *text* (str or bytes) and a NUL into memory allocated with malloc."""
        data = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        pointer = self.malloc(len(data) + 1)
        self.write(pointer, data + b"\0")
        return pointer

    # -- snapshots ----------------------------------------------------------------------
    def snapshot(self) -> dict:
        """The state as a message (:mod:`aolab.snapshots`): a keyframe (``pages``,
        ``chunk-size``, ``chunks``, ``bodies``: the non-zero 4 KiB chunks, those
        unchanged since the previous keyframe shared with it) or a delta on this
        instance's previous snapshot (``pages``, ``base``: its ID, ``delta-runs``,
        ``delta-bytes``: the bytes that changed).  ``globals`` holds the exported
        mutable globals, when there are any.  A delta restores only where its
        base can be read: keep every snapshot in a store (wasm64@1.0 does).
        """
        self.checkpoint()
        return self.write_snapshot()

    def checkpoint(self) -> None:
        """Copy the memory (and mutable globals) aside: what :meth:`recover` goes
        back to, and what the next :meth:`write_snapshot` writes.  Cheaper than a
        snapshot: nothing is encoded or hashed (a lazy snapshot)."""
        size = self.size()
        self._tracker.checkpoint(self._address() if size else 0, size)
        self.checkpoints += 1
        values = self._mutable_globals()
        self._checkpoint_globals = {n: g.value(self.store) for n, g in values.items()}

    def write_snapshot(self) -> dict:
        """The snapshot message of the memory as of the last :meth:`checkpoint`."""
        if self._tracker.size is None:
            self.checkpoint()
        snapshot = self._tracker.write()
        if self._checkpoint_globals:
            snapshot["globals"] = dict(self._checkpoint_globals)
        self.last_snapshot = snapshot
        return snapshot

    def remember_snapshot_id(self, snapshot_id: str) -> None:
        """Note the ID a store gave the last snapshot (so it is not hashed again
        for the next delta's ``base``)."""
        self._tracker.remember_id(snapshot_id)

    def restore(self, snapshot, load=None) -> None:
        """Put a :meth:`snapshot` into this instance; ``load(id)`` reads the base
        snapshots a delta is built on (``store.read``).  Older forms restore too:
        a ``body`` with ``runs`` (non-zero 64 KiB pages), and a ``body`` alone
        (or plain bytes), the memory from address 0, as HyperBEAM takes them."""
        if isinstance(snapshot, (bytes, bytearray)):
            snapshot = {"body": bytes(snapshot)}
        try:
            chain = snapshots.chain(snapshot, load)
            pages, pieces = snapshots.pages_of(snapshot), snapshots.writes(chain[0])
            deltas = [snapshots.delta_runs(delta) for delta in chain[1:]]
        except (ValueError, TypeError, struct.error) as exc:
            raise WasmError(f"the snapshot cannot be restored: {exc}", kind="memory") from None
        if self.memory is not None:
            self._restore_memory(pages, pieces)
            self._apply_deltas(deltas)
        elif pieces or deltas:
            raise WasmError("the snapshot has a memory; this module has none", kind="memory")
        self._restore_globals(snapshot)
        self.last_snapshot = snapshot
        self._checkpoint_globals = dict(snapshot.get("globals") or {})
        size = self.size()
        self._tracker.reset(snapshot, self._address() if size else 0, size, chain)

    def _restore_globals(self, snapshot: dict) -> None:
        values = self._mutable_globals()
        for name, value in (snapshot.get("globals") or {}).items():
            if name in values:
                values[name].set_value(self.store, value)

    def _apply_deltas(self, deltas: list) -> None:
        if not deltas:
            return
        import numpy as np
        memory = np.ctypeslib.as_array((ctypes.c_uint8 * self.size()).from_address(self._address()))
        for starts, lengths, data in deltas:
            try:
                snapshots.memory_deltas.apply(memory, starts, lengths, data)
            except ValueError as exc:
                raise WasmError(f"the snapshot cannot be restored: {exc}", kind="memory") from None

    def _restore_memory(self, pages: int, pieces) -> None:
        current = self.size() // PAGE
        if pages < current:
            raise WasmError(f"a snapshot of {pages} pages cannot go into a memory of {current} "
                            "pages: restore into a fresh instance", kind="memory")
        if pages > current and self.memory.grow(self.store, pages - current) < 0:
            raise WasmError(f"cannot grow memory to {pages} pages to restore a snapshot",
                            kind="memory")
        address = self._address()
        for first, count in _nonzero_runs(address, self.size()):
            ctypes.memset(address + first * PAGE, 0, count * PAGE)  # what instantiation wrote
        for offset, data in pieces:
            self.write(offset, data)

    def _mutable_globals(self) -> dict:
        return {n: self._exports[n] for n, t in self.module.exports.items()
                if isinstance(t, wasmtime.GlobalType) and t.mutable}


def _failure(name, text, code, raised, fuel, deadline) -> WasmError:
    """The :class:`WasmError` for a failed call of *name*: a trap (by *code*), an
    exhausted limit, or an exception *raised* by an import."""
    if isinstance(raised, WasmError):
        failure = WasmError(f"{name}: {raised}", kind=raised.kind, function=name)
    elif raised is not None:
        failure = WasmError(f"{name}: an import failed: {type(raised).__name__}: {raised}",
                            kind="import", function=name)
    elif code == wasmtime.TrapCode.OUT_OF_FUEL:
        failure = WasmError(f"{name}: ran out of fuel ({fuel:,} units per call; raise "
                            "'wasm-fuel')", kind="fuel", function=name)
    elif code == wasmtime.TrapCode.INTERRUPT:
        failure = WasmError(f"{name}: passed its wall-clock deadline of {deadline} s (raise "
                            "'wasm-deadline')", kind="deadline", function=name)
    else:
        reason = code.name.lower().replace("_", " ") if code is not None else "error"
        failure = WasmError(f"{name}: trap ({reason}): {text}", kind="trap", function=name)
    failure.__cause__ = raised
    return failure


def _as_param(function: str, index: int, kind: str, value):
    if kind in ("f32", "f64"):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    elif isinstance(value, int) and not isinstance(value, bool):
        low, high = _RANGE[kind]
        if low <= value < high:
            return value - (1 << int(kind[1:])) if value >= high // 2 else value
        raise WasmError(f"parameter {index + 1} of {function} is an {kind}; {value} is out of its "
                        "range", kind="parameters", function=function)
    raise WasmError(f"parameter {index + 1} of {function} is an {kind}; got {value!r} "
                    f"({type(value).__name__})", kind="parameters", function=function)


# -- finding the used part of a memory without copying it -----------------------------

_ZEROS = ctypes.create_string_buffer(1 << 20)


def _is_zero(address: int, size: int) -> bool:
    if snapshots._MEMCMP is not None:
        return snapshots._MEMCMP(address, ctypes.addressof(_ZEROS), size) == 0
    return ctypes.string_at(address, size).count(0) == size  # pragma: no cover


def _nonzero_runs(address: int, size: int) -> list:
    """``[(first page, count), ...]``: the runs of 64 KiB pages holding a non-zero
    byte (whole zero megabytes are skipped with one comparison each)."""
    runs, page, pages, per_chunk = [], 0, size // PAGE, len(_ZEROS) // PAGE
    while page < pages:
        if page % per_chunk == 0 and page + per_chunk <= pages and \
                _is_zero(address + page * PAGE, len(_ZEROS)):
            page += per_chunk
            continue
        if not _is_zero(address + page * PAGE, PAGE):
            if runs and runs[-1][0] + runs[-1][1] == page:
                runs[-1] = (runs[-1][0], runs[-1][1] + 1)
            else:
                runs.append((page, 1))
        page += 1
    return runs
