"""Shared fixtures: nodes over both store kinds, and a test device."""
from __future__ import annotations

import pytest

import aolab


class TestDevice:
    """test-device@1.0, as HyperBEAM's dev_test: ``test_func`` answers GOOD_FUNCTION."""

    NAME = "test-device@1.0"

    def test_func(self, base):
        return "GOOD_FUNCTION"


@pytest.fixture(params=["memory", "disk"])
def node(request, tmp_path):
    """A node with the test device, over an in-memory and an on-disk store."""
    store = None if request.param == "memory" else tmp_path / "store"
    lab = aolab.Node(name=f"test-{request.param}", store=store)
    lab.register_device("test-device@1.0", TestDevice)
    return lab


@pytest.fixture(autouse=True)
def _fresh_default_registry():
    """Devices registered with aolab.register_device never leak between tests."""
    yield
    aolab.reset_default_registry()
