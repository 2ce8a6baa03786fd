"""p4@1.0: charging for requests, with a pricing device and a ledger device.

Set as the node's ``on/request`` and ``on/response`` hooks (a message with
``device: p4@1.0``, ``pricing-device`` and ``ledger-device``, for example
both ``simple-pay@1.0``).  Keys:

``request``   before a request runs: ask the pricing device's ``estimate``;
              0 lets it through; ``infinity`` refuses; otherwise the ledger's
              ``balance`` of the signer must cover the price, else the request
              is refused (``error``, status 429, with price and balance)
``response``  after it ran: ``debit`` the price on the ledger
``balance``   the ledger balance of the request's signer

Requests to ``/~meta@1.0/...`` and ``/~p4@1.0/balance`` are never charged.
Without a pricing or a ledger device every request goes through.

>>> import aolab
>>> hook = {"device": "p4@1.0", "pricing-device": "simple-pay@1.0", "ledger-device": "simple-pay@1.0"}
>>> shop = aolab.Node(name="shop", config={"simple-pay-price": 10, "on": {"request": hook, "response": hook}})
>>> status, refusal = shop.resolve_status({"a": 1}, "a")
>>> status, refusal["status"], refusal["price"]
('error', 429, 20)

Reference: HyperBEAM src/dev_p4.erl at b2743e4a.
"""
from __future__ import annotations

from aolab.codecs.httpsig import signers
from aolab.resolve import resolve_status

NAME = "p4@1.0"
NON_CHARGEABLE = ("/~p4@1.0/balance", "/~meta@1.0/")


def info():
    return {"exports": ["request", "response", "balance"]}


def request(state, hook_request, opts):
    """Decide, before it runs, whether the request may run."""
    body, target = hook_request.get("body"), hook_request.get("request")
    priced = _price(state, "pre", target, body, opts)
    if priced is None:
        return {"body": body}
    ledger, status, price = priced
    if status != "ok":
        return "error", {"status": 500, "body": f"Error calculating the price: {price!r}"}
    if price == "infinity":
        return "error", {"status": 403, "body": "Node will not service this request "
                                               "under any circumstances."}
    if price == 0:
        return {"body": body}
    status, balance = resolve_status({**state, "device": ledger},
                                     {"path": "balance", "request": target,
                                      "target": _signer(target)}, opts)
    if status != "ok":
        return "error", {"status": 500, "body": "Error checking ledger balance."}
    if balance is True or balance == "infinity" or balance >= price:
        return {"body": body}
    return "error", {"status": 429, "body": "Insufficient funds", "price": price,
                     "balance": balance}


def response(state, hook_request, opts):
    """After the request ran: debit its price."""
    body, target = hook_request.get("body"), hook_request.get("request")
    priced = _price(state, "post", target, body, opts)
    if priced is None:
        return {"body": body}
    ledger, status, price = priced
    if status != "ok" or price in (0, "infinity"):
        return {"body": body} if status == "ok" else ("error", {"status": 500, "body": price})
    status, debited = resolve_status({**state, "device": ledger},
                                     {"path": "debit", "quantity": price, "request": target}, opts)
    if status != "ok":
        return status, debited
    return {"body": body}


def balance(state, hook_request, opts):
    """The ledger balance of the request's signer."""
    devices = _devices(state)
    if devices is None:
        return "error", {"status": 404, "body": "p4@1.0 has no ledger-device"}
    return resolve_status({**state, "device": devices[1]},
                          {"path": "balance", "request": hook_request}, opts)


def _price(state, phase: str, target, body, opts):
    """``(ledger device, status, price)`` from the pricing device, or None when
    the request is not charged (no devices configured, or a free route)."""
    devices = _devices(state)
    if devices is None or not _chargeable(target):
        return None
    pricing, ledger = devices
    status, price = resolve_status({**state, "device": pricing},
                                   {"path": "estimate", "type": phase, "request": target,
                                    "body": body}, opts)
    return ledger, status, price


def _devices(state):
    pricing, ledger = state.get("pricing-device"), state.get("ledger-device")
    return (pricing, ledger) if pricing and ledger else None


def _chargeable(target) -> bool:
    path = target.get("path") if isinstance(target, dict) else None
    if not isinstance(path, str):
        return True
    path = path if path.startswith("/") else "/" + path
    return not any(path == route or (route.endswith("/") and path.startswith(route))
                   for route in NON_CHARGEABLE)


def _signer(target) -> str:
    found = signers(target)
    return found[0] if len(found) == 1 else "unknown"
