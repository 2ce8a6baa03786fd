"""The Merkle execution DAG as a pure function of step records.

Each message that takes part in a computation is a node keyed by its hashpath
(a message never computed is keyed by its ID); each step is an edge
``base -> result`` labelled with what the request contributed to the hashpath.
The rules, in one place for every reader (:class:`aolab.Trace`, merged traces,
the stepper's windows, loaded trace files):

- a base node is added the first time a message is a base (``kind``
  ``message``, no ``step``);
- a result node shows the outermost step that reached it: two steps can reach
  one hashpath (a stack's first inner call and the stack call itself), and the
  node keeps the one of lesser ``depth``, as the store keeps it;
- an edge carries the step's ``request``, ``key``, ``device``, ``step``,
  ``parent``, ``depth`` and ``status`` (the last step along it wins).

Node attributes: ``kind`` (``message``, ``value`` or ``error``), ``hashpath``,
``key``, ``device``, ``depth``, ``step`` and the ``message`` itself (None in a
merged trace); a merged step's nodes and edges also carry ``process`` and
``worker``.  ``graph.graph["records"]`` is the list of records it was built
from, so that readers given only the graph read the records, not the edges.

>>> import aolab
>>> with aolab.recording() as trace:
...     aolab.resolve({"a": {"b": "RESULT"}}, "a/b")
'RESULT'
>>> graph = graph_of_steps(trace.records)
>>> graph.number_of_nodes(), graph.number_of_edges()
(3, 2)
"""
from __future__ import annotations

import networkx as nx


def graph_of_steps(records) -> nx.DiGraph:
    """A new DAG of *records* (see the module docstring)."""
    records = list(records)
    graph = nx.DiGraph()
    add_steps(graph, records)
    graph.graph["records"] = records
    return graph


def add_steps(graph: nx.DiGraph, records, start: int = 0) -> int:
    """Add ``records[start:]`` to *graph*; return how many records it now holds."""
    for index in range(start, len(records)):
        add_step(graph, records[index])
    return len(records)


def add_step(graph: nx.DiGraph, record) -> None:
    """Add one step record's base node, result node and edge to *graph*."""
    base, result, origin = record.base, record.result, record.origin
    where = {} if origin is None else {"process": origin.process, "worker": origin.worker}
    if base not in graph:
        graph.add_node(base, kind="message", hashpath=record.base_hashpath, key=None,
                       device=device_of(record.base_message), depth=record.depth, step=None,
                       message=record.base_message, **where)
    existing = graph.nodes.get(result)
    if existing is None or existing.get("step") is None or record.depth <= existing["depth"]:
        graph.add_node(result, kind=record.kind, hashpath=record.hashpath, key=record.key,
                       device=record.device, depth=record.depth, step=record.step,
                       message=record.result_message, **where)
    graph.add_edge(base, result, request=record.request_part, key=record.key,
                   device=record.device, step=record.step, parent=record.parent,
                   depth=record.depth, status=record.status, **where)


def device_of(message) -> str | None:
    """The device a base message names (``<inline>`` for a device given as code)."""
    if isinstance(message, dict):
        device = message.get("device")
        return device if isinstance(device, str) else (None if device is None else "<inline>")
    return None
