"""Trust, item 2: verification checks every input against the ID its hashpath names.

Each test is an attack: a result whose lineage names honest inputs but was
computed from other ones must not verify, whoever stores or sends the inputs.
"""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aolab
from aolab import dist
from aolab import hashpaths as hp
from aolab.verify import lineage


@pytest.fixture
def network():
    return aolab.Network()


def _honest(node):
    base = {"device": "counter@1.0", "count": 1}
    return base, node.resolve(base, {"path": "add", "amount": 2})


def _forged_on(mallory, honest_base, count=1000):
    """mallory computes from {count: 1000} while claiming the honest base's ID."""
    fake = {"device": "counter@1.0", "count": count, "priv": {"hashpath": aolab.id(honest_base)}}
    forged = mallory.resolve(fake, {"path": "add", "amount": 2})
    # whatever mallory's node does with the claim, mallory can always write the lie by hand:
    forged = {**forged, "priv": {"hashpath": f"{aolab.id(honest_base)}/" + hp.request_part(
        {"path": "add", "amount": 2})}}
    mallory.store._by_id[aolab.id(honest_base)] = fake
    mallory.store._by_id[hp.request_part({"path": "add", "amount": 2})] = {"path": "add", "amount": 2}
    return forged


def test_node_verify_refuses_a_base_that_is_not_the_id_its_hashpath_names(network):
    alice = aolab.Node(name="alice", network=network)
    mallory = aolab.Node(name="mallory", network=network)
    bob = aolab.Node(name="bob", network=network)
    honest_base, honest = _honest(alice)
    forged = _forged_on(mallory, honest_base)
    assert forged["count"] == 1002 and aolab.hashpath(forged) == aolab.hashpath(honest)
    report = bob.verify(forged, source=mallory)
    assert not report
    assert "has ID" in report.divergence["reason"]
    assert bob.verify(honest, source=alice)


def test_node_verify_refuses_a_request_swapped_under_its_id(network):
    alice = aolab.Node(name="alice", network=network)
    bob = aolab.Node(name="bob", network=network)
    _, honest = _honest(alice)
    part = aolab.hashpath(honest).rpartition("/")[2]
    alice.store._by_id[part] = {"path": "add", "amount": 500}  # another request under its ID
    report = bob.verify(honest, source=alice)
    assert not report and "another request" in report.divergence["reason"]


def test_verify_from_a_disk_store_checks_ids(tmp_path, network):
    mallory = aolab.Node(name="mallory", store=tmp_path / "m", network=network)
    bob = aolab.Node(name="bob", network=network)
    honest_base = {"device": "counter@1.0", "count": 1}
    fake = {"device": "counter@1.0", "count": 1000}
    forged = mallory.resolve(fake, {"path": "add", "amount": 2})
    # mallory's disk store serves the fake under the honest ID (written by hand, unchecked)
    store = mallory.store
    store._put(store._message_file(aolab.id(honest_base)),
               {"id": aolab.id(honest_base), "message": aolab.store.encode_value(fake)})
    store.verify_ids = False
    forged = {**forged, "priv": {"hashpath": aolab.id(honest_base) + "/" +
                                 aolab.hashpath(forged).rpartition("/")[2]}}
    report = bob.verify(forged, source=mallory)
    assert not report and "has ID" in report.divergence["reason"]


def test_a_carried_hashpath_claim_is_not_believed_by_the_node(network):
    """The node computes the hashpath of a base it did not compute from its content."""
    mallory = aolab.Node(name="mallory", network=network)
    honest_base = {"device": "counter@1.0", "count": 1}
    fake = {"device": "counter@1.0", "count": 1000, "priv": {"hashpath": aolab.id(honest_base)}}
    result = mallory.resolve(fake, {"path": "add", "amount": 2})
    assert aolab.hashpath(result).split("/")[0] == aolab.id({"device": "counter@1.0", "count": 1000})


@pytest.mark.parametrize("forge", ["hand-made", "altered-origin", "altered-request", "signed-by-mallory"])
def test_verify_branch_refuses_forged_proofs(forge, network):
    from aolab import wallet
    from aolab.codecs import httpsig

    alice = aolab.Node(name="alice", network=network)
    honest_base, honest = _honest(alice)
    honest2 = alice.resolve(honest, {"path": "add", "amount": 3})
    proof = alice.prove(honest2)
    assert aolab.verify_branch(honest2, proof)
    # a result computed from {count: 1000}, claiming honest2's hashpath
    lie = {**honest2, "count": 1005}
    if forge == "hand-made":
        forged_proof = {**proof, "result-id": aolab.verify.content_id(lie)}
    elif forge == "altered-origin":
        forged_proof = {**proof, "origin-message": {**honest_base, "count": 1000},
                        "result-id": aolab.verify.content_id(lie)}
    elif forge == "altered-request":
        forged_proof = {**proof, "requests": [{"path": "add", "amount": 1001}, proof["requests"][1]],
                        "result-id": aolab.verify.content_id(lie)}
    else:
        mallory = wallet.load(wallet.test_wallet_path("mallory"))
        forged_proof = httpsig.sign({**proof, "result-id": aolab.verify.content_id(lie)}, mallory)
    report = aolab.verify_branch(lie, forged_proof)
    assert not report, report


def test_verify_branch_old_style_proof_with_a_forged_last_base(network):
    """A proof that only names the last base (and trusts its carried hashpath) is refused."""
    alice = aolab.Node(name="alice", network=network)
    _, honest = _honest(alice)
    honest2 = alice.resolve(honest, {"path": "add", "amount": 3})
    lie_base = {**honest, "count": 1000}
    proof = {"type": "branch-proof", "hashpath": aolab.hashpath(honest2),
             "result-id": aolab.verify.content_id({**honest2, "count": 1003}),
             "origin": aolab.hashpath(honest).split("/")[0],
             "parts": [aolab.hashpath(honest).split("/")[1], aolab.hashpath(honest2).split("/")[1]],
             "last-base": lie_base,
             "last-request": {"path": "add", "amount": 3}}
    assert not aolab.verify_branch({**honest2, "count": 1003}, proof)


def test_lineage_names_the_first_input_that_is_not_what_its_hashpath_names(network):
    alice = aolab.Node(name="alice", network=network)
    base, honest = _honest(alice)
    alice.store._by_id[aolab.id(base)] = {"device": "counter@1.0", "count": 7}
    with pytest.raises(aolab.errors.StoreError, match="another message"):
        lineage(aolab.hashpath(honest), alice.fetch)


def test_verify_many_refuses_an_honest_run_of_another_process():
    runs = dist.compute_many(aolab.Node(record=False), 2, slots=3)
    other = dist.compute_many(None, [({"execution-device": "counter@1.0", "name": "counter-1",
                                       "extra": "x"}, runs.messages[1])], slots=3)
    assert dist.verify_many(other)  # an honest run ...
    runs.results[1] = other[0]       # ... of a different process, with the same messages
    report = dist.verify_many(runs)
    assert report.counts() == {"verified": 1, "diverged": 1}
    assert "another process" in report.diverged[0]["reason"]


def test_verify_many_refuses_a_run_with_a_swapped_process_message():
    runs = dist.compute_many(None, 2, slots=2)
    runs.results[0] = {**runs[0], "process": runs[1]["process"], "process_id": runs[1]["process_id"]}
    report = dist.verify_many(runs)
    assert not report


@settings(max_examples=15, deadline=None)
@given(count=st.integers(-10**6, 10**6).filter(lambda c: c != 1), amount=st.integers(0, 50))
def test_property_any_base_but_the_named_one_fails_verification(count, amount):
    """For any other starting content, a result claiming the honest lineage does not verify."""
    network = aolab.Network()
    alice = aolab.Node(name="alice", network=network, record=False)
    mallory = aolab.Node(name="mallory", network=network, record=False)
    bob = aolab.Node(name="bob", network=network, record=False)
    honest_base = {"device": "counter@1.0", "count": 1}
    request = {"path": "add", "amount": amount}
    alice.resolve(honest_base, request)
    fake = {"device": "counter@1.0", "count": count}
    forged = mallory.resolve(fake, request)
    part = aolab.hashpath(forged).rpartition("/")[2]
    forged = {**forged, "priv": {"hashpath": f"{aolab.id(honest_base)}/{part}"}}
    mallory.store._by_id[aolab.id(honest_base)] = {**fake, "priv": {"hashpath": aolab.id(honest_base)}}
    assert not bob.verify(forged, source=mallory)
