"""Ports of HyperBEAM's hb_ao_test_vectors.erl (at b2743e4a), one test per case.

Each runs on a node over a memory and a disk store (the ``node`` fixture), as
HyperBEAM runs its suite under several store configurations.
"""
from __future__ import annotations

import pytest

import aolab
from aolab.errors import KeyNotFound


def device_with_keys_using_args():
    return {
        "key_using_only_state": lambda state: state["state_key"],
        "key_using_state_and_msg": lambda state, msg: state["state_key"] + msg["msg_key"],
        "key_using_all": lambda state, msg, opts: state["state_key"] + msg["msg_key"] + opts["opts_key"],
    }


def default_device():
    return {
        "info": lambda: {"default": lambda key, state: "DEFAULT"},
        "state_key": lambda state: "STATE",
    }


def handler_device():
    from devices import message as message_device

    def handler(key, base, request, opts):
        if key == "set":
            return message_device.set(base, request)
        return "HANDLER VALUE"
    return {"info": lambda: {"handler": handler}}


def test_resolve_simple(node):
    assert node.resolve({"a": "RESULT"}, "a") == "RESULT"


def test_resolve_id(node):
    assert len(node.resolve({"test_key": "1"}, "id")) == 43


def test_resolve_key_twice(node):
    assert node.resolve({"a": "1"}, "a") == "1"
    assert node.resolve({"a": "1"}, "a") == "1"


def test_resolve_from_multiple_keys(node):
    assert node.resolve({"a": "1", "priv_a": "2"}, "keys") == ["a"]


def test_resolve_path_element(node):
    assert node.resolve({"path": ["test_path"]}, "path") == ["test_path"]
    assert node.resolve({"Path": ["a"]}, "Path") == ["a"]


def test_key_to_binary():
    assert aolab.normalize_key("a") == "a"
    assert aolab.normalize_key("A") == "a"
    assert aolab.normalize_key(1) == "1"


def test_resolve_binary_key(node):
    assert node.resolve({"a": "RESULT"}, "a") == "RESULT"
    assert node.resolve({"Test-Header": "1"}, "Test-Header") == "1"


def test_key_from_id_device_with_args(node):
    msg = {"device": device_with_keys_using_args(), "state_key": "1"}
    assert node.resolve(msg, {"path": "key_using_only_state", "msg_key": "2"}) == "1"
    assert node.resolve(msg, {"path": "key_using_state_and_msg", "msg_key": "3"}) == "13"
    assert node.resolve(msg, {"path": "key_using_all", "msg_key": "3"}, opts_key="37") == "1337"


def test_device_with_handler_function(node):
    msg = {"device": handler_device(), "test_key": "BAD"}
    assert node.resolve(msg, "test_key") == "HANDLER VALUE"


def test_device_with_default_handler_function(node):
    msg = {"device": default_device()}
    assert node.resolve(msg, "state_key") == "STATE"
    assert node.resolve(msg, "any_random_key") == "DEFAULT"


def test_basic_get(node):
    msg = {"key1": "value1", "key2": "value2"}
    assert aolab.get(msg, "key1", **node.opts()) == "value1"
    assert aolab.get(msg, "key2", **node.opts()) == "value2"
    assert aolab.get(msg, ["key2"], **node.opts()) == "value2"


NESTED = {
    "key1": "value1",
    "key2": {"key3": "value3", "key4": {"key5": "value5", "key6": {"key7": "value7"}}},
}


def test_recursive_get(node):
    assert node.resolve(NESTED, {"path": "key1"}) == "value1"
    assert node.resolve(NESTED, {"path": ["key2", "key3"]}) == "value3"
    assert node.resolve(NESTED, "key2/key3") == "value3"


def test_deep_recursive_get(node):
    assert node.resolve(NESTED, "key2/key4/key6/key7") == "value7"


def test_basic_set(node):
    updated = aolab.set({"key1": "value1", "key2": "value2"}, {"key1": "new_value1"}, **node.opts())
    assert updated["key1"] == "new_value1" and updated["key2"] == "value2"


def test_get_with_device(node):
    msg = {"device": device_with_keys_using_args(), "state_key": "STATE"}
    assert node.resolve(msg, "state_key") == "STATE"
    assert node.resolve(msg, "key_using_only_state") == "STATE"


def test_get_as_with_device(node):
    msg = {"device": handler_device(), "test_key": "ACTUAL VALUE"}
    assert node.resolve(msg, "test_key") == "HANDLER VALUE"
    assert node.resolve(msg, "test_key~message@1.0") == "ACTUAL VALUE"


def test_set_with_device(node):
    def counting_set(state, _msg):
        return {**state, "set_count": state.get("set_count", "") + "."}

    msg = {"device": {"set": counting_set}, "state_key": "STATE"}
    assert node.resolve(msg, "state_key") == "STATE"
    once = aolab.set(msg, {"state_key": "SET_ONCE"}, **node.opts())
    assert node.resolve(once, "set_count") == "."
    twice = aolab.set(once, {"state_key": "SET_TWICE"}, **node.opts())
    assert node.resolve(twice, "set_count") == ".."
    assert node.resolve(twice, "state_key") == "STATE"


def test_deep_set(node):
    msg0 = {"a": {"b": "RESULT"}}
    assert aolab.set(msg0, "a/b", "RESULT2", **node.opts())["a"]["b"] == "RESULT2"
    assert aolab.set(msg0, ["a", "b"], "RESULT2", **node.opts())["a"]["b"] == "RESULT2"
    msg = {"a": {"b": {"c": "1"}}}
    assert aolab.set(msg, ["a", "b", "c"], "2", **node.opts())["a"]["b"]["c"] == "2"


def test_deep_set_new_messages(node):
    msg0 = {"a": {"b": {"c": "1"}}}
    msg1 = aolab.set(msg0, "d/e", "3", **node.opts())
    msg2 = aolab.set(msg1, "d/f", "4", **node.opts())
    assert _public(msg2) == {"a": {"b": {"c": "1"}}, "d": {"e": "3", "f": "4"}}
    msg3 = aolab.set(msg2, {"z/a": "0", "z/b": "1", "z/y/x": "2"}, **node.opts())
    assert _public(msg3)["z"] == {"a": "0", "b": "1", "y": {"x": "2"}}


def test_deep_set_with_device(node):
    def flagging_set(msg1, msg2):
        key, value = sorted((k, v) for k, v in msg2.items() if k not in ("path", "priv"))[0]
        return {**msg1, key: value, "modified": True}

    device = {"set": flagging_set}
    msg = {
        "device": device,
        "a": {"b": {"device": device, "c": "1", "modified": False}, "modified": False},
        "modified": False,
    }
    outer = aolab.set(msg, "a/b/c", "2", **node.opts())
    a = node.resolve(outer, "a")
    b = node.resolve(a, "b")
    assert node.resolve(b, "c") == "2"
    assert node.resolve(outer, "modified") is True
    assert node.resolve(a, "modified") is False
    assert node.resolve(b, "modified") is True


def test_device_exports(node):
    from aolab.resolve import is_exported

    assert is_exported({}, "info") and is_exported({}, "set")
    assert is_exported({}, "not_explicitly_exported")
    info = {"exports": ["set"]}
    assert is_exported(info, "info") and is_exported(info, "set")
    assert not is_exported(info, "not_exported")
    dev2 = {"info": lambda: {"exports": ["test1", "Test2"], "handler": lambda: "Handler-Value"}}
    msg3 = {"device": dev2, "Test1": "BAD1", "test3": "GOOD3"}
    assert node.resolve(msg3, "test1") == "Handler-Value"
    assert node.resolve(msg3, "test2") == "Handler-Value"
    assert node.resolve(msg3, "test3") == "GOOD3"
    assert node.resolve(aolab.set(msg3, "Test4", "GOOD4", **node.opts()), "Test4") == "GOOD4"
    with pytest.raises(KeyNotFound):
        node.resolve(msg3, "test5")


def test_device_excludes(node):
    from aolab.resolve import is_exported

    dev = {"info": lambda: {"excludes": ["set"], "handler": lambda: "Handler-Value"}}
    msg = {"device": dev, "Test-Key": "Test-Value"}
    info = dev["info"]()
    assert is_exported(info, "test-key2") and not is_exported(info, "set")
    assert node.resolve(msg, "test-key2") == "Handler-Value"
    assert aolab.set(msg, "test-key2", "2", **node.opts())["test-key2"] == "2"


def test_denormalized_device_key(node):
    msg = {"Device": "test-device@1.0"}
    assert node.resolve(msg, "device") == "test-device@1.0"
    assert node.resolve(msg, "test_func") == "GOOD_FUNCTION"


def test_list_transform(node):
    msg = ["A", "B", "C", "D", "E"]
    assert [node.resolve(msg, i) for i in range(1, 6)] == ["A", "B", "C", "D", "E"]


def test_start_as(node):
    assert node.resolve("/~test-device@1.0/test_func") == "GOOD_FUNCTION"


def test_start_as_with_parameters(node):
    msg = {"device": "test-device@1.0", "test_func": {"test_key": "MESSAGE"}}
    assert node.resolve(msg, "test_func") == "GOOD_FUNCTION"


def test_load_as(node):
    msg = {"device": "test-device@1.0", "test_func": {"test_key": "MESSAGE"}}
    msg_id = node.write(msg)
    assert node.resolve(f"/{msg_id}~message@1.0/test_func/test_key") == "MESSAGE"


def test_as_path(node):
    msg = {"device": "test-device@1.0", "test_func": {"test_key": "MESSAGE"}}
    assert node.resolve(msg, "test_func") == "GOOD_FUNCTION"
    assert node.resolve(msg, "test_func~message@1.0")["test_key"] == "MESSAGE"


def test_continue_as(node):
    msg = {"device": "test-device@1.0", "test_func": {"test_key": "MESSAGE"}}
    assert node.resolve(msg, "/~message@1.0/test_func/test_key") == "MESSAGE"


def _public(message):
    if isinstance(message, dict):
        return {k: _public(v) for k, v in message.items() if k != "priv"}
    return message
