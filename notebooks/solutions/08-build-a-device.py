%%writefile my_devices/my_calculator.py
'''my-calculator@1.0: the calculator of notebook 08, as a device file.

Answers ``calculate``: ``operand1 <operation> operand2``.

>>> import aolab
>>> lab = aolab.Node(device_path=["my_devices"])
>>> lab.resolve({"device": "my-calculator@1.0"},
...             {"path": "calculate", "operation": "add", "operand1": "2", "operand2": "3"})["result"]
5.0
'''
import math

from aolab.errors import MessageError

NAME = "my-calculator@1.0"


OPERATIONS = {
    "add": lambda a, b: a + b,
    "subtract": lambda a, b: a - b,
    "multiply": lambda a, b: a * b,
    "divide": lambda a, b: a / b,
    "modulo": lambda a, b: a % b,
}


def info():
    return {"exports": ["calculate"]}


def calculate(base, request):
    operation = str(request.get("operation", "")).lower()
    if operation not in OPERATIONS:
        raise MessageError(f"{NAME}: unknown operation {request.get('operation')!r} "
                           f"(expected one of {', '.join(OPERATIONS)})", key="operation", device=NAME)
    a, b = number(request, "operand1"), number(request, "operand2")
    if operation in ("divide", "modulo") and b == 0:
        raise MessageError(f"{NAME}: division by zero (operand2 is 0)", key="operand2", device=NAME)
    return {"result": OPERATIONS[operation](a, b), "operation": operation,
            "operand1": a, "operand2": b}


def number(request, key):
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
