"""Re-checking a run: re-execute its process from its messages, compare with :mod:`aolab.verify`.

A run is trusted for nothing it claims: the process must be the one asked for
and have the claimed ID, the schedule must end at the claimed hash-chain head,
recorded steps must be the recomputed ones, and the final hashpath and content
must be what re-execution gives (:func:`aolab.verify.result_difference`, the
comparison :func:`aolab.verify.verify` makes at every step).
"""
from __future__ import annotations

import time

from .. import hashpaths as hp
from ..errors import AolabError
from ..ids import id as message_id
from ..node import Network, Node
from ..verify import Report, result_difference
from .steps import first_step_difference, portable_steps
from .tasks import IN_PROCESS

#: The fields of a verification row that name where a run diverged.
WHERE = ("step", "slot", "key", "reason")


def verify_process(run: dict, messages: list, worker: str = IN_PROCESS,
                   process: dict | None = None) -> dict:
    """Re-execute one result of :func:`aolab.dist.compute_process` and compare it.

    *process* is the process that was asked for (when known): the run must be
    of that process, and it is that process, not the one the run names, that
    is re-executed.  Returns a row: ``process_id, verified, step, slot, key,
    reason, computed_by, verified_by, seconds`` (see :func:`check_run`).
    """
    clock = time.perf_counter()
    report = check_run(run, messages, process)
    row = {"process_id": run["process_id"], "verified": report.ok,
           **{field: (report.divergence or {}).get(field) for field in WHERE},
           "computed_by": run.get("worker"), "verified_by": worker}
    row["seconds"] = time.perf_counter() - clock
    return row


def check_run(run: dict, messages: list, process: dict | None = None) -> Report:
    """A :class:`aolab.verify.Report` of re-executing *run*.

    Checks, in order: the process is the one asked for and has the claimed ID;
    the schedule's hash chain ends at the claimed head; the steps recomputed
    are the claimed ones (when the run carries steps); the final hashpath and
    content are the claimed ones.  The divergence names the first difference:
    ``reason``, ``slot``, ``step``, ``key``.
    """
    try:
        found = _first_difference(run, messages, process)
    except (AolabError, ValueError, KeyError, TypeError) as exc:
        found = {"reason": f"re-execution failed: {type(exc).__name__}: {exc}"}
    if found:
        return Report(False, 0, run.get("hashpath"), found)
    return Report(True, run["slots"], run["hashpath"])


def _first_difference(run: dict, messages: list, process: dict | None) -> dict:
    node = Node(name="verify", record=run.get("steps") is not None, network=Network())
    spawned, found = _spawn_checked(node, run, process)
    if found:
        return found
    if not isinstance(run["state"], dict):
        return {"reason": "the run's final state is not a message"}
    last = {}
    for message in messages:
        last = node.schedule(spawned, message)
    if last.get("hash-chain") != run["chain"]:
        return {"slot": run["slots"] - 1, "key": "schedule",
                "reason": "the schedule's hash chain does not end at the claimed head"}
    state = node.compute(spawned, slot=run["slots"] - 1)
    if run.get("steps") is not None:
        found = first_step_difference(run["steps"], portable_steps(node.trace, run["process_id"]))
        if found:
            return found
    return _final_difference(state, run)


def _spawn_checked(node, run: dict, process: dict | None) -> tuple[dict | None, dict]:
    """The process to re-execute, spawned on *node*, or a reason not to."""
    if process is not None and message_id(node.spawn(run["process"])) != message_id(node.spawn(process)):
        return None, {"reason": "the run is of another process than the one asked for"}
    spawned = node.spawn(run["process"] if process is None else process)
    if message_id(spawned) != run["process_id"]:
        return None, {"reason": "the process message does not have the claimed process ID"}
    return spawned, {}


def _final_difference(state: dict, run: dict) -> dict:
    """The re-executed final *state* against the run's hashpath and final state."""
    where = {"slot": run["slots"] - 1, "key": "compute"}
    recomputed = hp.hashpath_of(state)
    claimed = run["state"]
    if run["hashpath"] != recomputed:
        return {**where, "reason": f"hashpath {recomputed} where the result claims {run['hashpath']}"}
    found = result_difference(state, claimed, hp.hashpath_of(claimed))
    if found is None:
        return {}
    if "hashpath" in found:
        return {**where, "reason": f"hashpath {recomputed} where the result claims "
                                   f"{hp.hashpath_of(claimed)}"}
    return {**where, "reason": f"the final state differs from the re-executed one in {found['keys']}"}
