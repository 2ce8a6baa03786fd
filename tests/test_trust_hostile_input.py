"""Trust, item 8: hostile input gets an aolab error, never a raw Python exception.

Each case is a message or path an attacker can send; the answer must be an
:class:`aolab.errors.AolabError` (or an ``error`` status), and the store and
the recorded trace stay consistent.
"""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aolab
from aolab import singleton
from aolab.codecs import structured
from aolab.errors import AolabError
from aolab.store import decode_value

ID = aolab.id({"a": "1"})


def _nested_list(depth):
    value = "a"
    for _ in range(depth):
        value = [value]
    return value


def _nested_query(depth, opener="(/a?k="):
    return "/a?k=" + opener * depth + "x" + ")" * depth


def _commitment(**fields):
    return {ID: {"commitment-device": "httpsig@1.0", "alg": "rsa-pss-sha512",
                 "committed": ["a"], **fields}}


HOSTILE_REQUESTS = {
    "path bytes not utf-8": b"\xff",
    "path bytes in a list": {"path": ["a", b"\xfe\xff"]},
    "path list 5,000 deep": {"path": _nested_list(5000)},
    "path list 100 deep": {"path": _nested_list(100)},
    "path of a float": {"path": 1.5},
    "path of a dict": {"path": {"a": 1}},
    "param with a surrogate": {"path": "a&\ud800=1"},
    "commitments as a list": {"path": "a", "commitments": ["x"]},
    "commitments as text": {"path": "a", "commitments": "x"},
    "commitments as an int": {"path": "a", "commitments": 5},
    "a signature that is an int": {"path": "a", "commitments": _commitment(signature=5, keyid="AQ")},
    "keyid AQ": {"path": "a", "commitments": _commitment(signature="AQ", keyid="AQ")},
    "keyid an int": {"path": "a", "commitments": _commitment(signature="AQ", keyid=7)},
    "committed not a list": {"path": "a", "commitments": _commitment(signature="AQ", keyid="AQ",
                                                                     committed=5)},
}


@pytest.mark.parametrize("name", sorted(HOSTILE_REQUESTS))
def test_hostile_requests_get_aolab_errors(node, name):
    try:
        status, _ = node.resolve_status({"a": {"b": 1}}, HOSTILE_REQUESTS[name])
    except AolabError:
        return
    assert status != "ok" or name in ("path list 5,000 deep",)  # never reached: refused


HOSTILE_BASES = {
    "device info is text": {"device": {"info": "x"}},
    "device info is a list": {"device": {"info": [1]}},
    "device info returns an int": {"device": {"info": lambda: 5}},
    "device is a list": {"device": ["pop"]},
    "device is an int": {"device": 5},
    "device is a float": {"device": 1.5},
    "device is a set": {"device": {"x"}},
    "device is a tuple": {"device": ("a",)},
    "device is true": {"device": True},
    "device is bytes not utf-8": {"device": b"\xff"},
    "a surrogate key inside": {"a": {"\ud800": 1}, "device": "message@1.0"},
    "a surrogate value inside": {"a": {"b": "\udcff"}},
}


@pytest.mark.parametrize("name", sorted(HOSTILE_BASES))
@pytest.mark.parametrize("key", ["a", "pop", "bit_length", "append", "keys", "__class__"])
def test_hostile_bases_get_aolab_errors(node, name, key):
    try:
        node.resolve_status(HOSTILE_BASES[name], key)
    except AolabError:
        pass
    if hasattr(node.store, "check"):  # nothing half-written
        report = node.store.check()
        assert report["corrupted"] == [] and report["dangling"] == []


@pytest.mark.parametrize("device", [["pop"], [1, 2], 5, 2.5, ("x",), {"x"}, frozenset(), bytearray(b"a")])
def test_builtin_methods_of_non_devices_are_never_handlers(device):
    with pytest.raises(aolab.errors.DeviceError, match="device"):
        aolab.resolve({"device": device}, "pop")


def test_an_object_made_for_it_is_still_a_device():
    class Shouter:
        NAME = "shouter@1.0"

        def shout(self, base):
            return str(base.get("word", "")).upper()

    assert aolab.resolve({"device": Shouter(), "word": "hi"}, "shout") == "HI"


@pytest.mark.parametrize("query", [
    _nested_query(1500), _nested_query(40), "/a/" + "(" * 2000 + ")" * 2000,
    "/a?k+resolve=" + "(/b?k+resolve=" * 500 + "x" + ")" * 500,
])
def test_deeply_nested_singleton_queries_are_path_errors(query):
    with pytest.raises(aolab.errors.PathError, match="deep|characters"):
        singleton.parse(query)


@pytest.mark.parametrize("key", ["².x", "¹.x", "٣.x", "𝟙.x", "1.x"])
def test_scope_keys_with_unicode_digits(key):
    try:
        messages = singleton.parse({"path": "/a/b", key: "1"})
    except AolabError:
        return
    assert isinstance(messages, list)


@pytest.mark.parametrize("typed", ["k+integer=x", "k+float=nan?", "k+list=((", "k+atom=%FF",
                                   "k+integer=" + "9" * 5000, "k+binary=%ZZ"])
def test_bad_typed_singleton_values(typed):
    try:
        singleton.parse("/a&" + typed)
    except AolabError:
        pass


@pytest.mark.parametrize("tabm", [["x"], "x", 5, None, {"ao-types": 5}, {"ao-types": b"\xff"},
                                  {"ao-types": b'a="list"', "a": {"x": b"1"}},
                                  {"ao-types": b'a="integer"', "a": b"zz"}, {"a": 5}])
def test_from_tabm_bad_input(tabm):
    with pytest.raises(AolabError):
        structured.from_tabm(tabm)


@pytest.mark.parametrize("kind,raw", [("integer", b"x"), ("float", b"nan?"), ("binary", 5),
                                      ("list", b"(("), ("atom", b"\xff"), ("nokind", b"1")])
def test_structured_decode_value_bad_input(kind, raw):
    with pytest.raises(AolabError):
        structured.decode_value(kind, raw)


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5),
                              st.binary(max_size=5)),
                    lambda inner: st.one_of(st.lists(inner, max_size=3),
                                            st.dictionaries(st.text(max_size=5), inner, max_size=3)),
                    max_leaves=10))
def test_property_decode_value_only_raises_store_errors(value):
    try:
        decode_value(value)
    except aolab.errors.StoreError:
        pass


@settings(max_examples=150, deadline=None)
@given(path=st.one_of(st.binary(max_size=20), st.text(max_size=30),
                      st.lists(st.one_of(st.text(max_size=8), st.binary(max_size=8), st.integers()),
                               max_size=5)),
       device=st.one_of(st.none(), st.integers(), st.lists(st.integers(), max_size=2),
                        st.text(max_size=12), st.binary(max_size=4)))
def test_property_any_path_and_device_give_aolab_errors(path, device):
    lab = aolab.Node(name="hostile", record=True, network=aolab.Network())
    base = {"a": {"b": 1}} if device is None else {"a": {"b": 1}, "device": device}
    try:
        lab.resolve_status(base, {"path": path})
    except AolabError:
        pass


@pytest.mark.parametrize("message", [{"\ud800": 1}, {"\ud800": {"x": 1}}, {"a": {"\udfff": "b"}},
                                     {"a": [{"\udc80": 1}]}])
def test_a_surrogate_key_given_to_aolab_id_is_an_encoding_error(message):
    """aolab.id on a key that is not valid Unicode: an EncodingError naming the key, not a
    UnicodeEncodeError from deep inside the codec."""
    with pytest.raises(aolab.errors.EncodingError, match="not valid Unicode"):
        aolab.id(message)
