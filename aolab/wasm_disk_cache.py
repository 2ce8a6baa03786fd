"""Compiled modules and translated images kept on disk between runs (part of
:mod:`aolab.wasm_runtime`).

A compiled module is kept as wasmtime serialized it (``Module.serialize``),
named by its image ID and :func:`aolab.wasm_engine.engine_tag`, so a later run
loads it in about a millisecond; binaryen's translation of an image is kept
by image ID too.  Writes are atomic (a temporary file renamed into place);
the cache directory is trusted (a serialized module is native code).

>>> import os
>>> os.environ.get("AOLAB_CACHE_DIR") is None or str(cache_dir()) == os.environ["AOLAB_CACHE_DIR"]
True
"""
from __future__ import annotations

import os
import pathlib
import tempfile

import wasmtime

from .wasm_engine import engine, engine_tag


def cache_dir() -> pathlib.Path:
    """Where compiled modules and translated images are kept between runs:
    ``$AOLAB_CACHE_DIR``, else ``$XDG_CACHE_HOME/aolab``, else ``~/.cache/aolab``."""
    if os.environ.get("AOLAB_CACHE_DIR"):
        return pathlib.Path(os.environ["AOLAB_CACHE_DIR"])
    root = os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache"
    return pathlib.Path(root) / "aolab"


def translated_file(key: str) -> pathlib.Path:
    """Where binaryen's translation of the image *key* is kept."""
    return cache_dir() / "wasm-exnref" / f"{key}.wasm"


def _compiled_file(key: str) -> pathlib.Path:
    return cache_dir() / "wasm-modules" / f"{key}-{engine_tag()}.cwasm"


def read_compiled(key: str):
    """``(wasmtime module, translated)`` from the cache, or None."""
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
    return wasm, translated_file(key).exists()


def write_compiled(key: str, wasm: wasmtime.Module) -> None:
    """Keep a compiled module (a read-only cache only costs compile time)."""
    try:
        write_atomically(_compiled_file(key), wasm.serialize())
    except OSError:
        pass  # a read-only cache only costs compile time


def write_atomically(file: pathlib.Path, data: bytes) -> None:
    """Write *data* to *file* through a temporary file renamed into place (no torn reads)."""
    file.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=file.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(temporary, file)
    except BaseException:
        pathlib.Path(temporary).unlink(missing_ok=True)
        raise
