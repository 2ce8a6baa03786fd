"""08 · Build your own device."""

CELLS = [
    ("md", """# 08 · Build your own device

**What you'll do:** write the calculator device of HyperBEAM's guide *Building a Custom Device
for Beginners* (PR 275) in a cell, then as a device file of your own that a node loads from a
folder, and have a second node load it too and verify your device's result.
**What you'll learn:** what a device is in aolab (functions named after keys), how to give clear
errors, how a device becomes part of a node, and why a result can be checked by anyone who runs
the same device.
**What you need:** notebook 03 (and notebook 02 for hashpaths)."""),
    ("code", """import math
import pathlib
import aolab
from aolab.errors import MessageError
lab = aolab.Node()"""),
    ("md", """## The device
One key, `calculate`. The request carries `operation` (add, subtract, multiply, divide) and two
operands as strings, as they arrive over HTTP. The guide's Erlang device answers 0.0 for an
unknown operation; ours refuses with an error that names the problem. A device is functions:
`info` says which keys it exports, and `calculate` answers the key `calculate`."""),
    ("code", """NAME = "my-calculator@1.0"

OPERATIONS = {
    "add": lambda a, b: a + b,
    "subtract": lambda a, b: a - b,
    "multiply": lambda a, b: a * b,
    "divide": lambda a, b: a / b,
}


def info():
    return {"exports": ["calculate"]}


def calculate(base, request):
    operation = str(request.get("operation", "")).lower()
    if operation not in OPERATIONS:
        raise MessageError(f"{NAME}: unknown operation {request.get('operation')!r} "
                           f"(expected one of {', '.join(OPERATIONS)})", key="operation", device=NAME)
    a, b = number(request, "operand1"), number(request, "operand2")
    if operation == "divide" and b == 0:
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


lab.register_device(NAME, {"info": info, "calculate": calculate})"""),
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
    ("md", """## It composes
The result is a message with a hashpath, so it can be the base of the next computation."""),
    ("code", """first = lab.resolve(calc, {"path": "calculate", "operation": "add", "operand1": "2", "operand2": "3"})
aolab.hashpath(first).split("/")[1] == aolab.id({"path": "calculate", "operation": "add",
                                                  "operand1": "2", "operand2": "3"})"""),
    ("md", """## What a handler is given: the context
A handler may take a third argument, the *context* (HyperBEAM calls it `Opts`). It holds what
the node lends the device: `ctx.store`, `ctx.node`, `ctx.wallet`, `ctx.registry` (None when
absent), and one way to read an option, `ctx.option(name, default)`: the keyword options of
this resolve first, then the node's configuration, then the default (`greeting_text` and
`greeting-text` are one name). A device that keeps state puts it in `ctx.store`, not in the
node's configuration. The context does not change: `ctx.derive(...)` makes a changed copy,
and a handler that resolves further passes its context on."""),
    ("code", """def greet(base, request, ctx):
    return f"{ctx.option('greeting-text', 'hello')} from node {ctx.node.name}"

shop = aolab.Node(name="shop", config={"greeting-text": "welcome"},
                  devices={"greeter@1.0": {"greet": greet}})
[shop.resolve({"device": "greeter@1.0"}, "greet"),
 shop.resolve({"device": "greeter@1.0"}, "greet", greeting_text="hi")]"""),
    ("md", """## The shipped calculator@1.0 is the same device
`devices/calculator.py` holds this code as a module: a docstring that teaches, `NAME`, `info`
and one function per key; one row in `devices/__init__.py` makes it `calculator@1.0` on every
node. It answers exactly as yours does:"""),
    ("code", """import devices.calculator
print(devices.calculator.__doc__.split("\\n\\n")[0])
requests = [{"operation": "multiply", "operand1": "6", "operand2": "7"},
            {"operation": "ADD", "operand1": " 1.5", "operand2": 2},
            {"operation": "divide", "operand1": "1", "operand2": "0"}]

def answer(device, request):
    try:
        return lab.resolve({"device": device}, {"path": "calculate", **request})["result"]
    except MessageError as error:
        return str(error).split(": ", 1)[1]

[(answer("my-calculator@1.0", r), answer("calculator@1.0", r)) for r in requests]"""),
    ("md", """## Your device as a file
A device of your own does not need to live in aolab: write it as a file in a folder, and give
the folder to a node (`device_path`); the node registers every `*.py` in it that has a
`NAME`. `%%writefile` writes the cell to a file (run it again after you change it)."""),
    ("code", """pathlib.Path("my_devices").mkdir(exist_ok=True)"""),
    ("code", """%%writefile my_devices/my_calculator.py
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
}


def info():
    return {"exports": ["calculate"]}


def calculate(base, request):
    operation = str(request.get("operation", "")).lower()
    if operation not in OPERATIONS:
        raise MessageError(f"{NAME}: unknown operation {request.get('operation')!r} "
                           f"(expected one of {', '.join(OPERATIONS)})", key="operation", device=NAME)
    a, b = number(request, "operand1"), number(request, "operand2")
    if operation == "divide" and b == 0:
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
    return value"""),
    ("md", """## Two nodes, one result
`alice` loads the folder and computes; `bob` loads the same folder and **verifies** alice's
result: he fetches the inputs its hashpath names from alice, runs the step with his own copy of
the device, and compares (notebook 09 tells more). A node without the device cannot check it."""),
    ("code", """net = aolab.Network()
alice = aolab.Node(name="alice", device_path=["my_devices"], network=net)
bob = aolab.Node(name="bob", device_path=["my_devices"], network=net)
product = alice.resolve({"device": "my-calculator@1.0"},
                        {"path": "calculate", "operation": "multiply", "operand1": "6", "operand2": "7"})
product["result"], bob.verify(product, source=alice)"""),
    ("code", """carol = aolab.Node(name="carol", network=net)
report = carol.verify(product, source=alice)
bool(report), report.divergence["reason"].split(";")[0]"""),
    ("md", """## On your own
Give your device file a `modulo` operation (`OPERATIONS["modulo"] = ...`), refusing a zero
divisor as `divide` does: edit the `%%writefile` cell above and run it again (or write the file
here). Then start two new nodes on the folder: the first computes `7 modulo 3`, the second
verifies it. Store the second node's report in `mine`."""),
    ("exercise", """# your answer here
mine = None"""),
    ("solution", """%%writefile my_devices/my_calculator.py
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
    return value"""),
    ("solution", """net = aolab.Network()
first_node = aolab.Node(name="first", device_path=["my_devices"], network=net)
second_node = aolab.Node(name="second", device_path=["my_devices"], network=net)
remainder = first_node.resolve({"device": "my-calculator@1.0"},
                               {"path": "calculate", "operation": "modulo", "operand1": "7", "operand2": "3"})
mine = second_node.verify(remainder, source=first_node)
remainder["result"], mine"""),
    ("check", """from exercises import check_08
check_08(mine, "my_devices")"""),
]
