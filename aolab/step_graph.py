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

from collections.abc import MutableMapping

import networkx as nx


class StepAttrs(MutableMapping):
    """The attributes of one node or edge, read from the step record it shows.

    A graph of a million steps keeps a million records already: its node and
    edge attributes are views of them (three slots each) rather than dicts
    copied from them.  A view reads like the dict it stands for, and the
    first write turns it into a plain dict of its own (what it showed, then
    the write), so that a graph can be annotated like any networkx graph."""

    __slots__ = ("_record", "_role", "_own")

    def __init__(self, *args, **kwargs):
        self._record = self._role = None
        self._own = dict(*args, **kwargs) if args or kwargs else None

    def bind(self, record, role: str) -> None:
        """Show *record* as a ``base`` node, a ``result`` node or an ``edge``
        (a dict already written to is updated with the record's attributes)."""
        if self._own is not None:
            self._own.update(_attributes(record, role))
        else:
            self._record, self._role = record, role

    def _dict(self) -> dict:
        if self._own is None:
            self._own = {} if self._record is None else _attributes(self._record, self._role)
            self._record = self._role = None
        return self._own

    def __getitem__(self, name):
        if self._own is not None or self._record is None:
            return (self._own or {})[name]
        return _READERS[self._role][name](self._record)

    def __iter__(self):
        if self._own is not None or self._record is None:
            return iter(self._own or ())
        return iter(_names(self._record, self._role))

    def __len__(self) -> int:
        if self._own is not None or self._record is None:
            return len(self._own or ())
        return len(_names(self._record, self._role))

    def __contains__(self, name) -> bool:
        if self._own is not None or self._record is None:
            return name in (self._own or ())
        return name in _names(self._record, self._role)

    def get(self, name, default=None):
        """``self[name]``, or *default*."""
        try:
            return self[name]
        except KeyError:
            return default

    def __setitem__(self, name, value) -> None:
        self._dict()[name] = value

    def __delitem__(self, name) -> None:
        del self._dict()[name]

    def copy(self) -> dict:
        """The attributes as a plain dict."""
        return dict(self.items())

    def __repr__(self) -> str:
        return repr(self.copy())

    def __reduce__(self):
        return (StepAttrs, (self.copy(),))


_NONE = object()


class Neighbours(MutableMapping):
    """One node's successors or predecessors (networkx's inner adjacency dict).

    Most nodes of an execution DAG have one edge in and at most one out: one
    neighbour is held in two slots, and a plain dict is made for the second
    (networkx's own subclassing hooks, as in its ``ThinGraph`` example)."""

    __slots__ = ("_key", "_value", "_more")

    def __init__(self, *args, **kwargs):
        self._key = self._value = _NONE
        self._more = None
        if args or kwargs:
            self.update(*args, **kwargs)

    def __getitem__(self, key):
        if self._more is not None:
            return self._more[key]
        if self._key is not _NONE and self._key == key:
            return self._value
        raise KeyError(key)

    def __setitem__(self, key, value) -> None:
        if self._more is not None:
            self._more[key] = value
        elif self._key is _NONE or self._key == key:
            self._key, self._value = key, value
        else:
            self._more = {self._key: self._value, key: value}
            self._key = self._value = _NONE

    def __delitem__(self, key) -> None:
        if self._more is not None:
            del self._more[key]
        elif self._key is not _NONE and self._key == key:
            self._key = self._value = _NONE
        else:
            raise KeyError(key)

    def __iter__(self):
        if self._more is not None:
            return iter(self._more)
        return iter(() if self._key is _NONE else (self._key,))

    def __len__(self) -> int:
        if self._more is not None:
            return len(self._more)
        return 0 if self._key is _NONE else 1

    def __contains__(self, key) -> bool:
        if self._more is not None:
            return key in self._more
        return self._key is not _NONE and self._key == key

    def copy(self) -> dict:
        """The neighbours as a plain dict."""
        return dict(self.items())

    def __repr__(self) -> str:
        return repr(self.copy())

    def __reduce__(self):
        return (Neighbours, (self.copy(),))


class StepGraph(nx.DiGraph):
    """A ``networkx.DiGraph`` whose node and edge attributes are :class:`StepAttrs`
    and whose inner adjacency mappings are :class:`Neighbours` (a recorded step
    costs about half the memory of plain dicts; every networkx function reads
    it as it reads any ``DiGraph``)."""

    node_attr_dict_factory = StepAttrs
    edge_attr_dict_factory = StepAttrs
    adjlist_inner_dict_factory = Neighbours


_WHERE = ("process", "worker")
_READERS = {
    "base": {"kind": lambda r: "message", "hashpath": lambda r: r.base_hashpath,
             "key": lambda r: None, "device": lambda r: device_of(r.base_message),
             "depth": lambda r: r.depth, "step": lambda r: None,
             "message": lambda r: r.base_message},
    "result": {"kind": lambda r: r.kind, "hashpath": lambda r: r.hashpath, "key": lambda r: r.key,
               "device": lambda r: r.device, "depth": lambda r: r.depth, "step": lambda r: r.step,
               "message": lambda r: r.result_message},
    "edge": {"request": lambda r: r.request_part, "key": lambda r: r.key,
             "device": lambda r: r.device, "step": lambda r: r.step, "parent": lambda r: r.parent,
             "depth": lambda r: r.depth, "status": lambda r: r.status},
}
for _readers in _READERS.values():
    _readers.update(process=lambda r: r.origin.process, worker=lambda r: r.origin.worker)
_NAMES = {role: (tuple(k for k in readers if k not in _WHERE), tuple(readers))
          for role, readers in _READERS.items()}


def _names(record, role: str) -> tuple:
    return _NAMES[role][record.origin is not None]


def _attributes(record, role: str) -> dict:
    readers = _READERS[role]
    return {name: readers[name](record) for name in _names(record, role)}


def graph_of_steps(records) -> StepGraph:
    """A new DAG of *records* (see the module docstring)."""
    records = list(records)
    graph = StepGraph()
    add_steps(graph, records)
    graph.graph["records"] = records
    return graph


def add_steps(graph: nx.DiGraph, records, start: int = 0) -> int:
    """Add ``records[start:]`` to *graph*; return how many records it now holds."""
    for index in range(start, len(records)):
        add_step(graph, records[index])
    return len(records)


def add_step(graph: nx.DiGraph, record) -> None:
    """Add one step record's base node, result node and edge to *graph* (a
    :class:`StepGraph` shows the record through views; another graph gets dicts)."""
    base, result = record.base, record.result
    nodes = graph.nodes
    new_base = base not in nodes
    existing = nodes.get(result)
    takes_result = existing is None or existing.get("step") is None or record.depth <= existing["depth"]
    graph.add_edge(base, result)
    for node_or_edge, role, wanted in ((nodes[base], "base", new_base),
                                       (nodes[result], "result", takes_result),
                                       (graph.edges[base, result], "edge", True)):
        if not wanted:
            continue
        if isinstance(node_or_edge, StepAttrs):
            node_or_edge.bind(record, role)
        else:
            node_or_edge.update(_attributes(record, role))


def device_of(message) -> str | None:
    """The device a base message names (``<inline>`` for a device given as code)."""
    if isinstance(message, dict):
        device = message.get("device")
        return device if isinstance(device, str) else (None if device is None else "<inline>")
    return None
