"""Scale-out: many processes computed, and re-checked, on a Dask cluster.

Every task here is a pure function of messages: given a process message and
the messages to schedule on it, a fresh :class:`aolab.Node` (in a Dask worker,
or in this process) spawns the process, schedules the messages, computes to
the last slot and returns a plain dict: the process ID, the final state (a
message carrying its hashpath), the hashpath, the head of the assignment hash
chain, the worker that ran it, timings and (when recording) the steps as plain
records.  Nothing but messages and plain values crosses the wire.

* :func:`compute_many` shards processes over the workers (``chunk`` processes
  per task) and returns :class:`Runs`: the results in order, and
  :attr:`Runs.trace`, one DAG merged from every worker's records by hashpath.
* :func:`verify_many` re-executes every result on another worker and compares
  hashpath and content; a :class:`Report` names what diverged.
* :func:`resolve_sharded` resolves one stack@1.0 request in ``map`` mode with
  each device of the stack on a worker; the recombined result has the ID and
  hashpath of ``aolab.resolve(base, request)``.

Dask (``dask[distributed]``) is optional: with ``client=None``, or without
Dask installed, the same task functions run here, one after another.  A
``distributed.Client()`` with no arguments starts an embedded local cluster
(no server to set up); ``Client("tcp://host:8786")`` uses a real one.

>>> import aolab
>>> from aolab import dist
>>> runs = dist.compute_many(aolab.Node(record=False), 2, slots=3)
>>> [run["state"]["count"] for run in runs]      # process i adds i, i+1, i+2
[3, 6]
>>> runs[0]["worker"]
'in-process'
>>> report = dist.verify_many(runs)
>>> bool(report), report.counts()
(True, {'verified': 2, 'diverged': 0})
"""
from __future__ import annotations

import math
import time
import uuid
from collections.abc import Sequence

from . import hashpaths as hp
from .errors import AolabError, DeviceError, KeyNotFound, ResolutionError
from .ids import id as message_id
from .message import get_key
from .node import Network, Node
from .resolve import answers, as_request, base_hashpath, caller_base, with_hashpath
from .merged_trace import MergedTrace, portable_steps  # noqa: F401 - Runs.trace; re-exported
from .step import COLUMNS
from .store import storable
from .verify import content_id

IN_PROCESS = "in-process"
#: Trace record fields carried back from a worker (see :class:`aolab.Trace`).
STEP_FIELDS = COLUMNS
#: Tasks per worker when ``chunk`` is not given: enough to balance, few enough to be cheap.
TASKS_PER_WORKER = 16
#: How often a task is rerun after it raised (a killed worker's tasks rerun anyway).
RETRIES = 2
#: Seconds between checks that the workers a task is placed on are still there.
WATCH_SECONDS = 1.0


# -- process specs ---------------------------------------------------------------

def counter_processes(count: int, slots: int) -> list[tuple[dict, list[dict]]]:
    """*count* deterministic counter@1.0 processes with *slots* messages each.

    Process ``i`` is ``{"device": "process@1.0", "execution-device":
    "counter@1.0", "name": "counter-<i>"}``; its message ``n`` adds ``i + n``,
    so after slot ``k`` its count is ``(k + 1) * i + k * (k + 1) / 2``.

    >>> process, messages = counter_processes(3, 2)[2]
    >>> process["name"], messages
    ('counter-2', [{'action': 'add', 'amount': 2}, {'action': 'add', 'amount': 3}])
    """
    return [({"device": "process@1.0", "execution-device": "counter@1.0", "name": f"counter-{i}"},
             [{"action": "add", "amount": i + n} for n in range(slots)])
            for i in range(count)]


def as_specs(processes, slots: int | None) -> list[tuple[dict, list[dict]]]:
    """``(process, messages)`` pairs from what :func:`compute_many` accepts.

    *processes* is an integer (that many :func:`counter_processes`), or a list
    whose items are ``(process, messages)`` pairs or ``{"process": ...,
    "messages": [...]}`` messages.
    """
    if isinstance(processes, int) and not isinstance(processes, bool):
        return counter_processes(processes, 100 if slots is None else slots)
    specs = []
    for item in processes:
        process, messages = (item["process"], item["messages"]) if isinstance(item, dict) else item
        specs.append(({"device": "process@1.0", **process}, list(messages)))
    return specs


# -- the tasks (pure, top-level: they run wherever Dask sends them) ----------------

def compute_process(process: dict, messages: list, slots: int, record: bool = False,
                    worker: str = IN_PROCESS) -> dict:
    """Spawn *process* on a fresh node, schedule *messages*, compute slot ``slots - 1``.

    Returns the result as a plain dict (see the module doc); ``steps`` is None
    unless *record*.
    """
    if not 1 <= slots <= len(messages):
        raise ValueError(f"cannot compute {slots} slots of a process given {len(messages)} "
                         "messages")
    node = Node(name="dist", record=record, network=Network())
    started, clock = time.time(), time.perf_counter()
    spawned = node.spawn(process)
    for message in messages:
        last = node.schedule(spawned, message)
    state = node.compute(spawned, slot=slots - 1)
    seconds = time.perf_counter() - clock
    process_id = message_id(spawned)
    return {"process_id": process_id, "process": spawned, "slots": slots,
            "state": storable(state), "hashpath": hp.hashpath_of(state),
            "chain": last["hash-chain"], "worker": worker, "started": started,
            "seconds": seconds,
            "steps": portable_steps(node.trace, process_id) if record else None}


def compute_chunk(specs: list, slots: int | None, record: bool) -> list[dict]:
    """:func:`compute_process` for each ``(process, messages)`` of a task."""
    worker = worker_address()
    return [compute_process(process, messages, len(messages) if slots is None else slots,
                            record, worker) for process, messages in specs]


def verify_process(run: dict, messages: list, worker: str = IN_PROCESS,
                   process: dict | None = None) -> dict:
    """Re-execute one result of :func:`compute_process` and compare it.

    *process* is the process that was asked for (when known): the run must be
    of that process, and it is that process, not the one the run names, that
    is re-executed.  Checks, in order: the process message has the claimed ID; the schedule's
    hash chain ends at the claimed head; the steps recomputed are the claimed
    ones (when the run carries steps); the final hashpath and the final content
    (:func:`aolab.verify.content_id`) are the claimed ones.  The row names the
    first difference: ``reason``, ``slot`` and ``step``.
    """
    clock = time.perf_counter()
    row = {"process_id": run["process_id"], "verified": False, "slot": None, "step": None,
           "key": None, "reason": None, "computed_by": run.get("worker"), "verified_by": worker}
    try:
        row.update(_first_difference(run, messages, process))
    except (AolabError, ValueError, KeyError, TypeError) as exc:
        row.update(reason=f"re-execution failed: {type(exc).__name__}: {exc}")
    row["verified"] = row["reason"] is None
    row["seconds"] = time.perf_counter() - clock
    return row


def _first_difference(run: dict, messages: list, process: dict | None = None) -> dict:
    """What :func:`verify_process` found: ``{}`` when nothing differs."""
    last_slot = run["slots"] - 1
    claimed = run["state"]
    node = Node(name="verify", record=run.get("steps") is not None, network=Network())
    if process is not None and message_id(node.spawn(run["process"])) != message_id(node.spawn(process)):
        return {"reason": "the run is of another process than the one asked for"}
    spawned = node.spawn(run["process"] if process is None else process)
    if message_id(spawned) != run["process_id"]:
        return {"reason": "the process message does not have the claimed process ID"}
    if not isinstance(claimed, dict):
        return {"reason": "the run's final state is not a message"}
    last = {}
    for message in messages:
        last = node.schedule(spawned, message)
    if last.get("hash-chain") != run["chain"]:
        return {"slot": last_slot, "key": "schedule",
                "reason": "the schedule's hash chain does not end at the claimed head"}
    state = node.compute(spawned, slot=last_slot)
    if run.get("steps") is not None:
        found = _first_step_difference(run["steps"], portable_steps(node.trace, run["process_id"]))
        if found:
            return found
    recomputed = hp.hashpath_of(state)
    for claim in (run["hashpath"], hp.hashpath_of(claimed)):
        if claim != recomputed:
            return {"slot": last_slot, "key": "compute",
                    "reason": f"hashpath {recomputed} where the result claims {claim}"}
    if content_id(state) != content_id(claimed):
        changed = sorted(k for k in set(state) | set(claimed)
                         if k != "priv" and state.get(k) != claimed.get(k))
        return {"slot": last_slot, "key": "compute",
                "reason": f"the final state differs from the re-executed one in {changed}"}
    return {}


def _first_step_difference(claimed: list, recomputed: list) -> dict:
    for index in range(max(len(claimed), len(recomputed))):
        a = claimed[index] if index < len(claimed) else {}
        b = recomputed[index] if index < len(recomputed) else {}
        if all(a.get(k) == b.get(k) for k in ("key", "device", "status", "hashpath")):
            continue
        slot = next((r["slot"] for r in recomputed[index:] if r.get("slot") is not None), None)
        return {"step": index, "slot": slot, "key": b.get("key", a.get("key")),
                "reason": f"step {index} ({b.get('device')} {b.get('key')}) has hashpath "
                          f"{b.get('hashpath')} where the result's trace claims "
                          f"{a.get('hashpath')}"}
    return {}


def verify_chunk(items: list) -> list[dict]:
    """:func:`verify_process` for each ``(run, messages)`` of a task."""
    worker = worker_address()
    return [verify_process(run, messages, worker, *process) for run, messages, *process in items]


def resolve_part(base: dict, request: dict, name: str) -> dict:
    """Resolve *request* on the device *name* of the stack *base*, as map mode does.

    Returns ``{name, status, value, worker}``; ``status`` is ``None`` when the
    device does not answer the key (map mode leaves it out).
    """
    node = Node(name="shard", record=False, network=Network())
    part_base = _stack_function(node, base, "transform")(base, name)
    outcome = {"name": name, "status": None, "value": None, "worker": worker_address()}
    if not _answered(part_base, request, node.opts()):
        return outcome
    try:
        status, value = node.resolve_status(part_base, request)
    except KeyNotFound:
        return outcome
    outcome.update(status=status, value=storable(value) if isinstance(value, dict) else value)
    return outcome


def echo(value):
    """A trivial task (the benchmark's measure of what a round trip through Dask costs)."""
    return value


def worker_address() -> str:
    """The Dask worker running this task, or ``"in-process"``."""
    try:
        from distributed import get_worker
        return get_worker().address
    except (ImportError, ValueError):
        return IN_PROCESS


# -- running them: on a client, or here -----------------------------------------

def workers_of(client) -> list[str]:
    """The addresses of a client's workers (``["in-process"]`` without a client)."""
    if client is None:
        return [IN_PROCESS]
    return sorted(client.scheduler_info(n_workers=-1)["workers"])


def _chunks(items: list, chunk: int | None, workers: int) -> list[list]:
    if chunk is None:
        chunk = max(1, math.ceil(len(items) / (TASKS_PER_WORKER * max(workers, 1))))
    return [items[i:i + chunk] for i in range(0, len(items), chunk)]


def _run_tasks(function, chunks: list, client, name: str, progress=None, placement=None) -> list:
    """``function(*args)`` for every args tuple of *chunks*; results in chunk order.

    On a client: one Dask task per chunk, retried when it raises (Dask itself
    reruns the tasks of a worker that died), gathered as they complete.
    *placement(index, alive_workers)* names the only workers task ``index``
    may run on (None: any); a task whose workers have all left is placed again.
    """
    results: list = [None] * len(chunks)
    if client is None:
        for index, args in enumerate(chunks):
            results[index] = function(*args)
            if progress is not None:
                progress(index + 1, len(chunks))
        return results
    from distributed import wait

    token = uuid.uuid4().hex[:12]
    pending: dict = {}  # future -> (chunk index, its workers, attempt)

    def submit(index: int, alive: list, attempt: int = 0) -> None:
        workers = None if placement is None else placement(index, alive)
        key = f"aolab-{name}-{token}-{index}" + (f"-{attempt}" if attempt else "")
        future = client.submit(function, *chunks[index], key=key, retries=RETRIES,
                               workers=workers, allow_other_workers=False)
        pending[future] = (index, workers, attempt)

    alive = workers_of(client) if placement is not None else []
    for index in range(len(chunks)):
        submit(index, alive)
    done = 0
    while pending:
        try:
            finished = wait(list(pending), timeout=WATCH_SECONDS,
                            return_when="FIRST_COMPLETED").done
        except TimeoutError:
            finished = ()
        for future in finished:
            results[pending.pop(future)[0]] = future.result()
            future.release()  # gathered: a worker lost later need not recompute it
            done += 1
            if progress is not None:
                progress(done, len(chunks))
        if placement is not None and pending:
            alive = workers_of(client)
            for future, (index, workers, attempt) in list(pending.items()):
                if workers and not set(alive).intersection(workers):
                    del pending[future]
                    future.cancel()
                    submit(index, alive, attempt + 1)
    return results


def compute_many(lab, processes, slots: int | None = None, client=None, record=None,
                 chunk: int | None = None, progress=None) -> "Runs":
    """Compute many processes, sharded over a Dask client's workers (or here).

    Parameters
    ----------
    lab : aolab.Node or None
        The client-side node: ``record`` defaults to its recording setting, and
        every process and final state is written to its store (so
        ``lab.fetch(run["hashpath"])`` returns the state).
    processes : int or list
        ``N`` (``N`` :func:`counter_processes` with *slots* messages each,
        ``slots`` defaulting to 100), or ``(process, messages)`` pairs.
    slots : int, optional
        Compute slots ``0 .. slots - 1`` (default: every message scheduled).
    client : distributed.Client, optional
        Without one, the tasks run in this process, one after another.
    record : bool, optional
        Record every step in the workers and merge the records (:attr:`Runs.trace`).
    chunk : int, optional
        Processes per task (default: about 16 tasks per worker).
    progress : callable, optional
        ``progress(tasks_done, tasks)`` after each task is gathered.

    Returns
    -------
    Runs
        One result per process, in the order given.
    """
    record = (lab.recording if lab is not None else False) if record is None else bool(record)
    specs = as_specs(processes, slots)
    workers = workers_of(client)
    chunks = [(part, slots, record) for part in _chunks(specs, chunk, len(workers))]
    started = time.perf_counter()
    results = [run for chunk_runs in _run_tasks(compute_chunk, chunks, client, "compute", progress)
               for run in chunk_runs]
    seconds = time.perf_counter() - started
    if lab is not None:
        for run in results:
            lab.store.write(run["process"])
            lab.store.write_result(run["hashpath"], run["state"])
    return Runs(results, [messages for _, messages in specs], seconds=seconds, workers=workers,
                record=record, dashboard=_dashboard(client),
                processes=[process for process, _ in specs])


def verify_many(runs: "Runs", client=None, chunk: int | None = None, progress=None) -> "Report":
    """Re-execute every result of *runs* and compare it (see :func:`verify_process`).

    On a client with two workers or more, each result is re-executed on a
    worker other than the one that computed it (on any worker when the one
    that computed it has left, or is the only one).
    """
    workers = workers_of(client)
    by_worker: dict[str, list] = {}
    asked = runs.processes if runs.processes is not None else [None] * len(runs)
    if len(asked) != len(runs) or len(runs.messages) != len(runs):
        raise ValueError(f"verify_many: {len(runs)} results for {len(asked)} processes asked for")
    for run, messages, process in zip(runs, runs.messages, asked):
        by_worker.setdefault(run["worker"], []).append((run, messages, process))
    chunks, computed_by = [], []
    for worker in sorted(by_worker):
        for part in _chunks(by_worker[worker], chunk, len(workers)):
            chunks.append((part,))
            computed_by.append(worker)

    def placement(index, alive):
        others = [w for w in alive if w != computed_by[index]]
        return others if others and len(others) < len(alive) else None

    started = time.perf_counter()
    rows = [row for chunk_rows in _run_tasks(verify_chunk, chunks, client, "verify", progress,
                                             placement if client is not None else None)
            for row in chunk_rows]
    order = {run["process_id"]: index for index, run in enumerate(runs)}
    rows.sort(key=lambda row: order[row["process_id"]])
    return Report(rows, runs, seconds=time.perf_counter() - started)


def resolve_sharded(base: dict, request, client=None, lab=None) -> dict:
    """Resolve a stack@1.0 *request* in ``map`` mode with each device on a worker.

    The parts (one per device of ``device-stack``) are resolved by
    :func:`resolve_part` and recombined here into ``name -> result``, with the
    hashpath the resolver gives the stack call; so the result has the ID and
    hashpath of ``aolab.resolve(base, request)`` on one machine.  Where each
    part ran is in ``priv/shards``.  With *lab*, the result is stored there
    like any step's result.

    >>> import aolab
    >>> base = {"device": "stack@1.0", "device-stack": ["counter@1.0", "counter@1.0"], "count": 1}
    >>> request = {"path": "add", "amount": 2, "mode": "map"}
    >>> sharded = resolve_sharded(base, request)
    >>> single = aolab.resolve(base, request)
    >>> aolab.id(sharded) == aolab.id(single), aolab.hashpath(sharded) == aolab.hashpath(single)
    (True, True)
    """
    node = lab if lab is not None else Node(name="shards", record=False, network=Network())
    request = as_request(request)
    key = request.get("path")
    mode = str(request.get("mode", base.get("mode", "fold"))).lower()
    if not isinstance(key, str) or "/" in key or mode != "map":
        raise ResolutionError(f"resolve_sharded: only a one-key request in map mode can be "
                              f"sharded (got path {key!r}, mode {mode!r})", key=str(key))
    names = list(_stack_function(node, base, "device-stack")(base))
    parts = _run_tasks(resolve_part, [(base, request, name) for name in names], client, "shard")
    combined = {part["name"]: part["value"] for part in parts if part["status"] == "ok"}
    alg = hp.algorithm_of(base)
    if lab is not None:  # a claimed hashpath is kept only if lab computed it (see resolve)
        base = caller_base(base, lab.opts())
    base_hp, part = base_hashpath(base, lab.opts() if lab is not None else None), hp.request_part(request)
    hashpath = hp.join(base_hp, part, alg)
    if lab is not None:
        lab.store.write_step(hashpath, combined, base_hp, base, part, request,
                             hp.compress(hashpath, alg))
    result = with_hashpath(combined, hashpath)
    result["priv"]["shards"] = {p["name"]: p["worker"] for p in parts}
    return result


def _stack_function(node, base: dict, key: str):
    """The stack device's own ``device-stack`` / ``transform`` helper, found through
    the node's registry (the core never imports a device)."""
    device = node.registry.load(base.get("device", "message@1.0"))
    found = device.function(key)
    if found is None:
        raise DeviceError(f"device {device.name} cannot be sharded: it has no {key!r} "
                          "(stack@1.0 in map mode can)", key=key, device=device.name)
    return found[0]


def _answered(message: dict, request: dict, opts: dict) -> bool:
    """Whether a stack in map mode would run this device (stack@1.0's ``not_found``)."""
    key = request.get("path")
    if answers(message, key, opts):
        return True
    try:
        get_key(message, key)
        return True
    except KeyError:
        return False


def _dashboard(client) -> str | None:
    return None if client is None else getattr(client, "dashboard_link", None)


# -- what comes back ----------------------------------------------------------------

class Runs(Sequence):
    """The results of :func:`compute_many`, in the order the processes were given.

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


class Report:
    """What :func:`verify_many` found; true when every result verified.

    :attr:`rows` holds one dict per process: ``process_id, verified, slot,
    step, key, reason, computed_by, verified_by, seconds``.
    """

    def __init__(self, rows: list, runs: Runs, seconds: float):
        self.rows, self.runs, self.seconds = rows, runs, seconds

    def __bool__(self) -> bool:
        return all(row["verified"] for row in self.rows)

    def __repr__(self) -> str:
        counts = self.counts()
        return f"<Report: {counts['verified']} verified, {counts['diverged']} diverged>"

    def counts(self) -> dict:
        verified = sum(row["verified"] for row in self.rows)
        return {"verified": verified, "diverged": len(self.rows) - verified}

    @property
    def diverged(self) -> list[dict]:
        """The rows of the results that did not verify."""
        return [row for row in self.rows if not row["verified"]]

    def table(self):
        """The rows as a ``pandas.DataFrame``."""
        import pandas as pd

        columns = ["process_id", "verified", "slot", "step", "key", "reason", "computed_by",
                   "verified_by", "seconds"]
        return pd.DataFrame(self.rows, columns=columns)

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
