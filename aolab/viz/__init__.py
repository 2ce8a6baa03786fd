"""aolab.viz: draw and tabulate recorded traces; it only ever reads them.

* :func:`to_dot` turns a trace graph into Graphviz DOT text (pure);
* :func:`render`, :func:`export` and :func:`show` turn DOT into SVG/PNG/HTML
  with Graphviz's ``dot`` program;
* :func:`stepper` steps through a trace in Jupyter (its logic is
  :class:`StepperModel`);
* :func:`diff` and :func:`process_timeline` are ``pandas`` tables.

>>> import aolab, aolab.viz
>>> lab = aolab.Node()
>>> lab.resolve({"device": "message@1.0", "a": {"b": "RESULT"}}, "a/b")
'RESULT'
>>> aolab.viz.show(lab.trace)
<Merkle tree: 2 steps, 3 drawn>
"""
from __future__ import annotations

from .render import Drawing, GraphvizError, GraphvizNotFound, export, render, show
from .stepper import StepperModel, stepper
from .tables import diff, divergence_dot, process_timeline
from .tree import TreeDot, format_message, graph_of, preview, short_hashpath, to_dot, tree_dot
from ..trace import VIEWERS

VIEWERS.update(show=show, stepper=stepper)  # Trace.show() and Trace.stepper() draw with these

__all__ = [
    "Drawing", "GraphvizError", "GraphvizNotFound", "StepperModel", "TreeDot", "diff",
    "divergence_dot", "export", "format_message", "graph_of", "preview", "process_timeline",
    "render", "short_hashpath", "show", "stepper", "to_dot", "tree_dot",
]
