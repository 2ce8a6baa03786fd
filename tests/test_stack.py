"""Ports of HyperBEAM's dev_stack.erl and dev_dedup.erl eunit tests (at b2743e4a)."""
from __future__ import annotations

import pytest

import aolab
from aolab.errors import DeviceError


def append_device(separator, status="ok"):
    """HyperBEAM's ``generate_append_device/2`` as an inline device."""
    def append(base, request):
        if base.get("pass") == 3:
            return base
        new = {**base, "result": base["result"] + separator + request["bin"]}
        return (status, new) if status != "ok" else new
    return {"append": append}


def test_example_device_for_stack():
    base = {"device": append_device("_"), "result": "1"}
    assert aolab.resolve(base, {"path": "append", "bin": "2"})["result"] == "1_2"


def test_transform_internal_call_device():
    from devices import stack
    base = {"device": "stack@1.0", "device-stack": {"1": append_device("_"), "2": "message@1.0"}}
    assert stack.transform(base, "2")["device"] == "message@1.0"


def test_transform_external_call_device():
    def handler(key, message):
        if key == "keys":
            return sorted(message)
        return {**message, key: message[key] + "-Cool"}
    base = {"device": "stack@1.0",
            "device-stack": {"make-cool": {"info": lambda: {"handler": handler}, "suffix": "-Cool"}},
            "value": "Super"}
    assert aolab.resolve(base, "/transform/make-cool/value")["value"] == "Super-Cool"


def test_simple_stack_execute(node):
    base = {"device": "stack@1.0",
            "device-stack": {"1": append_device("!D1!"), "2": append_device("_D2_")},
            "result": "INIT"}
    assert node.resolve(base, {"path": "append", "bin": "2"})["result"] == "INIT!D1!2_D2_2"


def test_many_devices():
    base = {"device": "stack@1.0",
            "device-stack": {str(n): append_device(f"+D{n}") for n in range(1, 9)},
            "result": "INIT"}
    assert aolab.resolve(base, {"path": "append", "bin": "2"})["result"] == \
        "INIT+D12+D22+D32+D42+D52+D62+D72+D82"


def test_list_stack_and_named_devices_are_hashed(node):
    base = {"device": "stack@1.0", "device-stack": ["append@1.0", "append@1.0"],
            "separators": {"1": "+D1", "2": "+D2"}, "result": "INIT"}
    result = node.resolve(base, {"path": "append", "bin": "2"})
    assert result["result"] == "INIT+D12+D22"
    assert aolab.hashpath(result) == aolab.next_hashpath(base, {"path": "append", "bin": "2"})


def prefix_device():
    def prefix_set(base, request, opts):
        inp, out = base.get("input-prefix", ""), base.get("output-prefix", "")
        key = request["key"]
        value = aolab.resolve(request, f"{inp}/{key}" if inp else key, opts)
        return aolab.set(base, f"{out}/{key}" if out else key, value)
    return {"prefix_set": prefix_set}


def prefix_base():
    return {"device": "stack@1.0", "device-stack": {"1": prefix_device(), "2": prefix_device()}}


def test_no_prefix():
    result = aolab.resolve(prefix_base(), {"path": "prefix_set", "key": "example", "example": 1})
    assert result["example"] == 1


def test_output_prefix():
    base = {**prefix_base(), "output-prefixes": {"1": "out1/", "2": "out2/"}}
    result = aolab.resolve(base, {"path": "prefix_set", "key": "example", "example": 1})
    assert result["out1"]["example"] == 1 and result["out2"]["example"] == 1


def test_input_and_output_prefixes():
    base = {**prefix_base(), "input-prefixes": {1: "in1/", 2: "in2/"},
            "output-prefixes": {1: "out1/", 2: "out2/"}}
    request = {"path": "prefix_set", "key": "example", "in1": {"example": 1}, "in2": {"example": 2}}
    result = aolab.resolve(base, request)
    assert result["out1"]["example"] == 1 and result["out2"]["example"] == 2


def test_input_output_prefixes_passthrough():
    base = {**prefix_base(), "output-prefix": "combined-out/", "input-prefix": "combined-in/"}
    request = {"path": "prefix_set", "key": "example", "combined-in": {"example": 1}}
    result = aolab.resolve(base, request)
    assert result["combined-out"]["example"] == 1
    assert result["output-prefix"] == "combined-out/"  # the stack's own prefixes come back


def test_reinvocation():
    base = {"device": "stack@1.0",
            "device-stack": {"1": append_device("+D1"), "2": append_device("+D2")},
            "result": "INIT"}
    first = aolab.resolve(base, {"path": "append", "bin": "2"})
    assert first["result"] == "INIT+D12+D22"
    second = aolab.resolve(first, {"path": "append", "bin": "3"})
    assert second["result"] == "INIT+D12+D22+D13+D23"
    assert second["device"] == "stack@1.0" and "pass" not in second and "device-key" not in second


def test_skip():
    base = {"device": "stack@1.0",
            "device-stack": {"1": append_device("+D1", "skip"), "2": append_device("+D2")},
            "result": "INIT"}
    assert aolab.resolve(base, {"path": "append", "bin": "2"})["result"] == "INIT+D12"


def test_pass():
    base = {"device": "stack@1.0", "device-stack": {"1": append_device("+D1", "pass")},
            "result": "INIT"}
    assert aolab.resolve(base, {"path": "append", "bin": "_"})["result"] == "INIT+D1_+D1_"


def test_pass_disallowed_ends_the_stack():
    base = {"device": "stack@1.0", "device-stack": {"1": append_device("+D1", "pass")},
            "result": "INIT", "allow-multipass": False}
    assert aolab.resolve(base, {"path": "append", "bin": "_"})["result"] == "INIT+D1_"


def test_endless_pass_is_bounded():
    forever = {"go": lambda base: ("pass", base)}
    base = {"device": "stack@1.0", "device-stack": [forever], "max-passes": 5}
    with pytest.raises(DeviceError, match="more than 5 passes"):
        aolab.resolve(base, "go")


def test_not_found_devices_are_skipped():
    base = {"device": "stack@1.0",
            "device-stack": {"1": append_device("+D1"), "2": {"other": lambda b: b},
                             "3": append_device("+D3")},
            "result": "INIT"}
    assert aolab.resolve(base, {"path": "append", "bin": "_"})["result"] == "INIT+D1_+D3_"


def test_simple_map():
    base = {"device": "stack@1.0",
            "device-stack": {"1": append_device("+D1"), "2": append_device("+D2")},
            "result": "INIT"}
    result = aolab.resolve(base, {"path": "append", "mode": "Map", "bin": "/"})
    assert result["1"]["result"] == "INIT+D1/" and result["2"]["result"] == "INIT+D2/"


def test_mode_on_the_base():
    base = {"device": "stack@1.0", "mode": "map", "device-stack": ["counter@1.0", "counter@1.0"],
            "count": 1}
    result = aolab.resolve(base, {"path": "add", "amount": 1})
    assert sorted(k for k in result if k != "priv") == ["1", "2"]
    assert result["1"]["count"] == result["2"]["count"] == 2  # each ran on the same base


def test_unknown_mode_is_a_clear_error():
    with pytest.raises(DeviceError, match="unknown mode 'sideways'"):
        aolab.resolve({"device": "stack@1.0", "device-stack": []}, {"path": "x", "mode": "sideways"})


def test_missing_device_stack_is_a_clear_error():
    with pytest.raises(Exception, match="no 'device-stack'"):
        aolab.resolve({"device": "stack@1.0"}, "compute")


def test_error_strategy_throw_names_the_device():
    broken = {"compute": lambda base: 1 / 0}
    base = {"device": "stack@1.0", "device-stack": ["counter@1.0", broken]}
    with pytest.raises(DeviceError, match=r"device 2 \(<inline device>\) failed on key 'compute'"):
        aolab.resolve(base, {"path": "compute", "action": "add"})


def test_error_strategy_stop_returns_error_status():
    broken = {"compute": lambda base: ("error", "bad input")}
    base = {"device": "stack@1.0", "device-stack": ["counter@1.0", broken], "error-strategy": "stop"}
    status, value = aolab.resolve_status(base, {"path": "compute", "action": "add"})
    assert status == "error" and value["device-key"] == "2" and "bad input" in value["body"]


def test_stack_keys_limit_the_exports():
    base = {"device": "stack@1.0", "device-stack": ["counter@1.0"], "stack-keys": ["add"],
            "count": 0, "subtract": "plain value"}
    assert aolab.resolve(base, {"path": "add", "amount": 3})["count"] == 3
    assert aolab.resolve(base, "subtract") == "plain value"  # not exported: message@1.0 answers


def test_inner_device_calls_are_child_steps(node):
    base = {"device": "stack@1.0", "device-stack": ["counter@1.0", "counter@1.0"], "count": 0}
    result = node.resolve(base, {"path": "add", "amount": 1})
    records = node.trace.records
    outer = [r for r in records if r["parent"] is None]
    inner = [r for r in records if r["parent"] == outer[0]["step"]]
    assert [(r["device"], r["key"]) for r in outer] == [("stack@1.0", "add")]
    assert [(r["device"], r["key"]) for r in inner] == [("counter@1.0", "add")] * 2
    assert outer[0]["hashpath"] == aolab.hashpath(result)
    assert result["count"] == 2


def test_recording_off_gives_the_same_result():
    base = {"device": "stack@1.0", "device-stack": ["dedup@1.0", "counter@1.0"], "count": 0}
    on, off = aolab.Node(), aolab.Node(record=False)
    request = {"path": "add", "amount": 4}
    assert on.resolve(base, request) == off.resolve(base, request)


def test_dedup():
    base = {"device": "stack@1.0",
            "device-stack": {"1": "dedup@1.0", "2": append_device("+D2"), "3": append_device("+D3")},
            "result": "INIT"}
    m2 = aolab.resolve(base, {"path": "append", "bin": "_"})
    m3 = aolab.resolve(m2, {"path": "append", "bin": "_"})
    m4 = aolab.resolve(m3, {"path": "append", "bin": "/"})
    m5 = aolab.resolve(m4, {"path": "append", "bin": "/"})
    assert m5["result"] == "INIT+D2_+D3_+D2/+D3/"


def test_dedup_with_multipass():
    base = {"device": "stack@1.0",
            "device-stack": {"1": "dedup@1.0", "2": append_device("+D2"), "3": append_device("+D3"),
                             "4": "multipass@1.0"},
            "result": "INIT", "passes": 2}
    m2 = aolab.resolve(base, {"path": "append", "bin": "_"})
    m3 = aolab.resolve(m2, {"path": "append", "bin": "_"})
    m4 = aolab.resolve(m3, {"path": "append", "bin": "/"})
    m5 = aolab.resolve(m4, {"path": "append", "bin": "/"})
    assert m5["result"] == "INIT+D2_+D3_+D2_+D3_+D2/+D3/+D2/+D3/"


def test_a_pass_result_carries_its_hashpath():
    """A ``pass`` result is linked like an ``ok`` one (the next pass reads its
    hashpath instead of hashing the whole state), but it is not stored."""
    from aolab import hashpaths
    lab = aolab.Node()
    base = {"device": "multipass@1.0", "passes": 2, "pass": 1}
    status, result = lab.resolve_status(base, "compute")
    assert status == "pass"
    expected = hashpaths.join(aolab.id(base), hashpaths.request_part({"path": "compute"}))
    assert aolab.hashpath(result) == expected
    assert expected not in lab.store


def test_a_multipass_stack_hashes_its_state_once(monkeypatch):
    """The state is hashed for the stack step and for its first device's step;
    the second pass starts from a linked result and hashes nothing."""
    from aolab import hashpaths
    hashed = []
    original = hashpaths.ids.id

    def counting(message, *args, **kwargs):
        hashed.append(message)
        return original(message, *args, **kwargs)
    monkeypatch.setattr(hashpaths.ids, "id", counting)
    base = {"device": "stack@1.0", "device-stack": ["multipass@1.0", "multipass@1.0"],
            "passes": 2, "result": "INIT"}
    assert aolab.resolve(base, "compute")["result"] == "INIT"
    assert len([m for m in hashed if isinstance(m, dict) and "device-stack" in m]) == 2
