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
  needs (the first message and the requests along its lineage), so a checker
  recomputes every input's ID, folds them into the hashpath, and re-executes
  that branch, without the rest of the execution tree.

Nothing a message says about itself is taken: every input is checked against
the ID its hashpath names (:func:`lineage`), and a result's own hashpath and
content must be what re-execution gives.

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
from . import ids, signing
from .codecs import httpsig
from .errors import AolabError, StoreError
from .store import storable


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
        step = self.divergence.get("step")
        where = "" if step is None else f" at step {step}"
        return f"<NOT verified{where}: {self.divergence.get('reason')}>"


def content_id(message) -> str:
    """The ID of a message's content: without commitments, as computed anywhere."""
    if not isinstance(message, dict):
        return ids.id({"value": message})
    return ids.id({k: v for k, v in message.items() if k != "commitments"}, committers="none")


def result_difference(recomputed, claimed, hashpath) -> dict | None:
    """How a re-executed result differs from the one claimed, or None when it does not.

    The hashpath re-execution gives is compared first, with *hashpath* (the
    lineage the result claims), then the content (:func:`content_id`:
    commitments aside).  Returns ``{"hashpath": <recomputed>}`` or
    ``{"keys": [<keys whose values differ>]}``.

    >>> result_difference({"n": 2, "priv": {"hashpath": "a/b"}}, {"n": 3}, "a/b")
    {'keys': ['n']}
    """
    got = hp.hashpath_of(recomputed) if isinstance(recomputed, dict) else None
    if got != hashpath:
        return {"hashpath": got}
    if content_id(recomputed) == content_id(claimed):
        return None
    if not (isinstance(recomputed, dict) and isinstance(claimed, dict)):
        return {"keys": []}
    return {"keys": sorted(k for k in set(recomputed) | set(claimed)
                           if k != "priv" and recomputed.get(k) != claimed.get(k))}


def lineage(hashpath: str, fetch) -> list[dict]:
    """The steps a hashpath stands for, first to last: ``{base, request, hashpath}``.

    *fetch(key)* returns a message by ID or hashpath (a node's, or a network's).
    Every input fetched is checked against the name its hashpath gives it,
    never against what the message itself claims: a request must have the ID
    (or be the path) its hashpath part names; the first base must have the ID
    the hashpath starts from; a later base must carry a hashpath that folds to
    the one named.  Raises :class:`~aolab.errors.StoreError` naming the first
    input that is not what its hashpath names.
    """
    if not isinstance(hashpath, str):
        raise StoreError(f"{hashpath!r} is not a hashpath", key=repr(hashpath))
    steps = []
    current = hashpath
    for _ in range(100_000):
        prev, sep, part = current.rpartition("/")
        if not sep:
            break
        request = checked_request(fetch(part), part) if ids.is_id(part) else {"path": part}
        base = fetch(prev)
        if not isinstance(base, dict):
            raise StoreError(f"the input fetched for {prev!r} is not a message", key=prev)
        carried = hp.hashpath_of(base)
        if not (isinstance(carried, str) and "/" in carried):  # the first message: its ID is prev
            base = checked_message(base, prev)
            steps.append({"base": base, "request": request, "hashpath": current})
            break
        steps.append({"base": base, "request": request, "hashpath": current})
        if hp.compress(carried, hp.algorithm_of(base)) != prev:
            raise StoreError(f"the message stored under {prev!r} carries hashpath {carried!r}, "
                             "which does not fold to it", key=prev)
        current = carried
    steps.reverse()
    return steps


def checked_message(message, message_id: str) -> dict:
    """*message* without private keys, if its recomputed ID is *message_id*."""
    return _checked(message, message_id, ids.id,
                    f"the message fetched for ID {message_id!r} has ID", "message")


def checked_request(request, part: str) -> dict:
    """*request* without private keys, if it is what the hashpath part *part* names."""
    return _checked(request, part, hp.request_part, f"the request fetched for {part!r} is",
                    "request")


def _checked(value, expected: str, derive, said: str, noun: str) -> dict:
    """*value* without private keys, if *derive* of it is *expected* (else a StoreError)."""
    public = public_message(value)
    try:
        found = derive(public)
    except (AolabError, RecursionError):
        found = None
    if found != expected:
        raise StoreError(f"{said} {found!r}: it is another {noun}", key=expected)
    return public


def public_message(message) -> dict:
    """A copy of *message* without private keys at any depth (what an ID covers)."""
    if not isinstance(message, dict):
        raise StoreError(f"expected a message, got a {type(message).__name__}")
    return storable({k: v for k, v in message.items() if k != "priv"})


def verify(node, result, source=None) -> Report:
    """Re-execute *result* on *node* from the inputs its hashpath names.

    *source* is where inputs come from: a node (or anything with ``fetch``);
    by default the committer's node, else any node of *node*'s network.
    """
    hashpath = hp.hashpath_of(result) if isinstance(result, dict) else str(result)
    if not isinstance(hashpath, str) or "/" not in hashpath:
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
        found = result_difference(recomputed, expected, step["hashpath"])
        if found is not None:
            return _diverged(hashpath, index, step, _step_reason(found, step["hashpath"]))
        current = recomputed
    return Report(True, len(steps), hashpath, None,
                  [{"hashpath": s["hashpath"], "key": s["request"].get("path")} for s in steps])


def prove(node, result) -> dict:
    """A proof for *result*: its branch alone, as a message (signed by the node
    when it has a wallet): the first message and every request of its lineage,
    nothing of any other branch.

    A hashpath commits to its inputs' IDs, not to intermediate results, so a
    checker re-executes the whole branch: :func:`verify_branch`.
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
        "origin": ids.id(first_base),
        "origin-message": first_base,
        "requests": [s["request"] for s in steps],
        "hashpath-alg": hp.algorithm_of(first_base),
    }
    return node.sign(proof) if node.wallet is not None else proof


def verify_branch(result, proof: dict, node=None) -> Report:
    """Check *result* with *proof* only, trusting nothing it claims: the first
    message has the ID the proof names, every request's ID (or path) folds into
    the result's hashpath, and re-executing the branch from them gives the
    result's content.  A signed proof's signature must verify too."""
    from .node import Node

    hashpath = hp.hashpath_of(result) if isinstance(result, dict) else None

    def refused(reason, step=None, checked=0):
        return Report(False, checked, hashpath, {"step": step, "reason": reason})

    if not isinstance(proof, dict) or proof.get("type") != "branch-proof":
        return refused("the proof is not a branch-proof message")
    if proof.get("commitments") and not httpsig.verify(proof, exact=False):
        return refused("the proof's signature does not verify")
    if hashpath is None or hashpath != proof.get("hashpath"):
        return refused("the result's hashpath is not the one proven")
    requests = proof.get("requests")
    if not isinstance(requests, list) or not requests or not isinstance(proof.get("origin-message"), dict):
        return refused("the proof holds no first message and requests to re-execute")
    try:
        origin = checked_message(proof["origin-message"], proof.get("origin"))
        folded = _folded(origin, requests)
    except (AolabError, RecursionError) as exc:
        return refused(f"the proof's inputs are not what it names: {exc}")
    if folded != hashpath:
        return refused("the first message and the requests do not fold to the result's hashpath",
                       len(requests) - 1)
    checker = node if node is not None else Node(name="verify-branch", record=False)
    current = origin
    for index, request in enumerate(requests):
        try:
            status, current = checker.resolve_status(current, public_message(request))
        except AolabError as exc:
            return refused(f"re-execution failed: {exc}", index, index)
        if status != "ok":
            return refused(f"re-execution ended with status {status!r}", index, index)
    if content_id(current) != content_id(result) or content_id(result) != proof.get("result-id"):
        return refused("re-executing the branch gives another result", len(requests) - 1,
                       len(requests) - 1)
    return Report(True, len(requests), hashpath)


def _folded(origin: dict, requests: list) -> str:
    """The hashpath of applying *requests* in turn to *origin*."""
    alg = hp.algorithm_of(origin)
    folded = ids.id(origin)
    for request in requests:
        folded = hp.join(folded, hp.request_part(public_message(request)), alg)
    return folded


def _fetcher(node, result, source):
    if source is not None:
        return source.fetch
    found = signing.signers(result) if isinstance(result, dict) and result.get("commitments") else []
    signer = found[0] if found else None
    holder = node.network.find(signer) if signer else None
    if holder is not None:
        return holder.fetch
    return lambda key: node.network.fetch(key, exclude=node)


def _diverged(hashpath, index, step, reason) -> Report:
    request = step["request"]
    return Report(False, index, hashpath, {"step": index, "key": request.get("path"),
                                           "hashpath": step["hashpath"], "reason": reason})


def _step_reason(found: dict, claimed: str) -> str:
    if "hashpath" in found:
        return f"hashpath {found['hashpath']!r} where the result claims {claimed!r}"
    return "re-executed content differs from the result given"
