"""The computations whose traces are kept here (see FORMAT.md).

``python data/traces/cases.py`` writes, for each case, ``<case>.jsonl`` (the
saved trace) and ``<case>.dot`` / ``<case>.csv`` (its DOT text and steps
table).  The DOT files were written once by aolab before step records existed
(commit 2e8f1c1), so the tests check that the drawing did not change.
"""
from __future__ import annotations

import pathlib

import aolab

HERE = pathlib.Path(__file__).resolve().parent


def message_get(lab):
    lab.resolve({"device": "message@1.0", "a": {"b": "RESULT"}}, "a/b")


def set_then_get(lab):
    result = lab.resolve({"a": {"b": "1"}, "n": 1}, {"path": "set", "c": 3})
    lab.resolve(result, "a/b")
    lab.resolve(result, "keys")


def failed_step(lab):
    try:
        lab.resolve({"a": {"b": "1"}}, "a/zz")
    except aolab.errors.KeyNotFound:
        pass


def nested_stack(lab):
    base = {"device": "stack@1.0", "device-stack": ["append@1.0", "append@1.0"],
            "separators": {"1": "+D1", "2": "+D2"}, "result": "INIT"}
    lab.resolve(base, {"path": "append", "bin": "2"})


CASES = {"message_get": message_get, "set_then_get": set_then_get,
         "failed_step": failed_step, "nested_stack": nested_stack}


def recorded(case: str):
    """A node that ran *case* (its trace recorded)."""
    lab = aolab.Node(name=case)
    CASES[case](lab)
    return lab


def drawings(trace) -> dict:
    """The views the tests compare, as DOT text."""
    from aolab.viz import to_dot
    return {view: to_dot(trace.graph, view) for view in ("full", "summary", "depth")}


if __name__ == "__main__":
    import sys
    for name in CASES:
        lab = recorded(name)
        if "--dot" in sys.argv:
            for view, text in drawings(lab.trace).items():
                (HERE / f"{name}.{view}.dot").write_text(text, encoding="utf-8")
        else:
            lab.trace.save(HERE / f"{name}.jsonl")
            columns = ["step", "parent", "depth", "device", "key", "status", "base", "request",
                       "result", "hashpath"]
            lab.trace.steps()[columns].to_csv(HERE / f"{name}.csv", index=False)
