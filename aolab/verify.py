"""Verification: re-executing a result from its hashpath, and checking one branch.

A result's hashpath names its lineage: ``X/R`` says "the request with ID
``R`` applied to the message whose hashpath folds to ``X``".  Nodes keep each
step's inputs (:meth:`aolab.store.MemoryStore.write_step`), so any node can:

* :func:`verify` a result: walk its hashpath back to the first message,
  fetching every base and request from the node that holds them, re-execute
  every step on its own node, and compare hashpaths and contents step by step.
  A signed result's signature must verify too.  The report names the first
  step that differs.
* :func:`prove` / :func:`verify_branch`: a proof holds only what one output
  needs (the request IDs along its lineage, and the last step's base and
  request), so a checker re-executes one step and folds the hashpath from IDs,
  without the rest of the execution tree.

>>> import aolab
>>> alice, bob = aolab.Node(name="va"), aolab.Node(name="vb")
>>> result = alice.resolve({"device": "counter@1.0", "count": 1}, {"path": "add", "amount": 2})
>>> bool(bob.verify(result, source=alice))
True
>>> aolab.verify_branch(result, alice.prove(result)).ok
True
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import hashpaths as hp
from . import ids
from .codecs import httpsig
from .errors import AolabError, StoreError


@dataclass
class Report:
    """What a verification found; true when it verified."""

    ok: bool
    checked: int = 0
    hashpath: str | None = None
    divergence: dict | None = None
    steps: list = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        if self.ok:
            return f"<verified: {self.checked} steps>"
        return f"<NOT verified at step {self.divergence.get('step')}: {self.divergence.get('reason')}>"


def content_id(message) -> str:
    """The ID of a message's content: without commitments, as computed anywhere."""
    if not isinstance(message, dict):
        return ids.id({"value": message})
    return ids.id({k: v for k, v in message.items() if k != "commitments"}, committers="none")


def lineage(hashpath: str, fetch) -> list[dict]:
    """The steps a hashpath stands for, first to last: ``{base, request, hashpath}``.

    *fetch(key)* returns a message by ID or hashpath (a node's, or a network's).
    """
    steps = []
    current = hashpath
    for _ in range(100_000):
        prev, sep, part = current.rpartition("/")
        if not sep:
            break
        request = fetch(part) if ids.is_id(part) else {"path": part}
        base = fetch(prev)
        steps.append({"base": base, "request": request, "hashpath": current})
        carried = hp.hashpath_of(base)
        if carried == prev or "/" not in carried:
            break
        if hp.compress(carried, _alg(base)) != prev:
            raise StoreError(f"the message stored under {prev!r} carries hashpath {carried!r}, "
                             "which does not fold to it", key=prev)
        current = carried
    steps.reverse()
    return steps


def verify(node, result, source=None) -> Report:
    """Re-execute *result* on *node* from the inputs its hashpath names.

    *source* is where inputs come from: a node (or anything with ``fetch``);
    by default the committer's node, else any node of *node*'s network.
    """
    hashpath = hp.hashpath_of(result) if isinstance(result, dict) else str(result)
    if "/" not in hashpath:
        return Report(False, 0, hashpath, {"step": None, "reason": "the message carries no "
                                            "hashpath: it was not computed"})
    if isinstance(result, dict) and result.get("commitments"):
        if not httpsig.verify(result, exact=True):
            return Report(False, 0, hashpath, {"step": None, "reason": "its signature does not "
                                                "verify (content, hashpath or signer changed)"})
    fetch = _fetcher(node, result, source)
    try:
        steps = lineage(hashpath, fetch)
    except (StoreError, AolabError) as exc:
        return Report(False, 0, hashpath, {"step": None, "reason": f"cannot fetch its inputs: {exc}"})
    current = steps[0]["base"]
    for index, step in enumerate(steps):
        expected = result if index == len(steps) - 1 else steps[index + 1]["base"]
        try:
            status, recomputed = node.resolve_status(current, step["request"])
        except AolabError as exc:
            return _diverged(hashpath, index, step, f"re-execution failed: {exc}")
        if status != "ok":
            return _diverged(hashpath, index, step, f"re-execution ended with status {status!r}")
        got_hp = hp.hashpath_of(recomputed) if isinstance(recomputed, dict) else None
        if got_hp != step["hashpath"]:
            return _diverged(hashpath, index, step, f"hashpath {got_hp!r} where the result "
                             f"claims {step['hashpath']!r}")
        if content_id(recomputed) != content_id(expected):
            return _diverged(hashpath, index, step, "re-executed content differs from the "
                             "result given")
        current = recomputed
    return Report(True, len(steps), hashpath, None,
                  [{"hashpath": s["hashpath"], "key": s["request"].get("path")} for s in steps])


def prove(node, result) -> dict:
    """A proof for *result*: its lineage's request parts, and the last step's inputs.

    The proof is a message (signed by the node when it has a wallet).
    """
    hashpath = hp.hashpath_of(result)
    steps = lineage(hashpath, node.fetch)
    if not steps:
        raise StoreError(f"{hashpath!r} names no computation to prove", key=hashpath)
    first_base = steps[0]["base"]
    proof = {
        "type": "branch-proof",
        "hashpath": hashpath,
        "result-id": content_id(result),
        "origin": hp.hashpath_of(first_base),
        "parts": [s["hashpath"].rpartition("/")[2] for s in steps],
        "hashpath-alg": _alg(first_base),
        "last-base": steps[-1]["base"],
        "last-request": steps[-1]["request"],
    }
    return node.sign(proof) if node.wallet is not None else proof


def verify_branch(result, proof: dict, node=None) -> Report:
    """Check *result* with *proof* only: IDs fold to its hashpath, and the last
    step re-executed from the proof's inputs gives the same content."""
    from .node import Node

    if proof.get("commitments") and not httpsig.verify(proof, exact=False):
        return Report(False, 0, proof.get("hashpath"), {"step": None, "reason": "the proof's "
                                                        "signature does not verify"})
    hashpath = hp.hashpath_of(result)
    if hashpath != proof.get("hashpath"):
        return Report(False, 0, hashpath, {"step": None, "reason": "the result's hashpath is not "
                                           "the one proven"})
    if content_id(result) != proof.get("result-id"):
        return Report(False, 0, hashpath, {"step": None, "reason": "the result's content is not "
                                           "the one proven"})
    folded, alg = proof["origin"], proof.get("hashpath-alg", hp.DEFAULT_ALG)
    parts = list(proof["parts"])
    for part in parts[:-1]:
        folded = hp.join(folded, part, alg)
    last_base, last_request = proof["last-base"], proof["last-request"]
    if hp.hashpath_of(last_base) != folded:
        return Report(False, 0, hashpath, {"step": len(parts) - 1, "reason": "the last step's base "
                                           "is not the message the lineage names"})
    if hp.request_part(last_request) != parts[-1] or hp.join(folded, parts[-1], alg) != hashpath:
        return Report(False, 0, hashpath, {"step": len(parts) - 1, "reason": "the request IDs do not "
                                           "fold to the result's hashpath"})
    checker = node if node is not None else Node(name="verify-branch", record=False)
    status, recomputed = checker.resolve_status(last_base, last_request)
    if status != "ok" or content_id(recomputed) != proof["result-id"]:
        return Report(False, len(parts) - 1, hashpath, {"step": len(parts) - 1, "reason":
                                                        "re-executing the last step gives "
                                                        "another result"})
    return Report(True, len(parts), hashpath)


def _fetcher(node, result, source):
    if source is not None:
        return source.fetch
    found = httpsig.signers(result) if isinstance(result, dict) and result.get("commitments") else []
    signer = found[0] if found else None
    holder = node.network.find(signer) if signer else None
    if holder is not None:
        return holder.fetch
    return lambda key: node.network.fetch(key, exclude=node)


def _diverged(hashpath, index, step, reason) -> Report:
    request = step["request"]
    return Report(False, index, hashpath, {"step": index, "key": request.get("path"),
                                           "hashpath": step["hashpath"], "reason": reason})


def _alg(message) -> str:
    if isinstance(message, dict) and "hashpath-alg" in message:
        return hp.algorithm_of(message)
    return hp.DEFAULT_ALG
