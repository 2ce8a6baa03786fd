"""Property tests of the resolver: inputs never change, recording changes nothing."""
from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

import aolab

RESERVED = {"device", "path", "id", "keys", "set", "set-path", "remove", "verify", "commit",
            "commitments", "committers", "info", "set-mode", "hashpath-alg"}
keys = st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True).filter(
    lambda k: not k.startswith("priv") and k not in RESERVED)
scalars = st.one_of(st.text(max_size=20), st.integers(-10**6, 10**6), st.booleans(), st.none())
messages = st.recursive(
    st.dictionaries(keys, scalars, max_size=4),
    lambda inner: st.dictionaries(keys, st.one_of(scalars, inner), max_size=4),
    max_leaves=12,
)


def paths_into(message, prefix=()):
    """Every key path of *message*."""
    for key, value in message.items():
        yield prefix + (key,)
        if isinstance(value, dict):
            yield from paths_into(value, prefix + (key,))


@settings(max_examples=80, deadline=None)
@given(messages, st.data())
def test_get_follows_the_path_and_never_mutates(message, data):
    paths = list(paths_into(message))
    if not paths:
        return
    path = data.draw(st.sampled_from(paths))
    before = copy.deepcopy(message)
    value = aolab.resolve(message, "/".join(path))
    expected = message
    for key in path:
        expected = expected[key]
    if isinstance(expected, dict):
        assert {k: v for k, v in value.items() if k != "priv"} == expected
    else:
        assert value == expected
    assert message == before


@settings(max_examples=40, deadline=None)
@given(messages, st.dictionaries(keys, scalars, min_size=1, max_size=3))
def test_recording_never_changes_results_or_hashpaths(message, values):
    request = {"path": "set", **values}
    on, off = aolab.Node(), aolab.Node(record=False)
    r_on, r_off = on.resolve(message, request), off.resolve(message, request)
    assert r_on == r_off
    assert aolab.hashpath(r_on) == aolab.hashpath(r_off) == aolab.next_hashpath(message, request)
    assert len(on.trace) == 1 and len(off.trace) == 0


@settings(max_examples=40, deadline=None)
@given(messages, st.dictionaries(keys, scalars, min_size=1, max_size=3))
def test_set_then_get_returns_the_value(message, values):
    result = aolab.resolve(message, {"path": "set", **values})
    for key, value in values.items():
        assert aolab.resolve(result, key) == value
