"""Browser tests run only when asked for: they start JupyterLab and a headless Chromium.

The plain ``pytest`` run (testpaths include ``tests``) skips collecting this folder, so
``make test`` stays fast.  Ask for them with ``make browser-test``, or run pytest on this
folder (or a file in it) explicitly, or set ``AOLAB_BROWSER_TESTS=1``.
"""
from __future__ import annotations

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _asked_for(config) -> bool:
    if os.environ.get("AOLAB_BROWSER_TESTS") == "1":
        return True
    for arg in config.invocation_params.args:
        if arg.startswith("-"):
            continue
        path = Path(config.invocation_params.dir, arg.split("::")[0]).resolve()
        if path == HERE or HERE in path.parents:
            return True
    return False


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: starts JupyterLab and drives headless Chromium")


def pytest_ignore_collect(collection_path, config):
    if collection_path.name.startswith("test_") and not _asked_for(config):
        return True
    return None
