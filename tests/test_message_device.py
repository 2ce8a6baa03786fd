"""Ports of the eunit tests in HyperBEAM's dev_message.erl (at b2743e4a)."""
from __future__ import annotations

import pytest

import aolab
from aolab.errors import KeyNotFound, MessageError
from devices import message as message_device


def public(message):
    return {k: v for k, v in message.items() if k != "priv"}


def test_keys_from_device():
    assert aolab.resolve({"a": 1}, "keys") == ["a"]


def test_case_insensitive_get():
    assert aolab.resolve({"a": 1}, "a") == 1
    assert aolab.resolve({"A": 1}, "a") == 1
    assert aolab.resolve({"a": 1}, "A") == 1
    assert aolab.resolve({"A": 1}, "A") == 1


def test_private_keys_are_filtered():
    assert aolab.resolve({"a": 1, "private": 2}, "keys") == ["a"]
    assert aolab.resolve({"a": 1, "priv_foo": 4}, "keys") == ["a"]


def test_cannot_get_private_keys():
    with pytest.raises(KeyNotFound, match="private"):
        aolab.resolve({"a": 1, "private_key": 2}, "private_key", hashpath="ignore")


def test_key_from_device():
    assert aolab.resolve({"a": 1}, "a") == 1


def test_remove():
    msg = {"key1": "Value1", "key2": "Value2"}
    assert public(aolab.resolve(msg, {"path": "remove", "item": "key1"})) == {"key2": "Value2"}
    assert public(aolab.resolve(msg, {"path": "remove", "items": ["key1", "key2"]})) == {}


def test_remove_needs_an_item():
    with pytest.raises(MessageError, match="item"):
        aolab.resolve({"a": 1}, {"path": "remove"})


def test_set_conflicting_keys():
    result = aolab.resolve({"dangerous": "Value1"}, {"path": "set", "dangerous": "Value2"})
    assert result["dangerous"] == "Value2"


def test_unset_with_set():
    result = aolab.resolve({"dangerous": "Value1"}, {"path": "set", "dangerous": aolab.UNSET},
                           hashpath="ignore")
    assert public(result) == {}


def test_deep_unset():
    msg1 = {"test-key1": "Value1", "deep": {"test-key2": "Value2", "test-key3": "Value3"}}
    msg2 = aolab.set(msg1, {"deep/test-key2": aolab.UNSET})
    assert public(msg2) == {"test-key1": "Value1", "deep": {"test-key3": "Value3"}}
    msg3 = aolab.set(msg2, "deep/test-key3", aolab.UNSET)
    assert public(msg3) == {"test-key1": "Value1", "deep": {}}
    msg4 = aolab.set(msg3, {"deep": aolab.UNSET})
    assert public(msg4) == {"test-key1": "Value1"}


def test_set_deep_merges_nested_messages():
    result = aolab.resolve({"a": {"x": 1}}, {"path": "set", "a": {"y": 2}})
    assert result["a"] == {"x": 1, "y": 2}


def test_set_explicit_mode_replaces():
    result = aolab.resolve({"a": {"x": 1}}, {"path": "set", "a": {"y": 2}, "set-mode": "explicit"})
    assert result["a"] == {"y": 2}


def test_set_path_key_in_request_is_deep():
    result = aolab.resolve({"a": {"b": {"c": 1}}}, {"path": "set", "a/b/c": 2})
    assert result["a"]["b"]["c"] == 2


def test_set_path():
    result = aolab.resolve({"a": 1}, {"path": "set-path", "value": "/x"}, hashpath="ignore")
    assert result["path"] == "/x"


def test_set_never_copies_reserved_keys():
    result = aolab.resolve({"a": 1}, {"path": "set", "b": 2, "id": "x", "keys": "y"})
    assert public(result) == {"a": 1, "b": 2}


def test_set_does_not_mutate_its_inputs():
    base = {"a": {"b": 1}}
    request = {"path": "set", "a": {"c": 2}}
    aolab.resolve(base, request)
    assert base == {"a": {"b": 1}} and request == {"path": "set", "a": {"c": 2}}


def test_id_key_is_the_message_id():
    msg = {"a": "1"}
    assert aolab.resolve(msg, "id") == aolab.id(msg) == "N0nIQ3Vna7YDxuRsaVTYeYS4glkmxD4HrUbZIwIvN_s"


def test_verify_hmac_commitment():
    signed = aolab.resolve({"a": "b"}, "commit")
    assert aolab.resolve({"device": "message@1.0"}, {"path": "verify", "body": signed}) is True
    assert aolab.resolve({}, {"path": "verify", "body": signed}) is True
    tampered = {**signed, "a": "c"}
    assert aolab.resolve({}, {"path": "verify", "body": tampered}) is False


def test_committers_of_unsigned_message_is_empty():
    assert aolab.resolve({"a": 1}, "committers") == []


def test_module_handlers_are_only_its_own_functions():
    from aolab.registry import Device

    device = Device("message@1.0", message_device)
    assert device.function("normalize-key") is None  # imported, not a handler
    assert device.function("keys") is not None


def test_id_kinds_and_committed_keys_through_the_device():
    """dev_message:id/committed: the device answers what aolab.id and httpsig answer."""
    from aolab import wallet
    from aolab.codecs import httpsig
    signed = httpsig.sign({"a": "1", "n": 2}, wallet.load(wallet.test_wallet_path("alice")))
    for kind in (None, "all", "signed", "none"):
        request = {"path": "id"} if kind is None else {"path": "id", "committers": kind}
        assert aolab.resolve(signed, request) == aolab.id(signed, committers=kind)
    assert aolab.resolve(signed, "committed") == ["a", "ao-types", "n", "signature", "signature-input"]
    assert aolab.resolve({"a": 1}, "committed") == []
