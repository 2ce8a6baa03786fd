"""Tests that need an outside tool (see :mod:`aolab.tools`) say so, and are skipped with the
reason where it is missing, or fail where ``$AOLAB_REQUIRE_TOOLS`` is set (CI sets it, so a
test the README promises cannot silently stop running).

In tests: ``@pytest.mark.requires_tool("aos")``. In notebooks: a cell tagged
``requires-tool:aos`` (nbval runs each cell as a test item).
"""
from __future__ import annotations

import os

import pytest

from aolab import tools


def pytest_configure(config):
    config.addinivalue_line("markers", "requires_tool(*names): the test needs these outside tools "
                                       "(aolab.tools.TOOLS); skipped with the reason when missing")


def _needed(item) -> list[str]:
    names = [name for mark in item.iter_markers("requires_tool") for name in mark.args]
    cell = getattr(item, "cell", None)                      # an nbval notebook cell
    tags = (getattr(cell, "metadata", None) or {}).get("tags", []) if cell is not None else []
    return names + [tag.split(":", 1)[1] for tag in tags if tag.startswith("requires-tool:")]


def pytest_runtest_setup(item):
    for name in _needed(item):
        reason = tools.missing(name)
        if reason is None:
            continue
        if os.environ.get("AOLAB_REQUIRE_TOOLS"):
            pytest.fail(f"required tool {name!r} is missing ($AOLAB_REQUIRE_TOOLS is set): {reason}",
                        pytrace=False)
        pytest.skip(f"needs {name}: {reason}")
