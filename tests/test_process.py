"""scheduler@1.0 and process@1.0: ports of dev_scheduler.erl / dev_process.erl eunit
cases that apply to a local node, plus determinism and tamper detection."""
from __future__ import annotations

import networkx as nx
import pytest

import aolab
from devices import scheduler


def counter_process(**extra):
    return {"device": "process@1.0", "scheduler-device": "scheduler@1.0",
            "execution-device": "stack@1.0", "device-stack": ["dedup@1.0", "counter@1.0"],
            "type": "Process", **extra}


def dev_test_process():
    """dev_process:dev_test_process/0: a stack of two test-devices."""
    return {"device": "process@1.0", "scheduler-device": "scheduler@1.0", "type": "Process",
            "execution-device": "stack@1.0",
            "device-stack": ["test-device@1.0", "test-device@1.0"]}


def schedule_test_message(node, process, text):
    return node.resolve(process, {"path": "schedule", "method": "POST",
                                  "body": {"type": "Message", "test-label": text}})


# -- scheduler@1.0 ---------------------------------------------------------------

def test_schedule_message_and_get_slot(node):
    proc = node.spawn(counter_process())
    first = schedule_test_message(node, proc, "TEST TEXT 1")
    second = schedule_test_message(node, proc, "TEST TEXT 2")
    assert (first["slot"], second["slot"]) == (0, 1)
    assert first["process"] == second["process"] == aolab.id(proc)
    slot = node.resolve(proc, {"path": "slot", "method": "GET"})
    assert slot == {"process": aolab.id(proc), "current": 1, "priv": slot["priv"]}


@pytest.mark.parametrize("process", [counter_process, dev_test_process])
def test_get_local_schedule(node, process):
    """dev_scheduler:get_local_schedule_test/0 and dev_process:schedule_on_process_test/0."""
    proc = node.spawn(process())
    schedule_test_message(node, proc, "TEST TEXT 1")
    schedule_test_message(node, proc, "TEST TEXT 2")
    got = node.resolve(proc, {"path": "schedule", "method": "GET"})
    assert got["assignments"]["0"]["body"]["test-label"] == "TEST TEXT 1"
    assert got["assignments"]["1"]["body"]["test-label"] == "TEST TEXT 2"
    assert node.resolve(proc, "schedule/assignments/1/body/test-label") == "TEST TEXT 2"


def test_schedule_from_to_cursors(node):
    proc = node.spawn(counter_process())
    for n in range(5):
        node.schedule(proc, {"action": "add", "amount": n})
    window = node.resolve(proc, {"path": "schedule", "from": 1, "to": 3})
    assert sorted(window["assignments"]) == ["1", "2", "3"] and window["continues"] is False
    assert scheduler.check_chain(list(window["assignments"].values()))["valid"]


def test_schedule_query_is_capped(node, monkeypatch):
    monkeypatch.setattr(scheduler, "MAX_ASSIGNMENT_QUERY_LEN", 2)
    proc = node.spawn(counter_process())
    for n in range(4):
        node.schedule(proc, {"action": "add"})
    page = node.resolve(proc, {"path": "schedule", "from": 0})
    assert sorted(page["assignments"]) == ["0", "1"] and page["continues"] is True


def test_slot_before_anything_is_minus_one(node):
    proc = node.spawn(counter_process())
    assert node.resolve(proc, "slot/current") == -1


def test_assignment_hash_chain(node):
    proc = node.spawn(counter_process())
    a0 = node.schedule(proc, {"action": "add", "amount": 1})
    a1 = node.schedule(proc, {"action": "add", "amount": 2})
    link0 = scheduler.next_hash_chain(b"", a0["body"])
    assert a0["hash-chain"] == aolab.human_id(link0)
    assert a1["hash-chain"] == aolab.human_id(scheduler.next_hash_chain(link0, a1["body"]))
    assert a0["path"] == "compute" and a0["variant"] == "ao.N.1" and a0["timestamp"] == 0


def test_status_lists_processes(node):
    one, two = node.spawn(counter_process(n=1)), node.spawn(counter_process(n=2))
    node.schedule(one, {"action": "add"})
    node.schedule(two, {"action": "add"})
    node.schedule(two, {"action": "add"})
    status = node.resolve(one, "~scheduler@1.0/status")
    assert status["slots"] == {aolab.id(one): 0, aolab.id(two): 1}


def test_target_key_routes_to_another_process(node):
    one, two = node.spawn(counter_process(n=1)), node.spawn(counter_process(n=2))
    assignment = node.schedule(one, {"action": "add", "target": aolab.id(two)})
    assert assignment["process"] == aolab.id(two)


def test_scheduler_needs_a_store():
    with pytest.raises(Exception, match="keeps schedules in a node's store"):
        aolab.resolve(counter_process(), {"path": "schedule", "method": "POST", "body": {"a": 1}})


def test_bad_method_is_a_clear_error(node):
    with pytest.raises(Exception, match="method 'PUT' is not GET or POST"):
        node.resolve(counter_process(), {"path": "schedule", "method": "PUT"})


# -- tamper detection --------------------------------------------------------------

def schedule_of(node, proc, n=4):
    for i in range(n):
        node.schedule(proc, {"action": "add", "amount": i + 1})
    got = node.resolve(proc, "schedule")["assignments"]
    return [got[str(i)] for i in range(n)]


def test_verify_schedule_accepts_the_real_one(node):
    proc = node.spawn(counter_process())
    schedule_of(node, proc)
    assert node.resolve(proc, "verify-schedule") == {"valid": True, "checked": 4,
                                                     "priv": node.resolve(proc, "verify-schedule")["priv"]}


def test_altered_message_is_detected(node):
    proc = node.spawn(counter_process())
    assignments = schedule_of(node, proc)
    assignments[2] = {**assignments[2], "body": {**assignments[2]["body"], "amount": 1000}}
    report = scheduler.check_chain(assignments)
    assert report["valid"] is False and report["first-bad-slot"] == 2


def test_reordered_messages_are_detected(node):
    proc = node.spawn(counter_process())
    assignments = schedule_of(node, proc)
    swapped = [assignments[0], {**assignments[2], "slot": 1}, {**assignments[1], "slot": 2},
               assignments[3]]
    report = scheduler.check_chain(swapped)
    assert report["valid"] is False and report["first-bad-slot"] == 1
    assert scheduler.check_chain([assignments[0], assignments[2]])["first-bad-slot"] == 1


def test_verify_schedule_through_the_process(node):
    proc = node.spawn(counter_process())
    assignments = schedule_of(node, proc)
    forged = [*assignments[:3], {**assignments[3], "process": "x" * 43}]
    report = node.resolve(proc, {"path": "verify-schedule", "assignments": forged})
    assert report["valid"] is False and report["first-bad-slot"] == 3


# -- process@1.0 ---------------------------------------------------------------------

def test_test_device_compute(node):
    """dev_process:test_device_compute_test/0."""
    proc = node.spawn(dev_test_process())
    schedule_test_message(node, proc, "TEST TEXT 1")
    schedule_test_message(node, proc, "TEST TEXT 2")
    assert node.resolve(proc, "schedule/assignments/1/body/test-label") == "TEST TEXT 2"
    state = node.resolve(proc, {"path": "compute", "slot": 1})
    assert node.resolve(state, "results/assignment-slot") == 1
    assert state["already-seen"] == [1, 1, 0, 0]


def test_compute_at_slot_and_now(node):
    proc = node.spawn(counter_process())
    node.schedule(proc, {"action": "add", "amount": 2})
    node.schedule(proc, {"action": "add", "amount": 5})
    assert node.compute(proc, slot=0)["count"] == 2
    assert node.compute(proc, slot=1)["count"] == 7
    node.schedule(proc, {"action": "subtract", "amount": 3})
    now = node.resolve(proc, "now")
    assert now["count"] == 4 and now["at-slot"] == 2 and now["device"] == "process@1.0"
    assert node.resolve(proc, "now/results/count") == 4


def test_recompute_of_a_past_slot_comes_from_the_store(node):
    proc = node.spawn(counter_process())
    for amount in (1, 2, 3):
        node.schedule(proc, {"action": "add", "amount": amount})
    node.compute(proc, slot=2)
    steps_before = len(node.trace)
    past = node.compute(proc, slot=0)
    assert past["count"] == 1
    assert len(node.trace) - steps_before == 1  # one step: answered from the store


def test_next_slot_continues_from_the_snapshot(node):
    proc = node.spawn(counter_process())
    for amount in range(1, 12):
        node.schedule(proc, {"action": "add", "amount": amount})
    node.compute(proc, slot=9)
    node.trace.clear()
    assert node.compute(proc, slot=10)["count"] == 66
    computed = [r for r in node.trace.records if r["key"] == "compute" and r["device"] == "stack@1.0"]
    assert len(computed) == 1  # slot 10 only, restored from slot 9's stored state


def test_snapshot_restore_on_a_new_node(tmp_path):
    first = aolab.Node(store=tmp_path / "store")
    proc = first.spawn(counter_process())
    for amount in (1, 2, 3):
        first.schedule(proc, {"action": "add", "amount": amount})
    first.compute(proc, slot=1)
    second = aolab.Node(store=tmp_path / "store")  # a restarted node on the same disk
    assert second.compute(proc, slot=2)["count"] == 6
    steps = [r for r in second.trace.records if r["key"] == "compute" and r["device"] == "stack@1.0"]
    assert len(steps) == 1


def test_compute_without_slot_gives_latest_known(node):
    proc = node.spawn(counter_process())
    node.schedule(proc, {"action": "add", "amount": 2})
    node.schedule(proc, {"action": "add", "amount": 5})
    node.compute(proc, slot=0)
    assert node.compute(proc)["count"] == 2  # latest computed, as process_now_from_cache


def test_compute_past_the_schedule_is_an_error_status(node):
    proc = node.spawn(counter_process())
    node.schedule(proc, {"action": "add"})
    status, value = node.resolve_status(proc, {"path": "compute", "slot": 3})
    assert status == "error" and value["phase"] == "get-schedule" and value["attempted-slot"] == 1


def test_path_with_id_and_device(node):
    proc = node.spawn(counter_process())
    node.schedule(proc, {"action": "add", "amount": 2})
    node.schedule(proc, {"action": "add", "amount": 5})
    pid = aolab.id(proc)
    assert node.resolve(f"/{pid}~process@1.0/compute&slot=1")["count"] == 7
    assert aolab.resolve(None, f"/{pid}~process@1.0/compute&slot=0/count", store=node.store) == 2


def test_bad_slot_is_a_clear_error(node):
    proc = node.spawn(counter_process())
    with pytest.raises(Exception, match="'slot' must be a slot number, not 'soon'"):
        node.compute(proc, slot="soon")


def test_process_without_execution_device(node):
    proc = node.spawn({"device": "process@1.0"})
    node.schedule(proc, {"action": "add"})
    with pytest.raises(Exception, match="no 'execution-device'"):
        node.compute(proc, slot=0)


def test_failing_slot_leaves_store_consistent(node):
    proc = node.spawn(counter_process())
    node.schedule(proc, {"action": "add", "amount": 1})
    node.schedule(proc, {"action": "explode"})
    with pytest.raises(Exception, match="unknown action 'explode'"):
        node.compute(proc, slot=1)
    assert node.compute(proc, slot=0)["count"] == 1  # slot 0 was kept
    assert node.resolve(proc, "slot/current") == 1
    failed = [r for r in node.trace.records if r["status"] == "error"]
    assert failed and all(r["result"].startswith("error:") for r in failed)


def test_push_schedules_outbox_on_targets(node):
    receiver = node.spawn(counter_process(name="receiver"))

    def sender_compute(base, request):
        return {**base, "results": {"outbox": {"1": {"target": aolab.id(receiver),
                                                      "action": "add", "amount": 9}}}}
    node.register_device("sender@1.0", {"compute": sender_compute})
    sender = node.spawn({"device": "process@1.0", "execution-device": "sender@1.0"})
    node.schedule(sender, {"action": "go"})
    pushed = node.resolve(sender, {"path": "push", "slot": 0})
    assert pushed["pushed"]["1"]["status"] == "ok" and pushed["pushed"]["1"]["slot"] == 0
    assert node.compute(receiver, slot=0)["count"] == 9


# -- determinism -------------------------------------------------------------------

def run_everything(node):
    proc = node.spawn(counter_process())
    assignments = [node.schedule(proc, {"action": "add", "amount": n}) for n in range(5)]
    states = [node.compute(proc, slot=n) for n in range(5)]
    return assignments, states


def test_two_nodes_agree():
    a, b = aolab.Node(name="a"), aolab.Node(name="b")
    (assign_a, states_a), (assign_b, states_b) = run_everything(a), run_everything(b)
    assert [x["hash-chain"] for x in assign_a] == [x["hash-chain"] for x in assign_b]
    assert [aolab.id(x) for x in assign_a] == [aolab.id(x) for x in assign_b]
    assert [aolab.hashpath(s) for s in states_a] == [aolab.hashpath(s) for s in states_b]
    ga, gb = a.trace.graph, b.trace.graph
    assert set(ga.nodes) == set(gb.nodes) and set(ga.edges) == set(gb.edges)
    assert nx.utils.graphs_equal(nx.DiGraph(ga.edges), nx.DiGraph(gb.edges))


def test_recording_does_not_change_results():
    (_, states_on), (_, states_off) = run_everything(aolab.Node()), run_everything(aolab.Node(record=False))
    assert [aolab.hashpath(s) for s in states_on] == [aolab.hashpath(s) for s in states_off]
    assert states_on == states_off


def test_dag_links_assignments_to_states(node):
    proc = node.spawn(counter_process())
    assignment = node.schedule(proc, {"action": "add", "amount": 3})
    node.compute(proc, slot=0)
    executed = [r for r in node.trace.records if r["device"] == "stack@1.0" and r["key"] == "compute"]
    assert len(executed) == 1 and executed[0]["request"] == aolab.id(assignment)
    graph = node.trace.graph
    assert graph.has_edge(executed[0]["base"], executed[0]["result"])


class HiddenStateDevice:
    """Keeps its state outside the message (in priv), like a WebAssembly memory:
    it needs ``snapshot`` and ``normalize`` to survive a restart."""

    def init(self, base):
        return {**base, "priv": {**(base.get("priv") or {}), "memory": []}}

    def compute(self, base, request):
        memory = (base.get("priv") or {}).get("memory")
        if memory is None:
            raise RuntimeError("no memory: normalize was not run")
        memory = [*memory, request["body"]["amount"]]
        return {**base, "priv": {**base["priv"], "memory": memory}, "results": {"sum": sum(memory)}}

    def snapshot(self, base):
        return {"body": list(base["priv"]["memory"])}

    def normalize(self, base):
        if (base.get("priv") or {}).get("memory") is not None:
            return base
        key = base.get("device-key")
        snapshot = base["snapshot"][key] if key else base["snapshot"]
        return {**base, "priv": {**(base.get("priv") or {}), "memory": list(snapshot["body"])}}


def test_snapshot_and_normalize_restore_hidden_state(tmp_path):
    proc_msg = {"device": "process@1.0", "execution-device": "stack@1.0",
                "device-stack": ["dedup@1.0", "hidden@1.0"]}
    first = aolab.Node(store=tmp_path / "s", devices={"hidden@1.0": HiddenStateDevice()})
    proc = first.spawn(proc_msg)
    for amount in (1, 2, 3):
        first.schedule(proc, {"amount": amount})
    direct = first.compute(proc, slot=2)
    assert direct["results"]["sum"] == 6
    second = aolab.Node(store=tmp_path / "s", devices={"hidden@1.0": HiddenStateDevice()})
    second_state = second.store.read(f"~process@1.0/{aolab.id(proc)}/computed/1")
    assert second_state["snapshot"] == {"2": {"body": [1, 2]}}  # dedup has no snapshot
    first.schedule(proc, {"amount": 4})
    assert second.compute(proc, slot=3)["results"]["sum"] == 10  # restored from slot 2's snapshot
    fresh = aolab.Node(devices={"hidden@1.0": HiddenStateDevice()})
    again = fresh.spawn(proc_msg)
    for amount in (1, 2, 3, 4):
        fresh.schedule(again, {"amount": amount})
    from_scratch = fresh.compute(again, slot=3)
    assert aolab.hashpath(from_scratch) == aolab.hashpath(second.compute(proc, slot=3))
