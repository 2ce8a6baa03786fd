"""Resolving hostile input never crashes: it answers or raises an aolab error.

Each property is a plain ``check_*`` function and the strategies it takes
(``PROPERTIES``); the tests here run a few hundred examples of each, and
``tests/fuzz/run_fuzz.py`` runs the same checks for as long as it is given.
"""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings

import aolab
from aolab.errors import AolabError
from tests.fuzz.strategies import hostile_messages, hostile_paths, hostile_requests

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NODE = aolab.Node(name="fuzz", record=True)


def check_resolve(message, request):
    """A hostile message and request: an answer or an aolab error, and the node still works."""
    try:
        NODE.resolve_status(message, request)
    except AolabError:
        pass
    assert NODE.resolve({"a": 1}, "a") == 1
    NODE.trace.clear()


def check_id(message):
    """IDs never depend on key order; a message that cannot have one is refused."""
    try:
        first = aolab.id(message)
    except AolabError:
        return
    assert aolab.id(dict(reversed(list(message.items())))) == first


def check_paths(path):
    """The path parsers answer or raise an aolab error."""
    from aolab import singleton
    from aolab.path import parse_segment, path_parts
    for parse in (path_parts, singleton.parse):
        try:
            parse(path)
        except AolabError:
            pass
    try:
        parts = path_parts(path) or []
    except AolabError:
        return
    for part in parts:
        try:
            parse_segment(part)
        except AolabError:
            pass


def check_codec(message):
    """structured@1.0 round trip keeps the ID (or the message is refused)."""
    from aolab.codecs import structured
    try:
        tabm = structured.to_tabm(message)
        expected = aolab.id(message, committers="none")
    except AolabError:
        return
    again = structured.from_tabm(tabm)
    assert aolab.id(again, committers="none") == expected


PROPERTIES = {
    "resolve-never-crashes": (check_resolve, (hostile_messages, hostile_requests)),
    "id-deterministic": (check_id, (hostile_messages,)),
    "path-parsers": (check_paths, (hostile_paths,)),
    "codec-round-trip": (check_codec, (hostile_messages,)),
}


@FUZZ
@given(hostile_messages, hostile_requests)
def test_resolve_never_crashes(message, request):
    check_resolve(message, request)


@FUZZ
@given(hostile_messages)
def test_id_is_deterministic_or_refused(message):
    check_id(message)


@FUZZ
@given(hostile_paths)
def test_path_parsers_never_crash(path):
    check_paths(path)


@FUZZ
@given(hostile_messages)
def test_codec_round_trip_or_refused(message):
    check_codec(message)
