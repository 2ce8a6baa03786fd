"""aolab.dist: many processes sharded over Dask workers, results merged and re-verified.

The first tests run in-process (no Dask needed); those that need a cluster start a
LocalCluster of two worker processes and are skipped when dask.distributed is missing.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

import aolab
from aolab import dist


def single_node_state(process, messages, slots):
    """What one ordinary node computes for a process spec."""
    lab = aolab.Node(record=False)
    spawned = lab.spawn(process)
    for message in messages:
        lab.schedule(spawned, message)
    return lab.compute(spawned, slot=slots - 1)


# -- in-process: the same API without a client --------------------------------------

def test_counter_processes_are_deterministic():
    runs = dist.compute_many(None, 4, slots=5)
    assert [run["state"]["count"] for run in runs] == [5 * i + 10 for i in range(4)]
    assert {run["worker"] for run in runs} == {"in-process"}


def test_results_equal_a_single_node():
    specs = dist.counter_processes(3, 6)
    runs = dist.compute_many(None, specs, slots=6)
    for run, (process, messages) in zip(runs, specs):
        state = single_node_state(process, messages, 6)
        assert run["hashpath"] == aolab.hashpath(state)
        assert aolab.id(run["state"]) == aolab.id(state)
        assert run["process_id"] == aolab.id({"device": "process@1.0", **process})


def test_explicit_specs_and_slots():
    process = {"execution-device": "counter@1.0", "label": "mine"}
    messages = [{"action": "add", "amount": 10}, {"action": "subtract", "amount": 3},
                {"action": "add", "amount": 1}]
    runs = dist.compute_many(None, [{"process": process, "messages": messages}], slots=2)
    assert runs[0]["state"]["count"] == 7 and runs[0]["state"]["at-slot"] == 1
    assert dist.compute_many(None, [(process, messages)])[0]["state"]["count"] == 8
    with pytest.raises(ValueError, match="cannot compute 4 slots"):
        dist.compute_many(None, [(process, messages)], slots=4)


def test_results_are_stored_on_the_lab_node():
    lab = aolab.Node(record=False)
    runs = dist.compute_many(lab, 2, slots=3)
    assert lab.fetch(runs[1]["hashpath"])["count"] == runs[1]["state"]["count"]
    assert lab.fetch(runs[1]["process_id"])["name"] == "counter-1"


def test_recording_on_and_off_give_the_same_results():
    on = dist.compute_many(None, 2, slots=4, record=True)
    off = dist.compute_many(None, 2, slots=4, record=False)
    assert [r["hashpath"] for r in on] == [r["hashpath"] for r in off]
    assert off[0]["steps"] is None and on[0]["steps"]
    with pytest.raises(ValueError, match="record=False"):
        off.trace  # noqa: B018


def test_merged_trace_is_the_union_by_hashpath():
    process = {"execution-device": "counter@1.0"}
    messages = [{"action": "add", "amount": 1}] * 3
    twice = dist.compute_many(None, [(process, messages), (process, messages)], record=True)
    once = dist.compute_many(None, [(process, messages)], record=True)
    assert len(twice.trace) == 2 * len(once.trace)          # every step of both runs
    assert twice.graph.number_of_nodes() == once.graph.number_of_nodes()   # shared: merged
    steps = twice.steps()
    assert list(steps["step"]) == list(range(len(twice.trace)))
    assert set(steps.loc[steps["key"] == "compute", "slot"].dropna()) == {0, 1, 2}


def test_merged_trace_matches_a_node_trace():
    process, messages = dist.counter_processes(1, 3)[0]
    lab = aolab.Node()
    spawned = lab.spawn(process)
    for message in messages:
        lab.schedule(spawned, message)
    lab.compute(spawned, slot=2)
    runs = dist.compute_many(None, [(process, messages)], record=True)
    got = runs.steps()[["key", "device", "status", "hashpath"]]
    want = lab.trace.steps()[["key", "device", "status", "hashpath"]]
    assert got.equals(want)
    assert repr(runs.trace.show(view="summary")).startswith("<Merkle tree:")


def test_verify_many_accepts_honest_results():
    runs = dist.compute_many(None, 3, slots=4, record=True)
    report = dist.verify_many(runs)
    assert report and report.counts() == {"verified": 3, "diverged": 0}
    summary = report.summary()
    assert summary.loc["all", "computed"] == 3 and summary.loc["all", "verified"] == 3


def test_a_forged_final_state_is_caught_and_named():
    runs = dist.compute_many(None, 3, slots=4)
    runs[1]["state"]["count"] += 1
    report = dist.verify_many(runs)
    assert not report and report.counts() == {"verified": 2, "diverged": 1}
    (row,) = report.diverged
    assert row["process_id"] == runs[1]["process_id"]
    assert row["slot"] == 3 and "count" in row["reason"]


def test_a_forged_step_is_named_by_slot():
    runs = dist.compute_many(None, 2, slots=5, record=True)
    steps = runs[0]["steps"]
    forged = next(i for i, s in enumerate(steps) if s["device"] == "counter@1.0" and s["slot"] == 2)
    steps[forged]["hashpath"] = "forged"
    (row,) = dist.verify_many(runs).diverged
    assert (row["process_id"], row["step"], row["slot"]) == (runs[0]["process_id"], forged, 2)


def test_a_forged_hashpath_or_schedule_is_caught():
    runs = dist.compute_many(None, 3, slots=3)
    runs[0]["hashpath"] = runs[1]["hashpath"]
    runs[2]["chain"] = runs[1]["chain"]
    rows = dist.verify_many(runs).rows
    assert [row["verified"] for row in rows] == [False, True, False]
    assert "hashpath" in rows[0]["reason"] and "hash chain" in rows[2]["reason"]


STACK = {"device": "stack@1.0", "device-stack": ["counter@1.0", "dedup@1.0", "counter@1.0"],
         "count": 1}
MAP_ADD = {"path": "add", "amount": 2, "mode": "map"}


def test_resolve_sharded_equals_one_machine():
    sharded = dist.resolve_sharded(STACK, MAP_ADD)
    single = aolab.resolve(STACK, MAP_ADD)
    assert aolab.id(sharded) == aolab.id(single)
    assert aolab.hashpath(sharded) == aolab.hashpath(single)
    assert sorted(sharded["priv"]["shards"]) == ["1", "2", "3"]


def test_resolve_sharded_stores_the_result_and_refuses_fold_mode():
    lab = aolab.Node()
    sharded = dist.resolve_sharded({**STACK, "mode": "map"}, {"path": "add", "amount": 2}, lab=lab)
    assert lab.fetch(aolab.hashpath(sharded))["1"]["count"] == 3
    with pytest.raises(aolab.errors.ResolutionError, match="map mode"):
        dist.resolve_sharded(STACK, {"path": "add"})
    with pytest.raises(aolab.errors.DeviceError, match="cannot be sharded"):
        dist.resolve_sharded({"device": "counter@1.0"}, MAP_ADD)


def test_without_dask_the_same_api_runs_in_process():
    code = ("import sys; sys.modules['distributed'] = None; sys.modules['dask'] = None\n"
            "from aolab import dist\n"
            "runs = dist.compute_many(None, 2, slots=3)\n"
            "assert dist.verify_many(runs) and runs[0]['worker'] == 'in-process'\n"
            "print('ok')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "ok", done.stderr


# -- on a LocalCluster of two worker processes ---------------------------------------

@pytest.fixture(scope="module")
def client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as connected:
        connected.wait_for_workers(2)
        yield connected


def test_compute_many_on_two_workers_equals_in_process(client):
    here = dist.compute_many(None, 12, slots=10, record=True)
    there = dist.compute_many(None, 12, slots=10, client=client, record=True, chunk=1)
    assert [r["hashpath"] for r in there] == [r["hashpath"] for r in here]
    assert [r["state"] for r in there] == [r["state"] for r in here]
    assert len({r["worker"] for r in there}) == 2
    assert there.graph.number_of_nodes() == here.graph.number_of_nodes()
    assert len(there.trace) == len(here.trace)
    assert there.dashboard.startswith("http")


def test_verification_runs_on_another_worker(client):
    runs = dist.compute_many(None, 8, slots=5, client=client, chunk=1)
    report = dist.verify_many(runs, client=client, chunk=1)
    assert report.counts() == {"verified": 8, "diverged": 0}
    assert all(row["verified_by"] != row["computed_by"] for row in report.rows)
    assert report.summary().loc["all", "checked"] == 8


def test_a_forging_worker_is_caught_and_named(client):
    forger = dist.workers_of(client)[0]

    def forge():
        import aolab.dist as d
        honest = d.compute_process

        def forged(*args, **kwargs):
            run = honest(*args, **kwargs)
            run["state"] = {**run["state"], "count": run["state"]["count"] + 1}
            return run
        d.compute_process, d.honest_compute_process = forged, honest

    def unforge():
        import aolab.dist as d
        d.compute_process = d.honest_compute_process

    client.run(forge, workers=[forger])
    try:
        runs = dist.compute_many(None, 10, slots=4, client=client, chunk=1)
    finally:
        client.run(unforge, workers=[forger])
    report = dist.verify_many(runs, client=client)
    by_forger = {r["process_id"] for r in runs if r["worker"] == forger}
    assert by_forger and {row["process_id"] for row in report.diverged} == by_forger
    assert all(row["verified_by"] != forger and row["slot"] == 3 and "count" in row["reason"]
               for row in report.diverged)
    assert report.summary().loc[forger, "diverged"] == len(by_forger)


def test_resolve_sharded_on_workers(client):
    sharded = dist.resolve_sharded(STACK, MAP_ADD, client=client)
    single = aolab.resolve(STACK, MAP_ADD)
    assert aolab.id(sharded) == aolab.id(single)
    assert aolab.hashpath(sharded) == aolab.hashpath(single)
    assert set(sharded["priv"]["shards"].values()) <= set(dist.workers_of(client))


def test_a_worker_killed_mid_run_loses_and_duplicates_nothing():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, \
            distributed.Client(cluster) as client:
        client.wait_for_workers(2)
        pids = client.run(os.getpid)
        victim = sorted(pids)[0]
        killed_after = []

        def kill_once(done, total):
            if not killed_after:
                os.kill(pids[victim], signal.SIGKILL)
                killed_after.append(done)

        runs = dist.compute_many(None, 40, slots=200, client=client, chunk=2, progress=kill_once)
        assert killed_after == [1]
        ids = [run["process_id"] for run in runs]
        assert len(ids) == len(set(ids)) == 40
        assert ids == [aolab.id({"device": "process@1.0", **p})
                       for p, _ in dist.counter_processes(40, 200)]
        # and once more while verifying: tasks placed on the dead worker are placed again
        pids = client.run(os.getpid)
        killed_during_verify = []

        def kill_again(done, total):
            if not killed_during_verify:
                os.kill(pids[sorted(pids)[0]], signal.SIGKILL)
                killed_during_verify.append(done)

        report = dist.verify_many(runs, client=client, chunk=2, progress=kill_again)
        assert killed_during_verify == [1]
        assert report.counts() == {"verified": 40, "diverged": 0}
        assert [row["process_id"] for row in report.rows] == ids
