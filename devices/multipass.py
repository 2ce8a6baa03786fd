"""multipass@1.0: asks its stack for another pass until ``passes`` is reached.

For every key (except ``set``, ``keys``, ``snapshot``, ``normalize``): while the state's ``pass`` is below its ``passes`` (both default
1) it answers ``pass``, which makes stack@1.0 start again from its first
device; then ``ok``.

>>> import aolab
>>> aolab.resolve_status({"device": "multipass@1.0", "passes": 2, "pass": 1}, "compute")[0]
'pass'

Reference: HyperBEAM src/dev_multipass.erl at b2743e4a.
"""
from __future__ import annotations

NAME = "multipass@1.0"


def info():
    """The device's info: one handler for every key but message@1.0's own."""
    return {"handler": handle, "excludes": ["set", "keys", "snapshot", "normalize"]}


def handle(key, base):
    """``pass`` while ``pass < passes``, else ``ok``."""
    if int(base.get("pass", 1)) < int(base.get("passes", 1)):
        return "pass", base
    return base
