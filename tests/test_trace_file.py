"""Steps as data: traces saved one step per line, and drawings replayed from them.

The cases are in ``data/traces/cases.py``; their DOT files were written by aolab
before step records existed, so these tests also pin that drawing did not change.
"""
from __future__ import annotations

import pathlib
import runpy

import pandas as pd
import pytest

import aolab
from aolab.step import COLUMNS, Step
from aolab.trace_file import decode, encode, load

TRACES = pathlib.Path(__file__).resolve().parent.parent / "data" / "traces"
CASES = runpy.run_path(str(TRACES / "cases.py"), run_name="cases")
NAMES = sorted(CASES["CASES"])
VIEWS = ("full", "summary", "depth")


@pytest.mark.parametrize("name", NAMES)
def test_a_saved_trace_draws_the_golden_dot_text(name):
    trace = aolab.Trace.load(TRACES / f"{name}.jsonl")
    for view, text in CASES["drawings"](trace).items():
        assert text == (TRACES / f"{name}.{view}.dot").read_text(encoding="utf-8"), view


@pytest.mark.parametrize("name", NAMES)
def test_a_live_trace_draws_what_it_drew_before_step_records(name):
    lab = CASES["recorded"](name)
    for view, text in CASES["drawings"](lab.trace).items():
        assert text == (TRACES / f"{name}.{view}.dot").read_text(encoding="utf-8"), view


@pytest.mark.parametrize("name", NAMES)
def test_a_saved_trace_gives_the_golden_steps_table(name):
    table = aolab.Trace.load(TRACES / f"{name}.jsonl").steps()
    golden = pd.read_csv(TRACES / f"{name}.csv", dtype=str, keep_default_na=False)
    got = table[list(golden.columns)].astype(object).where(table[list(golden.columns)].notna(), "")
    assert got.astype(str).values.tolist() == golden.values.tolist()


@pytest.mark.parametrize("name", NAMES)
def test_saving_and_loading_keeps_every_record(name, tmp_path):
    lab = CASES["recorded"](name)
    again = aolab.Trace.load(lab.trace.save(tmp_path / "trace.jsonl"))
    for live, loaded in zip(lab.trace.records, again.records, strict=True):
        fields = COLUMNS + ("kind", "base_hashpath", "request_part", "error")
        # the columns, kind, hashpaths, timing, error
        assert [live.get(f) for f in fields] == [loaded.get(f) for f in fields]
        assert live.base_message == loaded.base_message
        assert isinstance(loaded, Step)


def test_typed_json_keeps_bytes_tuples_and_dollar_keys():
    value = {"b": b"\x00\xff", "t": (1, "x"), "$odd": [1.5, None, True], "n": {"$bytes": "AA=="}}
    assert decode(encode(value)) == value


def test_a_file_that_is_not_a_trace_is_refused(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text('{"format": "other"}\n')
    with pytest.raises(ValueError, match="not an aolab trace file"):
        load(path)
