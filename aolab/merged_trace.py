"""Many runs' steps as one trace: what :class:`aolab.dist.Runs` shows as its ``trace``.

A worker sends its steps back as plain dicts (:func:`portable_steps`, made
by :func:`aolab.step.as_portable`: the live messages stay behind).
:class:`MergedTrace` turns them back into :class:`~aolab.step.Step` records,
renumbered run after run, each with its :class:`~aolab.step.Origin` (process
and worker), and builds its graph with the one graph builder
(:mod:`aolab.step_graph`): a message reached by two runs (the same hashpath)
is one node, so identical prefixes merge.

>>> import aolab
>>> lab = aolab.Node()
>>> lab.resolve({"a": {"b": "1"}}, "a/b")
'1'
>>> runs = [{"process_id": "p", "worker": "w", "steps": portable_steps(lab.trace, "p")}] * 2
>>> merged = MergedTrace(runs)
>>> len(merged), merged.graph.number_of_nodes()
(4, 3)
"""
from __future__ import annotations

from .step import MERGED_COLUMNS, Origin, as_portable, from_portable
from .trace import RecordedSteps


def portable_steps(trace, process_id: str) -> list[dict]:
    """A trace's records as plain dicts (hashpaths, keys, devices, statuses, slots).

    The live messages stay behind; ``slot`` is the request's slot, when it has one.
    """
    return [as_portable(record, process_id) for record in trace.records]


class MergedTrace(RecordedSteps):
    """The steps of many runs as one Merkle DAG, merged by hashpath.

    Read like :class:`aolab.Trace` (``graph``, ``records``, ``steps()``,
    ``show()``): steps are renumbered run after run (in the runs' order, not
    the order workers finished), and a message reached by two runs (the same
    hashpath) is one node of the graph, so identical prefixes merge.  Nodes
    and edges carry ``process`` and ``worker``; nodes carry no message.
    """

    COLUMNS = TABLE_COLUMNS = MERGED_COLUMNS

    def __init__(self, runs):
        super().__init__()
        self._records: list = []
        for run in runs:
            origin = Origin(run["process_id"], run["worker"])
            offset = len(self._records)
            self._records.extend(from_portable(step, offset, origin) for step in run["steps"] or ())

    @property
    def records(self) -> list:
        """One :class:`~aolab.step.Step` per step of every run, renumbered."""
        return self._records

    def __repr__(self) -> str:
        return (f"<MergedTrace: {len(self._records):,} steps, "
                f"{self.graph.number_of_nodes():,} messages>")
