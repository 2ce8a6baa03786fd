"""Step through a trace one resolution at a time.

:class:`StepperModel` is the logic, plain Python: ``frame(i)`` gives step
``i``'s record, its base, request and result side by side, the hashpath it
forms (``base hashpath + request part -> result hashpath``) and the DOT text
of the steps around it with step ``i`` highlighted.  :func:`stepper` wraps it
in Jupyter widgets: a Play button and a slider (linked), previous/next buttons
and an Output that shows the current frame.

>>> import aolab
>>> lab = aolab.Node()
>>> lab.resolve({"device": "message@1.0", "a": {"b": "RESULT"}}, "a/b")
'RESULT'
>>> model = StepperModel(lab.trace)
>>> len(model)
2
>>> frame = model.frame(1)
>>> frame["record"]["key"], frame["result"]
('b', "'RESULT'")
>>> frame["hashpath_short"]
'IWV-hh../a + b -> s535aj../b'
"""
from __future__ import annotations

import html

import networkx as nx

from ..step import COLUMNS
from ..step_graph import graph_of_steps
from .tree import format_message, short_hashpath, to_dot

RECORD_FIELDS = tuple(c for c in COLUMNS if c != "ms") + ("error",)


def window_graph(graph: nx.DiGraph, records: list, lo: int, hi: int) -> nx.DiGraph:
    """A new graph of steps ``records[lo:hi + 1]`` only (*graph* is not changed).

    Built from the records by the one graph builder, so a step recomputed
    later keeps its own number; nodes show what *graph* shows for them.
    """
    window = graph_of_steps(records[lo: hi + 1])
    for node, attrs in window.nodes(data=True):
        if node in graph:
            attrs.clear()
            attrs.update(graph.nodes[node])
    return window


class StepperModel:
    """The frames of a trace, one per step (no widgets: drive it from Python).

    Parameters
    ----------
    trace : aolab.Trace
        The recorded trace (read, never changed).  The model shows the steps
        recorded when it was made; steps recorded later need a new model.
    radius : int
        How many steps either side of the current one the frame's DOT draws.
    max_nodes : int
        The most nodes a frame's DOT draws.

    Examples
    --------
    >>> import aolab
    >>> lab = aolab.Node()
    >>> lab.resolve({"a": {"b": "1"}}, "a/b")
    '1'
    >>> StepperModel(lab.trace).frame(0)["record"]["key"]
    'a'
    """

    def __init__(self, trace, *, radius: int = 12, max_nodes: int = 300):
        self.trace = trace
        self.radius = radius
        self.max_nodes = max_nodes
        self._count = len(trace.records)

    def __len__(self) -> int:
        return self._count

    def __repr__(self) -> str:
        return f"<StepperModel: {len(self)} steps>"

    def frame(self, index: int) -> dict:
        """Step *index*: ``record``, ``base``/``request``/``result`` previews,
        ``hashpath`` (full) and ``hashpath_short``, ``dot`` (steps around it)."""
        records, graph = self.trace.records[: self._count], self.trace.graph
        if not 0 <= index < len(records):
            raise IndexError(f"step {index} is out of range: the trace has {len(records)} steps")
        record = records[index]
        base_hp, part = _hashpath_of(graph, record["base"]), record["request"]
        result_hp = record["hashpath"]
        radius = max(0, min(self.radius, (self.max_nodes - 2) // 4))
        lo, hi = max(0, index - radius), min(len(records) - 1, index + radius)
        title = f"step {index} of {len(records)} (steps {lo} to {hi} drawn)"
        window = window_graph(graph, records, lo, hi)
        return {
            "index": index,
            "steps": len(records),
            "record": {k: record[k] for k in RECORD_FIELDS if k in record},
            "base": format_message(_message(graph, record["base"])),
            "request": format_message(record.get("request_message")),
            "result": format_message(_message(graph, record["result"])),
            "hashpath": f"{base_hp} + {part} -> {result_hp}",
            "hashpath_short": f"{short_hashpath(base_hp)} + {short_hashpath(part)} -> "
                              f"{short_hashpath(result_hp)}",
            "dot": to_dot(window, "full", max_nodes=self.max_nodes, highlight=index, title=title),
        }

    def frame_html(self, frame) -> str:
        """A frame (or step number) as HTML: what happened, and the three messages side by side."""
        frame = self.frame(frame) if isinstance(frame, int) else frame
        index, record = frame["index"], frame["record"]
        where = f"depth {record['depth']}"
        if record["parent"] is not None:
            where = f"parent {record['parent']}, {where}"
        head = (f"<p><b>step {index}</b> of {frame['steps']} ({html.escape(where)}): "
                f"<code>{html.escape(str(record['device']))}</code> resolves key "
                f"<code>{html.escape(str(record['key']))}</code> &rarr; "
                f"<b>{html.escape(str(record['status']))}</b></p>")
        if "error" in record:
            head += f"<p style=\"color:#d62728\">{html.escape(str(record['error']))}</p>"
        formed = f"<p title=\"{html.escape(frame['hashpath'])}\">hashpath: <code>" \
                 f"{html.escape(frame['hashpath_short'])}</code></p>"
        cells = "".join(f"<td style=\"vertical-align:top\"><b>{name}</b>"
                        f"<pre>{html.escape(frame[name])}</pre></td>"
                        for name in ("base", "request", "result"))
        return f"{head}{formed}<table><tr>{cells}</tr></table>"


def _hashpath_of(graph, node):
    return graph.nodes[node].get("hashpath") if node in graph else None


def _message(graph, node):
    return graph.nodes[node].get("message") if node in graph else None


class Stepper:
    """The stepper widgets: ``play``, ``slider``, ``previous``, ``next``, ``output``.

    Display it in Jupyter; change ``slider.value`` (or press Play) to move.
    ``model`` is the :class:`StepperModel`; ``widget`` the ``ipywidgets.VBox``.
    """

    def __init__(self, model: StepperModel, *, interval: int = 800):
        import ipywidgets as widgets

        self.model = model
        last = max(len(model) - 1, 0)
        self.play = widgets.Play(min=0, max=last, step=1, interval=interval, description="play")
        self.slider = widgets.IntSlider(min=0, max=last, step=1, description="step",
                                        continuous_update=False)
        widgets.link((self.play, "value"), (self.slider, "value"))
        self.previous = widgets.Button(description="previous", icon="step-backward")
        self.next = widgets.Button(description="next", icon="step-forward")
        self.previous.on_click(lambda _: self.go(self.slider.value - 1))
        self.next.on_click(lambda _: self.go(self.slider.value + 1))
        self.output = widgets.Output()
        self.slider.observe(lambda change: self.draw(change["new"]), names="value")
        controls = widgets.HBox([self.play, self.previous, self.next, self.slider])
        self.widget = widgets.VBox([controls, self.output])
        self._svg: dict = {}
        self.draw(self.slider.value)

    def __repr__(self) -> str:
        return f"<Stepper: {len(self.model)} steps>"

    def go(self, index: int) -> None:
        """Move to step *index* (kept within the trace)."""
        self.slider.value = max(self.slider.min, min(self.slider.max, index))

    def draw(self, index: int) -> None:
        """Fill the output with frame *index*."""
        from IPython.display import HTML, SVG

        from .render import GraphvizNotFound, fit_svg, render

        self.output.outputs = ()
        if len(self.model) == 0:
            self.output.append_display_data(HTML("<p>no steps recorded</p>"))
            return
        frame = self.model.frame(index)
        self.output.append_display_data(HTML(self.model.frame_html(frame)))
        try:
            if index not in self._svg:
                if len(self._svg) > 64:
                    self._svg.clear()
                self._svg[index] = fit_svg(render(frame["dot"], "svg"))[0]
            self.output.append_display_data(SVG(self._svg[index]))
        except GraphvizNotFound as error:
            self.output.append_display_data(HTML(f"<pre>{html.escape(str(error))}</pre>"))

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        if isinstance(bundle, tuple):
            bundle = bundle[0]
        bundle = dict(bundle or {})
        bundle["text/plain"] = repr(self)
        return bundle


def stepper(trace, *, radius: int = 12, max_nodes: int = 300, interval: int = 800) -> Stepper:
    """Widgets to step through *trace* in Jupyter (see :class:`Stepper`).

    >>> import aolab
    >>> lab = aolab.Node()
    >>> lab.resolve({"a": {"b": "1"}}, "a/b")
    '1'
    >>> stepper(lab.trace)  # doctest: +SKIP
    <Stepper: 2 steps>
    """
    return Stepper(StepperModel(trace, radius=radius, max_nodes=max_nodes), interval=interval)
