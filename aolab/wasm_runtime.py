"""The WebAssembly runtime under wasm64@1.0: wasmtime, metered and snapshot-able.

The runtime is split by job; every name stays importable from here:
:mod:`aolab.wasm_engine` (the engine, limits, :class:`WasmError`),
:mod:`aolab.wasm_images` (images, compiled modules, an LRU of them),
:mod:`aolab.wasm_disk_cache` (compiled modules on disk),
:mod:`aolab.wasm_binaryen` (translating legacy exception instructions),
:mod:`aolab.wasm_fastcall` (calls through wasmtime's C API),
:mod:`aolab.wasm_instance` (:class:`Instance`) and
:mod:`aolab.wasm_messages` (where an instance sits in a message).

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
    (a keyframe of its non-zero 4 KiB chunks, or the bytes changed since the
    previous snapshot: :mod:`aolab.snapshots`) and exported mutable globals out
    of and into an instance, and ``recover`` restarts a trapped one from its last snapshot.

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
aolab.wasm_engine.WasmError: add takes 2 parameters (i32, i32); got 1: [2]

Reference: HyperBEAM src/hb_beamr.erl, src/hb_beamr_io.erl at b2743e4a.
"""
from __future__ import annotations

from .tools import find_wasm_opt  # noqa: F401  (the project's pinned binaryen)
from .wasm_binaryen import (WASM_OPT_FEATURES, WASM_OPT_HINT,  # noqa: F401
                            translate_legacy_exceptions, translation_available)
from .wasm_disk_cache import cache_dir  # noqa: F401
from .wasm_engine import (DEFAULT_DEADLINE, DEFAULT_FUEL, DEFAULT_FUNCTION_LIMIT,  # noqa: F401
                          DEFAULT_IMAGE_LIMIT, DEFAULT_MEMORIES, DEFAULT_MEMORY_LIMIT,
                          DEFAULT_TABLE_ELEMENTS, DEFAULT_TABLES, HOST_CALL_FUEL, PAGE, WasmError,
                          engine, engine_tag, wat2wasm)
from .wasm_images import Module, count_functions, image_id, load_module  # noqa: F401
from .wasm_instance import Instance  # noqa: F401
from .wasm_messages import (instance_of, parts, prefix_of, value_at, with_instance,  # noqa: F401
                            with_value)
