"""Conformance: every vector in data/vectors/ids/ (computed by HyperBEAM b2743e4a)."""
from __future__ import annotations

import json
import pathlib

import pytest

import aolab

VECTORS = pathlib.Path(__file__).resolve().parents[1] / "data" / "vectors" / "ids"
CASES = [json.loads(line) for file in sorted(VECTORS.glob("*.jsonl"))
         for line in file.read_text().splitlines() if line.strip()]


def _by_op(op):
    return [pytest.param(case, id=case["name"]) for case in CASES if case["op"] == op]


@pytest.mark.parametrize("case", _by_op("id"))
def test_id_vector(case):
    assert aolab.id(case["msg"]) == case["id"]


@pytest.mark.parametrize("case", _by_op("hashpath"))
def test_hashpath_vector(case):
    current = case["base"]
    for request, expected in zip(case["reqs"], case["hashpaths"]):
        assert aolab.next_hashpath(current, request) == expected
        current = {"priv": {"hashpath": expected}}


def test_path_only_hashpath_vector_through_the_resolver():
    """hp_path_only_requests, with each step a real resolution whose result is a message."""
    case = next(c for c in CASES if c["name"] == "hp_path_only_requests")
    anything = {"info": lambda: {"handler": lambda key, base: {"seen": key}}}
    aolab.register_device("anything@1.0", anything)
    # Without a store nothing is written, so the resolver may start from a claimed
    # hashpath (a node with a store recomputes it: tests/test_trust_state.py).
    current = {"device": "anything@1.0", "priv": {"hashpath": aolab.id(case["base"])}}
    # The second request's path is "/key2/more"; only its first segment enters the hashpath.
    for request, expected in zip([case["reqs"][0], {"path": "key2"}], case["hashpaths"][:2]):
        current = aolab.resolve(current, request)
        assert aolab.hashpath(current) == expected
        current = {**current, "device": "anything@1.0"}


def test_vectors_are_present():
    assert len(CASES) >= 22
