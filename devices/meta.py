"""meta@1.0: the node's own configuration, as a message.

A node is configured by its *node message* (HyperBEAM's node options):
``operator`` (the address allowed to change it), ``force-signed`` (sign every
result with the node's wallet), ``on`` (``request``/``response`` hook messages
run around every request, e.g. p4@1.0 payments), ``allowed-devices``,
``simple-pay-price``, ``simple-pay-ledger``, ...  Keys:

``info``
    ``GET`` (default): the node message, with the node's ``address`` and its
    ``preloaded-devices``.  ``POST``: update it with the request's keys; only a
    request signed by the ``operator`` may, with a signature that covers every
    key it sets plus ``path`` and ``method`` (an ``unclaimed`` node lets anyone
    claim it, as in HyperBEAM); a node message set ``initialized: permanent``
    cannot change.
``build``
    what aolab is and which HyperBEAM it follows.

>>> import aolab
>>> lab = aolab.Node(name="docs")
>>> lab.resolve("/~meta@1.0/info")["operator"]
'unclaimed'

Reference: HyperBEAM src/dev_meta.erl at b2743e4a.
"""
from __future__ import annotations

from aolab.context import as_context
from aolab.signing import signers

NAME = "meta@1.0"
UPDATE_SKIPS = frozenset(("path", "method", "commitments", "priv", "device"))


def info():
    # ``info`` is both this device's info and a key it answers, so one handler
    # takes both keys (HyperBEAM tells them apart by arity).
    """The device's info: ``info`` and ``build``, through one handler."""
    return {"exports": ["info", "build"], "handler": _router}


def _router(key, base, request, opts):
    return _info(base, request, opts) if key == "info" else _build(base, request, opts)


def _build(base, request, opts):
    """What this node runs."""
    import aolab
    return {"node": "aolab", "version": aolab.__version__, "follows": aolab.HYPERBEAM_REFERENCE}


def _node(opts):
    return as_context(opts).node_for(NAME, "answers for a node")


def _info(base, request, opts):
    """The node message (GET) or an update of it (POST, operator-signed)."""
    node = _node(opts)
    method = str(request.get("method", "GET")).upper()
    if method == "GET":
        return node.info()
    if method != "POST":
        return "error", {"status": 400, "body": f"Unsupported meta@1.0 info method {method!r}."}
    if node.config.get("initialized") == "permanent":
        return "error", {"status": 403, "body": "The node message of this machine is already "
                                               "permanent. It cannot be changed."}
    operator = node.config.get("operator", "unclaimed")
    updates = {k: v for k, v in request.items() if k not in UPDATE_SKIPS}
    action = sorted(set(updates) | {"path", "method"})
    if operator != "unclaimed" and operator not in signers(request, opts, covering=action):
        return "error", {"status": 401, "body": "Unauthorized: the request is not signed by the "
                         f"operator {operator}, or the signature does not cover every key of the "
                         f"update ({', '.join(action)})."}
    node.update_config(updates)
    return {"body": f"Node message updated. History: {len(node.history)} updates.",
            "history-length": len(node.history)}
