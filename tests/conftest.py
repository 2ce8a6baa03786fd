"""Shared fixtures: nodes over both store kinds, and a test device."""
from __future__ import annotations

import pytest

import aolab


@pytest.fixture(params=["memory", "disk", "lmdb"])
def node(request, tmp_path):
    """A node over an in-memory, a file and an LMDB store (test-device@1.0 is preloaded)."""
    if request.param == "lmdb":
        store = aolab.LmdbStore(tmp_path / "lmdb", sync=False)  # a killed process loses nothing
    else:
        store = None if request.param == "memory" else tmp_path / "store"
    lab = aolab.Node(name=f"test-{request.param}", store=store)
    return lab


@pytest.fixture(autouse=True)
def _fresh_default_registry():
    """Devices registered with aolab.register_device never leak between tests."""
    yield
    aolab.reset_default_registry()
