"""stack@1.0: several devices run as one atomic unit.

The base names its devices in ``device-stack``: a list (numbered from 1) or a
message of ``name -> device``.  The key called on the stack is called on every
device of it.  Two modes, chosen by ``mode`` on the request (first) or on the
base; default ``fold``:

``fold``
    the state (the base) goes through the devices in order; each one's result
    is the next one's base.
``map``
    each device runs on the same base; the result is a message of
    ``name -> that device's result`` (devices that fail are left out).

Statuses a device may return in fold mode:

``skip``
    end the stack here for this call; the state so far is the result.
``pass``
    start again from the first device with the state so far, ``pass``
    incremented (it is 1 on the first pass).  ``allow-multipass: false`` on the
    base makes ``pass`` end the stack like ``skip``; ``max-passes`` bounds the
    passes: the option ``max-passes`` (``ctx.option``: ``max_passes=`` to the
    resolve, else the node's; default 100) is the cap, which a request or
    base may lower, never raise.
``error`` (or any other)
    ``error-strategy`` (request, base or option; default ``throw``)
    decides: ``throw`` raises :class:`aolab.errors.DeviceError` naming the
    device; ``stop`` returns an ``error`` status with the details.

A device that does not answer the key is skipped (without a step of its own
when it has no handler for the key and the state has no such key).  While a device runs, the
state's ``device`` is that device and ``device-key`` its name in the stack;
``input-prefixes``/``output-prefixes`` (``name -> prefix``) set the state's
``input-prefix``/``output-prefix`` for it.  Afterwards the stack's own device,
prefixes and ``pass`` are restored.  ``/transform/<name>/<key>`` calls one
device of the stack alone; ``stack-keys`` limits the keys the stack answers.

Every inner device call is a step of its own (a child step of the stack call
in the recorded DAG); the stack call as a whole has one result and one
hashpath.

>>> import aolab
>>> base = {"device": "stack@1.0", "device-stack": ["counter@1.0", "counter@1.0"], "count": 0}
>>> aolab.resolve(base, {"path": "add", "amount": 2})["count"]
4
>>> aolab.resolve(base, {"path": "add", "amount": 2, "mode": "map"})["2"]["count"]
2

Reference: HyperBEAM src/dev_stack.erl at b2743e4a.
"""
from __future__ import annotations

from aolab import hashpaths as hp
from aolab.errors import AolabError, DeviceError, KeyNotFound
from aolab.message import UNSET, get_key, normalize_key
from aolab.context import as_context
from aolab.resolver import answers, resolve_status

NAME = "stack@1.0"
DEFAULT_MAX_PASSES = 100
#: The most devices a stack may hold (option ``max-stack-devices``, ``max_stack_devices=``).
DEFAULT_MAX_DEVICES = 1_000
#: Keys of a keyed ``device-stack`` that are not devices: AO-Core's core keys
#: (HyperBEAM's AO_CORE_KEYS, :data:`aolab.hashpaths.CORE_KEYS`), and the stack
#: message's own ``device`` and ``commitments`` (aolab: a signed stack names no such device).
CORE_KEYS = hp.CORE_KEYS | {"device", "commitments"}


def info(base):
    """Every key goes to :func:`router`, except ``set`` and ``keys``."""
    found = {"handler": router, "excludes": ["set", "keys"]}
    if isinstance(base, dict) and "stack-keys" in base:
        found["exports"] = list(base["stack-keys"])
    return found


def router(key, base, request, opts):
    """Run *key* on the stack: ``transform`` gives one device; others fold or map."""
    if key == "transform":
        return _transformer(base, opts)
    mode = request.get("mode")
    if mode is None:
        mode = base.get("mode", "fold")
    mode = str(mode).lower()
    if mode == "fold":
        return fold(base, request, opts)
    if mode == "map":
        return map_devices(base, request, opts)
    raise DeviceError(f"stack@1.0: unknown mode {mode!r} (expected 'fold' or 'map')",
                      key="mode", device=NAME)


def device_stack(base, opts=None) -> dict:
    """The stack's devices as ``name -> device`` (a list is numbered from 1).

    At most the option ``max-stack-devices`` (default
    :data:`DEFAULT_MAX_DEVICES`) of them.
    """
    try:
        stack = get_key(base, "device-stack")
    except KeyError:
        raise DeviceError("stack@1.0: the message has no 'device-stack'", key="device-stack",
                          device=NAME) from None
    if not isinstance(stack, (list, tuple, dict)):
        raise DeviceError(f"stack@1.0: 'device-stack' must be a list or a message, not "
                          f"{type(stack).__name__}", key="device-stack", device=NAME)
    limit = as_context(opts).option("max-stack-devices", DEFAULT_MAX_DEVICES)
    if len(stack) > limit:
        raise DeviceError(f"stack@1.0: 'device-stack' holds {len(stack):,} devices; this node "
                          f"runs stacks of at most {limit:,} (max_stack_devices)",
                          key="device-stack", device=NAME)
    if isinstance(stack, (list, tuple)):
        return {str(n): dev for n, dev in enumerate(stack, 1)}
    return {normalize_key(k): v for k, v in stack.items() if normalize_key(k) not in CORE_KEYS}


def transform(base: dict, name: str, stack: dict | None = None):
    """*base* with the stack's device *name* in place of its device, or None.

    Sets ``device-key`` and the device's prefixes, and remembers the device and
    prefixes it replaced (``previous-*``), as HyperBEAM's ``transform/3``.
    *stack* is ``device_stack(base)`` when the caller already has it.
    """
    device = (device_stack(base) if stack is None else stack).get(normalize_key(name))
    if device is None:
        return None
    updates = {
        "device": device,
        "device-key": name,
        "input-prefix": _prefix_for(base, "input-prefixes", name),
        "output-prefix": _prefix_for(base, "output-prefixes", name),
        "previous-device": base.get("device"),
        "previous-input-prefix": base.get("input-prefix"),
        "previous-output-prefix": base.get("output-prefix"),
    }
    return _set_defined(base, updates)


def fold(base, request, opts):
    """Pass the state through every device in order (see the module doc)."""
    starting_pass = base.get("pass", UNSET)
    status, result = _fold({**base, "pass": 1}, request, opts)
    if status != "ok" or not isinstance(result, dict):
        return status, result
    restored = _set_defined(result, {
        "device": base.get("device"),
        "input-prefix": result.get("previous-input-prefix"),
        "output-prefix": result.get("previous-output-prefix"),
    })
    for key in ("device-key", "device-stack-previous"):
        restored.pop(key, None)
    if starting_pass is UNSET:
        restored.pop("pass", None)
    else:
        restored["pass"] = starting_pass
    return "ok", restored


def _fold(state: dict, request: dict, opts):
    stack = device_stack(state, opts)
    raw_stack = state.get("device-stack")
    names = sorted(stack, key=_stack_order)
    max_passes = _max_passes(state, request, opts)
    allow_multipass = _truthy(_option(state, request, opts, "allow-multipass", True))
    index = 0
    while index < len(names):
        name = names[index]
        if state.get("device-stack") is not raw_stack:  # a device changed the stack
            stack, raw_stack = device_stack(state, opts), state.get("device-stack")
        current = transform(state, name, stack)
        if not_answered(current, request, opts):
            state, index = current, index + 1  # the device does not implement this key
            continue
        try:
            status, result = resolve_status(current, request, opts)
        except KeyNotFound as exc:
            if exc.key != request.get("path"):
                return _stack_error(state, request, name, exc, opts)
            state, index = current, index + 1  # the device does not answer this key
            continue
        except AolabError as exc:
            return _stack_error(state, request, name, exc, opts)
        if status == "ok" and isinstance(result, dict):
            state, index = result, index + 1
        elif status == "ok" or (status == "skip" and isinstance(result, dict)):
            return "ok", result  # a plain value ends the stack; skip ends this pass
        elif status == "pass" and isinstance(result, dict):
            if not allow_multipass:
                return "ok", result
            passes = int(result.get("pass", 1)) + 1
            if passes > max_passes:
                return _stack_error(state, request, name, f"more than {max_passes} passes "
                                    "(the node's max_passes caps 'max-passes'; stop returning 'pass')", opts)
            state, index = {**result, "pass": passes}, 0
        else:
            return _stack_error(state, request, name, f"status {status!r}: {result!r}", opts)
    return "ok", state


def map_devices(base, request, opts):
    """Run every device on the same base; collect ``name -> result``."""
    results = {}
    stack = device_stack(base, opts)
    for name in sorted(stack, key=_stack_order):
        current = transform(base, name, stack)
        if not_answered(current, request, opts):
            continue
        try:
            status, result = resolve_status(current, request, opts)
        except KeyNotFound:
            continue
        if status == "ok":
            results[name] = result
    return "ok", results


def not_answered(message, request, opts) -> bool:
    """The device would only read the key from the message, and it is not there:
    HyperBEAM's ``not_found``, known without running (and recording) the lookup.
    Map mode leaves such a device out (so does :func:`aolab.dist.resolve_sharded`)."""
    key = request.get("path")
    if not isinstance(key, str) or "/" in key or answers(message, key, opts):
        return False
    try:
        get_key(message, key)
        return False
    except KeyError:
        return True


def _stack_error(state, request, name, info, opts):
    device = device_stack(state).get(name)
    label = device if isinstance(device, str) else "<inline device>"
    strategy = str(_option(state, request, opts, "error-strategy", "throw")).lower()
    text = (f"stack@1.0: device {name} ({label}) failed on key "
            f"{request.get('path')!r}: {info}")
    if strategy == "stop":
        return "error", {"status": 500, "body": text, "device-key": name,
                         "key": str(request.get("path"))}
    if isinstance(info, BaseException):
        raise DeviceError(text, key=request.get("path"), device=label) from info
    raise DeviceError(text, key=request.get("path"), device=label)


def _transformer(base, opts):
    """A copy of *base* whose device answers ``<name>`` with that stack device."""
    def handler(key, message):
        found = transform(message, key)
        if found is None:
            raise KeyNotFound(f"stack@1.0: no device {key!r} in 'device-stack'", key=key,
                              device=NAME)
        return found
    return {**base, "device": {"info": lambda: {"handler": handler},
                               "type": "stack-transformer"}}


def _prefix_for(base, key, name):
    prefixes = base.get(key)
    if not isinstance(prefixes, dict):
        return None
    for raw, value in prefixes.items():
        if normalize_key(raw) == name:
            return value
    return None


def _set_defined(message: dict, updates: dict) -> dict:
    """*message* with every update whose value is not None (None: leave as is)."""
    new = dict(message)
    new.update({k: v for k, v in updates.items() if v is not None})
    return new


def _option(base, request, opts, key, default):
    for source in (request, base):
        if isinstance(source, dict) and key in source:
            return source[key]
    return as_context(opts).option(key, default)


def _max_passes(state, request, opts) -> int:
    """The node's ``max_passes`` cap, lowered by the request's or base's
    ``max-passes`` when that is smaller (a message never raises it)."""
    cap = as_context(opts).option("max-passes", DEFAULT_MAX_PASSES)
    asked = next((source["max-passes"] for source in (request, state)
                  if isinstance(source, dict) and "max-passes" in source), None)
    if asked is None:
        return int(cap)
    try:
        if isinstance(asked, bool):
            raise ValueError
        asked = int(asked)
    except (TypeError, ValueError):
        raise DeviceError(f"stack@1.0: 'max-passes' must be a whole number, not {asked!r}",
                          key="max-passes", device=NAME) from None
    return min(asked, int(cap))


def _truthy(value) -> bool:
    return value not in (False, "false", "False", 0, "0", None)


def _stack_order(name: str):
    return (0, int(name), "") if name.isdigit() else (1, 0, name)

