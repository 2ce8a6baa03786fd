"""Trust, item 9: quadratic and unbounded costs are bounded by the node.

A request cannot buy itself more passes, a longer stack or a longer path than
the node allows, and what is allowed costs time in proportion to its size.
The cost checks compare step counts (deterministic), never wall-clock time.
"""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aolab
from aolab import singleton
from aolab.errors import AolabError, DeviceError, PathError


def _multipass(passes, **keys):
    return {"device": "stack@1.0", "device-stack": ["multipass@1.0"], "passes": passes, **keys}


@pytest.mark.parametrize("where", ["request", "base"])
@pytest.mark.parametrize("asked", [10**9, 101, "1000000"])
def test_a_message_cannot_raise_max_passes(where, asked):
    lab = aolab.Node(name="passes", network=aolab.Network())
    base = _multipass(10**6, **({"max-passes": asked} if where == "base" else {}))
    request = {"path": "compute", **({"max-passes": asked} if where == "request" else {})}
    with pytest.raises(DeviceError, match="more than 100 passes"):
        lab.resolve(base, request)
    assert len(lab.trace) < 400  # bounded by the node's cap, not by the message


def test_a_message_may_lower_max_passes_and_the_node_may_raise_it():
    lab = aolab.Node(name="passes", record=False, network=aolab.Network())
    with pytest.raises(DeviceError, match="more than 3 passes"):
        lab.resolve(_multipass(10), {"path": "compute", "max-passes": 3})
    assert isinstance(lab.resolve(_multipass(150), {"path": "compute"}, max_passes=200), dict)


@pytest.mark.parametrize("asked", ["x", None, True, [1]])
def test_nonsense_max_passes_is_a_clear_error(asked):
    if asked is None:
        return
    with pytest.raises(DeviceError, match="max-passes"):
        aolab.resolve(_multipass(3), {"path": "compute", "max-passes": asked})


@pytest.mark.parametrize("size", [1_001, 8_000])
def test_a_long_device_stack_is_refused_by_the_node(size):
    base = {"device": "stack@1.0", "device-stack": ["counter@1.0"] * size, "count": 0}
    with pytest.raises(DeviceError, match="max_stack_devices"):
        aolab.Node(name="stack", record=False, network=aolab.Network()).resolve(base, "add")
    keyed = {"device": "stack@1.0", "device-stack": {str(i): "counter@1.0" for i in range(size)}}
    with pytest.raises(DeviceError, match="max_stack_devices"):
        aolab.resolve(keyed, "add")


def test_a_stack_costs_in_proportion_to_its_length():
    """Work per device stays constant: the stack is read once per fold, not once per device."""
    from devices import stack as stack_device

    calls = []
    original = stack_device.device_stack

    def counting(base, opts=None):
        calls.append(1)
        return original(base, opts)

    stack_device.device_stack = counting
    try:
        for size in (10, 200):
            calls.clear()
            aolab.resolve({"device": "stack@1.0", "device-stack": ["counter@1.0"] * size,
                           "count": 0}, {"path": "add", "amount": 1})
            assert len(calls) <= 2, f"{len(calls)} reads of device-stack for {size} devices"
    finally:
        stack_device.device_stack = original


def test_the_node_may_allow_a_longer_stack():
    base = {"device": "stack@1.0", "device-stack": ["counter@1.0"] * 1_200, "count": 0}
    assert aolab.resolve(base, {"path": "add", "amount": 1}, max_stack_devices=2_000)["count"] == 1_200


@pytest.mark.parametrize("segments", [10_001, 400_000])
def test_a_singleton_path_has_a_node_limit(segments):
    with pytest.raises(PathError, match="segments"):
        singleton.parse("/" + "/".join(["a"] * segments))


def test_singleton_splitting_is_linear():
    """One pass over the path: the segments of a 10,000-part path are found without
    re-scanning what is left after each one."""
    scanned = []
    original = singleton._split_once

    def counting(text, seps):
        scanned.append(len(text))
        return original(text, seps)

    singleton._split_once = counting
    try:
        singleton.parse("/" + "/".join(["a(b)"] * 10_000))
    finally:
        singleton._split_once = original
    assert sum(scanned) < 2_000_000


@pytest.mark.parametrize("parts", [10_001, 50_000])
def test_a_resolve_path_has_a_node_limit(parts):
    lab = aolab.Node(name="paths", record=False, network=aolab.Network())
    with pytest.raises(PathError, match="max_path_segments"):
        lab.resolve({"a": 1}, "/".join(["a"] * parts))
    with pytest.raises(PathError, match="max_path_segments"):
        lab.resolve({"a": 1}, {"path": ["a"] * parts})
    with pytest.raises(PathError, match="max_path_segments"):
        lab.resolve({"a": 1}, "a/a/a", max_path_segments=2)


@settings(max_examples=20, deadline=None)
@given(cap=st.integers(1, 30), asked=st.integers(1, 10**6))
def test_property_passes_never_exceed_the_nodes_cap(cap, asked):
    lab = aolab.Node(name="prop", network=aolab.Network())
    try:
        lab.resolve(_multipass(asked), {"path": "compute", "max-passes": asked}, max_passes=cap)
        assert asked <= cap
    except AolabError as exc:
        assert f"more than {min(cap, asked)} passes" in str(exc)
    passes = [r for r in lab.trace.records if r["device"] == "multipass@1.0"]
    assert len(passes) <= cap
