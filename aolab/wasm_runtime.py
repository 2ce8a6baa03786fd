"""The WebAssembly runtime under wasm64@1.0: wasmtime, metered and snapshot-able.

HyperBEAM runs WebAssembly with ``hb_beamr`` (the WAMR engine in a linked-in
driver) and reaches into its memory with ``hb_beamr_io``.  This module is
aolab's counterpart on the ``wasmtime`` package.  It knows nothing of devices;
wasm64@1.0, wasi@1.0 and json-iface@1.0 use it.

:func:`load_module`
    compiles an image once.  Compiled modules are kept by image ID (the ID of
    ``{"body": image}``, as HyperBEAM names a stored image) in memory, and on
    disk as serialized modules (``Module.serialize``), so a later load takes
    about a millisecond.  Images that use the legacy exception instructions
    (``try``/``catch``, as Emscripten's aos-2-pure-xs.wasm does) are first
    translated with binaryen's ``wasm-opt --translate-to-exnref``
    (:func:`translate_legacy_exceptions`).
:class:`Instance`
    one instantiated module in its own store.  ``call`` runs an exported
    function under three limits: fuel (a count of executed instructions,
    deterministic: the default), an epoch deadline (wall-clock, a backstop) and
    the store's memory limit.  Every import goes to one Python callable,
    ``imports(module, name, args, signature) -> results``, except Emscripten's
    ``env.invoke_*``, which call through the module's function table.
    ``read``/``write``/``size``/``malloc``/``read_string``/``write_string``
    are ``hb_beamr_io``'s helpers; ``snapshot``/``restore`` move the memory
    (its non-zero 4 KiB chunks, those unchanged since the previous snapshot
    shared with it: :mod:`aolab.snapshots`) and exported mutable globals out of
    and into an instance, and ``recover`` restarts a trapped one from its last snapshot.

Nothing here reads a clock or a random source for the module: the epoch
deadline only ever stops a call that would otherwise run away.

>>> image = wat2wasm('(module (func (export "add") (param i32 i32) (result i32)'
...                  ' local.get 0 local.get 1 i32.add))')
>>> instance = Instance(load_module(image))
>>> instance.call("add", [2, 3])
[5]
>>> instance.call("add", [2])
Traceback (most recent call last):
...
aolab.wasm_runtime.WasmError: add takes 2 parameters (i32, i32); got 1: [2]

Reference: HyperBEAM src/hb_beamr.erl, src/hb_beamr_io.erl at b2743e4a.
"""
from __future__ import annotations

import ctypes
import importlib.metadata
import math
import os
import pathlib
import struct
import subprocess
import tempfile
import threading
import time
import weakref
from collections import OrderedDict

import wasmtime

try:  # the fast path calls wasmtime's C API directly (see Instance.call)
    from wasmtime import _ffi as ffi
    _KIND = {"i32": ffi.WASMTIME_I32.value, "i64": ffi.WASMTIME_I64.value,
             "f32": ffi.WASMTIME_F32.value, "f64": ffi.WASMTIME_F64.value}
    _TRAP_POINTER = ctypes.POINTER(ffi.wasm_trap_t)
    _FAST = all(hasattr(ffi, n) for n in ("wasmtime_func_call", "wasmtime_val_t",
                                           "wasmtime_context_set_fuel",
                                           "wasmtime_context_get_fuel",
                                           "wasmtime_context_set_epoch_deadline"))
except (ImportError, AttributeError):  # pragma: no cover - another wasmtime-py layout
    ffi, _FAST = None, False
    _KIND = dict.fromkeys(("i32", "i64", "f32", "f64"))

from . import ids, snapshots, tools
from .errors import AolabError
from .tools import find_wasm_opt  # noqa: F401  (the project's pinned binaryen)

PAGE = 65536
#: Fuel per call when nothing else is said: a few tenths of a second of
#: WebAssembly (aos spends about 6 * 10**7 on its first message, 2 * 10**6 after).
DEFAULT_FUEL = 10**9
#: Wall-clock backstop per call, in seconds (fuel stops runaway code first).
DEFAULT_DEADLINE = 30.0
#: Store memory limit when nothing else is said (bytes of linear memory, shared
#: by every memory of an instance: each of its ``DEFAULT_MEMORIES`` gets a share).
DEFAULT_MEMORY_LIMIT = 1 << 30
#: Linear memories an instance may hold.
DEFAULT_MEMORIES = 1
#: Table elements an instance may hold, over all its tables.
DEFAULT_TABLE_ELEMENTS = 1 << 20
#: Tables an instance may hold.
DEFAULT_TABLES = 4
#: The largest image compiled (bytes), and the most functions it may define:
#: compilation time and memory grow with both, so both are bounded.
DEFAULT_IMAGE_LIMIT = 64 << 20
DEFAULT_FUNCTION_LIMIT = 50_000
#: Fuel every import call costs before its own work (host work is metered too).
HOST_CALL_FUEL = 1_000
#: binaryen features to list for aos-style modules (``--all-features`` output
#: is refused by wasmtime).
WASM_OPT_FEATURES = ("--enable-exception-handling", "--enable-memory64", "--enable-bulk-memory",
                     "--enable-sign-ext", "--enable-mutable-globals",
                     "--enable-nontrapping-float-to-int", "--enable-reference-types",
                     "--enable-multivalue")
WASM_OPT_HINT = ("`make setup` installs the pinned binaryen 132 into npm/node_modules; "
                 "or set AOLAB_WASM_OPT to a wasm-opt executable")
_EPOCH_TICK = 0.05
_UNLIMITED = (1 << 63) - 1


class WasmError(AolabError):
    """A WebAssembly image, call or memory access failed.

    ``kind`` says why: ``image`` (not a usable module), ``instantiate``,
    ``export`` (no such function), ``parameters`` (wrong number or types),
    ``trap``, ``fuel``, ``deadline``, ``memory`` (limit or bounds), ``malloc``,
    ``import`` (an import handler failed), ``exit`` (the module called
    ``proc_exit``).  ``function`` names the function called, when there was one.
    """

    def __init__(self, text: str, *, kind: str, function=None, **rest):
        super().__init__(text, **rest)
        self.kind = kind
        self.function = function


# -- the engine ------------------------------------------------------------------

_engine: wasmtime.Engine | None = None
_engine_lock = threading.RLock()
_ticker: threading.Thread | None = None


def engine() -> wasmtime.Engine:
    """The one wasmtime engine every module and instance of this process shares.

    Fuel metering and epoch interruption are on; NaNs are canonicalised, so
    float results do not depend on the host CPU; memory64 and the (exnref)
    exception proposal are enabled.
    """
    global _engine
    with _engine_lock:
        if _engine is None:
            config = wasmtime.Config()
            config.consume_fuel = True
            config.epoch_interruption = True
            config.cranelift_nan_canonicalization = True
            config.wasm_memory64 = True
            config.wasm_exceptions = True
            _engine = wasmtime.Engine(config)
    return _engine


def engine_tag() -> str:
    """Names the wasmtime version and engine settings serialized modules depend on."""
    try:
        version = importlib.metadata.version("wasmtime")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover
        version = "unknown"
    return f"wasmtime-{version}-fuel-epoch-nan-m64-exn"


def _start_ticker() -> None:
    """Advance the engine's epoch every 50 ms, for deadlines (a daemon thread)."""
    global _ticker
    if _ticker is not None:
        return
    with _engine_lock:
        if _ticker is None:
            current = engine()

            def tick():
                while True:
                    time.sleep(_EPOCH_TICK)
                    current.increment_epoch()
            _ticker = threading.Thread(target=tick, name="aolab-wasm-epoch", daemon=True)
            _ticker.start()


def wat2wasm(text: str) -> bytes:
    """A binary module from WebAssembly text."""
    return bytes(wasmtime.wat2wasm(text))


# -- images and compiled modules ---------------------------------------------------

class Module:
    """A compiled image: the wasmtime module, its image ID, imports and exports."""

    def __init__(self, wasm: wasmtime.Module, image_id: str, translated: bool = False):
        self.wasm = wasm
        self.image_id = image_id
        self.translated = translated
        self.imports = [(i.module, i.name, i.type) for i in wasm.imports]
        self.exports = {e.name: e.type for e in wasm.exports}

    def __repr__(self) -> str:
        functions = [n for n, t in self.exports.items() if isinstance(t, wasmtime.FuncType)]
        return f"<wasm Module {ids.short_id(self.image_id)}: exports {', '.join(functions)}>"


_modules: OrderedDict = OrderedDict()
_image_ids: OrderedDict = OrderedDict()
_CACHE_SIZE = 32


def image_id(image: bytes) -> str:
    """The ID of the image message ``{"body": image}`` (how HyperBEAM names it)."""
    found = _image_ids.get(image)
    if found is None:
        found = ids.id({"body": image})
        _remember(_image_ids, image, found)
    return found


def load_module(image: bytes, *, image_limit: int = DEFAULT_IMAGE_LIMIT,
                function_limit: int = DEFAULT_FUNCTION_LIMIT) -> Module:
    """The compiled module of *image*: from memory, from the disk cache, or compiled.

    An image larger than *image_limit* bytes, or defining more than
    *function_limit* functions, is refused before compiling (compilation time
    and memory grow with both).  Raises :class:`WasmError` (kind ``image``)
    naming what is wrong.
    """
    if isinstance(image, bytearray):
        image = bytes(image)
    if not isinstance(image, bytes):
        raise WasmError(f"a WebAssembly image is bytes, not {type(image).__name__}", kind="image")
    if not image.startswith(b"\0asm"):
        raise WasmError("the image is not a WebAssembly binary (it does not start with \\0asm); "
                        "compile WebAssembly text with aolab.data.wasm or wasmtime.wat2wasm",
                        kind="image")
    if len(image) > image_limit:
        raise WasmError(f"the image has {len(image):,} bytes, more than the {image_limit:,} this "
                        "node compiles ('wasm-image-limit')", kind="image")
    key = image_id(image)
    found = _modules.get(key)
    if found is None:
        functions = count_functions(image)
        if functions > function_limit:
            raise WasmError(f"the image defines {functions:,} functions, more than the "
                            f"{function_limit:,} this node compiles ('wasm-function-limit')",
                            kind="image")
        found = _compile(image, key)
        _remember(_modules, key, found)
    return found


def count_functions(image: bytes) -> int:
    """How many functions *image* defines (its function section's count), read
    from the section headers without compiling; 0 when it has none."""
    at = 8
    try:
        while at < len(image):
            section = image[at]
            size, at = _leb128(image, at + 1)
            if section == 3:
                return _leb128(image, at)[0]
            at += size
    except WasmError:
        return 0  # malformed: wasmtime names the fault when it is asked to compile it
    return 0


def _leb128(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    for _ in range(10):
        if at >= len(data):
            raise WasmError("the image is truncated (a section header runs past its end)",
                            kind="image")
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, at
    raise WasmError("the image has a malformed section header", kind="image")


def _compile(image: bytes, key: str) -> Module:
    cached = _read_compiled(key)
    if cached is not None:
        return cached
    translated = False
    try:
        wasm = wasmtime.Module(engine(), image)
    except wasmtime.WasmtimeError as exc:
        if "legacy_exceptions" not in str(exc):
            raise WasmError(f"the image is not a valid WebAssembly module: {_first_lines(exc)}",
                            kind="image") from None
        try:
            wasm = wasmtime.Module(engine(), translate_legacy_exceptions(image, key))
        except wasmtime.WasmtimeError as again:
            raise WasmError("the image, translated by wasm-opt --translate-to-exnref, is still "
                            f"refused: {_first_lines(again)}", kind="image") from None
        translated = True
    module = Module(wasm, key, translated)
    _write_compiled(key, module)
    return module


def cache_dir() -> pathlib.Path:
    """Where compiled modules and translated images are kept between runs:
    ``$AOLAB_CACHE_DIR``, else ``$XDG_CACHE_HOME/aolab``, else ``~/.cache/aolab``."""
    if os.environ.get("AOLAB_CACHE_DIR"):
        return pathlib.Path(os.environ["AOLAB_CACHE_DIR"])
    root = os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache"
    return pathlib.Path(root) / "aolab"


def _compiled_file(key: str) -> pathlib.Path:
    return cache_dir() / "wasm-modules" / f"{key}-{engine_tag()}.cwasm"


def _read_compiled(key: str) -> Module | None:
    """A module deserialized from the cache (the cache directory is trusted)."""
    file = _compiled_file(key)
    try:
        data = file.read_bytes()
    except OSError:
        return None
    try:
        wasm = wasmtime.Module.deserialize(engine(), data)
    except wasmtime.WasmtimeError:
        file.unlink(missing_ok=True)  # from another engine: compile again
        return None
    translated = (cache_dir() / "wasm-exnref" / f"{key}.wasm").exists()
    return Module(wasm, key, translated)


def _write_compiled(key: str, module: Module) -> None:
    try:
        _write_atomically(_compiled_file(key), module.wasm.serialize())
    except OSError:
        pass  # a read-only cache only costs compile time


def _write_atomically(file: pathlib.Path, data: bytes) -> None:
    file.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=file.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temporary, file)
    except BaseException:
        pathlib.Path(temporary).unlink(missing_ok=True)
        raise


def translation_available(image: bytes) -> bool:
    """True when *image* can run here: wasm-opt is found, or its translation is cached."""
    return find_wasm_opt() is not None or (cache_dir() / "wasm-exnref" / f"{image_id(image)}.wasm").exists()


def translate_legacy_exceptions(image: bytes, key: str | None = None) -> bytes:
    """*image* with its legacy ``try``/``catch`` rewritten to exnref instructions,
    which wasmtime runs (``wasm-opt --translate-to-exnref``; cached by image ID)."""
    key = key or image_id(image)
    cached = cache_dir() / "wasm-exnref" / f"{key}.wasm"
    try:
        return cached.read_bytes()
    except OSError:
        pass
    wasm_opt = find_wasm_opt()
    if wasm_opt is None:
        raise WasmError("the image uses the legacy WebAssembly exception instructions (try/catch), "
                        "which wasmtime does not run; aolab translates such images with binaryen's "
                        f"`wasm-opt --translate-to-exnref`, but {tools.missing('wasm-opt')} "
                        f"({WASM_OPT_HINT})", kind="image")
    with tempfile.TemporaryDirectory(prefix="aolab-wasm-opt-") as work:
        source, target = pathlib.Path(work, "in.wasm"), pathlib.Path(work, "out.wasm")
        source.write_bytes(image)
        try:
            done = subprocess.run([wasm_opt, str(source), "--translate-to-exnref", *WASM_OPT_FEATURES,
                                   "-o", str(target)], capture_output=True, text=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise WasmError(f"running {wasm_opt} failed: {exc}; {WASM_OPT_HINT}", kind="image") from None
        if done.returncode != 0 or not target.exists():
            raise WasmError(f"wasm-opt --translate-to-exnref failed ({wasm_opt}): "
                            f"{(done.stderr or done.stdout).strip()[:500]}; binaryen 132 is known to "
                            "work", kind="image")
        translated = target.read_bytes()
    try:
        _write_atomically(cached, translated)
    except OSError:
        pass
    return translated


# -- instances -----------------------------------------------------------------------

_RANGE = {"i32": (-(1 << 31), 1 << 32), "i64": (-(1 << 63), 1 << 64)}


class _Export:
    """A cached exported function: its raw handle, types and argument buffers."""
    __slots__ = ("name", "func", "ref", "params", "results", "args", "rets")

    def __init__(self, name: str, func: wasmtime.Func, store):
        kind = func.type(store)
        self.name, self.func = name, func
        self.params = tuple(str(t) for t in kind.params)
        self.results = tuple(str(t) for t in kind.results)
        unsupported = [t for t in self.params + self.results if t not in _KIND]
        if unsupported:
            raise WasmError(f"{name} uses value types {', '.join(unsupported)}: only i32, i64, f32 "
                            "and f64 cross into Python", kind="parameters", function=name)
        self.ref = self.args = self.rets = None
        if _FAST:
            self.ref = ctypes.byref(func._func)
            self.args = (ffi.wasmtime_val_t * max(1, len(self.params)))()
            self.rets = (ffi.wasmtime_val_t * max(1, len(self.results)))()
            for slot, kind_name in zip(self.args, self.params):
                slot.kind = _KIND[kind_name]


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
        self._functions: dict[str, _Export] = {}
        externs = [self._import(module, name, kind) for module, name, kind in self.module.imports]
        try:
            self._instance = wasmtime.Instance(self.store, self.module.wasm, externs)
        except (wasmtime.WasmtimeError, wasmtime.Trap) as exc:
            text = _first_lines(exc)
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
        """Start this instance again from its last snapshot (or as instantiated):
        what to do after a trap, which may leave memory half-written.  Every
        message that holds this instance sees the recovered one."""
        self._instantiate(None)
        self._tracker = snapshots.Tracker()
        if self.last_snapshot is not None:
            self.restore(self.last_snapshot)
        return self

    # -- calls ----------------------------------------------------------------------
    def function(self, name: str) -> _Export:
        found = self._functions.get(name)
        if found is None:
            item = self._exports.get(name) if isinstance(name, str) else None
            if not isinstance(item, wasmtime.Func):
                names = sorted(n for n, t in self.module.exports.items() if isinstance(t, wasmtime.FuncType))
                raise WasmError(f"the module exports no function {name!r} (its functions: "
                                f"{', '.join(names) or 'none'})", kind="export", function=name)
            found = self._functions[name] = _Export(name, item, self.store)
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
            if _FAST:
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
        if _FAST:
            ffi.wasmtime_context_set_fuel(self.store._context(), fuel)
        else:
            self.store.set_fuel(fuel)

    def _set_limits(self, fuel: int, epoch_ticks: int) -> None:
        if _FAST:
            context = self.store._context()
            ffi.wasmtime_context_set_fuel(context, fuel)
            ffi.wasmtime_context_set_epoch_deadline(context, epoch_ticks)
        else:
            self.store.set_fuel(fuel)
            self.store.set_epoch_deadline(epoch_ticks)

    def _fuel_left(self) -> int:
        if _FAST:
            remaining = ctypes.c_uint64(0)
            ffi.wasmtime_context_get_fuel(self.store._context(), ctypes.byref(remaining))
            return remaining.value
        return self.store.get_fuel()

    def _call_fast(self, export: _Export, values: list, outermost: bool, fuel, deadline) -> list:
        """wasmtime_func_call with the export's own buffers: no FuncType lookup,
        no Val objects (about 8x faster than ``Func.__call__``)."""
        args, rets = export.args, export.rets
        if not outermost:  # re-entered from an import: the buffers are in use
            args = (ffi.wasmtime_val_t * max(1, len(values)))()
            rets = (ffi.wasmtime_val_t * max(1, len(export.results)))()
            for slot, kind in zip(args, export.params):
                slot.kind = _KIND[kind]
        for slot, kind, value in zip(args, export.params, values):
            setattr(slot.of, kind, value)
        trap = _TRAP_POINTER()
        error = ffi.wasmtime_func_call(self.store._context(), export.ref, args, len(values), rets,
                                       len(export.results), ctypes.byref(trap))
        if error or trap:
            raised = _take_python_exception()
            if error:
                text, code = _first_lines(wasmtime.WasmtimeError._from_ptr(error)), None
            else:
                caught = wasmtime.Trap._from_ptr(trap)
                text, code = _first_lines(caught.message), caught.trap_code
            raise _failure(export.name, text, code, raised, fuel, deadline)
        return [getattr(rets[i].of, kind) for i, kind in enumerate(export.results)]

    def _call_public(self, export: _Export, values: list, fuel, deadline) -> list:
        """The same through wasmtime-py's public ``Func.__call__``."""
        try:
            answer = export.func(self.store, *values)
        except wasmtime.Trap as caught:
            raise _failure(export.name, _first_lines(caught.message), caught.trap_code, None,
                           fuel, deadline) from None
        except wasmtime.WasmtimeError as caught:
            raise _failure(export.name, _first_lines(caught), None, None, fuel, deadline) from None
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
        """The state as a message (:mod:`aolab.snapshots`).

        ``pages`` is the memory's size; ``chunks`` and ``bodies`` its 4 KiB
        chunks that are not all zeros.  Chunks unchanged since this instance's
        previous snapshot are the previous snapshot's ``bytes`` objects, so a
        snapshot costs the chunks that changed (an aos message changes about
        210 of its 430).  ``globals`` holds the exported mutable globals, when
        there are any.
        """
        size = self.size()
        snapshot = self._tracker.take(self._address() if size else 0, size)
        values = self._mutable_globals()
        if values:
            snapshot["globals"] = {n: g.value(self.store) for n, g in values.items()}
        self.last_snapshot = snapshot
        return snapshot

    def restore(self, snapshot) -> None:
        """Put a :meth:`snapshot` into this instance.  Older forms restore too: a
        ``body`` with ``runs`` (non-zero 64 KiB pages), and a ``body`` alone (or
        plain bytes), the memory from address 0, as HyperBEAM takes them."""
        if isinstance(snapshot, (bytes, bytearray)):
            snapshot = {"body": bytes(snapshot)}
        try:
            pages, pieces = snapshots.pages_of(snapshot), snapshots.writes(snapshot)
        except (ValueError, TypeError, struct.error) as exc:
            raise WasmError(f"the snapshot cannot be restored: {exc}", kind="memory") from None
        if self.memory is not None:
            self._restore_memory(pages, pieces)
        elif pieces:
            raise WasmError("the snapshot has a memory; this module has none", kind="memory")
        values = self._mutable_globals()
        for name, value in (snapshot.get("globals") or {}).items():
            if name in values:
                values[name].set_value(self.store, value)
        self.last_snapshot = snapshot
        size = self.size()
        self._tracker.reset(snapshot, self._address() if size else 0, size)

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


def _take_python_exception():
    from wasmtime import _func
    raised, _func.LAST_EXCEPTION = _func.LAST_EXCEPTION, None
    return raised


def _first_lines(error) -> str:
    text = str(error).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    keep = [lines[0]] if lines else [text]
    keep += [line for line in lines[1:4] if not line.startswith(("Caused by", "0:", "wasm backtrace",
                                                                  "note:"))][:2]
    return "; ".join(keep)


def _remember(cache: OrderedDict, key, value) -> None:
    cache[key] = value
    while len(cache) > _CACHE_SIZE:
        cache.popitem(last=False)


# -- finding the used part of a memory without copying it -----------------------------

_MEMCMP = snapshots._MEMCMP  # libc's memcmp, or None (one lookup, shared with snapshots)
_ZEROS = ctypes.create_string_buffer(1 << 20)


def _is_zero(address: int, size: int) -> bool:
    if _MEMCMP is not None:
        return _MEMCMP(address, ctypes.addressof(_ZEROS), size) == 0
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


def instance_of(message, prefix: str = ""):
    """The live :class:`Instance` a message holds in ``priv/<prefix>/instance``, or None."""
    priv = message.get("priv") if isinstance(message, dict) else None
    for part in parts(prefix):
        priv = priv.get(part) if isinstance(priv, dict) else None
    found = priv.get("instance") if isinstance(priv, dict) else None
    return found if isinstance(found, Instance) else None


def with_instance(message: dict, prefix: str, instance) -> dict:
    """*message* holding *instance* in ``priv/<prefix>/instance`` (None removes it)."""
    return with_value(message, ["priv", *parts(prefix), "instance"], instance)


def with_value(message: dict, path: list, value) -> dict:
    """A copy of *message* with *value* at the nested *path* (None removes it);
    every level on the path is copied, nothing else."""
    head, rest = path[0], path[1:]
    if not rest:
        new = dict(message)
        if value is None:
            new.pop(head, None)
        else:
            new[head] = value
        return new
    inner = message.get(head)
    return {**message, head: with_value(inner if isinstance(inner, dict) else {}, rest, value)}


def value_at(message, path: list, default=None):
    """The value at the nested *path* of *message*, or *default*."""
    for part in path:
        if not isinstance(message, dict) or part not in message:
            return default
        message = message[part]
    return message


def prefix_of(message) -> str:
    """A device's output prefix in a stack (``output-prefix``, default none)."""
    prefix = message.get("output-prefix") if isinstance(message, dict) else None
    return prefix if isinstance(prefix, str) else ""


def parts(prefix: str) -> list:
    """The path segments of a prefix (``"wasm/"`` -> ``["wasm"]``)."""
    return [p for p in str(prefix or "").split("/") if p]
