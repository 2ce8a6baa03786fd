"""inference_receipt@1.0: what one generation of inference@1.0 computed, and its check.

A receipt (APUS's ``inference_receipt@1.0``) is a message that states a
generation: ``request`` (model, prompt or messages, every sampling parameter,
defaults filled in) and its ``request-id``, ``response`` and its
``response-id``, ``model-id`` (the hash of the model file; ``model-sha256``
the same in hexadecimal, APUS's field), ``runtime``
(llama.cpp, its binding and version, CPU or GPU) and ``settings`` (how the node
ran the model).  APUS's receipt hashes request and response and names the
model; its own docs note that a declared model hash does not prove which model
ran.  Re-execution does: a node that holds the same model file computes the
same request again and must find the same response, bit for bit.

``verify``
    re-executes the receipt's request on the resolving node and answers
    ``{"verified": bool, "differences": {key: {"claimed", "found"}},
    "environment": {...}}`` (what the receipt claims, what the verifier found).
    It is verified when the request, model and response are reproduced;
    ``environment`` names the runtime and settings in which this node differs
    from the receipt's (which may, or may not, change bits: notebook 14).  A
    receipt whose ``request`` no longer hashes to its ``request-id`` is compared
    with the request stored under that ID (on this node or its network), so
    the report names the key that was changed (``seed``, ``prompt``,
    ``model``...), and the request under that ID is the one re-executed.  A
    changed response or model is named too.
``compare``
    with ``other``: another receipt; names the inputs that differ (``model``,
    ``seed``, ``prompt``...) and whether the responses differ.
``publish``
    uploads the receipt to Arweave as a signed ANS-104 item through the node's
    gateway store (``Node(store=[MemoryStore(), GatewayStore(gateway, wallet)])``,
    :mod:`aolab.gateway`), linked from its unsigned ID, and answers
    ``{"published": item ID, "receipt-id", "gateway"}``.  The node re-executes
    the receipt first and publishes only what it reproduced: its signature on
    the item vouches for the generation, so it never signs a receipt on the
    receipt's own word.  A node with no gateway store, or a receipt it does not
    reproduce, gets an error naming which.

>>> import aolab, pytest
>>> _ = pytest.importorskip("llama_cpp", reason="the [llm] extra is not installed")
>>> from aolab.llm_model import tiny_model
>>> from devices.inference import add_model
>>> alice, bob = aolab.Node(name="rc-alice"), aolab.Node(name="rc-bob")
>>> _, _ = add_model(alice, tiny_model()), add_model(bob, tiny_model())
>>> ask = {"path": "completions", "prompt": "a model is", "max_tokens": 6, "seed": 7}
>>> receipt = alice.resolve({"device": "inference@1.0"}, ask)["receipt"]
>>> bob.resolve(receipt, "verify")["verified"]
True
>>> forged = {**receipt, "request": {**receipt["request"], "seed": 8}}
>>> report = bob.resolve(forged, "verify")
>>> report["verified"], sorted(report["differences"])
(False, ['request/seed'])

Not here: APUS's ``verify-hashpath`` (``Node.verify`` re-executes a result from
its hashpath), GPU inventory and attestation (``tee``: this machine has no GPU
to attest).

Reference: apuslabs/hb-apus-devices docs/inference.md (inference_receipt@1.0).
"""
from __future__ import annotations

from aolab import ids
from aolab.errors import AolabError, MessageError, StoreError
from aolab.context import as_context
from aolab.resolver import resolve_status

NAME = "inference_receipt@1.0"
GENERATOR = "inference@1.0"


def info():
    """The device's info: the keys it answers."""
    return {"exports": ["verify", "compare", "publish"]}


def verify(base, request, opts):
    """Re-execute the receipt on this node; name every difference (see the module doc)."""
    claimed = _receipt(base)
    differences = {}
    stated = executed = claimed["request"]
    if ids.id(stated) != claimed.get("request-id"):
        original = _original(claimed.get("request-id"), opts)
        if original is None:
            differences["request-id"] = {"claimed": claimed.get("request-id"),
                                         "found": ids.id(stated)}
        else:  # claimed: what the receipt says; found: the request recorded under its ID
            differences.update({f"request/{k}": v for k, v in _diff(stated, original).items()})
            executed = original
    if ids.id(claimed["response"]) != claimed.get("response-id"):
        differences["response-id"] = {"claimed": claimed.get("response-id"),
                                      "found": ids.id(claimed["response"])}
    if stated.get("model") != claimed.get("model-id"):
        differences["model-id"] = {"claimed": claimed.get("model-id"), "found": stated.get("model")}
    if "model-sha256" in claimed and claimed["model-sha256"] != _hex(claimed.get("model-id")):
        differences["model-sha256"] = {"claimed": claimed["model-sha256"],
                                       "found": _hex(claimed.get("model-id"))}
    try:
        status, again = resolve_status({"device": GENERATOR}, executed, opts)
    except AolabError as exc:
        differences["re-execution"] = {"claimed": "a response", "found": str(exc)}
        return _report(differences, None)
    if status != "ok":
        differences["re-execution"] = {"claimed": "a response", "found": f"status {status}"}
        return _report(differences, None)
    found = again["receipt"]
    for key, value in _diff(claimed["response"], found["response"]).items():
        differences[f"response/{key}"] = value
    environment = {}
    for key in ("runtime", "settings"):
        environment.update({f"{key}/{k}": v for k, v in _diff(claimed.get(key) or {},
                                                              found[key]).items()})
    return {**_report(differences, found), "environment": environment}


def compare(base, request, opts):
    """The inputs that differ between this receipt and ``other``, and whether the responses do."""
    mine, other = _receipt(base), _receipt(request.get("other"), "other")
    inputs = _diff(mine["request"], other["request"])
    return {"same-inputs": not inputs, "inputs": inputs,
            "same-response": ids.id(mine["response"]) == ids.id(other["response"]),
            "same-model": mine.get("model-id") == other.get("model-id")}


def publish(base, request, opts):
    """Re-execute the receipt, then upload it through the node's gateway store (module doc)."""
    claimed = _receipt(base)
    gateway = _gateway_store(opts)
    report = verify(claimed, request, opts)
    if not report["verified"]:
        raise MessageError(f"{NAME}: this node does not reproduce the receipt, so it does not "
                           f"publish it (differences: {', '.join(sorted(report['differences']))})",
                           key="receipt", device=NAME)
    body = {k: v for k, v in claimed.items() if k not in ("commitments", "priv")}
    return {"published": gateway.publish(body), "receipt-id": ids.id(body),
            "gateway": getattr(getattr(gateway, "gateway", None), "url", repr(gateway))}


def _gateway_store(opts):
    """The first store of the node's chain that publishes (a GatewayStore with a wallet)."""
    store = as_context(opts).store
    for candidate in getattr(store, "stores", [store]):
        if callable(getattr(candidate, "publish", None)) and \
                getattr(candidate, "wallet", None) is not None:
            return candidate
    raise MessageError(f"{NAME}: publish needs a gateway store with a wallet on this node "
                       f"(Node(store=[MemoryStore(), GatewayStore(gateway, wallet)])); its store "
                       f"is {store!r}", key="store", device=NAME)


def _report(differences: dict, found) -> dict:
    report = {"verified": not differences, "differences": differences}
    if found is not None:
        report["re-executed"] = {"request-id": found["request-id"],
                                 "response-id": found["response-id"]}
    return report


def _diff(claimed, found, prefix: str = "") -> dict:
    """``{key/path: {"claimed", "found"}}`` for every leaf that differs."""
    if isinstance(claimed, dict) and isinstance(found, dict):
        out = {}
        for key in sorted(set(claimed) | set(found), key=str):
            if key == "priv":
                continue
            out.update(_diff(claimed.get(key), found.get(key), f"{prefix}{key}/"))
        return out
    if isinstance(claimed, list) and isinstance(found, list) and len(claimed) == len(found):
        out = {}
        for n, (a, b) in enumerate(zip(claimed, found)):
            out.update(_diff(a, b, f"{prefix}{n}/"))
        return out
    if claimed == found and type(claimed) is type(found):
        return {}
    return {prefix.rstrip("/"): {"claimed": claimed, "found": found}}


def _hex(model_id):
    return ids.native_id(model_id).hex() if ids.is_id(model_id) else None


def _original(request_id, opts):
    """The request stored under *request_id*, here or on the node's network."""
    if not (isinstance(request_id, str) and ids.is_id(request_id)):
        return None
    ctx = as_context(opts)
    node, store = ctx.node, ctx.store
    for fetch in ([node.fetch, lambda key: node.network.fetch(key, exclude=node)] if node else
                  [store.read] if store is not None else []):
        try:
            found = fetch(request_id)
        except StoreError:
            continue
        if ids.id(found) == request_id:  # never take a stored copy on trust either
            return found
    return None


def _receipt(message, key: str = "receipt") -> dict:
    if not (isinstance(message, dict) and isinstance(message.get("request"), dict)
            and isinstance(message.get("response"), dict)):
        raise MessageError(f"{NAME}: {key} must be an inference receipt with 'request' and "
                           f"'response' messages", key=key, device=NAME)
    return message
