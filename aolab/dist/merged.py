"""Many runs' steps as one Merkle DAG, merged by hashpath (:class:`MergedTrace`)."""
from __future__ import annotations


class MergedTrace:
    """The steps of many runs as one Merkle DAG, merged by hashpath.

    Read like :class:`aolab.Trace` (``graph``, ``records``, ``steps()``,
    ``show()``): steps are renumbered run after run (in the runs' order, not
    the order workers finished), and a message reached by two runs (the same
    hashpath) is one node of the graph, so identical prefixes merge.  Nodes
    and edges carry ``process`` and ``worker``; nodes carry no message.
    """

    COLUMNS = ("step", "parent", "depth", "process", "worker", "slot", "device", "key", "status",
               "base", "request", "result", "hashpath", "ms")

    def __init__(self, runs):
        import networkx as nx

        self.graph = nx.DiGraph()
        self.records: list[dict] = []
        for run in runs:
            self._add_run(run)

    def __len__(self) -> int:
        return len(self.records)

    def __repr__(self) -> str:
        return (f"<MergedTrace: {len(self.records):,} steps, "
                f"{self.graph.number_of_nodes():,} messages>")

    def _add_run(self, run: dict) -> None:
        offset, graph = len(self.records), self.graph
        for step in run["steps"] or ():
            record = {**step, "step": step["step"] + offset, "worker": run["worker"],
                      "parent": None if step["parent"] is None else step["parent"] + offset}
            for end in ("base", "result"):
                if not record[end] or "/" not in record[end] and ":" in record[end]:
                    record[end] = f"{run['process_id']}:{record[end]}"  # unhashed: per run
            self.records.append(record)
            if record["base"] not in graph:
                graph.add_node(record["base"], kind="message", hashpath=record["base"]
                               if ":" not in record["base"] else None, key=None,
                               device=None, depth=record["depth"], step=None,
                               process=run["process_id"], worker=run["worker"], message=None)
            existing = graph.nodes.get(record["result"])
            if existing is None or existing.get("step") is None \
                    or record["depth"] <= existing["depth"]:
                graph.add_node(record["result"], kind=record["kind"], hashpath=record["hashpath"],
                               key=record["key"], device=record["device"], depth=record["depth"],
                               step=record["step"], process=run["process_id"],
                               worker=run["worker"], message=None)
            if not graph.has_edge(record["base"], record["result"]):
                graph.add_edge(record["base"], record["result"], request=record["request"],
                               key=record["key"], device=record["device"], step=record["step"],
                               parent=record["parent"], depth=record["depth"],
                               status=record["status"], process=run["process_id"],
                               worker=run["worker"])

    def steps(self):
        """A ``pandas.DataFrame``, one row per step of every run."""
        import pandas as pd

        return pd.DataFrame([{c: r.get(c) for c in self.COLUMNS} for r in self.records],
                            columns=list(self.COLUMNS))

    def show(self, **view):
        """The merged tree drawn for Jupyter (see :func:`aolab.viz.show`)."""
        from ..viz import show
        return show(self, **view)
