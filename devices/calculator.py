"""calculator@1.0: the device of "Building a Custom Device for Beginners".

HyperBEAM's beginners' guide (PR 275) builds a calculator device with one key,
``calculate``.  The request names an ``operation`` (``add``, ``subtract``,
``multiply``, ``divide``) and two operands, ``operand1`` and ``operand2``,
which arrive as strings (as over HTTP) and are parsed as numbers.  The result
is a message with ``result``, ``operation`` and the two operands.

Where the guide's device silently answers 0.0 for an unknown operation, this one
refuses with a clear error: an unknown operation, an operand that is not a
number, a division by zero.

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
OPERATIONS = ("add", "subtract", "multiply", "divide")


def info():
    return {"exports": ["calculate"]}


def calculate(base, request):
    """``operand1 <operation> operand2`` (see the module doc)."""
    operation = str(request.get("operation", "")).lower()
    if operation not in OPERATIONS:
        raise MessageError(f"calculator@1.0: unknown operation {request.get('operation')!r} "
                           f"(expected one of {', '.join(OPERATIONS)})", key="operation", device=NAME)
    first, second = _number(request, "operand1"), _number(request, "operand2")
    if operation == "divide" and second == 0:
        raise MessageError("calculator@1.0: division by zero (operand2 is 0)", key="operand2",
                           device=NAME)
    result = {"add": first + second, "subtract": first - second,
              "multiply": first * second, "divide": first / second if second else 0.0}[operation]
    return {"result": result, "operation": operation, "operand1": first, "operand2": second}


def _number(request, key: str) -> float:
    if key not in request:
        raise MessageError(f"calculator@1.0: the request has no {key!r}", key=key, device=NAME)
    raw = request[key]
    try:
        value = float(raw.strip() if isinstance(raw, str) else raw)
    except (TypeError, ValueError):
        raise MessageError(f"calculator@1.0: {key} {raw!r} is not a number", key=key,
                           device=NAME) from None
    if isinstance(raw, bool) or not math.isfinite(value):
        raise MessageError(f"calculator@1.0: {key} {raw!r} is not a finite number", key=key,
                           device=NAME)
    return value
