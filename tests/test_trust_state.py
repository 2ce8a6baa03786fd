"""Trust, item 6: a message cannot write another process's state or another message's results.

Results are stored only under hashpaths the node computed; a process's slots
only from that process's own message and schedule.
"""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aolab
from aolab import hashpaths as hp


def _victim(node):
    proc = node.spawn({"execution-device": "counter@1.0", "name": "victim"})
    for amount in (1, 2):
        node.schedule(proc, {"action": "add", "amount": amount})
    return proc


@pytest.mark.parametrize("at_slot", [-1, 0, 1, 5])
def test_an_initialized_base_naming_a_victim_cannot_write_its_slots(node, at_slot):
    proc = _victim(node)
    mallory = {"device": "process@1.0", "process": proc, "initialized": "true",
               "execution-device": "counter@1.0", "count": 1_000_000, "at-slot": at_slot}
    try:
        node.resolve(mallory, {"path": "compute", "slot": 1})
    except aolab.errors.AolabError:
        pass
    assert node.compute(proc, slot=0)["count"] == 1
    assert node.compute(proc, slot=1)["count"] == 3


def test_an_uninitialized_base_naming_a_victim_starts_from_the_victims_message(node):
    proc = _victim(node)
    mallory = {"device": "process@1.0", "process": proc, "execution-device": "counter@1.0",
               "count": 1_000_000}
    state = node.resolve(mallory, {"path": "compute", "slot": 1})
    assert state["count"] == 3
    assert node.compute(proc, slot=1)["count"] == 3


def test_a_computed_state_handed_back_is_still_used(node):
    proc = _victim(node)
    first = node.compute(proc, slot=0)
    assert node.resolve(first, {"path": "compute", "slot": 1})["count"] == 3


@pytest.mark.parametrize("claim", ["victim-id", "victim-hashpath", "garbage", "int"])
def test_a_claimed_hashpath_never_stores_under_the_victims_names(node, claim):
    victim = {"owner": "alice", "device": "message@1.0"}
    victim_id = node.write(victim)
    honest = node.resolve(victim, {"path": "set", "k": "v"})
    claimed = {"victim-id": victim_id, "victim-hashpath": aolab.hashpath(honest),
               "garbage": "x/y", "int": 7}[claim]
    mallory = {"owner": "mallory", "device": "message@1.0", "priv": {"hashpath": claimed}}
    result = node.resolve(mallory, {"path": "set", "k": "v"})
    assert node.read(victim_id) == victim
    assert node.read(aolab.hashpath(honest))["owner"] == "alice"
    assert aolab.hashpath(result).split("/")[0] == aolab.id({"owner": "mallory", "device": "message@1.0"})


def test_a_copied_result_with_changed_content_loses_the_hashpath(node):
    honest = node.resolve({"device": "counter@1.0", "count": 1}, {"path": "add", "amount": 1})
    nxt = node.resolve(honest, {"path": "add", "amount": 1})
    assert aolab.hashpath(nxt).split("/")[0] == hp.compress(aolab.hashpath(honest))
    copied = node.resolve({**honest, "count": 500}, {"path": "add", "amount": 1})
    assert node.read(aolab.hashpath(nxt))["count"] == 3
    assert aolab.hashpath(copied) != aolab.hashpath(nxt)


def test_unchanged_copies_of_results_keep_their_hashpath(node):
    honest = node.resolve({"device": "counter@1.0", "count": 1}, {"path": "add", "amount": 1})
    nxt = node.resolve(dict(honest), {"path": "add", "amount": 1})
    assert aolab.hashpath(nxt).split("/")[0] == hp.compress(aolab.hashpath(honest))


@settings(max_examples=20, deadline=None)
@given(count=st.integers(-10**9, 10**9), key=st.sampled_from(["count", "owner", "device-key", "x"]))
def test_property_no_forged_base_overwrites_a_stored_result(count, key):
    lab = aolab.Node(name="prop", record=False, network=aolab.Network())
    honest = lab.resolve({"device": "counter@1.0", "count": 1}, {"path": "add", "amount": 1})
    nxt = lab.resolve(honest, {"path": "add", "amount": 1})
    forged = {**honest, key: count}
    if forged == honest:
        return
    lab.resolve(forged, {"path": "add", "amount": 1})
    assert lab.read(aolab.hashpath(nxt)) == {k: v for k, v in nxt.items() if k != "priv"} | {
        "priv": {"hashpath": aolab.hashpath(nxt)}}


def test_a_signing_node_never_stores_under_a_claim_passed_through_a_result():
    """An inline device hands back a nested message claiming the victim's hashpath; the
    node signs the result (force-signed) but writes nothing under the claim."""
    from aolab import wallet

    lab = aolab.Node(name="signer", operator_key=wallet.load(wallet.test_wallet_path("alice")),
                     network=aolab.Network())
    honest = lab.resolve({"device": "counter@1.0", "count": 1}, {"path": "add", "amount": 1})
    victim_hp = aolab.hashpath(honest)
    smuggled = {"count": 10**6, "priv": {"hashpath": victim_hp}}
    passed = lab.resolve({"device": {"pick": lambda base: base["inner"]}, "inner": smuggled}, "pick")
    assert passed["count"] == 10**6
    assert lab.read(victim_hp)["count"] == 2
