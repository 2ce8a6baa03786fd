"""process@1.0: a persistent shared state, computed slot by slot.

A process is a message naming the devices that do its work::

    {"device": "process@1.0",
     "scheduler-device": "scheduler@1.0",      # orders its inputs (the default)
     "execution-device": "stack@1.0",          # computes its state
     "device-stack": ["dedup@1.0", "counter@1.0"]}

Its ID (of the message as spawned) names it for ever.  Keys:

``schedule`` / ``slot`` / ``verify-schedule``
    run on the scheduler device (POST a message, GET the schedule, the
    current slot).
``compute``
    with ``slot: N``, the state after applying assignments 0..N in order;
    without a slot, the latest state known.  Each slot's state is stored
    (``~process@1.0/<id>/computed/<N>``), so any past slot is answered from the
    store; the latest state and its instance stay live in the node
    (:mod:`devices.process_worker`), so asking for N+1 after N computes one slot.
``now``
    the state at the current slot of the schedule (computing what is missing).
``init``
    the execution device's ``init``; sets ``initialized`` and ``at-slot: -1``.
``snapshot``
    the execution device's ``snapshot`` in map mode, for devices that keep
    state outside the message (a WebAssembly memory).  Every
    ``cache-frequency`` slots (default 1) the state is checkpointed
    (``snapshot-mode: checkpoint``) and its snapshot is owed: it is written
    under ``snapshot`` in that slot's stored state when the live state leaves
    the worker (:mod:`devices.process_worker`), or at once when the last one
    written is ``process-snapshot-lag`` slots old (an option: the node's, or
    ``process_snapshot_lag=`` to a resolve; default 64; 0 writes every one).  A device that takes no checkpoints answers with its
    snapshot, which is stored at once.  A node that loads a stored state runs
    ``normalize`` on the execution device, which restores from the last
    snapshot written; the slots after it are replayed.
``push``
    the outbox of the state at ``slot`` (``results/outbox``): each message
    with a ``target`` process known to this node is scheduled on it.

While a device works for the process, the process message's ``device`` is
that device (``run_as``, as HyperBEAM swaps it) with ``process`` holding the
process message itself and ``input-prefix: process``; the result gets
``process@1.0`` back.  Every scheduling, slot and execution step is a step of
its own in the recorded DAG, under the ``compute`` call that caused it.

>>> import aolab
>>> lab = aolab.Node()
>>> proc = lab.spawn({"device": "process@1.0", "execution-device": "counter@1.0"})
>>> _ = lab.schedule(proc, {"action": "add", "amount": 2})
>>> _ = lab.schedule(proc, {"action": "add", "amount": 5})
>>> lab.compute(proc, slot=1)["count"]
7
>>> lab.resolve(proc, "now/results/count")
7

Reference: HyperBEAM src/dev_process.erl at b2743e4a.
"""
from __future__ import annotations

from aolab import id_memo, ids
from aolab.errors import DeviceError, KeyNotFound, StoreError
from aolab.context import as_context
from aolab.resolver import answers, resolve_status
from devices import process_worker

NAME = "process@1.0"
DEFAULT_DEVICES = {"scheduler": "scheduler@1.0", "push": "process@1.0"}
#: Slots a process may run past its last written snapshot (``process_snapshot_lag``).
DEFAULT_SNAPSHOT_LAG = 64


def info():
    """The device's info: the keys it answers (``set`` and ``keys`` go to message@1.0)."""
    return {"exports": ["schedule", "slot", "verify-schedule", "next", "compute", "now",
                        "init", "snapshot", "push"],
            "excludes": ["set", "keys"]}


def schedule(base, request, opts):
    """Run ``schedule`` on the scheduler device."""
    return run_as("scheduler", base, request, opts)


def slot(base, request, opts):
    """Run ``slot`` on the scheduler device."""
    return run_as("scheduler", base, request, opts)


def verify_schedule(base, request, opts):
    """Run ``verify-schedule`` on the scheduler device."""
    return run_as("scheduler", base, request, opts)


def next(base, request, opts):  # noqa: A001 - the key is called `next`
    """The next assignment for the state, from the scheduler device."""
    return run_as("scheduler", base, {"path": "next"}, opts)


def init(base, request, opts):
    """Initialise the execution device; the state starts before slot 0."""
    status, initialized = run_as("execution", base, {"path": "init"}, opts, missing_ok=True)
    if status != "ok":
        return status, initialized
    return {**initialized, "initialized": "true", "at-slot": -1}


def compute(base, request, opts):
    """The state after slot ``slot`` (see the module doc)."""
    base = ensure_process_key(base)
    if request.get("slot") is None:
        return _latest_known(base, request, opts)
    target = _int(request["slot"], "slot")
    store = _store(opts)
    process_id = process_id_of(base)
    try:
        return "ok", store.read(_key(process_id, f"computed/{target}"))
    except StoreError:
        pass
    live = process_worker.worker(opts, process_id)
    with live.lock:  # two callers of one process take turns
        if live.at_slot() > target:  # another caller computed past it meanwhile: stored
            try:
                return "ok", store.read(_key(process_id, f"computed/{target}"))
            except StoreError:
                pass
        start = _starting_state(base, live, target)
        if start is None:
            status, start = ensure_loaded(_without_live_instance(base, live), target, opts)
            if status != "ok":
                return status, start
        kept = False
        try:
            status, state = compute_to_slot(process_id, start, target, opts)
            if status == "ok" and (live.state is None or int(state["at-slot"]) >= live.at_slot()
                                   or _same_instance(state, live.state)):
                live.state, kept = state, True
            return status, state
        finally:
            if not kept and _same_instance(start, live.state):
                live.drop(opts)  # the live instance moved on without us: reload next time


def now(base, request, opts):
    """The state at the schedule's current slot."""
    base = ensure_process_key(base)
    status, current = resolve_status(base, {"path": "slot/current"}, opts)
    if status != "ok":
        return status, current
    return resolve_status(base, {"path": "compute", "slot": current}, opts)


def snapshot(base, request, opts):
    """The execution devices' snapshots (map mode)."""
    return run_as("execution", ensure_process_key(base), {"path": "snapshot", "mode": "map"},
                  opts, missing_ok=True)


def push(base, request, opts):
    """Schedule the outbox of the state at ``slot`` on its target processes."""
    base = ensure_process_key(base)
    status, state = resolve_status(base, {"path": "compute", "slot": request.get("slot")}, opts)
    if status != "ok":
        return status, state
    outbox = (state.get("results") or {}).get("outbox") or {}
    pushed = {}
    for key in sorted(outbox, key=lambda k: (len(str(k)), str(k))):
        message = outbox[key]
        target = message.get("target") if isinstance(message, dict) else None
        if not (isinstance(target, str) and ids.is_id(target)):
            pushed[str(key)] = {"status": "skipped", "reason": "no target process ID"}
            continue
        try:
            target_process = _store(opts).read(target)
        except StoreError:
            pushed[str(key)] = {"status": "skipped", "target": target,
                                "reason": "target process is not known to this node"}
            continue
        outcome, assignment = resolve_status(
            target_process, {"path": "schedule", "method": "POST", "body": message}, opts)
        pushed[str(key)] = {"status": outcome, "target": target,
                            "slot": assignment.get("slot") if isinstance(assignment, dict) else None}
    return {"process": process_id_of(base), "slot": state.get("at-slot"), "pushed": pushed}


# -- computing -----------------------------------------------------------------

def compute_to_slot(process_id: str, state: dict, target: int, opts):
    """Apply the next assignments to *state* until it is at slot *target*."""
    current = int(state.get("at-slot", -1))
    if current > target:
        raise DeviceError(f"process@1.0: state is at slot {current}, past slot {target}, and "
                          "that slot is not in the store", key="slot", device=NAME)
    while current < target:
        status, found = run_as("scheduler", state, {"path": "next"}, opts)
        if status != "ok":
            return "error", {**_as_message(found), "phase": "get-schedule",
                             "attempted-slot": current + 1}
        status, state = compute_slot(process_id, found["state"], found["body"], opts)
        if status != "ok":
            return "error", {**_as_message(state), "phase": "compute",
                             "attempted-slot": current + 1}
        current = int(state["at-slot"])
    return "ok", as_process(state)


def compute_slot(process_id: str, state: dict, assignment: dict, opts):
    """Run one assignment through the execution device; store the new state."""
    slot_number = _int(assignment.get("slot"), "slot")
    expected = int(state.get("at-slot", -1)) + 1
    if slot_number != expected:
        raise DeviceError(f"process@1.0: the scheduler gave slot {slot_number} when slot "
                          f"{expected} was next", key="slot", device=NAME)
    request = assignment if "path" in assignment else {**assignment, "path": "compute"}
    without_results = {k: v for k, v in state.items() if k != "results"}
    status, result = run_as("execution", without_results, request, opts)
    if status != "ok":
        return status, result
    if not isinstance(result, dict):
        raise DeviceError(f"process@1.0: the execution device returned {type(result).__name__} "
                          f"for slot {slot_number}; expected the new state (a message)",
                          key="compute", device=NAME)
    result = {**as_process(result), "at-slot": slot_number}
    snapshot = None
    if slot_number % _cache_frequency(result, opts) == 0 and _any_device_snapshots(result, opts):
        snapshot = _snapshot_or_checkpoint(process_id, result, opts)
    store = _store(opts)
    store.write_result(_key(process_id, f"computed/{slot_number}"),
                       {**result, "snapshot": snapshot} if snapshot else result)
    store.write_result(_key(process_id, "latest"), {"slot": slot_number})
    if snapshot:
        store.write_result(_key(process_id, "snapshot"), {"slot": slot_number})
    return "ok", result


def _snapshot_or_checkpoint(process_id: str, state: dict, opts):
    """At a ``cache-frequency`` slot: the snapshot, when the last one written is
    ``process_snapshot_lag`` slots old; else a checkpoint only (the snapshot is
    owed, and written when the live state leaves the worker: :func:`write_owed_snapshot`)."""
    live = process_worker.worker(opts, process_id)
    slot_number = int(state["at-slot"])
    if live.written is None:
        live.written = _written_snapshot_slot(_store(opts), process_id)
    if slot_number - live.written >= _snapshot_lag(opts):
        live.owed, live.written = None, slot_number
        return take_snapshot(state, opts)
    checked = take_snapshot(state, opts, mode="checkpoint")
    parts = list(checked.values()) if checked and not _is_checkpoint(checked) else [checked]
    marks = [_is_checkpoint(part) for part in parts]
    if not all(marks):  # a device that takes no checkpoints answered with its snapshot
        return checked if not any(marks) else take_snapshot(state, opts)
    live.owed = (slot_number, state, _checkpoints(state))
    live.process_id, live.flush = process_id, write_owed_snapshot  # no closure: nothing keeps the node
    return None


def _is_checkpoint(answer) -> bool:
    """Whether a device answered ``snapshot-mode: checkpoint`` with a checkpoint
    mark (``{"checkpoint": n}``) rather than a snapshot."""
    return isinstance(answer, dict) and set(answer) == {"checkpoint"}


def write_owed_snapshot(process_id: str, live, opts) -> None:
    """Write the snapshot the worker owes (its last checkpoint, at slot
    ``live.owed[0]``) into that slot's stored state; called with the worker's
    lock held, before its live state is dropped.  If the instance was
    checkpointed since (a ``snapshot`` asked for directly), nothing is written:
    a restart replays from the last snapshot written."""
    if live.owed is None:
        return
    (slot_number, state, checkpoints), live.owed = live.owed, None
    if _checkpoints(state) != checkpoints:
        return
    snapshot = take_snapshot(state, opts, mode="pending")
    store, key = _store(opts), _key(process_id, f"computed/{slot_number}")
    if snapshot:
        store.write_result(key, {**store.read(key), "snapshot": snapshot})
        store.write_result(_key(process_id, "snapshot"), {"slot": slot_number})
        live.written = slot_number


def _checkpoints(state) -> list:
    """How many checkpoints each live instance of *state* has taken."""
    return [getattr(instance, "checkpoints", None) for instance in _instances(state)]


def ensure_loaded(base: dict, target: int, opts):
    """A live state to compute from: the base if initialised, else the latest
    stored state at or before *target* (the last snapshot written, when the
    device takes them), else a fresh ``init``."""
    store = _store(opts)
    process_id = process_id_of(base)
    if base.get("initialized") == "true" and is_computed_state(store, process_id, base):
        return "ok", base
    newest = min(_latest_slot(store, process_id), target)
    if newest >= 0 and not _any_device_snapshots(base, opts):
        return _normalized(store.read(_key(process_id, f"computed/{newest}")), opts)
    written = _written_snapshot_slot(store, process_id)
    if 0 <= written <= newest:  # the last snapshot written: restore it, then replay
        return _normalized(store.read(_key(process_id, f"computed/{written}")), opts)
    return resolve_status(initial_base(base), {"path": "init"}, opts)


def _normalized(state: dict, opts):
    """A stored state made live: the execution device's ``normalize`` (which
    restores a ``snapshot``), without the snapshot."""
    status, restored = run_as("execution", state, {"path": "normalize"},
                              as_context(opts).derive(hashpath="ignore"), missing_ok=True)
    if status == "ok" and isinstance(restored, dict):
        restored = {k: v for k, v in restored.items() if k != "snapshot"}
    return status, restored


def is_computed_state(store, process_id: str, state: dict) -> bool:
    """True when *state* is the state this node computed for its slot: a state
    handed in (``initialized: true``) is taken as it is only then, so a message
    naming another process cannot stand in for that process's state."""
    try:
        stored = store.read(_key(process_id, f"computed/{_int(state.get('at-slot'), 'at-slot')}"))
    except (StoreError, DeviceError):
        return False
    return _public(stored, skip=("snapshot",)) == _public(state, skip=("snapshot",))


def initial_base(base: dict) -> dict:
    """What ``init`` starts from: the process message itself (the base, when it
    is that message; otherwise the message its ``process`` key holds)."""
    process = base.get("process")
    if not isinstance(process, dict) or _public(base, skip=("process",)) == _public(process):
        return base
    return ensure_process_key(process)


def _public(message: dict, skip=()) -> dict:
    return {k: v for k, v in message.items()
            if k not in skip and not (isinstance(k, str) and k[:4].lower() == "priv")}


def take_snapshot(state: dict, opts, mode: str = "now"):
    """The execution device's ``snapshot`` (map mode over a stack), or None
    when no device of it keeps state outside the message.  *mode* ``checkpoint``
    only copies the memory aside; ``pending`` writes the last checkpoint's."""
    if not _any_device_snapshots(state, opts):
        return None
    request = {"path": "snapshot", "mode": "map"}
    if mode != "now":
        request["snapshot-mode"] = mode
    status, snapshot = run_as("execution", state, request,
                              as_context(opts).derive(hashpath="ignore"), missing_ok=True)
    if status != "ok" or snapshot is state or not isinstance(snapshot, dict):
        return None
    return {k: v for k, v in snapshot.items() if k != "priv"} or None


def _any_device_snapshots(state: dict, opts) -> bool:
    """Whether the execution device, or a device of its stack, has a ``snapshot``
    handler of its own (if none does, taking a snapshot would only record an
    empty step per slot).

    A stack is any execution device with a ``device-stack`` function (stack@1.0
    has one): its own parsing names the devices, as its map mode will run them.
    """
    device = state.get("execution-device")
    if device is None:
        return True  # run_as(missing_ok) asks the device itself
    stack_of = as_context(opts).registry.load(device).function("device-stack")
    if stack_of is None:
        return answers({**state, "device": device}, "snapshot", opts)
    try:
        devices = stack_of[0]({**state, "device": device}, opts)
    except DeviceError:
        return True  # no usable stack: run_as names the problem
    return any(answers({**state, "device": d}, "snapshot", opts) for d in devices.values())


def run_as(role: str, base: dict, request: dict, opts, missing_ok: bool = False):
    """Resolve *request* with the process's ``<role>-device`` as the device.

    With *missing_ok*, a device that has no handler for the key leaves *base*
    unchanged (returned as is, without a step).
    """
    base = ensure_process_key(base)
    device = base.get(f"{role}-device", DEFAULT_DEVICES.get(role))
    if device is None:
        raise DeviceError(f"process@1.0: the process has no '{role}-device'", key=f"{role}-device",
                          device=NAME)
    prepared = {**base, "device": device,
                "input-prefix": base.get("input-prefix") or "process"}
    prefixes = base.get(f"{role}-output-prefixes")
    if prefixes is not None:
        prepared["output-prefixes"] = prefixes
    if missing_ok and not answers(prepared, request["path"], opts) and request["path"] not in prepared:
        return "ok", base
    try:
        status, result = resolve_status(prepared, request, opts)
    except KeyNotFound as exc:
        if missing_ok and exc.key == request.get("path"):
            return "ok", base  # the device has nothing to do for this key
        raise
    if status == "ok" and isinstance(result, dict) and result.get("device") == device:
        result = {**result, "device": base.get("device", NAME)}
    return status, result


def ensure_process_key(base: dict) -> dict:
    """*base* with ``process`` holding the process message (itself, when new)."""
    if isinstance(base.get("process"), dict):
        return base
    process = {k: v for k, v in base.items() if k != "priv"}
    return {**base, "process": process}


def process_id_of(base: dict) -> str:
    """The ID of the process a state belongs to."""
    process = base.get("process")
    return id_memo.id_of(process if isinstance(process, dict) else base, committers="all")


def as_process(state: dict) -> dict:
    """*state* with process@1.0 as its device."""
    return state if state.get("device") == NAME else {**state, "device": NAME}


def _starting_state(base: dict, live, target: int):
    """The live state to compute *target* from: the base if it holds its own
    instance, else the worker's latest state if it is not past *target*."""
    if base.get("initialized") == "true" and not _same_instance(base, live.state) \
            and _instances(base):
        return base
    if live.state is not None and live.at_slot() <= target:
        return live.state
    return None


def _without_live_instance(base: dict, live) -> dict:
    """*base* without the worker's instance (which is at another slot by now)."""
    if base.get("initialized") == "true" and _same_instance(base, live.state):
        return {k: v for k, v in base.items() if k not in ("priv", "initialized")}
    return base


def _instances(state) -> list:
    """The live objects a state keeps outside the message: ``priv/instance``
    and ``priv/<prefix>/instance`` (where wasm64@1.0 keeps its instance)."""
    priv = state.get("priv") if isinstance(state, dict) else None
    if not isinstance(priv, dict):
        return []
    found = [priv["instance"]] if priv.get("instance") is not None else []
    return found + [v["instance"] for v in priv.values()
                    if isinstance(v, dict) and v.get("instance") is not None]


def _same_instance(state, other) -> bool:
    """Whether two states share a live object (so the same memory)."""
    if state is None or other is None:
        return False
    mine = _instances(state)
    return any(any(a is b for b in _instances(other)) for a in mine)


def _latest_known(base, request, opts):
    store = _store(opts)
    process_id = process_id_of(base)
    stored = _latest_slot(store, process_id)
    if stored >= 0:
        return "ok", store.read(_key(process_id, f"computed/{stored}"))
    return now(base, request, opts)


def _cache_frequency(state: dict, opts) -> int:
    """Snapshot every N-th slot: the process's ``cache-frequency``, else the
    option ``process-cache-frequency`` (``process_cache_frequency=`` to a
    resolve, or the node message's), else 1 (HyperBEAM's default)."""
    value = state.get("cache-frequency", as_context(opts).option("process-cache-frequency", 1))
    return max(1, _int(value, "cache-frequency"))


def _snapshot_lag(opts) -> int:
    """Slots a process may run past its last written snapshot before one is
    written at its next ``cache-frequency`` slot (the option
    ``process-snapshot-lag``, ``process_snapshot_lag=`` to a resolve or the
    node message's; 0 writes every one)."""
    return max(0, _int(as_context(opts).option("process-snapshot-lag", DEFAULT_SNAPSHOT_LAG),
                       "process_snapshot_lag"))


def _written_snapshot_slot(store, process_id: str) -> int:
    try:
        return int(store.read(_key(process_id, "snapshot"))["slot"])
    except StoreError:
        return -1


def _latest_slot(store, process_id: str) -> int:
    try:
        return int(store.read(_key(process_id, "latest"))["slot"])
    except StoreError:
        return -1


def _key(process_id: str, rest: str) -> str:
    return f"~{NAME}/{process_id}/{rest}"


def _store(opts):
    return as_context(opts).store_for(NAME, "keeps its states in a node's store")


def _as_message(value) -> dict:
    return value if isinstance(value, dict) else {"error": value}


def _int(value, key: str) -> int:
    if isinstance(value, bool):
        raise DeviceError(f"process@1.0: {key!r} must be a slot number, not {value!r}", key=key,
                          device=NAME)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise DeviceError(f"process@1.0: {key!r} must be a slot number, not {value!r}", key=key,
                          device=NAME) from None

