"""HyperBEAM's expectations on its own test modules (test-64, pow_calculator,
test-print, test-calling, aos-2-pure-xs), when they are available.

They are HyperBEAM's data, not aolab's: the tests look for them in
``$AOLAB_SHARED_WASM`` or ``../shared/wasm/`` next to the project, and skip
when they are absent.  The aos tests also need binaryen's ``wasm-opt`` (or a
cached translation) and skip without it.
"""
from __future__ import annotations

import json
import os
import pathlib

import pytest

import aolab
from aolab import wasm_runtime
from aolab.wasm_runtime import Instance, WasmError, load_module

SHARED = pathlib.Path(os.environ.get("AOLAB_SHARED_WASM")
                      or pathlib.Path(__file__).resolve().parents[2] / "shared" / "wasm")
pytestmark = pytest.mark.skipif(not SHARED.is_dir(),
                                reason=f"HyperBEAM's test modules are not in {SHARED}")


def image(name: str) -> bytes:
    return (SHARED / name).read_bytes()


def aos_available() -> bool:
    return (SHARED / "aos-2-pure-xs.wasm").exists() and \
        wasm_runtime.translation_available(image("aos-2-pure-xs.wasm"))


needs_aos = pytest.mark.skipif(
    not SHARED.is_dir() or not aos_available(),
    reason="aos-2-pure-xs.wasm needs binaryen's wasm-opt: npm install -g binaryen@132, or set "
           "AOLAB_WASM_OPT")


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


# -- aos: a real AO Lua process ------------------------------------------------------------

AOS_STACK = ["wasi@1.0", "json-iface@1.0", "wasm64@1.0"]


def aos_process(lab):
    return lab.spawn({"device": "process@1.0", "execution-device": "stack@1.0",
                      "device-stack": AOS_STACK, "image": lab.write({"body": image("aos-2-pure-xs.wasm")})})


def eval_message(code: str) -> dict:
    return {"action": "Eval", "data": code}


@needs_aos
def test_basic_aos_exec():
    """dev_wasi:basic_aos_exec_test: handle(msg, env) with hand-written JSON."""
    aos = Instance(load_module(image("aos-2-pure-xs.wasm")))
    assert aos.memory64 and aos.size() == 192 * 65536  # WAMR reports 193 pages
    env = ('{"Process":{"Id":"AOS","Owner":"FOOBAR","Tags":[{"name":"Name","value":"Thomas"},'
           '{"name":"Authority","value":"FOOBAR"}]}}')
    msg = ('{"From":"FOOBAR","Block-Height":"1","Target":"AOS","Owner":"FOOBAR","Id":"1",'
           '"Module":"W","Tags":[{"name":"Action","value":"Eval"}],"Data":"return 1 + 1"}')
    output = aos.call("handle", [aos.write_string(msg), aos.write_string(env)])
    answer = json.loads(aos.read_string(output[0]))
    assert answer["response"]["Output"]["data"] == "2"


@needs_aos
def test_aos_compute(lab):
    """dev_process:aos_compute_test: "return 1+1" gives "2", then "return 2+2" gives "4"."""
    proc = aos_process(lab)
    lab.schedule(proc, eval_message("return 1+1"))
    lab.schedule(proc, eval_message("return 2+2"))
    assert lab.compute(proc, slot=0)["results"]["data"] == "2"
    assert lab.compute(proc, slot=1)["results"]["data"] == "4"


@needs_aos
def test_aos_state_persists_across_slots(lab):
    """The issue's example: x = 41, then return x + 1."""
    proc = aos_process(lab)
    lab.schedule(proc, eval_message("x = 41"))
    lab.schedule(proc, eval_message("return x + 1"))
    assert lab.compute(proc, slot=1)["results"]["data"] == "42"


@needs_aos
def test_aos_errors_are_results_and_the_process_goes_on(lab):
    proc = aos_process(lab)
    lab.schedule(proc, eval_message("X = 1337"))
    lab.schedule(proc, eval_message("error('no such thing')"))
    lab.schedule(proc, eval_message("return X"))
    failed = lab.compute(proc, slot=1)["results"]
    assert "no such thing" in failed["error"]
    assert lab.compute(proc, slot=2)["results"]["data"] == "1337"


@needs_aos
def test_aos_restores_from_a_snapshot_on_a_new_node(lab):
    """dev_process:persistent_process_test style: a restarted node goes on from slot 1."""
    proc = aos_process(lab)
    for code in ("X = 42", "X = 1337", "return X"):
        lab.schedule(proc, eval_message(code))
    lab.compute(proc, slot=1)
    again = aolab.Node(store=lab.store)
    assert again.compute(proc, slot=2)["results"]["data"] == "1337"
    assert [r["key"] for r in again.trace.records if r["device"] == "wasm64@1.0"][0] == "normalize"


@needs_aos
def test_two_fresh_aos_runs_are_byte_identical():
    finals = []
    for _ in range(2):
        node = aolab.Node()
        proc = aos_process(node)
        for code in ("x = 41", "return x + 1"):
            node.schedule(proc, eval_message(code))
        finals.append(node.compute(proc, slot=1))
    memories = [wasm_runtime.instance_of(state) for state in finals]
    assert memories[0].read(0, memories[0].size()) == memories[1].read(0, memories[1].size())
    assert aolab.hashpath(finals[0]) == aolab.hashpath(finals[1])
    assert finals[0]["results"] == finals[1]["results"]
