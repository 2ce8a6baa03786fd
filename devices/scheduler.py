"""scheduler@1.0: a local scheduler giving each process a hash-linked order of messages.

Each process has a schedule: slots 0, 1, 2, ... each holding an *assignment*,
a message that says "message M is the N-th input of process P":

``process``      the process ID
``slot``         N (strictly increasing from 0, no gaps)
``body``         the scheduled message M itself
``hash-chain``   SHA-256(previous hash-chain || native ID of M), base64url; the
                 first link starts from nothing.  Changing, dropping or
                 reordering any message changes every later link.
``path``         M's path, or ``compute``
``data-protocol: ao``, ``variant: ao.N.1``, ``epoch: "0"``, and
``block-height``/``block-timestamp``/``timestamp``, which are 0 here: aolab
never hashes a clock (HyperBEAM fills them from Arweave and its local clock).

Keys:

``schedule``
    ``method: POST`` assigns the request's ``body`` (or the request itself) to
    the next slot and returns the assignment; a signed message is reduced to
    the keys its signatures cover first, and a message with ``type: Process``
    is scheduled under its own ID (``aolab.id(m, committers="all")``); ``GET`` (default) returns
    ``{type: schedule, process, continues, assignments: {slot: assignment}}``
    from ``from`` (default 0) to ``to`` (default the current slot; at most
    1,000 per call, ``continues`` tells when there are more).
``slot``
    ``{process, current}``: the last assigned slot (-1 before the first).
``next``
    for process@1.0: the assignment after the base's ``at-slot``, as
    ``{body: assignment, state: base}``; ``error`` status when there is none.
    An assignment this node does not hold is fetched from the other nodes of
    its network (as HyperBEAM asks the process's scheduler), so any node can
    recompute a process another one scheduled.
``status``
    the scheduler wallet's ``address`` (the node's), the ``processes`` this
    node schedules and their current ``slots``.
``verify-schedule``
    checks a list (or slot-keyed message) of assignments: slots contiguous
    from the first one, one process, and every hash-chain link recomputed
    from the messages; names the first bad slot.
``init`` / ``checkpoint``
    the base unchanged.

The process is the base's ``process`` key when it has one (process@1.0 puts it
there), else the base itself; a message with a ``target`` is scheduled on that
process.  Schedules live in the node's store, under
``~scheduler@1.0/<process-id>/...``, so a node restarted on a DiskStore
carries on where it stopped.

>>> import aolab
>>> lab = aolab.Node()
>>> proc = {"device": "process@1.0", "execution-device": "counter@1.0"}
>>> first = lab.resolve(proc, {"path": "schedule", "method": "POST", "body": {"action": "add"}})
>>> first["slot"], lab.resolve(proc, "slot/current")
(0, 0)

Reference: HyperBEAM src/dev_scheduler.erl, dev_scheduler_server.erl at b2743e4a.
"""
from __future__ import annotations

import contextlib
import hashlib

from aolab import id_memo, ids, signing
from aolab.codecs import httpsig
from aolab.errors import DeviceError, EncodingError, StoreError
from aolab.path import path_parts
from aolab.context import as_context

NAME = "scheduler@1.0"
MAX_ASSIGNMENT_QUERY_LEN = 1000


def info():
    """The device's info: the keys it answers (``set`` and ``keys`` go to message@1.0)."""
    return {"exports": ["status", "next", "schedule", "slot", "init", "checkpoint",
                        "verify-schedule"],
            "excludes": ["set", "keys"]}


def schedule(base, request, opts):
    """``POST``: assign a message to the next slot; ``GET``: list assignments."""
    method = str(request.get("method", "GET")).upper()
    if method == "POST":
        return _post_schedule(base, request, opts)
    if method == "GET":
        return _get_schedule(base, request, opts)
    raise DeviceError(f"scheduler@1.0: method {method!r} is not GET or POST", key="method",
                      device=NAME)


def slot(base, request, opts):
    """The process's current (last assigned) slot."""
    process_id = target_process_id(base, request)
    current, _chain = latest(_store(opts), process_id)
    return {"process": process_id, "current": current}


def next(base, request, opts):  # noqa: A001 - the key is called `next`
    """The assignment after the base's ``at-slot`` (used by process@1.0)."""
    process_id = target_process_id(base, request)
    wanted = int(base.get("at-slot", -1)) + 1
    try:
        assignment = read_assignment(_store(opts), process_id, wanted)
    except StoreError:
        assignment = _remote_assignment(process_id, wanted, opts)
    if assignment is None:
        return "error", {"status": 503, "body": f"No assignment found for slot {wanted}.",
                         "process": process_id, "slot": wanted}
    return {"body": assignment, "state": base}


def status(base, request, opts):
    """The scheduler's wallet ``address`` (the node's; absent on a node without
    a wallet), the ``processes`` it schedules and their current slots."""
    store = _store(opts)
    processes = _process_list(store)
    answer = {"variant": "ao.N.1", "processes": processes,
              "slots": {pid: latest(store, pid)[0] for pid in processes},
              "cache-control": "no-store"}
    wallet = as_context(opts).wallet
    if wallet is not None:
        answer["address"] = wallet.address
    return answer


def init(base):
    """Nothing to set up: the base as it is."""
    return base


def checkpoint(base):
    """Nothing to checkpoint: assignments are stored as they are made."""
    return base


def verify_schedule(base, request, opts):
    """Check an assignment list's slots, process and hash chain (see module doc)."""
    assignments = request.get("assignments")
    if assignments is None:
        assignments = _get_schedule(base, {"from": 0}, opts)["assignments"]
    return check_chain(_as_list(assignments))


# -- the schedule itself -------------------------------------------------------

def assignment_for(process_id: str, slot_number: int, message: dict, previous_chain: bytes) -> dict:
    """The assignment of *message* to *slot_number* after *previous_chain*."""
    chain = next_hash_chain(previous_chain, message)
    path = path_parts(message.get("path")) if "path" in message else None
    return {
        "path": "/".join(path) if path else "compute",
        "data-protocol": "ao",
        "variant": "ao.N.1",
        "process": process_id,
        "epoch": "0",
        "slot": slot_number,
        "block-height": 0,
        "block-timestamp": 0,
        "timestamp": 0,
        "hash-chain": ids.human_id(chain),
        "body": message,
    }


def next_hash_chain(previous: bytes, message: dict) -> bytes:
    """SHA-256 of the previous link and the message's native ID."""
    return hashlib.sha256(previous + ids.native_id(id_memo.id_of(message))).digest()


def check_chain(assignments: list) -> dict:
    """``{valid, checked, first-bad-slot?, reason?}`` for a list of assignments."""
    previous, expected_slot, process = b"", None, None
    for position, assignment in enumerate(assignments):
        slot_number = _int(assignment.get("slot"))
        if expected_slot is None:
            expected_slot = slot_number
            if slot_number != 0:
                previous = None  # a window not starting at slot 0: trust its first link
        reason = None
        if slot_number != expected_slot:
            reason = f"slot {slot_number} where slot {expected_slot} was expected"
        elif process is not None and assignment.get("process") != process:
            reason = f"process {assignment.get('process')!r} differs from {process!r}"
        else:
            body = assignment.get("body")
            if not isinstance(body, dict):
                reason = "the assignment has no message body"
            elif previous is None:
                previous = ids.native_id(assignment.get("hash-chain"))
            else:
                link = next_hash_chain(previous, body)
                if ids.human_id(link) != assignment.get("hash-chain"):
                    reason = "its hash-chain does not follow from the previous link and its message"
                previous = link
        if reason is not None:
            return {"valid": False, "checked": position, "first-bad-slot": expected_slot,
                    "reason": reason}
        process = assignment.get("process")
        expected_slot += 1
    return {"valid": True, "checked": len(assignments)}


def latest(store, process_id: str) -> tuple[int, bytes]:
    """``(current slot, hash chain)`` of a process; ``(-1, b"")`` before any."""
    try:
        head = store.read(_key(process_id, "latest"))
    except StoreError:
        return -1, b""
    return int(head["slot"]), ids.native_id(head["hash-chain"])


def read_assignment(store, process_id: str, slot_number: int) -> dict:
    """The assignment at *slot_number* (StoreError when there is none)."""
    return store.read(_key(process_id, f"assignments/{int(slot_number)}"))


def target_process_id(base: dict, request: dict) -> str:
    """The process a request is about: its ``target``, the base's ``process``, the base."""
    target = request.get("target")
    if isinstance(target, str) and ids.is_id(target):
        return target
    process = base.get("process")
    return id_memo.id_of(process if isinstance(process, dict) else base, committers="all")


def _post_schedule(base, request, opts):
    body = request.get("body")
    if isinstance(body, dict):
        message = {k: v for k, v in body.items() if k != "priv"}
        try:
            signed = signing.signers(message)
        except EncodingError as exc:  # e.g. a key the codecs write themselves (ao-types)
            return "error", {"status": 400, "body": f"the message to schedule cannot be "
                                                    f"encoded to check its signatures: {exc}"}
    else:  # the request itself, without what addressed it to the scheduler
        message = {k: v for k, v in request.items() if k not in ("priv", "path", "method")}
        # A signed HTTP request's step no longer holds the path it signed: its
        # signers are the ones the node verified on arrival (the ``signers`` option).
        signed = signing.signers(message, opts) if message.get("commitments") else []
    if signed:
        message = httpsig.with_only_committed(message)  # unsigned keys are not scheduled
    elif message.get("commitments") and not httpsig.verify(message):
        return "error", {"status": 400, "body": "the message to schedule carries commitments "
                                                "that do not verify"}
    target = message.get("target")
    if message.get("type") == "Process":
        process_id = ids.id(message, committers="all")  # a process is scheduled under its own ID
    elif isinstance(target, str) and ids.is_id(target):
        process_id = target
    else:
        process_id = target_process_id(base, {})
    store = _store(opts)
    with _exclusive(store):  # read the head and append: no other scheduler in between
        current, chain = latest(store, process_id)
        assignment = assignment_for(process_id, current + 1, message, chain)
        store.write_result(_key(process_id, f"assignments/{current + 1}"), assignment)
        store.write_result(_key(process_id, "latest"),
                           {"slot": current + 1, "hash-chain": assignment["hash-chain"]})
        if current < 0:
            _register_process(store, process_id)
        if message.get("type") == "Process":
            store.write_result(process_id, message)  # known by its process ID (as HyperBEAM caches it)
    return assignment


def _exclusive(store):
    """The store's ``exclusive()`` block (several processes may share a store), or
    nothing for a store that has none."""
    exclusive = getattr(store, "exclusive", None)
    return exclusive() if exclusive is not None else contextlib.nullcontext()


def _get_schedule(base, request, opts):
    process_id = target_process_id(base, request)
    store = _store(opts)
    current, _ = latest(store, process_id)
    start = max(0, _int(request.get("from", 0)))
    end = current if request.get("to") is None else min(current, _int(request["to"]))
    last = min(end, start + MAX_ASSIGNMENT_QUERY_LEN - 1)
    assignments = {str(n): read_assignment(store, process_id, n) for n in range(start, last + 1)}
    return {"type": "schedule", "process": process_id, "continues": last < end,
            "assignments": assignments}


def _remote_assignment(process_id: str, slot_number: int, opts):
    """The assignment from another node of the network (kept here once fetched),
    as HyperBEAM asks a process's remote scheduler; None when no node has it."""
    node = as_context(opts).node
    network = getattr(node, "network", None)
    if network is None:
        return None
    key = _key(process_id, f"assignments/{int(slot_number)}")
    try:
        assignment = network.fetch(key, exclude=node)
    except StoreError:
        return None
    previous = b""
    if slot_number > 0:
        try:
            previous = ids.native_id(read_assignment(_store(opts), process_id, slot_number - 1)["hash-chain"])
        except StoreError:
            previous = None  # fetched out of order: the slot and process checks still apply
    if assignment.get("slot") != slot_number or assignment.get("process") != process_id or (
            previous is not None and ids.human_id(next_hash_chain(previous, assignment["body"]))
            != assignment.get("hash-chain")):
        raise DeviceError(f"scheduler@1.0: the assignment fetched for slot {slot_number} of "
                          f"{process_id} does not follow the hash chain", key="hash-chain",
                          device=NAME)
    _store(opts).write_result(key, assignment)
    return assignment


def _register_process(store, process_id: str) -> None:
    processes = _process_list(store)
    if process_id not in processes:
        store.write_result(_key("processes", "list"), {"processes": sorted([*processes, process_id])})


def _process_list(store) -> list:
    try:
        return list(store.read(_key("processes", "list"))["processes"])
    except StoreError:
        return []


def _key(process_id: str, rest: str) -> str:
    return f"~{NAME}/{process_id}/{rest}"


def _store(opts):
    return as_context(opts).store_for(NAME, "keeps schedules in a node's store")


def _as_list(assignments) -> list:
    if isinstance(assignments, dict):
        return [assignments[k] for k in sorted(assignments, key=lambda k: _int(k))]
    return list(assignments)


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise DeviceError(f"scheduler@1.0: expected a slot number, got {value!r}", key="slot",
                          device=NAME) from None
