"""aolab.viz: DOT drawing (pure, deterministic, escaped, collapsing), rendering,
the stepper and the tables.  DOT text is compared, never SVG bytes."""
from __future__ import annotations

import re
import time

import networkx as nx
import pandas as pd
import pytest

import aolab
from aolab.errors import AolabError
from aolab.viz import (GraphvizNotFound, StepperModel, diff, divergence_dot, export, preview,
                       process_timeline, render, short_hashpath, show, stepper, to_dot, tree_dot)

needs_dot = pytest.mark.requires_tool("dot")

BASE = {"device": "message@1.0", "a": {"b": "RESULT"}}

GOLDEN_A_B = '''digraph merkle {
  graph [rankdir="TB", label="2 steps, 3 messages", labelloc="t", fontname="Helvetica", fontsize="12", id="merkle"];
  node [fontname="Helvetica", fontsize="10", style="filled", fillcolor="#ffffff"];
  edge [fontname="Helvetica", fontsize="9", color="#555555"];
  r0 [label="IWV-hh..\\n{device: 'message@1.0', a: ...", shape="box", style="filled,rounded,bold", fillcolor="#dbe9f6", tooltip="IWV-hhDDniPojOzgFci52JHPXF6Oy5ckjr3lQslz9Mc\\nmessage, device: message@1.0, input\\ndevice: 'message@1.0'\\na: {b: 'RESULT'}", id="r0"];
  s0 [label="IWV-hh../a\\n{b: 'RESULT'}", shape="box", style="filled,rounded", fillcolor="#dbe9f6", tooltip="IWV-hhDDniPojOzgFci52JHPXF6Oy5ckjr3lQslz9Mc/a\\nmessage, device: message@1.0, step: 0, key: a\\nb: 'RESULT'", id="s0"];
  s1 [label="s535aj../b\\n'RESULT'", shape="ellipse", style="filled", fillcolor="#dbe9f6", tooltip="s535ajgwLYa_hFXjc7pQoBuUib89-cMUzLbvaT2XzQI/b\\nvalue, device: message@1.0, step: 1, key: b\\n'RESULT'", id="s1"];
  r0 -> s0 [label="0: a", tooltip="step 0: message@1.0 a (ok)\\nrequest: a", id="edge-0"];
  s0 -> s1 [label="1: b", tooltip="step 1: message@1.0 b (ok)\\nrequest: b", id="edge-1"];
}
'''


def nest_device():
    """nest@1.0: ``outer`` resolves ``a/x`` inside its handler (two child steps)."""
    return {"outer": lambda base, request, opts: aolab.resolve(base, "a/x", opts)}


def make_trace():
    lab = aolab.Node()
    lab.register_device("nest@1.0", nest_device())
    lab.resolve(BASE, "a/b")
    lab.resolve(BASE, {"path": "set", "c": 3})
    lab.resolve({"device": "nest@1.0", "a": {"x": 1}}, "outer")
    with pytest.raises(AolabError):
        lab.resolve(BASE, "zz")
    return lab.trace


@pytest.fixture
def trace():
    return make_trace()


def chain_graph(n: int, *, devices=("process@1.0", "scheduler@1.0", "stack@1.0", "message@1.0"),
                keys=("compute", "schedule", "slot", "get"), nested: bool = True) -> nx.DiGraph:
    """A synthetic trace graph of *n* steps in one chain, built with networkx directly."""
    graph = nx.DiGraph()
    graph.add_node("root", kind="message", hashpath="root", key=None, device=devices[0],
                   depth=0, step=None, message={"n": 0})
    graph.add_nodes_from(
        (f"h{i}", {"kind": "message", "hashpath": f"h{i}", "key": keys[i % len(keys)],
                   "device": devices[i % len(devices)], "depth": i % 4 if nested else 0,
                   "step": i, "message": {"n": i}}) for i in range(n))
    graph.add_edges_from(
        ("root" if i == 0 else f"h{i - 1}", f"h{i}",
         {"request": keys[i % len(keys)], "key": keys[i % len(keys)],
          "device": devices[i % len(devices)], "step": i,
          "parent": (i - 1 if i % 4 else None) if nested else None,
          "depth": i % 4 if nested else 0, "status": "ok"}) for i in range(n))
    return graph


def node_lines(dot: str) -> list[str]:
    return [line for line in dot.splitlines() if re.match(r"\s+[a-z]\w* \[", line)
            and not line.strip().startswith(("graph ", "node ", "edge ", "legend"))]


# -- to_dot: structure, labels, golden text -------------------------------------
def test_golden_dot_of_a_two_step_path():
    lab = aolab.Node()
    lab.resolve(BASE, "a/b")
    assert to_dot(lab.trace.graph, legend=False) == GOLDEN_A_B


def test_same_trace_gives_same_dot_text():
    assert to_dot(make_trace()) == to_dot(make_trace())


def test_a_trace_is_read_through_its_graph(trace):
    assert to_dot(trace) == to_dot(trace.graph)


def test_labels_are_short_hashpaths_and_tooltips_full_ones(trace):
    dot = to_dot(trace.graph)
    set_step = trace.records[2]
    full = set_step["hashpath"]
    assert f'tooltip="{full}\\n' in dot
    assert f'label="{short_hashpath(full)}\\n' in dot
    assert f'label="2: set [{set_step["request"][:6]}..]"' in dot
    assert short_hashpath(full) == f"{full[:6]}../{set_step['request'][:6]}.."


def test_node_shapes_follow_kind_and_colours_follow_device(trace):
    dot = to_dot(trace.graph)
    assert re.search(r's0 \[label="[^"]*", shape="box", style="filled,rounded"', dot)
    assert re.search(r's1 \[[^\]]*shape="ellipse"', dot)
    error = next(r for r in trace.records if r["status"] == "error")
    assert re.search(rf's{error["step"]} \[label="error at step {error["step"]}[^\]]*shape="octagon"', dot)
    assert 'label="6: zz (error)"' in dot
    nest = next(line for line in node_lines(dot) if "'nest@1.0'" in line)
    assert 'fillcolor="#dbe9f6"' not in nest  # nest@1.0 is not coloured as message@1.0


def test_nested_steps_are_clustered_under_their_outer_step(trace):
    dot = to_dot(trace.graph)
    outer = next(r for r in trace.records if r["key"] == "outer")["step"]
    inner = trace.children(outer)
    assert [r["key"] for r in inner] == ["a", "x"]
    cluster = dot[dot.index(f"subgraph cluster_s{outer} {{"):]
    cluster = cluster[: cluster.index("  }")]
    assert f"inside step {outer}: nest@1.0 outer" in cluster
    assert all(f"  s{r['step']} [" in cluster for r in inner)
    assert f"  s{outer} [" not in cluster


def test_deeper_nesting_gives_clusters_inside_clusters():
    lab = aolab.Node()
    lab.register_device("nest@1.0", nest_device())
    lab.register_device("twice@1.0", {"run": lambda base, req, opts: aolab.resolve(
        {**base, "device": "nest@1.0"}, "outer", opts)})
    lab.resolve({"device": "twice@1.0", "a": {"x": 1}}, "run")
    dot = to_dot(lab.trace.graph)
    start = dot.index("subgraph cluster_s0 {")
    assert dot.index("subgraph cluster_s1 {") > start
    assert "\n    subgraph cluster_s1 {" in dot  # indented: written inside cluster_s0


def test_legend_lists_kinds_and_devices(trace):
    dot = to_dot(trace.graph)
    legend = dot[dot.index("subgraph cluster_legend"):]
    for text in ('label="message"', 'label="value"', 'label="error"', 'label="message@1.0"',
                 'label="nest@1.0"'):
        assert text in legend
    assert "cluster_legend" not in to_dot(trace.graph, legend=False)


def test_highlight_marks_the_step_edge_and_its_result(trace):
    dot = to_dot(trace.graph, highlight=1)
    assert re.search(r's1 \[[^\]]*penwidth="3"', dot)
    assert re.search(r's0 -> s1 \[[^\]]*penwidth="3"', dot)
    assert dot.count('penwidth="3"') == 2
    by_node = to_dot(trace.graph, highlight=trace.records[0]["result"])
    assert re.search(r's0 \[[^\]]*penwidth="3"', by_node)


def test_links_point_nodes_at_table_rows(trace):
    assert 'URL="#row-1"' in to_dot(trace.graph, links=True)
    assert "URL=" not in to_dot(trace.graph)


def test_unhashed_steps_are_drawn_dashed():
    import types
    lab = aolab.Node()
    device = types.SimpleNamespace(x=lambda base: 1)  # an object device: it has no encoding
    assert lab.resolve({"device": device, "k": 2}, "x") == 1
    dot = to_dot(lab.trace.graph)
    assert "(unhashed)" in dot and "dashed" in dot
    assert "0x" not in dot  # an inline device is named, not addressed


def test_inline_function_devices_are_hashed():
    lab = aolab.Node()
    base = {"device": {"x": lambda base: {"seen": 1}}, "k": 2}
    result = lab.resolve(base, "x")
    assert aolab.hashpath(result) == f"{aolab.id(base)}/x"
    dot = to_dot(lab.trace.graph)
    assert "(unhashed)" not in dot and "0x" not in dot


def test_unknown_view_is_refused(trace):
    with pytest.raises(ValueError, match="summary"):
        to_dot(trace.graph, "everything")


# -- escaping -------------------------------------------------------------------
NASTY = 'say "hi" \\n <b>&amp; {x|y}\nend'


def nasty_trace():
    lab = aolab.Node()
    lab.resolve({"device": "message@1.0", 'k"ey': {"v": NASTY}}, 'k"ey')
    lab.resolve({"device": "message@1.0", "v": NASTY}, "v")
    return lab.trace


def test_labels_from_messages_are_escaped():
    dot = to_dot(nasty_trace().graph)
    for line in dot.splitlines():
        # every double quote is either a delimiter or escaped: strip escapes, count the rest
        stripped = line.replace("\\\\", "").replace('\\"', "")
        assert stripped.count('"') % 2 == 0, line
    assert "&amp;amp;" in dot            # '&' is written as an entity, so Graphviz shows it as typed
    assert '\\"hi\\"' in dot
    assert "\nend" not in dot             # raw newlines from a message never split a DOT line
    assert preview(NASTY, 100).startswith("'say \"hi\"")


@needs_dot
def test_escaped_labels_render():
    svg = render(to_dot(nasty_trace().graph))
    # Graphviz shows the message's text as typed: a literal "&amp;", quotes, "<b>"
    assert "&amp;amp;" in svg and "say &quot;hi&quot;" in svg and "&lt;b&gt;" in svg
    assert ">0: k&quot;ey</text>" in svg


def test_dot_quote_escapes_control_characters():
    from aolab.viz.tree import dot_quote

    assert dot_quote("a\x00b\tc") == '"a?b?c"'
    assert dot_quote("line\r\nbreak") == '"line\\nbreak"'


# -- purity -----------------------------------------------------------------------
def snapshot(graph: nx.DiGraph):
    return (nx.to_dict_of_dicts(graph), {n: dict(d) for n, d in graph.nodes(data=True)},
            dict(graph.graph), list(graph.nodes), list(graph.edges))


def test_viz_never_changes_the_graph(trace):
    graph = trace.graph
    before = snapshot(graph)
    for view in (None, "full", "summary", "window", "depth"):
        to_dot(graph, view, max_nodes=5, step=2, highlight=(1, trace.records[0]["result"]),
               links=True)
    show(trace)
    frame = StepperModel(trace).frame(3)
    assert frame["dot"]
    diff(trace, make_trace())
    divergence_dot(trace, make_trace())
    process_timeline(trace)
    assert snapshot(graph) == before
    assert all("pos" not in d for _, d in graph.nodes(data=True))


# -- collapsing -------------------------------------------------------------------
def test_small_graph_is_drawn_in_full(trace):
    drawing = tree_dot(trace.graph)
    assert drawing.view == "full" and drawing.drawn == trace.graph.number_of_nodes()
    assert drawing.notes == []


def test_graph_larger_than_max_nodes_collapses_to_a_summary():
    graph = chain_graph(60, nested=False)
    drawing = tree_dot(graph, max_nodes=20)
    assert drawing.view == "summary" and drawing.drawn <= 20
    assert drawing.notes[0] == "collapsed to summary: 61 nodes > max_nodes=20"
    assert 'label="process@1.0\\ncompute\\n15 steps"' in drawing.text
    assert 'label="1 input message"' in drawing.text


def test_collapse_around_a_focus_step_gives_a_window():
    graph = chain_graph(60, nested=False)
    drawing = tree_dot(graph, max_nodes=20, step=30, legend=False)
    assert drawing.view == "window" and drawing.drawn <= 20
    assert "  s30 [" in drawing.text
    earlier = re.search(r'label="\.\.\. ([\d,]+) earlier steps"', drawing.text)
    later = re.search(r'label="\.\.\. ([\d,]+) later steps"', drawing.text)
    drawn_steps = drawing.text.count('id="edge-')
    assert int(earlier.group(1)) + int(later.group(1)) + drawn_steps == 60


def test_window_radius_is_honoured_and_clamped_at_the_ends():
    graph = chain_graph(60, nested=False)
    dot = to_dot(graph, "window", step=0, radius=3, legend=False)
    assert dot.count('id="edge-') == 4 and "earlier" not in dot
    assert 'label="... 56 later steps"' in dot
    assert to_dot(graph, "window", step=59, radius=0, legend=False).count('id="edge-') == 1
    at_end = to_dot(graph, "window", step=59, radius=3, legend=False)
    assert at_end.count('id="edge-') == 4 and 'label="... 56 earlier steps"' in at_end


def test_depth_view_folds_inner_steps_into_their_outer_step():
    graph = chain_graph(40)  # steps 4k are outer, 4k+1..4k+3 run inside them
    drawing = tree_dot(graph, "depth", depth=0, legend=False)
    assert drawing.view == "depth"
    assert drawing.text.count('id="edge-') == 10
    assert drawing.text.count('label="+3 inner steps') == 10
    assert "s0 -> f0" in drawing.text
    deeper = tree_dot(graph, "depth", depth=1, legend=False)
    assert deeper.text.count('label="+2 inner steps') == 10


def test_auto_collapse_prefers_the_depth_view_when_it_fits():
    graph = chain_graph(40)
    drawing = tree_dot(graph, max_nodes=30)
    assert drawing.view == "depth" and drawing.notes[0].startswith("collapsed to depth")


def test_summary_shows_nesting_and_counts(trace):
    dot = to_dot(trace.graph, "summary", legend=False)
    assert 'label="nest@1.0\\nouter\\n1 step"' in dot
    assert 'label="message@1.0\\nzz\\n1 step\\n1 not ok"' in dot
    assert re.search(r'label="runs 1", style="dashed"', dot)


def test_summary_groups_by_device_when_keys_are_too_many():
    graph = chain_graph(200, keys=tuple(f"key-{i}" for i in range(100)), nested=False)
    drawing = tree_dot(graph, "summary", max_nodes=30)
    assert "summary by device:" in drawing.text and drawing.drawn == 5
    assert 'label="stack@1.0\\n*\\n50 steps"' in drawing.text


def test_summary_keeps_the_largest_groups_when_devices_are_too_many():
    graph = chain_graph(200, devices=tuple(f"dev-{i}@1.0" for i in range(50)), nested=False)
    drawing = tree_dot(graph, "summary", max_nodes=10)
    assert drawing.drawn <= 10
    assert "(other devices)" in drawing.text


def test_a_100k_step_summary_is_fast():
    graph = chain_graph(100_000)
    start = time.perf_counter()
    drawing = tree_dot(graph)
    elapsed = time.perf_counter() - start
    assert drawing.view == "summary" and drawing.drawn <= 300
    assert "100,000 steps" in drawing.text
    assert elapsed < 3.0, f"summary of 100k steps took {elapsed:.2f} s"


# -- rendering and exporting ------------------------------------------------------------
@needs_dot
def test_render_gives_svg_and_png(trace):
    svg = render(to_dot(trace.graph))
    assert "<svg" in svg and 'id="s0"' in svg
    assert render(to_dot(trace.graph), "png")[:4] == b"\x89PNG"


@needs_dot
def test_export_by_suffix(trace, tmp_path):
    assert export(trace, tmp_path / "t.svg").read_text().lstrip().startswith("<?xml")
    assert export(trace, tmp_path / "t.png").read_bytes()[:4] == b"\x89PNG"
    page = export(trace, tmp_path / "t.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "<?xml" not in page
    assert 'id="row-0"' in page and 'URL' not in page and 'href="#row-0"' in page


@needs_dot
def test_show_is_svg_in_jupyter_with_a_stable_text_repr(trace):
    drawing = show(trace)
    assert repr(drawing) == "<Merkle tree: 7 steps, 9 drawn>"
    assert "<svg" in drawing._repr_svg_() and drawing._repr_html_() is None


def test_show_repr_names_a_collapsed_view():
    assert repr(show(chain_graph(500, nested=False))) == \
        "<Merkle tree: 500 steps, 5 drawn, summary view>"


def test_export_dot_needs_no_graphviz(trace, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    assert export(trace.graph, tmp_path / "t.dot").read_text() == to_dot(trace.graph)
    with pytest.raises(ValueError, match=".svg"):
        export(trace, tmp_path / "t.txt")


def test_missing_dot_is_a_clear_aolab_error(trace, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GraphvizNotFound, match="apt-get install graphviz") as caught:
        render(to_dot(trace.graph))
    assert isinstance(caught.value, AolabError)
    assert "make setup" in str(caught.value) and "python-graphviz" in str(caught.value)
    drawing = show(trace)
    assert drawing._repr_svg_() is None and "apt-get install graphviz" in drawing._repr_html_()
    with pytest.raises(GraphvizNotFound):
        export(trace, tmp_path / "t.svg")


@needs_dot
def test_bad_dot_text_is_a_graphviz_error():
    from aolab.viz import GraphvizError

    with pytest.raises(GraphvizError, match="failed"):
        render("digraph { a -> }")


# -- stepper ----------------------------------------------------------------------------
def test_stepper_frame_shows_base_request_result_and_the_hashpath_formed(trace):
    model = StepperModel(trace)
    assert len(model) == len(trace.records)
    frame = model.frame(2)
    record = trace.records[2]
    assert frame["record"]["key"] == "set" and frame["request"] == "path: 'set'\nc: 3"
    assert frame["base"] == "device: 'message@1.0'\na: {b: 'RESULT'}"
    assert frame["result"].endswith("c: 3")
    assert frame["hashpath"] == f"{aolab.id(BASE)} + {record['request']} -> {record['hashpath']}"
    assert frame["hashpath_short"] == (f"{aolab.id(BASE)[:6]}.. + {record['request'][:6]}.. -> "
                                       f"{aolab.id(BASE)[:6]}../{record['request'][:6]}..")
    assert re.search(r's2 \[[^\]]*penwidth="3"', frame["dot"])
    with pytest.raises(IndexError, match="7 steps"):
        model.frame(7)


def test_stepper_window_stays_small_on_a_long_trace():
    lab = aolab.Node()
    message = {"device": "message@1.0", "n": 0}
    for i in range(200):
        message = lab.resolve(message, {"path": "set", "n": i + 1})
    frame = StepperModel(lab.trace, radius=5).frame(100)
    assert frame["dot"].count('id="edge-') == 11
    assert "step 100 of 200 (steps 95 to 105 drawn)" in frame["dot"]
    assert frame["dot"] == StepperModel(lab.trace, radius=5).frame(100)["dot"]


def test_stepper_widget_follows_the_slider(trace, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no dot: frames still show, with the hint
    widget = stepper(trace)
    assert repr(widget) == "<Stepper: 7 steps>"

    def shown():
        return "".join(o["data"].get("text/html", "") for o in widget.output.outputs)

    first = shown()
    assert "<b>step 0</b>" in first and "apt-get install graphviz" in first
    widget.slider.value = 2
    assert "<b>step 2</b>" in shown() and shown() != first
    widget.next.click()
    assert widget.slider.value == 3 and "<b>step 3</b>" in shown()
    widget.previous.click()
    widget.previous.click()
    assert widget.slider.value == 1
    widget.play.value = 5
    assert widget.slider.value == 5 and "<b>step 5</b>" in shown()
    widget.go(99)
    assert widget.slider.value == 6
    assert all(o["output_type"] == "display_data" for o in widget.output.outputs)


@needs_dot
def test_stepper_widget_shows_the_window_as_svg(trace):
    widget = stepper(trace)
    assert any("image/svg+xml" in o["data"] for o in widget.output.outputs)
    assert widget._repr_mimebundle_()["text/plain"] == "<Stepper: 7 steps>"


# -- tables -----------------------------------------------------------------------------
def test_diff_of_identical_traces_has_no_divergence():
    table = diff(make_trace(), make_trace())
    assert list(table.columns) == ["step", "key", "device", "status", "hashpath_a", "hashpath_b",
                                   "same"]
    assert table["same"].all() and table.attrs["first_divergence"] is None


def test_diff_finds_the_first_divergence():
    a, b = aolab.Node(), aolab.Node()
    a.resolve({"x": {"y": {"z": "1"}}}, "x/y/z")
    b.resolve({"x": {"y": {"z": "1"}}}, "x/y")
    b.resolve({"x": {"y": {"z": "2"}}}, "x")
    table = diff(a.trace, b.trace)
    assert table["same"].tolist() == [True, True, False]
    assert table.attrs["first_divergence"] == 2
    assert table.loc[2, "key"] == "z | x"
    dot = divergence_dot(a.trace, b.trace, legend=False)
    assert re.search(r's2 \[[^\]]*penwidth="3"', dot)
    assert 'penwidth="3"' not in divergence_dot(a.trace, a.trace)


def test_diff_of_traces_of_different_lengths():
    a, b = aolab.Node(), aolab.Node()
    a.resolve({"x": {"y": "1"}}, "x/y")
    b.resolve({"x": {"y": "1"}}, "x")
    table = diff(a.trace, b.trace)
    assert table.attrs["first_divergence"] == 1 and pd.isna(table.loc[1, "hashpath_b"])
    assert diff(b.trace, a.trace).loc[1, "key"] == " | y"


def test_process_timeline_keeps_schedule_compute_slot_with_slots():
    lab = aolab.Node(devices={"proc@1.0": {
        "schedule": lambda base, req: {**base, "queued": req.get("slot")},
        "compute": lambda base, req: {**base, "at": req["slot"]},
        "other": lambda base: "ignored"}})
    process = {"device": "proc@1.0", "name": "p"}
    lab.resolve(process, {"path": "schedule", "slot": "0"})
    lab.resolve(process, {"path": "compute", "slot": 1})
    lab.resolve(process, "other")
    table = process_timeline(lab.trace)
    assert table[["step", "key", "slot"]].values.tolist() == [[0, "schedule", 0], [1, "compute", 1]]
    assert str(table["slot"].dtype) == "Int64"
    assert process_timeline(lab.trace.records, keys=("other",))["slot"].isna().all()
    assert len(process_timeline(aolab.Node().trace)) == 0


def test_any_networkx_digraph_can_be_drawn():
    graph = nx.path_graph(8, create_using=nx.DiGraph)
    before = snapshot(graph)
    for view in (None, "summary", "window", "depth"):
        dot = to_dot(graph, view, max_nodes=5)
        assert dot.startswith("digraph merkle {") and dot.endswith("}\n")
    assert 'r0 [label="0"' in to_dot(graph)
    assert snapshot(graph) == before


def test_stepper_model_keeps_the_steps_it_was_made_with():
    import aolab
    from aolab.viz import StepperModel
    lab = aolab.Node()
    lab.resolve({"a": {"b": 1}}, "a/b")
    model = StepperModel(lab.trace)
    lab.resolve({"a": 1}, "a")  # recorded after the model was made
    assert len(model) == 2 and model.frame(1)["steps"] == 2
    assert "of 2" in model.frame(1)["dot"]
