"""Tests that need an outside tool (see :mod:`aolab.tools`): ``require(tool)`` skips the running
test with the reason where the tool is missing, or fails it where ``$AOLAB_REQUIRE_TOOLS`` is set
(CI sets it, so a test the README promises cannot silently stop running). The root
``conftest.py`` applies it to the ``requires_tool`` marker and to notebook cells tagged
``requires-tool:<name>``; fixtures call it directly (``from tests.needs import require``).
"""
from __future__ import annotations

import os

import pytest

from aolab import tools


def require(tool: str) -> None:
    reason = tools.missing(tool)
    if reason is None:
        return
    if os.environ.get("AOLAB_REQUIRE_TOOLS"):
        pytest.fail(f"required tool {tool!r} is missing ($AOLAB_REQUIRE_TOOLS is set): {reason}",
                    pytrace=False)
    pytest.skip(f"needs {tool}: {reason}")
