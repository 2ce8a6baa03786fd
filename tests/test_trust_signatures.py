"""Trust, written as the attacks it defends against (issue 14, items 1 and 3).

1. A signature vouches only for the keys it covers: keys added beside an honest signature are
   dropped before any device acts on the signer's authority.
3. An ID is never taken from an unchecked claim: commitments count only when they verify.
"""
from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import aolab
from aolab import ids, wallet
from aolab.codecs import httpsig
from aolab.errors import StoreError
from devices import scheduler, simple_pay


@pytest.fixture(scope="module")
def keys():
    return {name: wallet.load(wallet.test_wallet_path(name)) for name in ("alice", "bob", "mallory")}


def shop(keys, ledger=None):
    return aolab.Node(name="shop", operator_key=keys["alice"],
                      config={"simple-pay-ledger": dict(ledger or {})})


# -- 1. a signature vouches only for the keys it covers ----------------------------------

def test_operator_signed_result_plus_operator_key_does_not_hand_over_the_node(keys):
    node = shop(keys)
    free = node.resolve("/~meta@1.0/build")  # every result is signed by the operator
    assert httpsig.signers(free) == [keys["alice"].address]
    attack = {**free, "path": "/~meta@1.0/info", "method": "POST",
              "operator": keys["mallory"].address}
    status, answer = node.resolve_status(None, attack)
    assert status == "error" and answer["status"] == 401
    assert node.config["operator"] == keys["alice"].address
    assert len(node.history) == 1


def test_operator_signed_result_plus_topup_keys_mints_nothing(keys):
    node = shop(keys)
    free = node.resolve("/~meta@1.0/build")
    attack = {**free, "path": "/~simple-pay@1.0/topup", "amount": 10 ** 6,
              "recipient": keys["mallory"].address}
    status, answer = node.resolve_status(None, attack)
    assert status == "error" and answer["status"] == 401
    assert simple_pay.ledger(node).get(keys["mallory"].address, 0) == 0


def test_amount_added_beside_an_operator_signed_topup_is_dropped(keys):
    node = shop(keys)
    honest = httpsig.sign({"path": "/~simple-pay@1.0/topup", "recipient": keys["bob"].address},
                          keys["alice"])  # no amount: tops up 0
    assert node.resolve(None, {**honest, "amount": 10 ** 6}) == 0
    assert simple_pay.ledger(node)[keys["bob"].address] == 0


def test_changing_a_signed_key_is_refused_at_the_door(keys):
    node = shop(keys)
    honest = httpsig.sign({"path": "/~simple-pay@1.0/topup", "amount": 5,
                           "recipient": keys["bob"].address}, keys["alice"])
    status, answer = node.resolve_status(None, {**honest, "amount": 10 ** 6})
    assert status == "error" and answer["status"] == 400


def test_an_operator_update_needs_path_and_method_signed(keys):
    node = shop(keys)
    unsigned_intent = httpsig.sign({"colour": "red"}, keys["alice"])  # signed for another purpose
    status, answer = node.resolve_status(None, {**unsigned_intent, "path": "/~meta@1.0/info",
                                                "method": "POST"})
    assert status == "error" and answer["status"] == 401
    assert "colour" not in node.config


def test_only_signed_keeps_committed_keys_and_transport_keys(keys):
    signed = httpsig.sign({"a": "1", "path": "x"}, keys["bob"])
    reduced = httpsig.only_signed({**signed, "b": "2", "method": "POST", "path": "y"})
    assert reduced["path"] == "y" or httpsig.verify(reduced) is False  # path was signed: changed
    reduced = httpsig.only_signed({**signed, "b": "2", "method": "POST"})
    assert set(reduced) == {"a", "path", "method", "commitments"} and reduced["path"] == "x"
    assert httpsig.with_only_committed({**signed, "b": "2"}) == signed
    unsigned = {"a": "1", "b": "2"}
    assert httpsig.only_signed(unsigned) is unsigned


def _unsigned(value):
    """A result without its (randomised) signatures."""
    return {k: v for k, v in value.items() if k != "commitments"} if isinstance(value, dict) else value


EXTRA_KEYS = st.one_of(st.sampled_from(["operator", "amount", "recipient", "quantity", "colour",
                                        "initialized", "simple-pay-ledger", "force-signed", "x"]),
                       st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12))
EXTRA_VALUES = st.one_of(st.integers(-10 ** 9, 10 ** 9), st.text(max_size=20), st.booleans(),
                         st.dictionaries(st.sampled_from(["a", "b"]), st.integers(), max_size=2))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(extras=st.dictionaries(EXTRA_KEYS, EXTRA_VALUES, min_size=1, max_size=4))
@example(extras={"ao-types": 0})  # a key the codecs write: the scheduler refused it with a raw error
def test_any_key_added_beside_a_signature_is_ignored(keys, extras):
    """Property: keys added beside the operator's signature never change what meta@1.0 or
    simple-pay@1.0 do: the request acts exactly as the signed one, or (when an added typed
    key changes the signed ``ao-types`` field) it is refused and changes nothing."""
    update = httpsig.sign({"path": "/~meta@1.0/info", "method": "POST", "colour": "red"},
                          keys["alice"])
    topup = httpsig.sign({"path": "/~simple-pay@1.0/topup", "amount": 7,
                          "recipient": keys["bob"].address}, keys["alice"])
    for signed in (update, topup):
        added = {k: v for k, v in extras.items() if k not in signed}
        honest, attacked = shop(keys), shop(keys)
        expected = honest.resolve_status(None, signed)
        got = attacked.resolve_status(None, {**signed, **added})
        if got[0] == "error" and got[1]["status"] == 400:
            assert attacked.config == shop(keys).config and len(attacked.history) == 1
            assert simple_pay.ledger(attacked) == simple_pay.ledger(shop(keys))
        else:
            assert got[0] == expected[0] and attacked.config == honest.config
            assert simple_pay.ledger(attacked) == simple_pay.ledger(honest)
            assert _unsigned(got[1]) == _unsigned(expected[1])
    body = httpsig.sign({"action": "add", "amount": 1}, keys["bob"])  # scheduler@1.0
    added = {k: v for k, v in extras.items() if k not in body}
    node = aolab.Node(name="su")
    status, assignment = node.resolve_status({"device": "scheduler@1.0"},
                                             {"path": "schedule", "method": "POST",
                                              "body": {**body, **added}})
    if status == "ok":
        assert assignment["body"] == body
    else:  # an added typed key changed the signed ao-types: refused, nothing scheduled
        assert assignment["status"] == 400 and node.resolve({"device": "scheduler@1.0"},
                                                            "status")["processes"] == []


# -- 3. an ID is never taken from an unchecked claim --------------------------------------

def test_a_lone_commitment_key_is_not_an_id():
    claimed = aolab.id({"another": "message"})  # a well-formed ID the content does not have
    forged = {"count": 1000, "commitments": {claimed: {}}}
    assert aolab.id(forged) != claimed
    assert aolab.id(forged) == aolab.id({"count": 1000})


def test_an_honest_messages_commitments_do_not_name_another_message(keys):
    honest = httpsig.sign({"count": 1}, keys["alice"])
    forged = {"count": 1000, "commitments": honest["commitments"]}
    assert aolab.id(forged) != aolab.id(honest)
    assert aolab.id(forged) == aolab.id({"count": 1000})
    for kind in ("all", "signed"):
        assert aolab.id(forged, committers=kind) == aolab.id({"count": 1000})
    hmac_claim = {"count": 1000, "commitments": httpsig.commit({"count": 1})["commitments"]}
    assert aolab.id(hmac_claim) == aolab.id({"count": 1000})


def test_disk_store_id_check_is_not_fooled_by_a_claimed_commitment(tmp_path, keys):
    store = aolab.DiskStore(tmp_path / "store")
    honest = httpsig.sign({"count": 1}, keys["alice"])
    key = store.write(honest)
    forged = {"count": 1000, "commitments": honest["commitments"]}
    forged_key = store.write(forged)  # encoded as the store itself would, with a valid checksum
    file, forged_file = store._message_file(key), store._message_file(forged_key)
    entry = store._get(file)
    entry["message"] = store._get(forged_file)["message"]
    store._put(file, entry)  # the attacker rewrites the file, checksum included
    with pytest.raises(StoreError):
        store.read(key)


def test_verify_schedule_catches_a_body_claiming_the_original_id(keys):
    node = aolab.Node(name="sched")
    proc = node.spawn({"device": "process@1.0", "execution-device": "counter@1.0"})
    originals = [httpsig.sign({"action": "add", "amount": i}, keys["bob"]) for i in (1, 2, 3)]
    for message in originals:
        node.schedule(proc, message)
    got = node.resolve(proc, "schedule")["assignments"]
    assignments = [got[str(i)] for i in range(3)]
    assert scheduler.check_chain(assignments)["valid"] is True
    swapped = {"action": "add", "amount": 10 ** 6, "commitments": originals[1]["commitments"]}
    assignments[1] = {**assignments[1], "body": swapped}
    report = scheduler.check_chain(assignments)
    assert report["valid"] is False and report["first-bad-slot"] == 1


@settings(max_examples=40, deadline=None)
@given(content=st.dictionaries(st.sampled_from(["a", "b", "count", "x"]), st.integers(0, 9), max_size=3),
       claimed=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                       min_size=43, max_size=43),
       commitment=st.dictionaries(st.sampled_from(["alg", "committer", "signature", "signature-input",
                                                   "commitment-device"]),
                                  st.sampled_from(["hmac-sha256", "rsa-pss-sha512", "httpsig@1.0",
                                                   "x=:AAAA:", 'x=("a");alg="rsa-pss-sha512"']),
                                  max_size=5))
def test_made_up_commitments_never_name_a_message(content, claimed, commitment):
    """Property: a commitment that does not verify never becomes the ID."""
    if not ids.is_id(claimed):
        return
    forged = {**content, "commitments": {claimed: commitment}}
    for kind in (None, "all", "signed", "none"):
        assert aolab.id(forged, committers=kind) == aolab.id(content)


# -- scheduler@1.0 as HyperBEAM at the two points found wrong ------------------------------

def test_a_posted_process_is_scheduled_under_its_own_id(keys):
    node = aolab.Node(name="su", operator_key=keys["alice"])
    first = {"type": "Process", "device": "process@1.0", "execution-device": "counter@1.0", "n": 1}
    second = {**first, "n": 2}
    scheduler_message = {"device": "scheduler@1.0"}
    a = node.resolve(scheduler_message, {"path": "schedule", "method": "POST", "body": first})
    b = node.resolve(scheduler_message, {"path": "schedule", "method": "POST", "body": second})
    assert a["process"] == aolab.id(first) and b["process"] == aolab.id(second)
    assert a["slot"] == b["slot"] == 0
    signed = httpsig.sign({**first, "n": 3}, keys["bob"])
    c = node.resolve(scheduler_message, {"path": "schedule", "method": "POST",
                                         "body": {**signed, "unsigned-extra": "x"}})
    assert c["process"] == aolab.id(signed, committers="all") != aolab.id(signed)
    assert "unsigned-extra" not in c["body"] and httpsig.verify(c["body"])
    status = node.resolve(scheduler_message, "status")
    assert status["address"] == keys["alice"].address
    assert sorted(status["processes"]) == sorted([a["process"], b["process"], c["process"]])


def test_other_codecs_commitments_count_only_through_their_verifier(monkeypatch):
    content = {"a": "1"}
    claimed = "Y" * 43
    message = {**content, "commitments": {claimed: {"commitment-device": "other@1.0", "alg": "x"}}}
    assert aolab.id(message) == aolab.id(content) and not httpsig.verify(message)
    monkeypatch.setitem(httpsig.COMMITMENT_VERIFIERS, "other@1.0", lambda m, cid, c: cid == claimed)
    assert aolab.id(message) == claimed and httpsig.verify(message)
