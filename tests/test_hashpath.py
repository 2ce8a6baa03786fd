"""Ports of the eunit tests in HyperBEAM's hb_path.erl, and hashpath properties."""
from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import aolab
from aolab import hashpaths as hp
from aolab.errors import HashpathError
from aolab.path import path_parts, to_path


def test_hashpath():
    msg1 = {"priv": {"empty": "message"}}
    msg2 = {"priv": {"exciting": "message2"}}
    result = aolab.next_hashpath(msg1, msg2)
    assert isinstance(result, str) and len(result) == 87


def test_hashpath_direct_msg2():
    result = aolab.next_hashpath({"base": "message"}, {"path": "base"})
    assert result.split("/")[1] == "base"


def test_multiple_hashpaths():
    msg3 = {"priv": {"hashpath": aolab.next_hashpath({"empty": "message"}, {"exciting": "message2"})}}
    msg5 = aolab.next_hashpath(msg3, {"exciting": "message4"})
    assert isinstance(msg5, str) and len(msg5) == 87


def test_verify_hashpath():
    msg1 = {"test": "initial"}
    msg2 = {"firstapplied": "msg2"}
    msg3 = {"priv": {"hashpath": aolab.next_hashpath(msg1, msg2)}}
    msg4 = {"priv": {"hashpath": aolab.next_hashpath(msg2, msg3)}}
    msg3_fake = {"priv": {"hashpath": aolab.next_hashpath(msg4, msg2)}}
    assert aolab.verify_hashpath([msg1, msg2, msg3, msg4])
    assert not aolab.verify_hashpath([msg1, msg2, msg3_fake, msg4])


def test_pop_from_message():
    assert path_parts(["a", "b", "c"]) == ["a", "b", "c"]


def test_to_binary():
    assert to_path(["a", "b", "c"]) == "a/b/c"
    assert to_path("/a/b/c") == "a/b/c"
    assert to_path(["a", "b/c"]) == "a/b/c"


def test_term_to_path_parts():
    assert path_parts("/") == []
    assert path_parts("") is None
    assert path_parts("a") == ["a"]
    assert path_parts("//a//b/") == ["a", "b"]
    assert path_parts(7) == ["7"]


def test_chained_base_folds_with_sha256_chain():
    first = aolab.next_hashpath({"a": "1"}, {"b": "2"})
    head, tail = first.split("/")
    folded = hashlib.sha256(aolab.native_id(head) + aolab.native_id(tail)).digest()
    second = hp.join(first, "key")
    assert second == f"{aolab.human_id(folded)}/key"


def test_path_segment_folds_as_raw_bytes():
    first = hp.join("N0nIQ3Vna7YDxuRsaVTYeYS4glkmxD4HrUbZIwIvN_s", "key1")
    folded = hashlib.sha256(aolab.native_id("N0nIQ3Vna7YDxuRsaVTYeYS4glkmxD4HrUbZIwIvN_s") + b"key1").digest()
    assert hp.join(first, "key2") == f"{aolab.human_id(folded)}/key2"


def test_accumulate_256():
    a, b = (1).to_bytes(32, "big"), (2).to_bytes(32, "big")
    expected = (1 + int.from_bytes(hashlib.sha256(a + b).digest(), "big")) % (1 << 256)
    assert hp.accumulate_256(a, b) == expected.to_bytes(32, "big")


def test_hashpath_alg_key_selects_the_algorithm():
    base = {"hashpath-alg": "accumulate-256", "priv": {"hashpath": hp.join(aolab.id({"x": "1"}), "k")}}
    assert aolab.next_hashpath(base, {"path": "a"}) != aolab.next_hashpath(
        {"priv": base["priv"]}, {"path": "a"})


def test_unknown_hashpath_alg_is_an_error():
    with pytest.raises(HashpathError, match="hashpath-alg"):
        aolab.next_hashpath({"hashpath-alg": "md5"}, {"path": "a"})


def test_resolution_results_carry_their_hashpath():
    base = {"a": "1"}
    result = aolab.resolve(base, {"path": "set", "c": 3})
    assert aolab.hashpath(result) == f"{aolab.id(base)}/{aolab.id({'path': 'set', 'c': 3})}"
    assert aolab.verify_hashpath([base, {"path": "set", "c": 3}, result])


def test_multi_part_path_chains_hashpaths():
    base = {"a": {"b": {"c": "x"}}}
    b = aolab.resolve(base, "a/b")
    assert aolab.hashpath(b) == hp.join(hp.join(aolab.id(base), "a"), "b")


ids_strategy = st.binary(min_size=32, max_size=32).map(aolab.human_id)


@settings(max_examples=60, deadline=None)
@given(ids_strategy, st.lists(st.one_of(ids_strategy, st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True)),
                              min_size=1, max_size=6))
def test_chaining_is_deterministic_and_stays_two_parts(start, parts):
    first = second = start
    for part in parts:
        first, second = hp.join(first, part), hp.join(second, part)
    assert first == second
    head, tail = first.split("/")
    assert len(head) == 43 and tail == parts[-1]


@settings(max_examples=60, deadline=None)
@given(ids_strategy, ids_strategy, ids_strategy)
def test_a_different_request_gives_a_different_hashpath(start, r1, r2):
    if r1 != r2:
        assert hp.join(hp.join(start, r1), "k") != hp.join(hp.join(start, r2), "k")
