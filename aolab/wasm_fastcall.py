"""Calling WebAssembly through wasmtime's C API directly (part of :mod:`aolab.wasm_runtime`).

wasmtime-py's public ``Func.__call__`` looks up the function's type and builds
``Val`` objects on every call; :func:`call` uses ``wasmtime_func_call`` with
argument buffers kept per exported function (:class:`Export`), about 8 times
faster.  It reaches into wasmtime-py's private ``_ffi`` module, so it is used
only when that module has every function it needs (:data:`ENABLED`); the
public path does the same work otherwise, with the same errors.

>>> sorted(KIND)
['f32', 'f64', 'i32', 'i64']
"""
from __future__ import annotations

import ctypes

import wasmtime

from .wasm_engine import WasmError

try:
    from wasmtime import _ffi as ffi
    KIND = {"i32": ffi.WASMTIME_I32.value, "i64": ffi.WASMTIME_I64.value,
            "f32": ffi.WASMTIME_F32.value, "f64": ffi.WASMTIME_F64.value}
    _TRAP_POINTER = ctypes.POINTER(ffi.wasm_trap_t)
    #: Whether the fast path is used (tests turn it off to check the public path).
    ENABLED = all(hasattr(ffi, n) for n in ("wasmtime_func_call", "wasmtime_val_t",
                                            "wasmtime_context_set_fuel",
                                            "wasmtime_context_get_fuel",
                                            "wasmtime_context_set_epoch_deadline"))
except (ImportError, AttributeError):  # pragma: no cover - another wasmtime-py layout
    ffi, ENABLED = None, False
    KIND = dict.fromkeys(("i32", "i64", "f32", "f64"))


class Export:
    """A cached exported function: its raw handle, types and argument buffers."""
    __slots__ = ("name", "func", "ref", "params", "results", "args", "rets")

    def __init__(self, name: str, func: wasmtime.Func, store):
        kind = func.type(store)
        self.name, self.func = name, func
        self.params = tuple(str(t) for t in kind.params)
        self.results = tuple(str(t) for t in kind.results)
        unsupported = [t for t in self.params + self.results if t not in KIND]
        if unsupported:
            raise WasmError(f"{name} uses value types {', '.join(unsupported)}: only i32, i64, f32 "
                            "and f64 cross into Python", kind="parameters", function=name)
        self.ref = self.args = self.rets = None
        if ffi is not None and hasattr(ffi, "wasmtime_val_t"):
            self.ref = ctypes.byref(func._func)
            self.args = (ffi.wasmtime_val_t * max(1, len(self.params)))()
            self.rets = (ffi.wasmtime_val_t * max(1, len(self.results)))()
            for slot, kind_name in zip(self.args, self.params):
                slot.kind = KIND[kind_name]


def set_fuel(store: wasmtime.Store, fuel: int) -> None:
    """Set the fuel left in *store*."""
    if ENABLED:
        ffi.wasmtime_context_set_fuel(store._context(), fuel)
    else:
        store.set_fuel(fuel)


def set_limits(store: wasmtime.Store, fuel: int, epoch_ticks: int) -> None:
    """Set the fuel and the epoch deadline of *store*."""
    if ENABLED:
        context = store._context()
        ffi.wasmtime_context_set_fuel(context, fuel)
        ffi.wasmtime_context_set_epoch_deadline(context, epoch_ticks)
    else:
        store.set_fuel(fuel)
        store.set_epoch_deadline(epoch_ticks)


def fuel_left(store: wasmtime.Store) -> int:
    """The fuel left in *store*."""
    if ENABLED:
        remaining = ctypes.c_uint64(0)
        ffi.wasmtime_context_get_fuel(store._context(), ctypes.byref(remaining))
        return remaining.value
    return store.get_fuel()


def call(store: wasmtime.Store, export: Export, values: list, reentered: bool):
    """Call *export* with *values*: ``(results, None)``, or ``(None, (text, trap
    code, exception raised by an import))`` when it failed.  *reentered*: called
    from an import of a running call (the export's buffers are in use)."""
    args, rets = export.args, export.rets
    if reentered:
        args = (ffi.wasmtime_val_t * max(1, len(values)))()
        rets = (ffi.wasmtime_val_t * max(1, len(export.results)))()
        for slot, kind in zip(args, export.params):
            slot.kind = KIND[kind]
    for slot, kind, value in zip(args, export.params, values):
        setattr(slot.of, kind, value)
    trap = _TRAP_POINTER()
    error = ffi.wasmtime_func_call(store._context(), export.ref, args, len(values), rets,
                                   len(export.results), ctypes.byref(trap))
    if not error and not trap:
        return [getattr(rets[i].of, kind) for i, kind in enumerate(export.results)], None
    raised = take_python_exception()
    if error:
        return None, (wasmtime.WasmtimeError._from_ptr(error), None, raised)
    caught = wasmtime.Trap._from_ptr(trap)
    return None, (caught.message, caught.trap_code, raised)


def take_python_exception():
    """The exception an import raised during the last failed call (wasmtime-py keeps it)."""
    from wasmtime import _func
    raised, _func.LAST_EXCEPTION = _func.LAST_EXCEPTION, None
    return raised
