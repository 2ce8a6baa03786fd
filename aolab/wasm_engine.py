"""The one wasmtime engine of a Python process, the limits every call runs under,
and the error every WebAssembly failure raises (part of :mod:`aolab.wasm_runtime`).

The engine meters fuel (a count of executed instructions: deterministic) and
interrupts at epochs (wall clock: a backstop, advanced every 50 ms by a daemon
thread started on the first call with a deadline).

>>> engine() is engine()
True
>>> bytes(wat2wasm("(module)"))[:4]
b'\\x00asm'
"""
from __future__ import annotations

import importlib.metadata
import threading
import time

import wasmtime

from .errors import AolabError

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


def first_lines(error) -> str:
    """The first line of a wasmtime error, and up to two lines of its detail."""
    text = str(error).strip()
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    keep = [lines[0]] if lines else [text]
    keep += [line for line in lines[1:4] if not line.startswith(("Caused by", "0:", "wasm backtrace",
                                                                  "note:"))][:2]
    return "; ".join(keep)
