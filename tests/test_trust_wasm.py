"""Trust, item 5: untrusted WebAssembly stays bounded by the node, not by the message.

Node options are caps; a message may lower a limit but never raise or remove
it.  Host calls are paid in fuel; all memories and tables share one budget;
compilation is bounded before it starts.
"""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aolab
import aolab.data
from aolab.wasm_runtime import Instance, WasmError, load_module, wat2wasm

LOOP = aolab.data.wasm("loop")

SPRAY = wat2wasm('''(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (func (export "spray") (param $n i32) (result i32)
    (local $i i32)
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (i32.store (i32.add (i32.const 1024) (i32.mul (local.get $i) (i32.const 8))) (i32.const 0))
      (i32.store (i32.add (i32.const 1028) (i32.mul (local.get $i) (i32.const 8))) (i32.const 65536))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (call $fd_write (i32.const 1) (i32.const 1024) (local.get $n) (i32.const 16)))
  (func (export "hello") (result i32)
    (i32.store8 (i32.const 0) (i32.const 104))
    (i32.store (i32.const 1024) (i32.const 0)) (i32.store (i32.const 1028) (i32.const 1))
    (call $fd_write (i32.const 1) (i32.const 1024) (i32.const 1) (i32.const 16))))''')

MEMORIES = wat2wasm('''(module
  (memory $a (export "memory") 1) (memory $b 1) (memory $c 1)
  (func (export "grow") (param $n i32) (result i32)
    (drop (memory.grow $b (local.get $n)))
    (memory.grow $c (local.get $n))))''')

TABLE = wat2wasm('''(module
  (table $t (export "table") 1 funcref)
  (memory (export "memory") 1)
  (func (export "grow") (param $n i32) (result i32)
    (table.grow $t (ref.null func) (local.get $n))))''')


def _functions(count: int) -> bytes:
    body = "".join(f"(func (export \"f{i}\") (result i32) (i32.const {i}))" for i in range(count))
    return wat2wasm(f"(module {body})")


def _started(lab, image, **keys):
    return lab.resolve({"device": "wasm64@1.0", "image": image, **keys}, "init")


def _call(lab, ready, function, *parameters, **opts):
    return lab.resolve(ready, {"path": "compute", "function": function,
                               "parameters": list(parameters)}, **opts)


@pytest.mark.parametrize("asked", ["none", "unlimited", "NONE", 10**18, str(10**12)])
def test_a_message_cannot_lift_or_raise_the_fuel_cap(asked):
    lab = aolab.Node(name="capped", record=False, network=aolab.Network())
    ready = _started(lab, LOOP, **{"wasm-fuel": asked, "wasm-deadline": "none"})
    with pytest.raises(WasmError, match="ran out of fuel") as out:
        _call(lab, ready, "spin", wasm_fuel=200_000)
    assert out.value.kind == "fuel"


def test_a_message_may_lower_the_fuel_cap():
    lab = aolab.Node(name="lower", record=False, network=aolab.Network())
    ready = _started(lab, LOOP, **{"wasm-fuel": 5_000})
    with pytest.raises(WasmError, match=r"5,000 units"):
        _call(lab, ready, "count_to", 100_000, wasm_fuel=10**9)


@pytest.mark.parametrize("asked", ["none", 10**9])
def test_a_message_cannot_lift_the_deadline_cap(asked):
    lab = aolab.Node(name="deadline", record=False, network=aolab.Network())
    ready = _started(lab, LOOP, **{"wasm-fuel": "none", "wasm-deadline": asked})
    with pytest.raises(WasmError, match="deadline") as late:
        _call(lab, ready, "spin", wasm_fuel=None, wasm_deadline=0.2)
    assert late.value.kind == "deadline"


@pytest.mark.parametrize("asked", [-1, "-5", "x", True, float("nan")])
def test_nonsense_limits_are_clear_errors(asked):
    lab = aolab.Node(name="nonsense", record=False, network=aolab.Network())
    with pytest.raises(aolab.errors.AolabError, match="wasm-fuel"):
        _started(lab, LOOP, **{"wasm-fuel": asked})


def test_a_message_cannot_raise_the_memory_cap():
    lab = aolab.Node(name="memory", record=False, network=aolab.Network())
    ready = lab.resolve({"device": "wasm64@1.0", "image": LOOP, "wasm-memory-limit": 1 << 40},
                        "init", wasm_memory_limit=3 * 65536)
    assert _call(lab, ready, "grow", 2, wasm_memory_limit=3 * 65536)["results"]["output"] == [1]
    assert _call(lab, ready, "grow", 1)["results"]["output"] == [-1]


def test_all_memories_share_one_budget():
    with pytest.raises(WasmError) as many:
        Instance(load_module(MEMORIES))  # a node allows one memory by default
    assert many.value.kind == "memory"
    shared = Instance(load_module(MEMORIES), memories=3, memory_limit=3 * 2 * 65536)
    assert shared.call("grow", [1]) == [1]   # each of 3 memories may have 2 pages: 6 in all
    assert shared.call("grow", [1]) == [-1]


@pytest.mark.parametrize("elements", [400_000_000, 2_000_000, 1 << 20])
def test_tables_cannot_grow_past_the_node_budget(elements):
    table = Instance(load_module(TABLE))
    assert table.call("grow", [elements]) == [-1]
    assert table.call("grow", [1000]) == [1]


def test_compilation_is_bounded_before_it_starts():
    image = _functions(300)
    with pytest.raises(WasmError, match="300 functions") as big:
        load_module(image, function_limit=200)
    assert big.value.kind == "image"
    with pytest.raises(WasmError, match="wasm-image-limit"):
        load_module(image, image_limit=len(image) - 1)
    lab = aolab.Node(name="compile", record=False, network=aolab.Network())
    with pytest.raises(WasmError, match="functions"):  # a message cannot raise the cap
        lab.resolve({"device": "wasm64@1.0", "image": image, "wasm-function-limit": 10**9},
                    "init", wasm_function_limit=100)


def _wasi(lab, **keys):
    base = {"device": "stack@1.0", "device-stack": ["wasi@1.0", "wasm64@1.0"], "image": SPRAY, **keys}
    return lab.resolve(base, "init")


def test_fd_write_with_too_many_iovecs_is_einval():
    lab = aolab.Node(name="iov", record=False, network=aolab.Network())
    ready = _wasi(lab)
    done = _call(lab, ready, "spray", 2000)
    assert done["results"]["output"] == [28] and done["vfs"]["dev"]["stdout"] == b""


def test_host_work_is_paid_in_fuel():
    lab = aolab.Node(name="paid", record=False, network=aolab.Network())
    ready = _wasi(lab, **{"wasm-fuel": "none"})
    with pytest.raises(aolab.errors.AolabError, match="fuel"):
        _call(lab, ready, "spray", 1000, wasm_fuel=10**7)  # 1000 x 64 KiB: 262M fuel of copying
    assert _call(lab, ready, "hello")["results"]["stdout"] == b"h"


def test_an_import_call_costs_fuel():
    calls = []
    instance = Instance(load_module(SPRAY), imports=lambda *a: calls.append(a) or [0])
    instance.call("hello", fuel=10**6)
    cheap = instance.fuel_used
    assert cheap >= 1_000 and calls


@settings(max_examples=20, deadline=None)
@given(node_cap=st.integers(1_000, 10**6), asked=st.one_of(st.integers(0, 10**12), st.just("none")))
def test_property_the_effective_limit_is_never_above_the_nodes(node_cap, asked):
    from devices.wasm64 import _limit
    got = _limit({"wasm-fuel": asked}, {"wasm_fuel": node_cap}, "fuel")
    assert got <= node_cap
    if asked != "none":
        assert got == min(asked, node_cap)
