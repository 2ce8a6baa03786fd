"""WebAssembly images and their compiled modules (part of :mod:`aolab.wasm_runtime`).

:func:`load_module` compiles an image once.  Compiled modules are kept by
image ID (the ID of ``{"body": image}``, as HyperBEAM names a stored image):
the last :data:`CACHE_SIZE` in memory (least recently used first out), all on
disk (:mod:`aolab.wasm_disk_cache`).  An image that uses the legacy exception
instructions is translated first (:mod:`aolab.wasm_binaryen`).

>>> from aolab.wasm_engine import wat2wasm
>>> module = load_module(wat2wasm('(module (func (export "f")))'))
>>> list(module.exports), load_module(wat2wasm('(module (func (export "f")))')) is module
(['f'], True)
"""
from __future__ import annotations

import threading
from collections import OrderedDict

import wasmtime

from . import ids
from .wasm_binaryen import translate_legacy_exceptions
from .wasm_disk_cache import read_compiled, write_compiled
from .wasm_engine import (DEFAULT_FUNCTION_LIMIT, DEFAULT_IMAGE_LIMIT, WasmError, engine,
                          first_lines)

#: Compiled modules (and image IDs) kept in memory.
CACHE_SIZE = 32


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


class LruCache:
    """At most *size* entries; the least recently used goes first (thread-safe)."""

    def __init__(self, size: int):
        self.size, self._entries, self._lock = size, OrderedDict(), threading.Lock()

    def get(self, key):
        """The value cached under *key* (now the most recent), or None."""
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key, value) -> None:
        """Cache *value* under *key*, dropping the least recently used beyond ``size``."""
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)


_modules = LruCache(CACHE_SIZE)
_image_ids = LruCache(CACHE_SIZE)


def image_id(image: bytes) -> str:
    """The ID of the image message ``{"body": image}`` (how HyperBEAM names it)."""
    found = _image_ids.get(image)
    if found is None:
        found = ids.id({"body": image})
        _image_ids.put(image, found)
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
        _modules.put(key, found)
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
    cached = read_compiled(key)
    if cached is not None:
        return Module(cached[0], key, cached[1])
    translated = False
    try:
        wasm = wasmtime.Module(engine(), image)
    except wasmtime.WasmtimeError as exc:
        if "legacy_exceptions" not in str(exc):
            raise WasmError(f"the image is not a valid WebAssembly module: {first_lines(exc)}",
                            kind="image") from None
        try:
            wasm = wasmtime.Module(engine(), translate_legacy_exceptions(image, key))
        except wasmtime.WasmtimeError as again:
            raise WasmError("the image, translated by wasm-opt --translate-to-exnref, is still "
                            f"refused: {first_lines(again)}", kind="image") from None
        translated = True
    write_compiled(key, wasm)
    return Module(wasm, key, translated)
