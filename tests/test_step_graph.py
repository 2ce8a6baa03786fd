"""The DAG's compact attribute views and adjacency (aolab.step_graph): a StepGraph reads,
copies, pickles and answers networkx algorithms exactly as a DiGraph of plain dicts."""
from __future__ import annotations

import pickle

import networkx as nx
from hypothesis import given, settings
from hypothesis import strategies as st

import aolab
from aolab.step_graph import Neighbours, StepAttrs, StepGraph, add_steps


def _recorded():
    lab = aolab.Node()
    base = {"device": "stack@1.0", "device-stack": ["append@1.0", "append@1.0"],
            "separators": {"1": "+D1", "2": "+D2"}, "result": "INIT"}
    out = lab.resolve(base, {"path": "append", "bin": "2"})
    lab.resolve(out, "result")
    lab.resolve({"a": {"b": "1"}}, "a/b")
    return lab.trace.records


def _as_dicts(records) -> nx.DiGraph:
    plain = nx.DiGraph()
    add_steps(plain, records)  # a plain DiGraph gets dicts from the same rules
    return plain


def test_a_step_graph_has_the_nodes_edges_and_data_of_plain_dicts():
    records = _recorded()
    compact, plain = StepGraph(), _as_dicts(records)
    add_steps(compact, records)
    assert dict(compact.nodes(data=True)) == dict(plain.nodes(data=True))
    assert list(compact.edges(data=True)) == list(plain.edges(data=True))
    assert nx.to_dict_of_dicts(compact) == nx.to_dict_of_dicts(plain)
    assert list(nx.topological_sort(compact)) == list(nx.topological_sort(plain))
    root = next(iter(compact))
    assert nx.descendants(compact, root) == nx.descendants(plain, root)
    copied = pickle.loads(pickle.dumps(compact))
    assert nx.utils.graphs_equal(copied, plain) and nx.utils.graphs_equal(compact.copy(), plain)
    assert nx.utils.graphs_equal(compact.reverse(), plain.reverse())


def test_attributes_can_be_written_like_any_networkx_graph():
    records = _recorded()
    graph = StepGraph()
    add_steps(graph, records)
    node = next(iter(graph))
    shown = dict(graph.nodes[node])
    graph.nodes[node]["colour"] = "red"            # the view becomes a dict of its own
    assert graph.nodes[node] == {**shown, "colour": "red"}
    del graph.nodes[node]["colour"]
    assert graph.nodes[node] == shown
    u, v = next(iter(graph.edges))
    graph.edges[u, v]["weight"] = 2
    assert graph.edges[u, v]["weight"] == 2 and graph.edges[u, v]["key"] == _as_dicts(records).edges[u, v]["key"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(("set", "del")), st.integers(0, 4), st.integers()),
                max_size=30))
def test_neighbours_behave_as_a_dict(operations):
    compact, plain = Neighbours(), {}
    for op, key, value in operations:
        if op == "set":
            compact[key] = plain[key] = value
        else:
            assert (key in compact) == (key in plain)
            if key in plain:
                del compact[key], plain[key]
        assert dict(compact.items()) == plain and len(compact) == len(plain)
        assert list(compact) == list(plain)


def test_an_unbound_view_is_an_empty_dict():
    view = StepAttrs()
    assert view == {} and len(view) == 0 and view.get("kind") is None
    view.update(kind="message")
    assert view == {"kind": "message"}
