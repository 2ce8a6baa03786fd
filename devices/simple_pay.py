"""simple-pay@1.0: a per-message price and a ledger of balances.

Both a pricing device and a ledger device in p4@1.0's sense.  The price of a
request is the option ``simple-pay-price`` (the node message's, default 1) for every message
the request stands for (its base and each path step, as
:func:`aolab.singleton.parse` splits it); the operator pays nothing.  The
ledger is ``address -> balance``: it opens with the node message's
``simple-pay-ledger`` (HyperBEAM's key) and every change is kept in the node's
store (:func:`ledger`), not in the node message, so a debit is no
configuration update (meta@1.0's history does not grow).  Keys:

``estimate``   the price of ``request`` (0 for the operator)
``debit``      take ``quantity`` (a whole number, 0 or more) from the signer of
               ``request``; ``error`` (429) when the balance goes below 0.  Only
               the node's p4@1.0 ``on/response`` hook may debit (a message
               calling it is refused, 403)
``balance``    the balance of the signer of ``request`` (or of the request
               itself, or of ``target``)
``topup``      (operator-signed, the signature covering ``path``, ``amount`` and
               ``recipient``) add ``amount`` to ``recipient``'s balance

Users are identified by their signatures: an unsigned request has no
balance.

>>> import aolab
>>> shop = aolab.Node(name="doc-shop", config={"simple-pay-ledger": {"bob-address": 5}})
>>> ledger(shop)
{'bob-address': 5}

Reference: HyperBEAM src/dev_simple_pay.erl at b2743e4a.
"""
from __future__ import annotations

from aolab import singleton
from aolab.signing import signers
from aolab.errors import DeviceError, StoreError
from aolab.context import as_context

NAME = "simple-pay@1.0"
#: The keys a top-up acts on: the operator's signature must cover those present.
TOPUP_KEYS = ("path", "amount", "recipient")


def info():
    """The device's info: the keys it answers."""
    return {"exports": ["estimate", "debit", "balance", "topup"]}


def estimate(base, request, opts):
    """The price of the request in ``request``."""
    node = _node(opts)
    target = request.get("request")
    if _is_operator(target, node, opts):
        return 0
    return len(_messages(target, request)) * int(as_context(opts).option("simple-pay-price", 1))


def debit(base, request, opts):
    """Charge ``quantity`` to the signer of ``request`` (the node's response hook only)."""
    node = _node(opts)
    if as_context(opts).hook != "response":
        return "error", {"status": 403, "body": "simple-pay@1.0 debits only from the node's "
                                                "on/response hook"}
    price = request.get("quantity", 0)
    if isinstance(price, str) and price.strip().isdigit():
        price = int(price)
    if isinstance(price, bool) or not isinstance(price, int) or price < 0:
        raise DeviceError(f"simple-pay@1.0 debit: 'quantity' must be a whole number, 0 or more; "
                          f"got {price!r}", key="quantity", device=NAME)
    found = signers(request.get("request"), opts)
    if not found:
        return False
    signer = found[0]
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


def ledger(node) -> dict:
    """``address -> balance`` now: the opening ``simple-pay-ledger`` of the node
    message, with every change since (kept in the node's store)."""
    try:
        return dict(node.store.read(_ledger_key(node))["simple-pay-ledger"])
    except StoreError:
        return dict(node.config.get("simple-pay-ledger") or {})


def get_balance(node, address: str) -> int:
    """The balance of *address* (0 when the ledger does not name it)."""
    return int(ledger(node).get(address, 0))


def _set_balance(node, address: str, amount: int) -> None:
    with node.store.exclusive():
        balances = ledger(node)
        balances[address] = amount
        node.store.write_result(_ledger_key(node), {"simple-pay-ledger": balances})


def _ledger_key(node) -> str:
    """Where the node's ledger is kept in its store: one per operator (or node name)."""
    return f"~{NAME}/{node.address or node.name}/ledger"


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
    return as_context(opts).node_for(NAME, "keeps its ledger in a node")
