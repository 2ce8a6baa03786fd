"""Wallets, signed commitments, meta@1.0, simple-pay@1.0/p4@1.0, singleton paths,
and verification across nodes (issue 5)."""
from __future__ import annotations

import json

import pytest

import aolab
from aolab import singleton, wallet
from aolab.codecs import httpsig
from aolab.errors import CommitmentError, PathError
from aolab.singleton import As, Resolve
from devices import simple_pay


@pytest.fixture(scope="module")
def alice_key():
    return wallet.load(wallet.test_wallet_path("alice"))


@pytest.fixture(scope="module")
def bob_key():
    return wallet.load(wallet.test_wallet_path("bob"))


@pytest.fixture(scope="module")
def mallory_key():
    return wallet.load(wallet.test_wallet_path("mallory"))


@pytest.fixture
def network():
    return aolab.Network()


# -- wallets and signed commitments ----------------------------------------------

def test_jwk_round_trip(tmp_path, alice_key):
    path = alice_key.save(tmp_path / "alice.json")
    again = wallet.load(path)
    assert again.address == alice_key.address and again.can_sign
    assert again.verify(b"data", alice_key.sign(b"data"))
    jwk = json.loads(path.read_text())
    assert set(jwk) == {"kty", "e", "n", "d", "p", "q", "dp", "dq", "qi"} and jwk["e"] == "AQAB"
    public = wallet.from_jwk({k: jwk[k] for k in ("kty", "e", "n")})
    assert not public.can_sign and public.address == alice_key.address
    with pytest.raises(CommitmentError, match="no private key"):
        public.sign(b"x")


def test_address_is_sha256_of_modulus(alice_key):
    import base64
    import hashlib
    n = base64.urlsafe_b64decode(alice_key.keyid + "==")
    assert len(n) == 512  # 4096-bit key
    expected = base64.urlsafe_b64encode(hashlib.sha256(n).digest()).rstrip(b"=").decode()
    assert alice_key.address == expected


def test_bad_jwk_is_a_clear_error(tmp_path):
    (tmp_path / "bad.json").write_text('{"kty": "EC"}')
    with pytest.raises(CommitmentError, match="not an RSA JWK"):
        wallet.load(tmp_path / "bad.json")


def _rsa(signed):
    return {k: c for k, c in signed["commitments"].items() if c["alg"] == "rsa-pss-sha512"}


def test_sign_and_verify(alice_key):
    message = {"a": "1", "n": 5, "nested": {"x": "y"}, "big": "z" * 5000}
    signed = httpsig.sign(message, alice_key)
    assert httpsig.verify(signed) and httpsig.verify(signed, exact=True)
    assert httpsig.committers(signed) == [alice_key.address] == httpsig.signers(signed)
    (commitment_id, commitment), = _rsa(signed).items()
    hmac_id, = set(signed["commitments"]) - {commitment_id}
    assert hmac_id == aolab.id(message)  # the hmac commitment names the content
    assert aolab.id(signed, committers="all") == commitment_id
    assert aolab.id(signed) == aolab.ids.of_commitments([commitment_id, hmac_id]) != aolab.id(message)
    assert commitment["alg"] == "rsa-pss-sha512" and commitment["committer"] == alice_key.address
    assert commitment["signature-input"].startswith(httpsig.signature_name(alice_key.address) + "=(")


@pytest.mark.parametrize("change", [
    lambda m: {**m, "a": "2"},
    lambda m: {**m, "n": 6},
    lambda m: {**m, "nested": {"x": "z"}},
    lambda m: {**m, "big": "y" * 5000},
    lambda m: {k: v for k, v in m.items() if k != "a"},
])
def test_any_changed_committed_key_fails(alice_key, change):
    signed = httpsig.sign({"a": "1", "n": 5, "nested": {"x": "y"}, "big": "z" * 5000}, alice_key)
    assert not httpsig.verify(change(signed))


def test_forged_commitment_fields_fail(alice_key, bob_key):
    signed = httpsig.sign({"a": "1"}, alice_key)
    (cid, commitment), = _rsa(signed).items()
    as_bob = {**signed, "commitments": {cid: {**commitment, "committer": bob_key.address}}}
    assert not httpsig.verify(as_bob)  # keyid is alice's key, committer claims bob
    renamed = {**signed, "commitments": {"x" * 43: commitment}}
    assert not httpsig.verify(renamed)  # the ID must be the signature's hash


def test_added_key_is_uncommitted(alice_key):
    signed = httpsig.sign({"a": "1"}, alice_key)
    added = {**signed, "b": "2"}
    assert httpsig.verify(added) and not httpsig.verify(added, exact=True)


def test_hashpath_is_signed_as_tag(alice_key):
    signed = httpsig.sign({"a": "1", "priv": {"hashpath": "abc/def"}}, alice_key)
    assert ';tag="abc/def"' in next(iter(signed["commitments"].values()))["signature-input"]
    assert httpsig.verify(signed, exact=True)
    moved = {**signed, "priv": {"hashpath": "abc/xyz"}}
    assert httpsig.verify(moved) and not httpsig.verify(moved, exact=True)


def test_two_signers_and_the_id(alice_key, bob_key):
    both = httpsig.sign(httpsig.sign({"a": "1"}, alice_key), bob_key)
    assert httpsig.verify(both) and httpsig.signers(both) == sorted([alice_key.address, bob_key.address])
    import hashlib
    assert len(both["commitments"]) == 3  # two signatures and one hmac carrying both
    listed = ", ".join(sorted(both["commitments"])).encode()  # no quotes, as dev_message:id
    assert aolab.id(both) == aolab.human_id(hashlib.sha256(listed).digest())
    rsa = ", ".join(sorted(_rsa(both))).encode()
    assert aolab.id(both, committers="all") == aolab.human_id(hashlib.sha256(rsa).digest())


def test_signing_resets_the_hmac_commitment(alice_key):
    hmac_then_signed = httpsig.sign(httpsig.commit({"a": "1"}), alice_key)
    assert len(hmac_then_signed["commitments"]) == 2
    hmac_commitment = next(c for c in hmac_then_signed["commitments"].values() if c["alg"] == "hmac-sha256")
    (rsa_commitment,) = _rsa(hmac_then_signed).values()
    assert hmac_commitment["signature"] == rsa_commitment["signature"]
    stale = {**hmac_then_signed, "commitments": {**hmac_then_signed["commitments"],
                                                 **httpsig.commit({"a": "1", "b": "2"})["commitments"]}}
    assert aolab.id(stale) == aolab.id(hmac_then_signed)  # a stale hmac claim does not count


def test_message_device_commit_signs_with_the_node_wallet(alice_key, network):
    node = aolab.Node(name="signer", operator_key=alice_key, network=network,
                      config={"force-signed": False})
    committed = node.resolve({"a": "1"}, "commit")
    assert httpsig.signers(committed) == [alice_key.address]
    assert node.resolve(committed, "verify") is True
    assert node.resolve({"a": "1"}, {"path": "commit", "type": "unsigned"})["commitments"]


# -- meta@1.0 ------------------------------------------------------------------------

def test_meta_info_get(alice_key, network):
    node = aolab.Node(name="meta-a", operator_key=alice_key, network=network,
                      config={"simple-pay-price": 3})
    info = node.resolve("/~meta@1.0/info")
    assert info["address"] == alice_key.address == info["operator"]
    assert info["simple-pay-price"] == 3 and "message@1.0" in info["preloaded-devices"]
    assert node.resolve("/~meta@1.0/build")["node"] == "aolab"


def test_meta_info_post_needs_the_operator(alice_key, bob_key, network):
    node = aolab.Node(name="meta-b", operator_key=alice_key, network=network)
    by_bob = httpsig.sign({"path": "/~meta@1.0/info", "method": "POST", "colour": "red"}, bob_key)
    status, refusal = node.resolve_status(None, by_bob)
    assert status == "error" and refusal["status"] == 401
    by_alice = httpsig.sign({"path": "/~meta@1.0/info", "method": "POST", "colour": "red"}, alice_key)
    assert node.resolve(None, by_alice)["history-length"] == 2
    assert node.resolve("/~meta@1.0/info")["colour"] == "red"
    unsigned = {"path": "/~meta@1.0/info", "method": "POST", "colour": "blue"}
    assert node.resolve_status(None, unsigned)[0] == "error"


def test_meta_permanent_config(alice_key, network):
    node = aolab.Node(name="meta-c", operator_key=alice_key, network=network,
                      config={"initialized": "permanent"})
    request = httpsig.sign({"path": "/~meta@1.0/info", "method": "POST", "x": "1"}, alice_key)
    status, refusal = node.resolve_status(None, request)
    assert status == "error" and "permanent" in refusal["body"]


def test_allowed_devices_enforced_and_updated(alice_key, network):
    from aolab.errors import DeviceNotAllowed
    node = aolab.Node(name="meta-d", operator_key=alice_key, network=network,
                      allowed=["message@1.0", "meta@1.0", "counter@1.0"])
    assert node.resolve({"device": "counter@1.0"}, {"path": "add"})["count"] == 1
    with pytest.raises(DeviceNotAllowed, match="stack@1.0"):
        node.resolve({"device": "stack@1.0", "device-stack": []}, "x")
    update = httpsig.sign({"path": "/~meta@1.0/info", "method": "POST",
                           "allowed-devices": ["message@1.0", "meta@1.0"]}, alice_key)
    node.resolve(None, update)
    with pytest.raises(DeviceNotAllowed, match="counter@1.0"):
        node.resolve({"device": "counter@1.0"}, {"path": "add"})


def test_results_are_signed_when_configured(alice_key, network):
    node = aolab.Node(name="meta-e", operator_key=alice_key, network=network)
    result = node.resolve({"device": "counter@1.0", "count": 1}, {"path": "add"})
    assert httpsig.signers(result) == [alice_key.address]
    assert httpsig.verify(result, exact=True)  # covers the hashpath too
    quiet = aolab.Node(name="meta-f", operator_key=alice_key, network=network,
                       config={"force-signed": False})
    assert "commitments" not in quiet.resolve({"device": "counter@1.0"}, {"path": "add"})


# -- simple-pay@1.0 and p4@1.0 -------------------------------------------------------

def paying_node(operator_key, network, ledger, name="shop"):
    hook = {"device": "p4@1.0", "pricing-device": "simple-pay@1.0", "ledger-device": "simple-pay@1.0"}
    return aolab.Node(name=name, operator_key=operator_key, network=network,
                      config={"simple-pay-price": 10, "simple-pay-ledger": ledger,
                              "on": {"request": hook, "response": hook}})


def test_get_balance_and_top_up(alice_key, bob_key, network):
    """dev_simple_pay:get_balance_and_top_up_test/0."""
    node = paying_node(alice_key, network, {bob_key.address: 100})
    balance = httpsig.sign({"path": "/~simple-pay@1.0/balance"}, bob_key)
    assert node.resolve(None, balance) == 100  # the balance is read before the charge
    topup = httpsig.sign({"path": "/~simple-pay@1.0/topup", "amount": 100,
                          "recipient": bob_key.address}, alice_key)
    assert node.resolve(None, topup) == 180  # 100 - 20 + 100; the operator is free
    assert node.resolve(None, httpsig.sign({"path": "/~simple-pay@1.0/balance"}, bob_key)) == 180


def test_paid_requests_are_debited_and_refused_when_short(alice_key, bob_key, network):
    node = paying_node(alice_key, network, {bob_key.address: 25})
    request = httpsig.sign({"path": "add", "amount": 1}, bob_key)
    node.resolve({"device": "counter@1.0"}, request)  # costs 2 messages x 10
    assert simple_pay.ledger(node)[bob_key.address] == 5
    status, refusal = node.resolve_status({"device": "counter@1.0"}, request)
    assert status == "error" and refusal["status"] == 429
    assert refusal["price"] == 20 and refusal["balance"] == 5
    assert simple_pay.ledger(node)[bob_key.address] == 5  # a refusal costs nothing
    keys = [r["key"] for r in node.trace.records if r["device"] in ("p4@1.0", "simple-pay@1.0")]
    assert keys[:4] == ["request", "estimate", "balance", "response"]


def test_unsigned_requests_have_no_balance(alice_key, network):
    node = paying_node(alice_key, network, {})
    status, refusal = node.resolve_status({"device": "counter@1.0"}, {"path": "add"})
    assert status == "error" and refusal["balance"] == 0


def test_operator_and_meta_are_free(alice_key, network):
    node = paying_node(alice_key, network, {})
    assert node.resolve({"device": "counter@1.0"}, httpsig.sign({"path": "add"}, alice_key))["count"] == 1
    assert node.resolve("/~meta@1.0/info")["simple-pay-price"] == 10


def test_topup_by_someone_else_is_refused(alice_key, bob_key, network):
    node = paying_node(alice_key, network, {bob_key.address: 1000})
    topup = httpsig.sign({"path": "/~simple-pay@1.0/topup", "amount": 100,
                          "recipient": bob_key.address}, bob_key)
    status, refusal = node.resolve_status(None, topup)
    assert status == "error" and refusal["status"] == 401


# -- singleton paths (ports of hb_singleton's eunit tests) -----------------------

def test_single_message():
    messages = singleton.parse({"path": "/a", "test-key": "test-value"})
    assert len(messages) == 2 and messages[0]["test-key"] == "test-value"


def test_basic_hashpath():
    hashpath = aolab.human_id(bytes(range(32)))
    base, second = singleton.parse({"path": f"/{hashpath}/some-other", "method": "GET"})
    assert base == hashpath and second == {"path": "some-other", "method": "GET"}


def test_multiple_messages():
    messages = singleton.parse({"path": "/a/b/c", "test-key": "test-value"})
    assert len(messages) == 4 and all(m["test-key"] == "test-value" for m in messages)


def test_scoped_and_typed_keys():
    _, m1, m2, m3 = singleton.parse({"path": "/a/b/c", "2.test-key+integer": "123"})
    assert "test-key" not in m1 and m2["test-key"] == 123 and "test-key" not in m3


def test_subpath_in_key_and_path():
    _, _, m2, _ = singleton.parse({"path": "/a/b/c", "2.test-key+resolve": "/x/y/z"})
    assert m2["test-key"] == Resolve([{}, {"path": "x"}, {"path": "y"}, {"path": "z"}])
    _, m1, m2, m3 = singleton.parse({"path": "/a/(x/y/z)/z"})
    assert m1 == {"path": "a"} and m2 == Resolve([{}, {"path": "x"}, {"path": "y"}, {"path": "z"}])


def test_inlined_keys():
    _, m1, m2, m3 = singleton.parse({"method": "POST", "path": "/a/b&k1=v1/c&k2=v2"})
    assert m2["k1"] == "v1" and m3["k2"] == "v2" and "k1" not in m1 and "k2" not in m2
    _, m1, m2 = singleton.parse({"path": "/a/b&k1=v1&k2=v2&flag"})
    assert m2 == {"path": "b", "k1": "v1", "k2": "v2", "flag": True}


def test_subpath_in_inlined():
    _, first, second, third = singleton.parse({"path": "/part1/part2&test=1&b=(/x/y)/part3"})
    assert second["b"] == Resolve([{}, {"path": "x"}, {"path": "y"}]) and third == {"path": "part3"}


def test_path_parts():
    assert singleton.path_segments("/a/b&c=(/d/e)/f") == ["a", "b&c=(/d/e)", "f"]
    assert singleton.path_segments("/a/(x/y/z)/c") == ["a", "(x/y/z)", "c"]


def test_device_segments_and_queries():
    pid = aolab.human_id(bytes(32))
    assert singleton.parse(f"/{pid}~process@1.0/compute&slot+integer=1") == [
        As("process@1.0", pid), {"path": "compute", "slot": 1}]
    assert singleton.parse("/a?x=1&y+float=2.5") == [{"x": "1", "y": 2.5}, {"path": "a", "x": "1", "y": 2.5}]


def test_bad_paths_are_clear_errors():
    with pytest.raises(PathError, match="unknown type 'colour'"):
        singleton.parse("/a&k+colour=1")
    with pytest.raises(PathError, match="not a valid integer"):
        singleton.parse("/a&k+integer=abc")
    with pytest.raises(PathError, match="at most 512"):
        singleton.parse("/" + "a" * 600)


def test_singleton_resolves_on_a_node(network):
    node = aolab.Node(name="single", network=network)
    proc = node.spawn({"execution-device": "counter@1.0"})
    node.schedule(proc, {"action": "add", "amount": 4})
    messages = singleton.parse(f"/{aolab.id(proc)}~process@1.0/compute&slot+integer=0/count")
    assert singleton.resolve_many(messages, node.resolve, node.fetch) == 4
    nested = singleton.parse({"path": "/a", "0.a+resolve": f"/{aolab.id(proc)}~process@1.0/slot/current"})
    assert singleton.resolve_many(nested, node.resolve, node.fetch) == 0


# -- verification across nodes --------------------------------------------------------

def test_three_nodes_compute_verify_reject(alice_key, bob_key, mallory_key, network):
    alice = aolab.Node(name="alice", operator_key=alice_key, network=network)
    bob = aolab.Node(name="bob", operator_key=bob_key, network=network)
    carol = aolab.Node(name="carol", network=network)
    base = {"device": "counter@1.0", "count": 10}
    first = alice.resolve(base, {"path": "add", "amount": 5})
    second = alice.resolve(first, {"path": "subtract", "amount": 3})
    report = bob.verify(second)  # inputs fetched from alice, the committer
    assert report and report.checked == 2
    # Mallory changes the count and signs it himself: a valid signature on a lie.
    forged = httpsig.sign({k: v for k, v in second.items() if k != "commitments"} | {"count": 99},
                          mallory_key)
    rejected = carol.verify(forged)
    assert not rejected and rejected.divergence["step"] == 1
    assert rejected.divergence["key"] == "subtract" and "content differs" in rejected.divergence["reason"]
    # Changing alice's signed result breaks her signature.
    tampered = {**second, "count": 99}
    assert "signature" in carol.verify(tampered).divergence["reason"]


def test_forged_middle_step_is_named(network):
    alice, bob = aolab.Node(name="a2", network=network), aolab.Node(name="b2", network=network)
    r1 = alice.resolve({"device": "counter@1.0", "count": 0}, {"path": "add", "amount": 1})
    r2 = alice.resolve(r1, {"path": "add", "amount": 2})
    r3 = alice.resolve(r2, {"path": "add", "amount": 3})
    hp1 = aolab.hashpath(r1)
    lie = {**r1, "count": 50}
    alice.store.write_result(hp1, lie)  # alice's store now lies about step 0
    alice.store.write_result(aolab.hashpaths.compress(hp1), lie)
    report = bob.verify(r3, source=alice)
    assert not report and report.divergence["step"] == 0


def test_verify_a_process_computed_elsewhere(network):
    alice, bob = aolab.Node(name="pa", network=network), aolab.Node(name="pb", network=network)
    proc = alice.spawn({"execution-device": "stack@1.0", "device-stack": ["dedup@1.0", "counter@1.0"]})
    for amount in (1, 2, 3):
        alice.schedule(proc, {"action": "add", "amount": amount})
    state = alice.compute(proc, slot=2)
    report = bob.verify(state, source=alice)  # bob fetches the schedule from alice, recomputes
    assert report and bob.compute(proc, slot=2)["count"] == 6


def test_verify_branch(alice_key, network):
    alice = aolab.Node(name="br", operator_key=alice_key, network=network)
    r1 = alice.resolve({"device": "counter@1.0", "count": 0}, {"path": "add", "amount": 1})
    r2 = alice.resolve(r1, {"path": "add", "amount": 2})
    proof = alice.prove(r2)
    assert httpsig.signers(proof) == [alice_key.address]
    assert aolab.verify_branch(r2, proof)
    assert not aolab.verify_branch({**r2, "count": 4}, proof)
    bad_proof = httpsig.sign({k: v for k, v in proof.items() if k != "commitments"}
                             | {"requests": [proof["requests"][0], {"path": "add", "amount": 3}]},
                             alice_key)
    assert "fold" in aolab.verify_branch(r2, bad_proof).divergence["reason"]
    unsigned_lie = {**proof, "origin": aolab.human_id(bytes(32))}
    assert not aolab.verify_branch(r2, unsigned_lie)


def test_unhashed_message_cannot_be_verified(network):
    node = aolab.Node(name="u", network=network)
    report = node.verify({"a": 1})
    assert not report and "no hashpath" in report.divergence["reason"]


def test_a_debit_is_kept_in_the_store_not_in_the_node_message(alice_key, bob_key, network):
    """simple-pay@1.0's ledger is device state: charging adds no node-message update."""
    node = paying_node(alice_key, network, {bob_key.address: 25})
    node.resolve({"device": "counter@1.0"}, httpsig.sign({"path": "add", "amount": 1}, bob_key))
    assert simple_pay.ledger(node)[bob_key.address] == 5
    assert node.config["simple-pay-ledger"] == {bob_key.address: 25}  # the opening ledger
    assert len(node.history) == 1
