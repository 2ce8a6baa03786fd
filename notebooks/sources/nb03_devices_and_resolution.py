"""03 · Devices and resolution."""

CELLS = [
    ("md", """# 03 · Devices and resolution

**What you'll do:** resolve paths with message@1.0, switch devices inside a path, and watch how
the resolver finds the function that answers a key.
**What you'll learn:** HyperBEAM's resolution rules: `device`, `path`, `~device@version`,
`info` with `exports`, `excludes`, `handler` and `default`, and the message@1.0 fallback.
**What you need:** notebooks 00–02."""),
    ("code", """import aolab
from aolab.errors import KeyNotFound
lab = aolab.Node()"""),
    ("md", """## message@1.0
A message without a `device` is resolved by message@1.0: a key returns its value; `keys`, `set`,
`remove`, `id` are functions of the device."""),
    ("code", """base = {"a": {"b": {"c": "deep"}}, "x": 1}
lab.resolve(base, "a/b/c"), lab.resolve(base, "keys")"""),
    ("code", """lab.resolve(base, {"path": "set", "y": 2, "a/b/d": "set deep"})"""),
    ("code", """lab.resolve(base, {"path": "remove", "item": "x"})"""),
    ("md", """## Multi-part paths are steps
`a/b/c` is three steps, each result the base of the next; each step is recorded."""),
    ("code", """lab.trace.steps()[["step", "device", "key", "status"]].head(3)"""),
    ("md", """## `~device@version` switches devices
A path segment `~counter@1.0` makes the current message a counter@1.0 message for the rest of
the path; `key~device@1.0` resolves one key through another device."""),
    ("code", """lab.resolve({"count": 3}, "~counter@1.0/add/count")"""),
    ("md", """## How a handler is found
1. the device's `info` has a `handler`: it answers every exported key;
2. the device has a function named after the key (`set-path` → `set_path`);
3. the device's `info` has a `default`;
4. otherwise message@1.0 answers (so every device can be read like a message).

A key is exported unless `info` lists `exports` without it or lists it in `excludes`."""),
    ("code", """def greet(base, request):
    return f"hello, {request.get('name', 'world')}"

greeter = {
    "info": lambda: {"exports": ["greet"], "default": lambda key, base: f"no key {key}"},
    "greet": greet,
    "hidden": lambda base: "never reached",
}
lab.register_device("greeter@1.0", greeter)
msg = {"device": "greeter@1.0", "colour": "green"}
lab.resolve(msg, {"path": "greet", "name": "Ada"}), lab.resolve(msg, "colour")"""),
    ("md", """`hidden` is not exported, so message@1.0 answers it: the message has no such key."""),
    ("code", """try:
    lab.resolve(msg, "hidden")
except KeyNotFound as error:
    print(error)"""),
    ("md", """## What the devices are
Every device module opens with the text a learner should read first:"""),
    ("code", """import devices.counter
print(devices.counter.__doc__.split("\\n\\n")[0])"""),
    ("md", """The devices every node knows, from the table in `devices/__init__.py`. A module may be
registered under two names: `wasm64@1.0` is aolab's second name for HyperBEAM's
`wasm-64@1.0`, one device."""),
    ("code", """import devices
names_of = {}
for name, module in sorted(devices.DEVICES.items()):
    names_of.setdefault(module, []).append(name)
sorted(" = ".join(names) for names in names_of.values())"""),
    ("md", """## Errors name what went wrong
Unknown devices and keys give errors that name the device, the key and the message."""),
    ("code", """try:
    lab.resolve({"device": "nosuch@1.0"}, "x")
except aolab.errors.AolabError as error:
    print(type(error).__name__, "-", error)"""),
    ("md", """## On your own
Register a device `upper@1.0` whose `default` handler answers any key with that key's value
upper-cased (as a string), so that `lab.resolve({"device": "upper@1.0", "name": "ada"}, "name")`
gives `"ADA"`."""),
    ("exercise", """# your answer here
"""),
    ("solution", """lab.register_device("upper@1.0", {"info": lambda: {"default": lambda key, base: str(base[key]).upper()}})"""),
    ("check", """from exercises import check_03
check_03(lab)"""),
]
