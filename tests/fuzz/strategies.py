"""Hypothesis strategies for hostile input: messages and paths other people wrote.

Used by the normal suite (``tests/test_fuzz_properties.py``, a few hundred
examples) and by the long-run target ``tests/fuzz/run_fuzz.py``.
"""
from __future__ import annotations

from hypothesis import strategies as st

# Keys: anything a JSON or HTTP client could send, case variants and all.
hostile_keys = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "A", "a", "Path", "path", "device", "DEVICE", "priv", "priv-x",
                     "commitments", "id", "keys", "set", "..", "a/b", "~x@1.0", "x" * 43]),
    st.integers(-5, 5),
)
hostile_scalars = st.one_of(
    st.text(max_size=30),
    st.binary(max_size=30),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
)
hostile_messages = st.recursive(
    st.dictionaries(hostile_keys, hostile_scalars, max_size=5),
    lambda inner: st.dictionaries(
        hostile_keys, st.one_of(hostile_scalars, inner, st.lists(st.one_of(hostile_scalars, inner), max_size=3)),
        max_size=5),
    max_leaves=15,
)
path_pieces = st.sampled_from(["a", "b", "A", "", "..", ".", "~message@1.0", "~nope@1.0",
                               "~counter@1.0", "keys", "set", "id", "x&k=v", "x?k=v", "&", "?",
                               "~", "a~b", "count", "add", "(x)", "%2F", "x" * 43])
hostile_paths = st.one_of(
    st.text(max_size=40),
    st.lists(path_pieces, max_size=6).map("/".join),
    st.lists(path_pieces, max_size=6).map(lambda parts: "/" + "/".join(parts)),
)
hostile_requests = st.one_of(
    hostile_paths,
    st.builds(lambda path, extra: {**extra, "path": path}, hostile_paths,
              st.dictionaries(st.text(max_size=8), hostile_scalars, max_size=3)),
)
