"""The step record: made once by the resolver, read by every trace reader."""
from __future__ import annotations

import ast
import gc
import pathlib
import weakref

import pytest

import aolab
from aolab import resolver
from aolab.step import COLUMNS, Step
from aolab.step_graph import graph_of_steps

AOLAB = pathlib.Path(aolab.__file__).resolve().parent


def test_a_record_is_immutable_and_reads_like_a_dict():
    lab = aolab.Node()
    lab.resolve({"a": {"b": "1"}}, "a/b")
    record = lab.trace.records[1]
    assert isinstance(record, Step)
    with pytest.raises(AttributeError):
        record.key = "other"
    assert record["key"] == record.key == "b" and record.get("missing", 7) == 7
    assert "error" not in record and set(COLUMNS) <= set(record.keys())
    assert record.hashpath == record.result == aolab.next_hashpath(record.base, "b")


def test_plain_values_get_their_hashpath_from_the_resolver():
    trace = aolab.Trace()
    aolab.resolve({"a": {"b": 1}}, "a/b", listener=trace)
    base_hp = trace.records[1].base_hashpath
    assert trace.records[1].hashpath == aolab.next_hashpath(base_hp, "b")


def test_started_events_carry_the_base_hashpath_and_request_part():
    seen = []

    class Listener:
        def step_started(self, event):
            seen.append((event.base_hashpath, event.request_part))

        def step_finished(self, event):
            seen.append(event.record.hashpath)

    base = {"a": "1"}
    aolab.resolve(base, "a", listener=Listener())
    assert seen == [(aolab.id(base), "a"), f"{aolab.id(base)}/a"]


def test_every_reader_builds_the_graph_with_the_one_function():
    lab = aolab.Node()
    result = lab.resolve({"a": {"b": "1"}}, {"path": "set", "c": 3})
    lab.resolve(result, "a/b")
    built = graph_of_steps(lab.trace.records)
    graph = lab.trace.graph
    assert dict(built.nodes(data=True)) == dict(graph.nodes(data=True))
    assert list(built.edges(data=True)) == list(graph.edges(data=True))
    assert graph.graph["records"] == lab.trace.records


def test_results_and_hashpaths_are_the_same_with_recording_on_and_off():
    base = {"device": "stack@1.0", "device-stack": ["append@1.0", "append@1.0"],
            "separators": {"1": "+D1", "2": "+D2"}, "result": "INIT"}
    on = aolab.Node().resolve(base, {"path": "append", "bin": "2"})
    off = aolab.Node(record=False).resolve(base, {"path": "append", "bin": "2"})
    assert on == off and aolab.hashpath(on) == aolab.hashpath(off)


def test_handlers_made_per_call_are_not_kept_forever():
    lab = aolab.Node(record=False)
    for n in range(1_500):
        lab.resolve({"device": {"get-n": lambda base, n=n: n}}, "get-n")
    assert resolver._known_arity.cache_info().currsize <= 1_024


def test_the_last_request_is_not_kept_alive_after_resolving():
    class Request(dict):
        pass

    request = Request(path="a", extra="x")
    aolab.resolve({"a": {"b": "1"}}, request)
    gone = weakref.ref(request)
    del request
    gc.collect()
    assert gone() is None


def test_the_resolver_module_is_not_shadowed_and_the_function_still_works():
    import aolab.resolver as module
    assert module.__name__ == "aolab.resolver" and callable(aolab.resolve)
    assert aolab.resolve({"a": "1"}, "a") == "1"
    from aolab.resolve import resolve_status  # the old module name keeps working
    assert resolve_status({"a": "1"}, "a") == ("ok", "1")


def _imports(module: str) -> set:
    tree = ast.parse((AOLAB / module).read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            names.add(("." * node.level) + (node.module or ""))
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


@pytest.mark.parametrize("module", ["resolver.py", "notify.py", "linking.py", "events.py", "step.py"])
def test_the_resolver_side_imports_no_recorder_and_no_viz(module):
    assert not {n for n in _imports(module) if "trace" in n or "viz" in n or "networkx" in n}


@pytest.mark.parametrize("module", ["trace.py", "step_graph.py", "merged_trace.py", "trace_file.py"])
def test_traces_import_no_viz(module):
    assert not {n for n in _imports(module) if "viz" in n}


_IMPURE = {"wallet", "signing", "node", "store", "resolver", "context", "trace", "viz"}
#: httpsig's ``__getattr__`` re-exports the names that moved to aolab.signing, loaded on first use.
_REEXPORTS = {("httpsig.py", "signing")}


@pytest.mark.parametrize("module", sorted(p.name for p in (AOLAB / "codecs").glob("*.py")))
def test_codecs_are_pure(module):
    """Codecs import no wallet, signing, node, store or resolver: keys and trust are given to them."""
    found = set()
    for node in ast.walk(ast.parse((AOLAB / "codecs" / module).read_text())):
        if isinstance(node, ast.ImportFrom):
            names = [node.module or ""] + [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        found |= {n.split(".")[-1] for n in names if n.split(".")[-1] in _IMPURE}
    assert not {(module, name) for name in found} - _REEXPORTS


def test_a_value_read_from_a_base_of_unknown_hashpath_alg_has_no_hashpath():
    trace = aolab.Trace()
    linked = aolab.resolve({"a": "1", "m": {"x": "2"}}, "m")  # a result: a two-part hashpath
    odd = {**linked, "hashpath-alg": "md5-chain"}
    aolab.resolve(odd, "x", listener=trace)
    record = trace.records[-1]
    assert record.kind == "value" and record.hashpath is None
    assert trace.graph.nodes[record.result]["kind"] == "value"   # drawn as an unhashed result
    accumulated = {**linked, "hashpath-alg": "accumulate-256"}
    aolab.resolve(accumulated, "x", listener=trace)
    assert trace.records[-1].hashpath == aolab.next_hashpath(aolab.hashpath(linked), "x",
                                                             "accumulate-256")
