"""08 · Build your own device."""

CELLS = [
    ("md", """# 08 · Build your own device

**What you'll do:** write the calculator device of HyperBEAM's guide *Building a Custom Device
for Beginners* (PR 275), register it from this notebook, and then find it as a file in `devices/`.
**What you'll learn:** what a device is in aolab (functions named after keys), how to give clear
errors, and how a device becomes part of a node.
**What you need:** notebook 03."""),
    ("code", """import aolab
from aolab.errors import MessageError
lab = aolab.Node()"""),
    ("md", """## The device
One key, `calculate`. The request carries `operation` (add, subtract, multiply, divide) and two
operands as strings, as they arrive over HTTP. The guide's Erlang device answers 0.0 for an
unknown operation; ours refuses with an error that names the problem."""),
    ("code", """OPERATIONS = {"add": lambda a, b: a + b, "subtract": lambda a, b: a - b,
              "multiply": lambda a, b: a * b, "divide": lambda a, b: a / b}

def number(request, key):
    try:
        return float(request[key])
    except KeyError:
        raise MessageError(f"the request has no {key!r}", key=key) from None
    except ValueError:
        raise MessageError(f"{key} {request[key]!r} is not a number", key=key) from None

def calculate(base, request):
    operation = request.get("operation")
    if operation not in OPERATIONS:
        raise MessageError(f"unknown operation {operation!r}", key="operation")
    a, b = number(request, "operand1"), number(request, "operand2")
    if operation == "divide" and b == 0:
        raise MessageError("division by zero", key="operand2")
    return {"result": OPERATIONS[operation](a, b), "operation": operation,
            "operand1": a, "operand2": b}

lab.register_device("my-calculator@1.0", {"info": lambda: {"exports": ["calculate"]},
                                          "calculate": calculate})"""),
    ("code", """calc = {"device": "my-calculator@1.0"}
lab.resolve(calc, {"path": "calculate", "operation": "add", "operand1": "2", "operand2": "3"})"""),
    ("md", """## Clear errors
Each bad request gets an error naming the key and what was expected; the node stays usable."""),
    ("code", """for bad in [{"operation": "power", "operand1": "2", "operand2": "3"},
            {"operation": "add", "operand1": "two", "operand2": "3"},
            {"operation": "divide", "operand1": "1", "operand2": "0"}]:
    try:
        lab.resolve(calc, {"path": "calculate", **bad})
    except MessageError as error:
        print(f"{error.key:10s} {error}")"""),
    ("md", """Failed steps are in the trace too, as errors:"""),
    ("code", """lab.trace.steps()[["step", "device", "key", "status"]]"""),
    ("md", """## As a file in `devices/`
`devices/calculator.py` is the same device as a module: a docstring that teaches, `NAME`, an
`info` and one function per key; one row in `devices/__init__.py` registers it as
`calculator@1.0` on every node."""),
    ("code", """import devices.calculator
print(devices.calculator.__doc__.split("\\n\\n")[0])
lab.resolve({"device": "calculator@1.0"},
            {"path": "calculate", "operation": "multiply", "operand1": "6", "operand2": "7"})["result"]"""),
    ("md", """## It composes
The result is a message with a hashpath, so it can be the base of the next computation."""),
    ("code", """first = lab.resolve({"device": "calculator@1.0"},
                    {"path": "calculate", "operation": "add", "operand1": "2", "operand2": "3"})
aolab.hashpath(first).split("/")[1] == aolab.id({"path": "calculate", "operation": "add",
                                                  "operand1": "2", "operand2": "3"})"""),
    ("md", """## On your own
Add a `modulo` operation to your notebook device (`OPERATIONS["modulo"] = ...`), refusing a zero
divisor like `divide`, so that `7 modulo 3` gives `1.0`. Store the result message in `mine`."""),
    ("code", """# your answer here
mine = None"""),
    ("solution", """OPERATIONS["modulo"] = lambda a, b: a % b
_calculate = calculate

def calculate_with_modulo(base, request):
    if request.get("operation") == "modulo" and number(request, "operand2") == 0:
        raise MessageError("modulo by zero", key="operand2")
    return _calculate(base, request)

lab.register_device("my-calculator@1.0", {"info": lambda: {"exports": ["calculate"]},
                                          "calculate": calculate_with_modulo})
mine = lab.resolve(calc, {"path": "calculate", "operation": "modulo", "operand1": "7", "operand2": "3"})"""),
    ("code", """assert mine["result"] == 1.0
try:
    lab.resolve(calc, {"path": "calculate", "operation": "modulo", "operand1": "7", "operand2": "0"})
    raise AssertionError("a zero divisor must be refused")
except MessageError:
    pass
"checked\""""),
]
