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

Only a request that resolves nothing but ``/~meta@1.0/info``,
``/~meta@1.0/build`` or ``/~p4@1.0/balance`` is free: the price follows what
the path resolves, not how it begins (``/~meta@1.0/~counter@1.0/add`` is
charged).  ``request`` and ``response`` answer only when the node runs them as
its hooks, and only then may the ledger ``debit``: a message cannot charge
anyone by calling them itself.  Without a pricing or a ledger device every
request goes through.

>>> import aolab
>>> hook = {"device": "p4@1.0", "pricing-device": "simple-pay@1.0", "ledger-device": "simple-pay@1.0"}
>>> shop = aolab.Node(name="shop", config={"simple-pay-price": 10, "on": {"request": hook, "response": hook}})
>>> status, refusal = shop.resolve_status({"a": 1}, "a")
>>> status, refusal["status"], refusal["price"]
('error', 429, 20)

Reference: HyperBEAM src/dev_p4.erl at b2743e4a.
"""
from __future__ import annotations

from aolab.context import as_context
from aolab.signing import signers
from aolab.errors import AolabError
from aolab.path import parse_segment, path_parts
from aolab.resolver import resolve_status

NAME = "p4@1.0"
#: Requests that are never charged: ``device -> keys`` of a two-segment path ``/~device/key``.
NON_CHARGEABLE = {"meta@1.0": ("info", "build"), "p4@1.0": ("balance",)}


def info():
    """The device's info: its two hooks and ``balance``."""
    return {"exports": ["request", "response", "balance"]}


def _not_a_hook(key):
    return "error", {"status": 403, "body": f"p4@1.0 '{key}' runs only as the node's own "
                                            f"on/{key} hook"}


def request(state, hook_request, opts):
    """Decide, before it runs, whether the request may run."""
    if as_context(opts).hook != "request":
        return _not_a_hook("request")
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
    if as_context(opts).hook != "response":
        return _not_a_hook("response")
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
    """False only for a request whose path resolves nothing but a free key:
    exactly ``/~device/key`` with *device* and *key* in :data:`NON_CHARGEABLE`."""
    path = target.get("path") if isinstance(target, dict) else None
    try:
        parts = path_parts(path) or []
        if len(parts) != 2:
            return True
        switch, step = parse_segment(str(parts[0])), parse_segment(str(parts[1]))
    except (AolabError, UnicodeError, RecursionError):
        return True
    if switch.key is not None or switch.params or step.device is not None or step.params:
        return True
    return step.key not in NON_CHARGEABLE.get(str(switch.device).lower(), ())


def _signer(target) -> str:
    found = signers(target)
    return found[0] if len(found) == 1 else "unknown"
