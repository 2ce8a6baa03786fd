"""What comes back: :class:`Runs` (the computed results) and :class:`RunsReport` (their check)."""
from __future__ import annotations

from collections.abc import Sequence

from ..merged_trace import MergedTrace

#: The columns of :meth:`RunsReport.table`, one row per re-checked run.
REPORT_COLUMNS = ["process_id", "verified", "slot", "step", "key", "reason", "computed_by",
                  "verified_by", "seconds"]


class Runs(Sequence):
    """The results of :func:`aolab.dist.compute_many`, in the order the processes were given.

    Each item is the plain dict a task returned (``process_id``, ``state``,
    ``hashpath``, ``chain``, ``worker``, ``seconds``, ``steps``, ...).
    :attr:`trace` merges the steps of every worker into one DAG.
    """

    def __init__(self, results: list, messages: list, *, seconds: float, workers: list,
                 record: bool, dashboard: str | None = None, processes: list | None = None):
        self.results, self.messages = results, messages
        #: The processes asked for (each run is checked to be of its own).
        self.processes = processes
        self.seconds, self.workers, self.record = seconds, workers, record
        self.dashboard = dashboard
        self._trace = None

    def __getitem__(self, index):
        return self.results[index]

    def __len__(self) -> int:
        return len(self.results)

    def __repr__(self) -> str:
        return (f"<Runs: {len(self)} processes, {self.slots:,} slots on "
                f"{len(self.workers)} worker(s) in {self.seconds:.2f} s>")

    @property
    def slots(self) -> int:
        """Slots computed, over every process."""
        return sum(run["slots"] for run in self.results)

    @property
    def slots_per_s(self) -> float:
        """Slots scheduled and computed per second of wall-clock time."""
        return self.slots / self.seconds if self.seconds else float("nan")

    def by_id(self, process_id: str) -> dict:
        """The result of one process."""
        for run in self.results:
            if run["process_id"] == process_id:
                return run
        raise KeyError(process_id)

    def table(self):
        """A ``pandas.DataFrame``, one row per process: ID, worker, slots, hashpath, seconds."""
        import pandas as pd

        columns = ["process_id", "worker", "slots", "hashpath", "seconds"]
        return pd.DataFrame([{c: run[c] for c in columns} for run in self.results],
                            columns=columns)

    def per_worker(self):
        """Processes, slots and compute seconds per worker (``pandas.DataFrame``)."""
        table = self.table()
        return table.groupby("worker").agg(processes=("process_id", "size"),
                                           slots=("slots", "sum"), seconds=("seconds", "sum"))

    @property
    def trace(self) -> "MergedTrace":
        """Every worker's steps in one DAG (requires ``record=True``)."""
        if self._trace is None:
            if not self.record:
                raise ValueError("these runs were computed with record=False: no steps to merge")
            self._trace = MergedTrace(self.results)
        return self._trace

    @property
    def graph(self):
        """The merged ``networkx.DiGraph`` (see :class:`MergedTrace`)."""
        return self.trace.graph

    def steps(self):
        """The merged steps as a ``pandas.DataFrame``."""
        return self.trace.steps()


class RunsReport:
    """What :func:`aolab.dist.verify_many` found; true when every result verified.

    :attr:`rows` holds one dict per process: ``process_id, verified, slot,
    step, key, reason, computed_by, verified_by, seconds``: each the
    :class:`aolab.verify.Report` of :func:`aolab.dist.check_run` on a worker,
    with where it ran.
    """

    def __init__(self, rows: list, runs: Runs, seconds: float):
        self.rows, self.runs, self.seconds = rows, runs, seconds

    def __bool__(self) -> bool:
        return all(row["verified"] for row in self.rows)

    def __repr__(self) -> str:
        counts = self.counts()
        return f"<RunsReport: {counts['verified']} verified, {counts['diverged']} diverged>"

    def counts(self) -> dict:
        """``{"verified": n, "diverged": m}``."""
        verified = sum(row["verified"] for row in self.rows)
        return {"verified": verified, "diverged": len(self.rows) - verified}

    @property
    def diverged(self) -> list[dict]:
        """The rows of the results that did not verify."""
        return [row for row in self.rows if not row["verified"]]

    def table(self):
        """The rows as a ``pandas.DataFrame``."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=REPORT_COLUMNS)

    def summary(self):
        """Per worker: processes it computed, how many verified or diverged, its
        compute seconds, and the results it re-checked for others (``pandas``).
        The last row, ``all``, sums the columns."""
        import pandas as pd

        rows = self.table()
        computed = self.runs.per_worker()
        workers = sorted(set(computed.index) | set(rows["verified_by"]))
        table = pd.DataFrame(index=pd.Index(workers, name="worker"))
        table["computed"] = computed["processes"]
        table["verified"] = rows[rows["verified"]].groupby("computed_by").size()
        table["diverged"] = rows[~rows["verified"]].groupby("computed_by").size()
        table["compute_s"] = computed["seconds"]
        table["checked"] = rows.groupby("verified_by").size()
        table["verify_s"] = rows.groupby("verified_by")["seconds"].sum()
        table = table.fillna(0)
        for column in ("computed", "verified", "diverged", "checked"):
            table[column] = table[column].astype(int)
        table.loc["all"] = table.sum()
        return table.round({"compute_s": 3, "verify_s": 3})
