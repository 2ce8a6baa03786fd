"""Tests that need an outside tool say so (``tests/needs.py`` has the rule): in tests with
``@pytest.mark.requires_tool("aos")``; in notebooks with a cell tagged ``requires-tool:aos``
(nbval runs each cell as a test item), or for a whole notebook with its metadata
``{"aolab": {"requires-tools": ["arlocal"]}}`` (``REQUIRES`` in its source file)."""
from __future__ import annotations

from tests.needs import require


def pytest_configure(config):
    config.addinivalue_line("markers", "requires_tool(*names): the test needs these outside tools "
                                       "(aolab.tools.TOOLS); skipped with the reason when missing")


def _needed(item) -> list[str]:
    names = [name for mark in item.iter_markers("requires_tool") for name in mark.args]
    cell = getattr(item, "cell", None)                      # an nbval notebook cell
    if cell is None:
        return names
    tags = (getattr(cell, "metadata", None) or {}).get("tags", [])
    notebook = getattr(getattr(item, "parent", None), "nb", None)
    whole = ((getattr(notebook, "metadata", None) or {}).get("aolab") or {}).get("requires-tools", [])
    return names + list(whole) + [tag.split(":", 1)[1] for tag in tags if tag.startswith("requires-tool:")]


def pytest_runtest_setup(item):
    for name in _needed(item):
        require(name)
