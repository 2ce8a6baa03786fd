"""Trust, item 4: payments cannot be bypassed.

The price follows what a request resolves, not how its path begins; the
ledger is debited only by the node's own response hook, never by a message.
"""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aolab
from aolab import wallet
from aolab.codecs import httpsig
from devices import simple_pay


@pytest.fixture(scope="module")
def keys():
    return {name: wallet.load(wallet.test_wallet_path(name)) for name in ("alice", "bob", "mallory")}


def shop(keys, ledger):
    hook = {"device": "p4@1.0", "pricing-device": "simple-pay@1.0", "ledger-device": "simple-pay@1.0"}
    return aolab.Node(name="shop", operator_key=keys["alice"], network=aolab.Network(),
                      config={"simple-pay-price": 10, "simple-pay-ledger": dict(ledger),
                              "on": {"request": hook, "response": hook}})


def balance(node, key):
    return simple_pay.ledger(node).get(key.address, 0)


@pytest.mark.parametrize("path", [
    "/~meta@1.0/~counter@1.0/add",
    "/~meta@1.0/info/~counter@1.0/add",
    "/~meta@1.0/build/x",
    "/~p4@1.0/balance/~counter@1.0/add",
    "/~meta@1.0/info&x=1",
    "/~meta@1.0/info~counter@1.0",
    "~meta@1.0/~meta@1.0/~counter@1.0/add",
    ["~meta@1.0", "~counter@1.0", "add"],
])
def test_a_free_prefix_does_not_make_a_request_free(keys, path):
    node = shop(keys, {})
    status, refusal = node.resolve_status(None, httpsig.sign({"path": path}, keys["mallory"]))
    assert status == "error" and refusal["status"] == 429


@pytest.mark.parametrize("path", ["/~meta@1.0/info", "/~meta@1.0/build", "/~p4@1.0/balance",
                                  "~meta@1.0/info", ["~meta@1.0", "info"]])
def test_the_free_routes_stay_free(keys, path):
    node = shop(keys, {})
    status, value = node.resolve_status(None, httpsig.sign({"path": path}, keys["mallory"]))
    assert status == "ok" or value["status"] == 404  # p4 balance on a bare p4 base: no ledger
    assert balance(node, keys["mallory"]) == 0


@pytest.mark.parametrize("quantity", [-1000, "-5", -1, 0, 5, "x", 1.5, True])
def test_a_message_cannot_call_debit(keys, quantity):
    node = shop(keys, {keys["mallory"].address: 1000, keys["bob"].address: 1000})
    request = httpsig.sign({"path": "/~simple-pay@1.0/debit", "quantity": quantity}, keys["mallory"])
    before = balance(node, keys["mallory"])
    try:
        status, _ = node.resolve_status(None, request)
    except aolab.errors.AolabError:
        status = "error"
    assert status != "ok"
    assert balance(node, keys["mallory"]) <= before  # charged for the request, never credited


def test_a_victims_signed_request_inside_request_does_not_drain_the_victim(keys):
    node = shop(keys, {keys["mallory"].address: 1000, keys["bob"].address: 1000})
    victims = httpsig.sign({"path": "add"}, keys["bob"])
    for path in ("/~simple-pay@1.0/debit", "/~p4@1.0/response", "/~p4@1.0/request"):
        attack = httpsig.sign({"path": path, "quantity": 900, "request": victims,
                               "body": {}}, keys["mallory"])
        try:
            node.resolve_status(None, attack)
        except aolab.errors.AolabError:
            pass
    assert balance(node, keys["bob"]) == 1000
    unsigned = {"path": "/~simple-pay@1.0/debit", "quantity": 900, "request": victims}
    status, _ = node.resolve_status(None, unsigned)
    assert status == "error" and balance(node, keys["bob"]) == 1000


def test_p4_hooks_called_on_a_users_own_base_do_nothing(keys):
    node = shop(keys, {keys["bob"].address: 1000})
    victims = httpsig.sign({"path": "add"}, keys["bob"])
    evil = {"device": "p4@1.0", "pricing-device": "simple-pay@1.0", "ledger-device": "simple-pay@1.0"}
    status, _ = node.resolve_status(evil, httpsig.sign({"path": "response", "request": victims,
                                                        "body": {}}, keys["mallory"]))
    assert status == "error" and balance(node, keys["bob"]) == 1000


def test_debit_refuses_a_negative_quantity_even_from_the_hook(keys):
    from devices import simple_pay
    node = shop(keys, {keys["bob"].address: 10})
    opts = {**node.opts(), "node-hook": "response"}
    with pytest.raises(aolab.errors.DeviceError, match="quantity"):
        simple_pay.debit({}, {"quantity": -50, "request": httpsig.sign({"path": "x"}, keys["bob"])},
                         opts)
    assert balance(node, keys["bob"]) == 10


@settings(max_examples=25, deadline=None)
@given(segments=st.lists(st.sampled_from(["~meta@1.0", "info", "build", "~counter@1.0", "add",
                                          "~p4@1.0", "balance", "count"]), min_size=1, max_size=5))
def test_property_a_request_is_free_only_if_it_resolves_only_free_keys(segments):
    from devices.p4 import _chargeable
    free = (len(segments) == 2 and (segments[0], segments[1]) in
            {("~meta@1.0", "info"), ("~meta@1.0", "build"), ("~p4@1.0", "balance")})
    assert _chargeable({"path": "/" + "/".join(segments)}) is not free
