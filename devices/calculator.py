"""calculator@1.0: the device of "Building a Custom Device for Beginners".

HyperBEAM's beginners' guide (PR 275) builds a calculator device with one key,
``calculate``.  The request names an ``operation`` (``add``, ``subtract``,
``multiply``, ``divide``) and two operands, ``operand1`` and ``operand2``,
which arrive as strings (as over HTTP) and are parsed as numbers.  The result
is a message with ``result``, ``operation`` and the two operands.

Where the guide's device silently answers 0.0 for an unknown operation, this one
refuses with a clear error: an unknown operation, an operand that is not a
(finite) number, a division by zero.  Notebook 08 writes the same device in a
cell, line for line (``tests/test_calculator.py`` checks they answer alike),
then as a file of its own in a folder a node loads.

>>> import aolab
>>> aolab.resolve({"device": "calculator@1.0"},
...               {"path": "calculate", "operation": "multiply", "operand1": "6", "operand2": "7"})["result"]
42.0

Reference: permaweb/HyperBEAM pull request 275 (docs: building a custom device).
"""
from __future__ import annotations

import math

from aolab.errors import MessageError

NAME = "calculator@1.0"
OPERATIONS = {
    "add": lambda a, b: a + b,
    "subtract": lambda a, b: a - b,
    "multiply": lambda a, b: a * b,
    "divide": lambda a, b: a / b,
}


def info():
    """The device's info: it exports ``calculate``."""
    return {"exports": ["calculate"]}


def calculate(base, request):
    """``operand1 <operation> operand2`` (see the module doc)."""
    operation = str(request.get("operation", "")).lower()
    if operation not in OPERATIONS:
        raise MessageError(f"{NAME}: unknown operation {request.get('operation')!r} "
                           f"(expected one of {', '.join(OPERATIONS)})", key="operation", device=NAME)
    a, b = number(request, "operand1"), number(request, "operand2")
    if operation == "divide" and b == 0:
        raise MessageError(f"{NAME}: division by zero (operand2 is 0)", key="operand2", device=NAME)
    return {"result": OPERATIONS[operation](a, b), "operation": operation,
            "operand1": a, "operand2": b}


def number(request, key: str) -> float:
    """The request's *key* as a finite number (operands arrive as strings, as over HTTP)."""
    if key not in request:
        raise MessageError(f"{NAME}: the request has no {key!r}", key=key, device=NAME)
    raw = request[key]
    try:
        value = float(raw) if not isinstance(raw, bool) else math.nan
    except (TypeError, ValueError):
        raise MessageError(f"{NAME}: {key} {raw!r} is not a number", key=key, device=NAME) from None
    if not math.isfinite(value):
        raise MessageError(f"{NAME}: {key} {raw!r} is not a finite number", key=key, device=NAME)
    return value
