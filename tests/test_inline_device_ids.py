"""Inline devices get IDs as in HyperBEAM: a function is encoded by a stable reference
(HyperBEAM writes ``erlang:fun_to_list``), so messages holding them have IDs and hashpaths."""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import aolab
from aolab.codecs.structured import function_reference

ROOT = pathlib.Path(__file__).resolve().parents[1]


def adder(n):
    """An inline device adding *n* to ``count`` on ``compute``."""
    return {"compute": lambda base, request: {**base, "count": base.get("count", 0) + n}}


def test_a_stack_of_inline_devices_has_one_hashpath_from_the_base_id():
    base = {"device": "stack@1.0", "device-stack": [adder(1), adder(2)], "count": 0}
    result = aolab.resolve(base, "compute")
    assert result["count"] == 3
    assert aolab.hashpath(result) == f"{aolab.id(base)}/compute"


def test_references_name_the_code_and_its_values():
    assert function_reference(adder(1)["compute"]) == function_reference(adder(1)["compute"])
    assert function_reference(adder(1)["compute"]) != function_reference(adder(2)["compute"])
    assert function_reference(adder(1)["compute"]).startswith(
        "#Fun<adder.<locals>.<lambda>.")
    assert aolab.id({"device": adder(1)}) != aolab.id({"device": adder(2)})
    reference = function_reference(adder(1)["compute"])
    assert aolab.id({"device": adder(1)}) == aolab.id({"device": {"compute": reference}})


def test_references_are_the_same_on_every_run():
    script = ("import aolab; from tests.test_inline_device_ids import adder; "
              "print(aolab.id({'device': 'stack@1.0', 'device-stack': [adder(1), adder(2)]}))")
    seen = set()
    for seed in ("0", "1", "random"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True,
                             capture_output=True, text=True).stdout.strip()
        seen.add(out)
    assert len(seen) == 1
    assert seen == {aolab.id({"device": "stack@1.0", "device-stack": [adder(1), adder(2)]})}


def test_inline_results_survive_a_disk_store(tmp_path):
    lab = aolab.Node(store=tmp_path / "store")
    base = {"device": adder(5), "count": 1}
    result = lab.resolve(base, "compute")
    stored = lab.read(aolab.hashpath(result))
    assert stored["count"] == 6 and aolab.id(stored) == aolab.id(result)
