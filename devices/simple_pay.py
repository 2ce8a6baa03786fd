"""simple-pay@1.0: a per-message price and a ledger of balances, in the node message.

Both a pricing device and a ledger device in p4@1.0's sense.  The price of a
request is ``simple-pay-price`` (node message, default 1) for every message
the request stands for (its base and each path step, as
:func:`aolab.singleton.parse` splits it); the operator pays nothing.  The
ledger is the node message's ``simple-pay-ledger``: ``address -> balance``.
Keys:

``estimate``   the price of ``request`` (0 for the operator)
``debit``      take ``quantity`` from the signer of ``request``; ``error`` (429)
               when the balance goes below 0
``balance``    the balance of the signer of ``request`` (or of the request
               itself, or of ``target``)
``topup``      (operator-signed, the signature covering ``path``, ``amount`` and
               ``recipient``) add ``amount`` to ``recipient``'s balance

Users are identified by their signatures: an unsigned request has no
balance.  Every ledger change is a new node message (the history grows).

Reference: HyperBEAM src/dev_simple_pay.erl at b2743e4a.
"""
from __future__ import annotations

from aolab import singleton
from aolab.codecs.httpsig import signers
from aolab.errors import DeviceError
from aolab.resolve import node_option

NAME = "simple-pay@1.0"
#: The keys a top-up acts on: the operator's signature must cover those present.
TOPUP_KEYS = ("path", "amount", "recipient")


def info():
    return {"exports": ["estimate", "debit", "balance", "topup"]}


def estimate(base, request, opts):
    """The price of the request in ``request``."""
    node = _node(opts)
    target = request.get("request")
    if _is_operator(target, node, opts):
        return 0
    return len(_messages(target, request)) * int(node.config.get("simple-pay-price", 1))


def debit(base, request, opts):
    """Charge ``quantity`` to the signer of ``request``."""
    node = _node(opts)
    found = signers(request.get("request"), opts)
    if not found:
        return False
    signer = found[0]
    price = int(request.get("quantity", 0))
    balance = get_balance(node, signer)
    new_balance = balance - price
    _set_balance(node, signer, new_balance)
    if new_balance >= 0:
        return True
    return "error", {"status": 429, "body": f"Insufficient funds. User balance before debit: "
                     f"{balance}. Price of request: {price}. New balance: {new_balance}."}


def balance(base, request, opts):
    """The balance of the request's signer (or of ``target``)."""
    node = _node(opts)
    inner = request.get("request")
    found = signers(inner, opts) if isinstance(inner, dict) else signers(request, opts)
    if found:
        return get_balance(node, found[0])
    target = request.get("target")
    return get_balance(node, target) if isinstance(target, str) else 0


def topup(base, request, opts):
    """Add ``amount`` to ``recipient`` (operator-signed requests only)."""
    node = _node(opts)
    action = [k for k in TOPUP_KEYS if k in request]
    if not _is_operator(request, node, opts, covering=action):
        return "error", {"status": 401, "body": "Unauthorized: only the operator tops up balances, "
                         f"with a signature that covers {', '.join(TOPUP_KEYS)}."}
    recipient = request.get("recipient")
    if not isinstance(recipient, str):
        raise DeviceError("simple-pay@1.0 topup needs a 'recipient' address", key="recipient",
                          device=NAME)
    amount = int(request.get("amount", 0))
    _set_balance(node, recipient, get_balance(node, recipient) + amount)
    return get_balance(node, recipient)


def get_balance(node, address: str) -> int:
    return int((node.config.get("simple-pay-ledger") or {}).get(address, 0))


def _set_balance(node, address: str, amount: int) -> None:
    ledger = dict(node.config.get("simple-pay-ledger") or {})
    ledger[address] = amount
    node.update_config({"simple-pay-ledger": ledger})


def _is_operator(message, node, opts=None, covering=()) -> bool:
    operator = node.config.get("operator")
    return isinstance(message, dict) and operator in signers(message, opts, covering=covering)


def _messages(target, request) -> list:
    body = request.get("body")
    if isinstance(body, list):
        return body
    if isinstance(target, dict) and isinstance(target.get("path"), str):
        return singleton.parse({"path": target["path"]})
    return [target]


def _node(opts):
    return node_option(opts, "node", NAME, "keeps its ledger in a node")
