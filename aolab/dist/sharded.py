"""One stack@1.0 request in ``map`` mode, each device of the stack on a worker.

The stack's own semantics are used, found through the node's registry (the
core never imports a device): its ``device-stack`` parsing, its ``transform``
(one device in place of the stack) and its ``not-answered`` rule (map mode
leaves out a device that would only read a missing key).
"""
from __future__ import annotations

from .. import hashpaths as hp
from ..errors import DeviceError, KeyNotFound, ResolutionError
from ..node import Network, Node
from ..resolver import as_request, base_hashpath, caller_base, with_hashpath
from ..store import storable
from .cluster import run_tasks
from .tasks import worker_address


def resolve_part(base: dict, request: dict, name: str) -> dict:
    """Resolve *request* on the device *name* of the stack *base*, as map mode does.

    Returns ``{name, status, value, worker}``; ``status`` is ``None`` when the
    device does not answer the key (map mode leaves it out).
    """
    node = Node(name="shard", record=False, network=Network())
    part_base = stack_function(node, base, "transform")(base, name)
    outcome = {"name": name, "status": None, "value": None, "worker": worker_address()}
    if stack_function(node, base, "not-answered")(part_base, request, node.opts()):
        return outcome
    try:
        status, value = node.resolve_status(part_base, request)
    except KeyNotFound:
        return outcome
    outcome.update(status=status, value=storable(value) if isinstance(value, dict) else value)
    return outcome


def resolve_sharded(base: dict, request, client=None, lab=None) -> dict:
    """Resolve a stack@1.0 *request* in ``map`` mode with each device on a worker.

    The parts (one per device of ``device-stack``) are resolved by
    :func:`resolve_part` and recombined here into ``name -> result``, with the
    hashpath the resolver gives the stack call; so the result has the ID and
    hashpath of ``aolab.resolve(base, request)`` on one machine.  Where each
    part ran is in ``priv/shards``.  With *lab*, the result is stored there
    like any step's result.

    >>> import aolab
    >>> base = {"device": "stack@1.0", "device-stack": ["counter@1.0", "counter@1.0"], "count": 1}
    >>> request = {"path": "add", "amount": 2, "mode": "map"}
    >>> sharded = resolve_sharded(base, request)
    >>> single = aolab.resolve(base, request)
    >>> aolab.id(sharded) == aolab.id(single), aolab.hashpath(sharded) == aolab.hashpath(single)
    (True, True)
    """
    node = lab if lab is not None else Node(name="shards", record=False, network=Network())
    request = _map_request(base, request)
    names = list(stack_function(node, base, "device-stack")(base))
    parts = run_tasks(resolve_part, [(base, request, name) for name in names], client, "shard")
    combined = {part["name"]: part["value"] for part in parts if part["status"] == "ok"}
    result = with_hashpath(combined, _stack_call_hashpath(base, request, combined, lab))
    result["priv"]["shards"] = {p["name"]: p["worker"] for p in parts}
    return result


def _map_request(base: dict, request) -> dict:
    """*request* as a message, if it is one key in map mode (else refused)."""
    request = as_request(request)
    key = request.get("path")
    mode = str(request.get("mode", base.get("mode", "fold"))).lower()
    if not isinstance(key, str) or "/" in key or mode != "map":
        raise ResolutionError(f"resolve_sharded: only a one-key request in map mode can be "
                              f"sharded (got path {key!r}, mode {mode!r})", key=str(key))
    return request


def _stack_call_hashpath(base: dict, request: dict, combined: dict, lab) -> str:
    """The hashpath the resolver gives ``resolve(base, request)``; with *lab*,
    the step is stored there as the resolver stores a step's result."""
    alg = hp.algorithm_of(base)
    opts = lab.opts() if lab is not None else None
    if lab is not None:  # a claimed hashpath is kept only if lab computed it (see resolve)
        base = caller_base(base, opts)
    base_hp, part = base_hashpath(base, opts), hp.request_part(request)
    hashpath = hp.join(base_hp, part, alg)
    if lab is not None:
        lab.store.write_step(hashpath, combined, base_hp, base, part, request,
                             hp.compress(hashpath, alg))
    return hashpath


def stack_function(node, base: dict, key: str):
    """The stack device's own function *key* (``device-stack``, ``transform``,
    ``not-answered``), found through the node's registry."""
    device = node.registry.load(base.get("device", "message@1.0"))
    found = device.function(key)
    if found is None:
        raise DeviceError(f"device {device.name} cannot be sharded: it has no {key!r} "
                          "(stack@1.0 in map mode can)", key=key, device=device.name)
    return found[0]
