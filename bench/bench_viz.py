"""Drawing benchmark: to_dot and Graphviz render times from 100 to 100,000 steps.

Run: ``.venv/bin/python bench/bench_viz.py``.  Traces larger than ``max_nodes``
(300) collapse by themselves (to the depth view, else a summary), so the
figures show that drawing stays fast as traces grow; ``scaling_10k_to_100k_x``
near 10 means linear.  Graphs are synthetic (built with networkx directly, a
chain of process/scheduler/stack/message steps, 3 of 4 nested); the stepper is
timed on a recorded trace.  Figures are from one run on one machine.
"""
from __future__ import annotations

import shutil
import time

import networkx as nx

import aolab
from aolab.viz import StepperModel, render, tree_dot

DEVICES = ("process@1.0", "scheduler@1.0", "stack@1.0", "message@1.0")
KEYS = ("compute", "schedule", "slot", "get")


def chain_graph(n: int) -> nx.DiGraph:
    """*n* steps in one chain; step 4k is an outer step, 4k+1..4k+3 run inside it."""
    graph = nx.DiGraph()
    graph.add_node("root", kind="message", hashpath="root", key=None, device=DEVICES[0],
                   depth=0, step=None, message={"n": 0})
    graph.add_nodes_from((f"h{i}", {"kind": "message", "hashpath": f"h{i}", "key": KEYS[i % 4],
                                    "device": DEVICES[i % 4], "depth": i % 4, "step": i,
                                    "message": {"n": i}}) for i in range(n))
    graph.add_edges_from(("root" if i == 0 else f"h{i - 1}", f"h{i}",
                          {"request": KEYS[i % 4], "key": KEYS[i % 4], "device": DEVICES[i % 4],
                           "step": i, "parent": i - 1 if i % 4 else None, "depth": i % 4,
                           "status": "ok"}) for i in range(n))
    return graph


def best_ms(fn, rounds: int = 3) -> float:
    """The fastest of *rounds* calls of *fn*, in milliseconds."""
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1000.0


def recorded_trace(steps: int):
    """A recorded trace of *steps* ``set`` steps, each on the previous result."""
    lab = aolab.Node(name="bench-viz")
    message = {"device": "message@1.0", "n": 0}
    for i in range(steps):
        message = lab.resolve(message, {"path": "set", "n": i + 1})
    lab.trace.graph  # build the DAG before timing the drawing
    return lab.trace


def run() -> dict:
    can_render = shutil.which("dot") is not None
    figures: dict = {}
    for n, name in ((100, "100"), (1_000, "1k"), (10_000, "10k"), (100_000, "100k")):
        graph = chain_graph(n)
        drawing = tree_dot(graph)
        figures[f"view_{name}_steps"] = f"{drawing.view} ({drawing.drawn} nodes)"
        figures[f"to_dot_ms_{name}_steps"] = best_ms(lambda: tree_dot(graph))
        if n >= 10_000:
            figures[f"to_dot_ms_{name}_steps_window"] = best_ms(
                lambda: tree_dot(graph, "window", step=n // 2))
        if can_render:
            figures[f"render_svg_ms_{name}_steps"] = best_ms(lambda: render(drawing.text), 2)
    figures["scaling_10k_to_100k_x"] = (figures["to_dot_ms_100k_steps"]
                                        / figures["to_dot_ms_10k_steps"])
    trace = recorded_trace(1_000)
    model = StepperModel(trace)
    figures["stepper_frame_ms_1k_recorded"] = best_ms(lambda: model.frame(500))
    if can_render:
        frame = model.frame(500)
        figures["stepper_frame_render_ms"] = best_ms(lambda: render(frame["dot"]), 2)
        full = tree_dot(trace, max_nodes=2_000)
        figures["render_svg_ms_1k_recorded_full"] = best_ms(lambda: render(full.text), 1)
    else:
        figures["render"] = "skipped: graphviz `dot` is not installed"
    return figures


if __name__ == "__main__":
    import run as runner  # bench/run.py: prints figures the same way for every benchmark
    runner.show(run())
