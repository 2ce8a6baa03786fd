"""wasm64@1.0, wasi@1.0 and json-iface@1.0 on aolab's own WAT fixtures (data/wasm/).

Each test pins one behaviour; the names follow HyperBEAM's eunit cases
(dev_wasm, dev_wasi, dev_json_iface, hb_beamr, hb_beamr_io) where there is one.
"""
from __future__ import annotations


import pytest

import aolab
import aolab.data
import aolab.store
from aolab import ids, snapshots, wasm_fastcall, wasm_images, wasm_runtime
from aolab.errors import DeviceError
from devices import process_worker
from aolab.wasm_runtime import Instance, WasmError, load_module
from devices import json_iface


def wasm_message(name, **extra):
    return {"device": "wasm64@1.0", "image": aolab.data.wasm(name), **extra}


def started(node, name, **extra):
    return node.resolve(wasm_message(name, **extra), "init")


def call(node, base, function, *parameters):
    return node.resolve(base, {"path": "compute", "function": function,
                               "parameters": list(parameters)})


def instance(message, prefix=""):
    return wasm_runtime.instance_of(message, prefix)


def process_message(name, stack=("wasm64@1.0",), **extra):
    return {"device": "process@1.0", "execution-device": "stack@1.0", "device-stack": list(stack),
            "image": aolab.data.wasm(name), **extra}


AO_STACK = ("wasi@1.0", "json-iface@1.0", "wasm64@1.0")


@pytest.fixture
def lab():
    return aolab.Node()


# -- the fixtures themselves ------------------------------------------------------------

@pytest.mark.parametrize("name", [
    pytest.param(name, marks=pytest.mark.requires_tool("wasm-opt")) if name == "legacy-exceptions"
    else name for name in aolab.data.wasm_names()])
def test_every_fixture_compiles(name):
    module = load_module(aolab.data.wasm(name))
    assert module.image_id == aolab.id({"body": aolab.data.wasm(name)})
    assert aolab.data.wat(name).startswith(";;")  # each explains itself


def test_unknown_fixture_names_the_known_ones():
    with pytest.raises(FileNotFoundError, match="there are: .*fac"):
        aolab.data.wat("nope")


# -- wasm64@1.0: init and compute ------------------------------------------------------

def test_basic_execution(lab):
    """dev_wasm:basic_execution_test: fac(5.0) = 120.0."""
    ready = started(lab, "fac")
    assert call(lab, ready, "fac", 5.0)["results"] == {"type": "ok", "output": [120.0]}
    assert call(lab, ready, "fac", 6.0)["results"]["output"] == [720.0]


def test_every_call_is_a_recorded_step(lab):
    ready = started(lab, "fac")
    result = call(lab, ready, "fac", 5.0)
    steps = [(r["key"], r["device"], r["status"]) for r in lab.trace.records]
    assert steps == [("init", "wasm64@1.0", "ok"), ("compute", "wasm64@1.0", "ok")]
    assert aolab.hashpath(result) == aolab.next_hashpath(
        ready, {"path": "compute", "function": "fac", "parameters": [5.0]})


def test_init_puts_the_instance_in_priv(lab):
    """dev_wasm:init_test: the instance is private, so it is never hashed."""
    ready = started(lab, "fac")
    assert isinstance(ready["priv"]["instance"], Instance)
    assert aolab.id(ready) == aolab.id(wasm_message("fac"))


def test_input_prefix(lab):
    """dev_wasm:input_prefix_test: the image is read from <input-prefix>/image."""
    ready = lab.resolve({"device": "wasm64@1.0", "input-prefix": "test-in",
                         "test-in": {"image": aolab.data.wasm("fac")}}, "init")
    assert call(lab, ready, "fac", 3.0)["results"]["output"] == [6.0]


def test_output_prefix(lab):
    """dev_wasm:process_prefixes_test: instance and results under the output prefix."""
    ready = started(lab, "fac", **{"output-prefix": "wasm"})
    assert isinstance(ready["priv"]["wasm"]["instance"], Instance)
    assert call(lab, ready, "fac", 4.0)["results"]["wasm"]["output"] == [24.0]


def test_image_by_id_from_the_store(lab):
    """HyperBEAM names images by the ID of {body: image} in the store."""
    image_id = lab.write({"body": aolab.data.wasm("fac")})
    ready = lab.resolve({"device": "wasm64@1.0", "image": image_id}, "init")
    assert call(lab, ready, "fac", 5.0)["results"]["output"] == [120.0]
    assert instance(ready).module.image_id == image_id


def test_compute_without_function_changes_nothing(lab):
    ready = started(lab, "fac")
    assert "results" not in lab.resolve(ready, "compute")


def test_function_from_the_body_of_an_assignment(lab):
    ready = started(lab, "fac")
    result = lab.resolve(ready, {"path": "compute", "body": {"function": "fac", "parameters": [4]}})
    assert result["results"]["output"] == [24.0]


def test_parameters_as_a_numbered_message(lab):
    ready = started(lab, "trap")
    result = lab.resolve(ready, {"path": "compute", "function": "divide",
                                 "parameters": {"1": 9, "2": 3}})
    assert result["results"]["output"] == [3]


def test_wasm_process_computes_slots(lab):
    """dev_process:wasm_compute_test: a process whose stack is only wasm64@1.0."""
    proc = lab.spawn(process_message("fac"))
    lab.schedule(proc, {"function": "fac", "parameters": [5.0]})
    lab.schedule(proc, {"function": "fac", "parameters": [6.0]})
    assert lab.compute(proc, slot=0)["results"]["output"] == [120.0]
    assert lab.compute(proc, slot=1)["results"]["output"] == [720.0]


# -- the runtime: compiled modules, memory helpers ----------------------------------------

def test_compiled_modules_are_cached_by_image_id(tmp_path, monkeypatch):
    monkeypatch.setenv("AOLAB_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(wasm_images, "_modules", wasm_images.LruCache(4))
    image = aolab.data.wasm("memory64")
    first = load_module(image)
    assert load_module(image) is first
    cached = list((tmp_path / "wasm-modules").glob("*.cwasm"))
    assert [p.name.split("-wasmtime")[0] for p in cached] == [first.image_id]
    monkeypatch.setattr(wasm_images, "_modules", wasm_images.LruCache(4))
    reloaded = load_module(image)  # deserialized from the disk cache
    assert reloaded is not first and Instance(reloaded).call("count", []) == [1]


def test_direct_calls_and_signatures():
    fac = Instance(load_module(aolab.data.wasm("fac")))
    assert fac.call("fac", [5.0]) == [120.0]
    assert fac.signature("fac") == "(f64) -> (f64)"
    assert fac.size() == 0 and fac.fuel_used > 0


@pytest.mark.parametrize("fast", [True, False])
def test_fast_and_public_call_paths_agree(monkeypatch, fast):
    """Instance.call uses wasmtime's C API directly, or Func.__call__ when that
    API is not there: the answers and the errors are the same."""
    monkeypatch.setattr(wasm_fastcall, "ENABLED", fast and wasm_fastcall.ENABLED)
    fac = Instance(load_module(aolab.data.wasm("fac")))
    assert fac.call("fac", [5.0]) == [120.0] and fac.fuel_used > 0
    trap = Instance(load_module(aolab.data.wasm("trap")))
    with pytest.raises(WasmError, match=r"boom: trap \(unreachable\)"):
        trap.call("boom", [])
    loop = Instance(load_module(aolab.data.wasm("loop")))
    with pytest.raises(WasmError, match="spin: ran out of fuel") as out:
        loop.call("spin", [], fuel=10_000)
    assert out.value.kind == "fuel"

    def refuse(module, name, args, signature):
        raise ValueError(f"no {name}")
    imports = Instance(load_module(aolab.data.wasm("imports")), imports=refuse)
    with pytest.raises(WasmError, match="ask: an import failed: ValueError: no mystery"):
        imports.call("ask", [1])
    assert imports.call("via_table", [1, 6]) == [36]


def test_memory64_module():
    m = Instance(load_module(aolab.data.wasm("memory64")))
    assert m.memory64 and m.size() == 65536
    assert m.call("count", []) == [1] and m.call("count", []) == [2]
    assert m.read_string(m.call("greeting", [])[0]) == b"memory64 says hello\n"
    pointer = m.write_string(b"\x01\x02\x03")
    assert pointer == 1024 and m.read(pointer, 4) == b"\x01\x02\x03\x00"
    assert m.call("sum", [pointer, 3]) == [6]
    big = m.malloc(200_000)  # grows the memory
    assert m.size() > 200_000 and big == 1032
    with pytest.raises(WasmError, match=r"malloc\(2000000\) failed") as failed:
        m.malloc(2_000_000)  # at most 16 pages
    assert failed.value.kind == "malloc"


def test_read_and_write_out_of_bounds():
    """hb_beamr_io:read_test/write_test, on wasi-print (one page, the greeting at 66)."""
    m = Instance(load_module(aolab.data.wasm("wasi-print")))
    assert m.read(66, 13) == b"Hello, World!"
    m.write(0, b"Hello, World!")
    with pytest.raises(WasmError, match="read of 13 bytes at offset 1000000 is outside"):
        m.read(1_000_000, 13)
    with pytest.raises(WasmError, match="write of 16 bytes at offset 1000000 is outside"):
        m.write(1_000_000, b"Bad hello world!")


# -- imports ---------------------------------------------------------------------------

def test_imported_function(lab):
    """dev_wasm:imported_function_test: pow(2, 5) with my_lib.mul from test-device@1.0."""
    ready = started(lab, "imports", stdlib={"my_lib": {"device": "test-device@1.0"}})
    assert call(lab, ready, "pow", 2, 5)["results"]["output"] == [32]
    imports = [r for r in lab.trace.records if r["key"] == "mul"]
    assert len(imports) == 5 and {r["device"] for r in imports} == {"test-device@1.0"}


def test_unknown_import_answers_zero_and_is_logged(lab):
    ready = started(lab, "imports")
    results = call(lab, ready, "ask", 7)["results"]
    assert results["output"] == [1]
    assert results["undefined-calls"] == [{"module": "env", "func": "mystery", "args": [7],
                                           "func-sig": "(i32) -> (i32)"}]


def test_invoke_calls_through_the_table(lab):
    ready = started(lab, "imports")
    assert call(lab, ready, "via_table", 0, 21)["results"]["output"] == [42]
    assert call(lab, ready, "via_table", 1, 7)["results"]["output"] == [49]


def test_failing_import_is_an_error_naming_it(lab):
    def mul(base, request):
        raise ValueError("no multiplying today")
    ready = started(lab, "imports", stdlib={"my_lib": {"device": {"mul": mul}}})
    with pytest.raises(WasmError, match="pow: an import failed: .*no multiplying today") as failed:
        call(lab, ready, "pow", 2, 3)
    assert failed.value.kind == "import"


# -- wasi@1.0 ---------------------------------------------------------------------------

def wasi_stack(name, **extra):
    return {"device": "stack@1.0", "device-stack": ["wasi@1.0", "wasm64@1.0"],
            "image": aolab.data.wasm(name), **extra}


def test_wasi_print_with_8_byte_iovecs(lab):
    ready = lab.resolve(wasi_stack("wasi-print"), "init")
    assert ready["stdlib"]["wasi_snapshot_preview1"] == {"device": "wasi@1.0"}
    printed = lab.resolve(ready, {"path": "compute", "function": "hello"})
    assert printed["results"]["output"] == [0]
    assert printed["results"]["stdout"] == b"Hello, World!\n"
    assert printed["vfs"]["dev"]["stdout"] == b"Hello, World!\n"
    assert instance(printed).read_int(16, 4) == 14  # bytes written, as a 32-bit size
    again = lab.resolve(printed, {"path": "compute", "function": "hello"})
    assert again["results"]["stdout"] == b"Hello, World!\n"  # this call's output
    assert again["vfs"]["dev"]["stdout"] == b"Hello, World!\n" * 2  # the whole file
    assert lab.resolve(again, "~wasi@1.0/stdout") == b"Hello, World!\n" * 2


def test_wasi_print_with_16_byte_iovecs_in_memory64(lab):
    ready = lab.resolve(wasi_stack("memory64"), "init")
    printed = lab.resolve(ready, {"path": "compute", "function": "hello"})
    assert printed["results"]["stdout"] == b"memory64 says hello\n"
    assert instance(printed).read_int(64, 8) == 20


def test_wasi_print_without_wasi_is_an_undefined_call(lab):
    printed = call(lab, started(lab, "memory64"), "hello")
    assert printed["results"]["output"] == [0]
    assert printed["results"]["undefined-calls"][0]["func"] == "fd_write"


def test_wasi_reads_stdin_from_the_vfs(lab):
    ready = lab.resolve(wasi_stack("wasi-print", vfs={"dev": {"stdin": b"echo me"}}), "init")
    echoed = lab.resolve(ready, {"path": "compute", "function": "echo"})
    assert echoed["results"]["output"] == [7] and echoed["results"]["stdout"] == b"echo me"
    assert echoed["file-descriptors"]["0"]["offset"] == 7
    again = lab.resolve(echoed, {"path": "compute", "function": "echo"})
    assert again["results"]["output"] == [0]  # stdin is exhausted


def test_wasi_proc_exit_stops_the_call():
    from devices import wasi
    with pytest.raises(WasmError, match=r"proc_exit\(3\)") as stopped:
        wasi.proc_exit({"state": {}}, {"args": [3]})
    assert stopped.value.kind == "exit"


def test_wasi_vfs_is_a_plain_message(lab):
    """dev_wasi:vfs_is_serializable_test: the vfs has an ID like any message."""
    ready = lab.resolve(wasi_stack("wasi-print"), "init")
    assert aolab.is_id(aolab.id(ready["vfs"])) and aolab.is_id(aolab.id(ready))


# -- errors ------------------------------------------------------------------------------

def test_bad_image_is_a_clear_error(lab):
    with pytest.raises(WasmError, match="not a WebAssembly binary") as bad:
        lab.resolve({"device": "wasm64@1.0", "image": b"garbage"}, "init")
    assert bad.value.kind == "image"
    with pytest.raises(WasmError, match="not a valid WebAssembly module"):
        lab.resolve({"device": "wasm64@1.0", "image": b"\0asm\x01\0\0\0\x99"}, "init")
    with pytest.raises(DeviceError, match="no image found"):
        lab.resolve({"device": "wasm64@1.0"}, "init")
    assert [r["status"] for r in lab.trace.records] == ["error", "error", "error"]


def test_missing_export_names_the_function(lab):
    with pytest.raises(WasmError, match="exports no function 'fact' \\(its functions: fac\\)"):
        call(lab, started(lab, "fac"), "fact", 5.0)


def test_wrong_parameters_name_the_function(lab):
    ready = started(lab, "fac")
    with pytest.raises(WasmError, match="parameter 1 of fac is an f64; got 'five'"):
        call(lab, ready, "fac", "five")
    with pytest.raises(WasmError, match=r"fac takes 1 parameters \(f64\); got 2"):
        call(lab, ready, "fac", 1.0, 2.0)
    with pytest.raises(WasmError, match="parameter 1 of divide is an i32; got 2.5"):
        call(lab, started(lab, "trap"), "divide", 2.5, 1)


@pytest.mark.parametrize("function, parameters, reason", [
    ("boom", [], "unreachable"),
    ("divide", [1, 0], "integer division by zero"),
    ("out_of_bounds", [], "memory out of bounds"),
    ("recurse", [0], "stack overflow"),
])
def test_traps_name_the_function_and_reason(lab, function, parameters, reason):
    with pytest.raises(WasmError, match=f"{function}: trap \\({reason}\\)") as trapped:
        call(lab, started(lab, "trap"), function, *parameters)
    assert trapped.value.kind == "trap" and trapped.value.function == function
    assert lab.trace.records[-1]["status"] == "error"


def test_trapped_instance_restarts_from_its_last_snapshot(lab):
    ready = started(lab, "trap")
    stored = call(lab, ready, "set", 5)
    lab.resolve(stored, "snapshot")
    later = call(lab, stored, "set", 7)
    with pytest.raises(WasmError, match="set_then_trap: trap"):
        call(lab, later, "set_then_trap", 9)
    assert call(lab, later, "get")["results"]["output"] == [5]


def test_errors_in_a_process_are_recorded_and_the_process_goes_on(lab):
    proc = lab.spawn(process_message("trap"))
    lab.schedule(proc, {"function": "set", "parameters": [5]})
    lab.schedule(proc, {"function": "set_then_trap", "parameters": [9]})
    lab.schedule(proc, {"function": "fact", "parameters": []})
    lab.schedule(proc, {"function": "get"})
    failed = lab.compute(proc, slot=1)["results"]
    assert failed["type"] == "error" and failed["error-kind"] == "trap"
    assert "set_then_trap: trap (unreachable)" in failed["error"]
    assert lab.compute(proc, slot=2)["results"]["error-kind"] == "export"
    assert lab.compute(proc, slot=3)["results"] == {"type": "ok", "output": [5]}


# -- limits -------------------------------------------------------------------------------

def test_fuel_limit(lab):
    ready = started(lab, "loop", **{"wasm-fuel": 100_000})
    assert call(lab, ready, "count_to", 1000)["results"]["output"] == [1000]
    with pytest.raises(WasmError, match=r"spin: ran out of fuel \(100,000 units per call") as out:
        call(lab, ready, "spin")
    assert out.value.kind == "fuel" and lab.trace.records[-1]["status"] == "error"
    assert call(lab, ready, "count_to", 10)["results"]["output"] == [10]  # usable again


def test_fuel_is_deterministic():
    used = []
    for _ in range(2):
        loop = Instance(load_module(aolab.data.wasm("loop")))
        loop.call("count_to", [5000])
        used.append(loop.fuel_used)
    assert used[0] == used[1] > 5000


def test_fuel_limit_from_a_node_option(lab):
    ready = started(lab, "loop")
    with pytest.raises(WasmError, match="ran out of fuel"):
        lab.resolve(ready, {"path": "compute", "function": "spin"}, wasm_fuel=10_000)


def test_deadline_limit(lab):
    ready = started(lab, "loop", **{"wasm-fuel": "none", "wasm-deadline": 0.1})
    with pytest.raises(WasmError, match="spin: passed its wall-clock deadline of 0.1 s") as late:
        call(lab, ready, "spin")
    assert late.value.kind == "deadline"


def test_memory_limit(lab):
    with pytest.raises(WasmError, match="cannot be instantiated.*memory limit 32,768 bytes") as big:
        started(lab, "loop", **{"wasm-memory-limit": 32_768})
    assert big.value.kind == "memory"
    ready = started(lab, "loop", **{"wasm-memory-limit": 3 * 65536})
    assert call(lab, ready, "grow", 2)["results"]["output"] == [1]
    assert call(lab, ready, "grow", 1)["results"]["output"] == [-1]  # refused: the limit


def test_a_limit_in_a_process_is_recorded_and_the_process_goes_on(lab):
    proc = lab.spawn(process_message("loop", **{"wasm-fuel": 50_000}))
    lab.schedule(proc, {"function": "spin"})
    lab.schedule(proc, {"function": "count_to", "parameters": [3]})
    assert lab.compute(proc, slot=0)["results"]["error-kind"] == "fuel"
    assert lab.compute(proc, slot=1)["results"]["output"] == [3]


# -- state: snapshots, restore, determinism ------------------------------------------------

def test_snapshot_holds_the_chunks_in_use():
    m = Instance(load_module(aolab.data.wasm("memory64")))
    m.malloc(140_000)
    m.write(150_000, b"\x07")
    snapshot = m.snapshot()
    used = snapshots.chunk_numbers(snapshot)
    assert snapshot["pages"] == 3 and 150_000 // 4096 in used
    assert not [n for n in used if 16 <= n < 32]  # page 1 is all zeros
    assert [len(body) for body in snapshot["bodies"]] == [4096] * len(used)
    m.write(150_000, b"\x00")
    delta = m.snapshot()  # the next snapshot: the byte that changed, on the first
    assert delta["base"] == ids.id(snapshot) and delta["delta-bytes"] == b"\x00"
    fresh = Instance(load_module(aolab.data.wasm("memory64")))
    fresh.restore(snapshot)
    assert fresh.size() == 3 * 65536 and fresh.read(150_000, 1) == b"\x07"
    expected = bytearray(3 * 65536)
    for number, body in zip(used, snapshot["bodies"]):
        expected[number * 4096:(number + 1) * 4096] = body
    assert fresh.read(0, fresh.size()) == bytes(expected)
    assert fresh.call("count", []) == [1] and fresh.malloc(8) == m.malloc(8)
    with pytest.raises(WasmError, match="restore into a fresh instance"):
        m.restore({"body": b"", "pages": 1})  # memory cannot shrink


def test_a_delta_restores_from_its_base_in_the_store():
    m = Instance(load_module(aolab.data.wasm("memory64")))
    m.malloc(140_000)
    stored = {}
    for edit in [(0, b""), (150_000, b"\x07\x08"), (10, b"\x01")]:
        m.write(*edit)
        taken = m.snapshot()
        stored[ids.id(taken)] = taken
    fresh = Instance(load_module(aolab.data.wasm("memory64")))
    fresh.restore(taken, load=stored.__getitem__)
    assert fresh.read(0, fresh.size()) == m.read(0, m.size())
    with pytest.raises(WasmError, match="restores only with the store its base is in"):
        Instance(load_module(aolab.data.wasm("memory64"))).restore(taken)
    with pytest.raises(WasmError, match="base .* cannot be read"):
        Instance(load_module(aolab.data.wasm("memory64"))).restore(taken, load={}.__getitem__)


def test_recover_goes_back_to_the_last_snapshot_even_a_delta():
    m = Instance(load_module(aolab.data.wasm("memory64")))
    m.malloc(140_000)
    m.snapshot()
    m.write(150_000, b"\x07")
    assert "delta-runs" in m.snapshot()
    before = m.read(0, m.size())
    m.write(20, b"\x09")  # as a trapped call may leave memory half-written
    m.recover()
    assert m.read(0, m.size()) == before


def test_a_restored_instance_snapshots_only_what_changed_after():
    m = Instance(load_module(aolab.data.wasm("memory64")))
    m.call("count", [])
    fresh = Instance(load_module(aolab.data.wasm("memory64")))
    fresh.restore(m.snapshot())
    fresh.call("count", [])
    assert fresh._tracker.take(fresh._address(), fresh.size()) and \
        fresh._tracker.changed_chunks <= 1


def test_restore_pages_with_runs_as_older_snapshots_hold_them():
    m = Instance(load_module(aolab.data.wasm("memory64")))
    m.malloc(140_000)
    m.write(150_000, b"\x07")
    body = m.read(0, 65536) + m.read(2 * 65536, 65536)
    fresh = Instance(load_module(aolab.data.wasm("memory64")))
    fresh.restore({"body": body, "pages": 3, "runs": [0, 1, 2, 1]})
    assert fresh.read(0, fresh.size()) == m.read(0, m.size())
    with pytest.raises(WasmError, match="runs cover 1 pages"):
        fresh.restore({"body": body, "pages": 3, "runs": [0, 1]})
    with pytest.raises(WasmError, match="lists 1 chunks and 0 bodies"):
        fresh.restore({"pages": 3, "chunks": b"\0\0\0\0", "bodies": []})


def test_restore_a_whole_memory_as_hyperbeam_snapshots_it():
    m = Instance(load_module(aolab.data.wasm("trap")))
    m.call("set", [42])
    whole = m.read(0, m.size())  # hb_beamr:serialize: the memory, from address 0
    fresh = Instance(load_module(aolab.data.wasm("trap")))
    fresh.restore({"body": whole})
    assert fresh.call("get", []) == [42]


def test_state_export_and_restore(lab):
    """dev_wasm:state_export_and_restore_test, with the counter in memory64."""
    ready = started(lab, "memory64")
    counted = call(lab, call(lab, ready, "count"), "count")
    assert counted["results"]["output"] == [2]
    snapshot = lab.resolve(counted, "snapshot")
    restored = {**wasm_message("memory64"), "snapshot": snapshot}  # no init
    again = lab.resolve(restored, {"path": "compute", "function": "count"})
    assert again["results"]["output"] == [3] and "snapshot" not in again


def test_normalize_without_instance_or_snapshot_is_a_clear_error(lab):
    with pytest.raises(DeviceError, match="no live instance and no snapshot"):
        lab.resolve(wasm_message("fac"), "normalize")


def count_process(**extra):
    return process_message("memory64", **extra)


@pytest.mark.parametrize("kind", ["memory", "disk"])
def test_snapshot_after_slot_n_restores_on_a_new_node(tmp_path, kind):
    first = aolab.Node(store=tmp_path / "store" if kind == "disk" else None)
    proc = first.spawn(count_process())
    for _ in range(4):
        first.schedule(proc, {"function": "count"})
    first.compute(proc, slot=2)
    process_worker.stop_all(first.opts())  # the node stops: slot 2's snapshot is written
    stored = first.store.read(f"~process@1.0/{aolab.id(proc)}/computed/2")
    assert stored["snapshot"]["1"]["pages"] == 1
    assert set(stored.get("priv", {})) <= {"hashpath"}  # the instance is never stored
    second = aolab.Node(store=tmp_path / "store" if kind == "disk" else first.store)
    restored = second.compute(proc, slot=3)  # a restarted node: no live instance
    assert restored["results"]["output"] == [4]
    assert [r["key"] for r in second.trace.records if r["device"] == "wasm64@1.0"] == \
        ["normalize", "compute", "snapshot"]
    fresh = aolab.Node()
    again = fresh.spawn(count_process())
    for _ in range(4):
        fresh.schedule(again, {"function": "count"})
    from_scratch = fresh.compute(again, slot=3)
    assert from_scratch["results"] == restored["results"]
    assert aolab.hashpath(from_scratch) == aolab.hashpath(restored)
    memory = instance(from_scratch).read(0, instance(from_scratch).size())
    assert memory == instance(restored).read(0, instance(restored).size())


def run_counter_process(node):
    proc = node.spawn(process_message("counter-process", AO_STACK))
    for n in range(3):
        node.schedule(proc, {"action": "Ping", "n": n})
    return node.compute(proc, slot=2)


def test_two_fresh_runs_are_byte_identical():
    a, b = run_counter_process(aolab.Node()), run_counter_process(aolab.Node())
    memory_a, memory_b = instance(a), instance(b)
    assert memory_a.read(0, memory_a.size()) == memory_b.read(0, memory_b.size())
    assert aolab.hashpath(a) == aolab.hashpath(b)
    assert a["results"] == b["results"]


def test_recording_does_not_change_results():
    on, off = run_counter_process(aolab.Node()), run_counter_process(aolab.Node(record=False))
    assert aolab.hashpath(on) == aolab.hashpath(off) and on["results"] == off["results"]


# -- json-iface@1.0 -------------------------------------------------------------------------

def test_json_iface_counter_process(lab):
    proc = lab.spawn(process_message("counter-process", AO_STACK))
    for _ in range(3):
        lab.schedule(proc, {"action": "Ping"})
    state = lab.compute(proc, slot=2)
    results = state["results"]
    assert results["data"] == "3" and results["patches"] == []
    assert results["outbox"] == {"1": {"data": "tick", "action": "Tick", "count": "3",
                                       "from-process": aolab.id(proc),
                                       "from-image": aolab.id({"body": aolab.data.wasm("counter-process")})}}
    assert state["function"] == "handle" and state["passes"] == 2


def test_json_iface_steps_in_the_trace(lab):
    proc = lab.spawn(process_message("counter-process", AO_STACK))
    lab.schedule(proc, {"action": "Ping"})
    lab.compute(proc, slot=0)
    steps = [(r["key"], r["device"], r["status"]) for r in lab.trace.records
             if r["device"] in ("json-iface@1.0", "wasm64@1.0") and r["key"] == "compute"]
    assert steps[-4:] == [("compute", "json-iface@1.0", "ok"), ("compute", "wasm64@1.0", "pass"),
                          ("compute", "json-iface@1.0", "ok"), ("compute", "wasm64@1.0", "ok")]


def test_json_iface_with_multipass_as_in_hyperbeam(lab):
    proc = lab.spawn(process_message("counter-process", (*AO_STACK, "multipass@1.0"), passes=2,
                                     **{"output-prefix": "wasm"}))
    lab.schedule(proc, {"action": "Ping"})
    state = lab.compute(proc, slot=0)
    assert state["results"]["data"] == "1" and state["results"]["wasm"]["type"] == "ok"
    assert isinstance(state["priv"]["wasm"]["instance"], Instance)


def test_message_in_ao_json_form():
    message = {"action": "Eval", "data": "return 1", "target": "T" * 43, "block-height": 3,
               "Some-Flag": True}
    struct = json_iface._json_struct(message)
    assert struct["Id"] == aolab.id(message) and struct["Data"] == "return 1"
    assert struct["Target"] == "T" * 43 and struct["Owner"] == "" and struct["From"] == ""
    assert struct["Tags"] == [{"name": "Action", "value": "Eval"},
                              {"name": "Block-Height", "value": "3"},
                              {"name": "Some-Flag", "value": "true"}]


def test_response_to_results():
    """dev_json_iface json_to_message: Output data, Messages with tags, Error."""
    origin = {"from-process": "P", "from-image": "I"}
    found = json_iface._response_to_results(
        {"Output": {"data": "hi"}, "Messages": [{"Target": "X", "Anchor": "1",
                                                  "Tags": [{"name": "Action", "value": "Ping"}]}],
         "patches": [{"Tags": [{"name": "Cache", "value": "1"}]}]}, origin)
    assert found == {"data": "hi", "outbox": {"1": {"target": "X", "action": "Ping", **origin}},
                     "patches": [{"cache": "1"}]}
    failed = json_iface._response_to_results({"Error": "boom"}, origin)
    assert failed["data"] == failed["error"] == "boom" and failed["outbox"] == {}


def test_json_iface_needs_a_process(lab):
    base = {"device": "stack@1.0", "device-stack": list(AO_STACK),
            "image": aolab.data.wasm("counter-process")}
    ready = lab.resolve(base, "init")
    with pytest.raises(Exception, match="no 'process' message"):
        lab.resolve(ready, {"path": "compute", "body": {"action": "Ping"}})


# -- legacy exceptions: binaryen ------------------------------------------------------------

def test_legacy_exceptions_without_binaryen_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("AOLAB_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("AOLAB_WASM_OPT", str(tmp_path / "no-wasm-opt"))
    monkeypatch.setattr(wasm_images, "_modules", wasm_images.LruCache(4))
    with pytest.raises(WasmError, match="legacy WebAssembly exception.*AOLAB_WASM_OPT=.*no-wasm-opt"
                                         ".*is not an executable file.*make setup"):
        load_module(aolab.data.wasm("legacy-exceptions"))


@pytest.mark.requires_tool("wasm-opt")
def test_legacy_exceptions_are_translated(lab):
    ready = started(lab, "legacy-exceptions")
    assert instance(ready).module.translated
    assert call(lab, ready, "safe_div", 10, 2)["results"]["output"] == [5]
    assert call(lab, ready, "safe_div", 1, 0)["results"]["output"] == [-1]
