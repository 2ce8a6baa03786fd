"""The recorder: every step, nested ones too, in a networkx DiGraph."""
from __future__ import annotations

import networkx as nx
import pytest

import aolab
from aolab.errors import KeyNotFound, ResolutionError


def test_multi_part_path_records_one_step_per_key():
    lab = aolab.Node()
    base = {"device": "message@1.0", "a": {"b": "RESULT"}}
    assert lab.resolve(base, "a/b") == "RESULT"
    records = lab.trace.records
    assert [(r["key"], r["status"], r["depth"]) for r in records] == [("a", "ok", 0), ("b", "ok", 0)]
    graph = lab.trace.graph
    base_node = aolab.id(base)
    a_node = f"{base_node}/a"
    assert graph.has_edge(base_node, a_node)
    assert graph.edges[base_node, a_node]["request"] == "a"
    assert graph.nodes[a_node]["kind"] == "message" and graph.nodes[a_node]["device"] == "message@1.0"
    assert nx.is_directed_acyclic_graph(graph)
    assert records[1]["base"] == a_node


def test_nested_resolutions_are_child_steps():
    def outer(base, request, opts):
        inner = aolab.resolve(base, "x", opts)
        return {"doubled": inner * 2}

    lab = aolab.Node(devices={"outer@1.0": {"run": outer}})
    result = lab.resolve({"device": "outer@1.0", "x": 21}, "run")
    assert result["doubled"] == 42
    run, x = lab.trace.records
    assert (run["key"], run["parent"], run["depth"]) == ("run", None, 0)
    assert (x["key"], x["parent"], x["depth"]) == ("x", run["step"], 1)
    assert lab.trace.children(run["step"]) == [x]
    assert x["device"] == "message@1.0"


def test_recording_off_records_nothing_and_changes_nothing():
    base = {"a": {"b": {"c": "1"}}}
    on, off = aolab.Node(), aolab.Node(record=False)
    r_on = on.resolve(base, "a/b")
    r_off = off.resolve(base, "a/b")
    assert r_on == r_off and aolab.hashpath(r_on) == aolab.hashpath(r_off)
    assert len(off.trace) == 0 and len(on.trace) == 2
    off.recording = True
    off.resolve(base, "a/b")
    assert len(off.trace) == 2


def test_failed_step_is_recorded_and_trace_stays_consistent():
    lab = aolab.Node()
    base = {"a": {"b": "1"}}
    with pytest.raises(KeyNotFound, match="'zz'"):
        lab.resolve(base, "a/zz")
    ok, failed = lab.trace.records
    assert ok["status"] == "ok" and failed["status"] == "error"
    assert "zz" in failed["error"]
    assert lab.trace.graph.nodes[failed["result"]]["kind"] == "error"
    # The node is still usable and keeps recording.
    assert lab.resolve(base, "a/b") == "1"
    assert len(lab.trace) == 4 and not lab.trace._stack


def test_failure_inside_a_nested_step_closes_both_steps():
    def boom(base):
        raise RuntimeError("kaput")

    def outer(base, request, opts):
        return aolab.resolve({"device": "boom@1.0"}, "go", opts)

    lab = aolab.Node(devices={"boom@1.0": {"go": boom}, "outer@1.0": {"run": outer}})
    with pytest.raises(ResolutionError, match="kaput"):
        lab.resolve({"device": "outer@1.0"}, "run")
    assert [r["status"] for r in lab.trace.records] == ["error", "error"]
    assert not lab.trace._stack


def test_steps_dataframe():
    lab = aolab.Node()
    lab.resolve({"a": {"b": "RESULT"}}, "a/b")
    frame = lab.trace.steps()
    assert list(frame.columns) == ["step", "parent", "depth", "device", "key", "status",
                                   "base", "request", "result", "hashpath", "ms"]
    assert frame["key"].tolist() == ["a", "b"]


def test_recording_context_manager():
    with aolab.recording() as trace:
        aolab.resolve({"a": 1}, "a")
    assert len(trace) == 1
    aolab.resolve({"a": 1}, "a")
    assert len(trace) == 1


def test_same_inputs_give_the_same_graph():
    graphs = []
    for _ in range(2):
        lab = aolab.Node()
        r = lab.resolve({"a": {"b": "1"}}, {"path": "set", "c": 3})
        lab.resolve(r, "a/b")
        graphs.append(lab.trace.graph)
    assert set(graphs[0].edges) == set(graphs[1].edges)
    assert set(graphs[0].nodes) == set(graphs[1].nodes)


class EventLog:
    """A listener of the plain protocol (events, not the Recorder calls)."""

    def __init__(self):
        self.events = []

    def step_started(self, event):
        self.events.append(("started", event.key, event.device))
        return len(self.events)

    def step_finished(self, event):
        self.events.append(("finished", event.status, event.hashpath is not None))

    def step_failed(self, event):
        self.events.append(("failed", type(event.error).__name__))


def test_any_listener_gets_events():
    log = EventLog()
    aolab.resolve({"a": {"b": 1}}, "a/b", listener=log)
    assert log.events == [("started", "a", "message@1.0"), ("finished", "ok", True),
                          ("started", "b", "message@1.0"), ("finished", "ok", False)]
    try:
        aolab.resolve({"a": 1}, "missing", listener=log)
    except aolab.errors.KeyNotFound:
        pass
    assert log.events[-1] == ("failed", "KeyNotFound")


def test_recorder_subclass_gets_plain_calls():
    from aolab.events import Recorder

    class Counting(Recorder):
        def __init__(self):
            self.calls = []

        def started(self, base, request, key, device):
            self.calls.append(("started", key))
            return key

        def finished(self, token, status, value, hashpath):
            self.calls.append(("finished", token, status))

        def step_failed(self, event):
            self.calls.append(("failed",))

    counting = Counting()
    aolab.resolve({"a": 1}, "a", listener=counting)
    assert counting.calls == [("started", "a"), ("finished", "a", "ok")]
