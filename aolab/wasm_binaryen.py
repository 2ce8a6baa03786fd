"""Images that use WebAssembly's legacy exception instructions, translated with
binaryen (part of :mod:`aolab.wasm_runtime`).

Emscripten's aos-2-pure-xs.wasm uses ``try``/``catch``, which wasmtime does
not run; ``wasm-opt --translate-to-exnref`` (binaryen 132, installed by
``make setup`` from npm) rewrites them as exnref instructions, which it does.
Translations are cached by image ID (:mod:`aolab.wasm_disk_cache`).

>>> WASM_OPT_FEATURES[0]
'--enable-exception-handling'
"""
from __future__ import annotations

import pathlib
import subprocess
import tempfile

from . import tools
from .tools import find_wasm_opt  # the project's pinned binaryen
from .wasm_disk_cache import translated_file, write_atomically
from .wasm_engine import WasmError

#: binaryen features to list for aos-style modules (``--all-features`` output
#: is refused by wasmtime).
WASM_OPT_FEATURES = ("--enable-exception-handling", "--enable-memory64", "--enable-bulk-memory",
                     "--enable-sign-ext", "--enable-mutable-globals",
                     "--enable-nontrapping-float-to-int", "--enable-reference-types",
                     "--enable-multivalue")
WASM_OPT_HINT = ("`make setup` installs the pinned binaryen 132 into npm/node_modules; "
                 "or set AOLAB_WASM_OPT to a wasm-opt executable")


def translation_available(image: bytes) -> bool:
    """True when *image* can run here: wasm-opt is found, or its translation is cached."""
    from .wasm_images import image_id
    return find_wasm_opt() is not None or translated_file(image_id(image)).exists()


def translate_legacy_exceptions(image: bytes, key: str | None = None) -> bytes:
    """*image* with its legacy ``try``/``catch`` rewritten to exnref instructions,
    which wasmtime runs (``wasm-opt --translate-to-exnref``; cached by image ID)."""
    if key is None:
        from .wasm_images import image_id
        key = image_id(image)
    cached = translated_file(key)
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
        write_atomically(cached, translated)
    except OSError:
        pass
    return translated
