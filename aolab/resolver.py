"""The resolver: HyperBEAM's ``hb_ao`` algorithm in Python.

``resolve(base, request)`` finds the key named by the request's ``path``, finds
the device named by the base's ``device`` key (``message@1.0`` when absent),
finds that device's handler for the key and calls it with
``(base, request, ctx)`` (or fewer arguments, as the handler accepts), *ctx*
being the resolution's :class:`~aolab.context.Context` (services and options).  A
multi-part path ``a/b/c`` is resolved one key after another, each result the
base of the next step.  A result that is a message carries its hashpath in
``priv/hashpath``.

The stages, as ``hb_ao:resolve_stage/4`` numbers them (each a function here):

1. normalization: :func:`as_request`, :func:`path_parts`, :func:`normalize_base`
   (a list base becomes a message numbered from 1);
2. cache lookup: not modelled (aolab computes; a node's store is read by ID only);
3. validation: :func:`check_path_length`, and :func:`enter` refuses a step
   nested deeper than ``ctx.max_depth`` (the option ``max-depth``);
4. persistent-resolver lookup: not modelled (no executor processes);
5. device lookup: :func:`device_lookup` (:func:`find_handler`, below);
6. execution: :func:`execute` (a device's errors become aolab errors naming it);
7. the ``step`` hook and 8. subresolution: not modelled;
9. cryptographic linking: :func:`link_result` (a linked message result's
   hashpath, computed here only; a plain value's, when someone listens, is
   derived by its step record from the step's inputs, see :mod:`aolab.step`);
10. result caching: :func:`cache_result` (an ``ok`` message into the store);
11. notify waiters: the listener (:mod:`aolab.events`) hears the step start
    and end, and gets its :class:`~aolab.step.Step` record;
12. fork worker: not modelled;
13. recurse or terminate: :func:`resolve_status` walks the path's keys,
    stopping at a status other than ``ok``.

How a handler is found (``hb_ao:message_to_fun/3``):

1. the device's ``info`` has a ``handler`` and the key is exported: call it
   with the key first (``handler(key, base, request, ctx)``); a handler given
   as ``{"func": f, "excludes": [...]}`` sends excluded keys to message@1.0;
2. the device has a function named after the key (``set-path`` -> ``set_path``)
   and the key is exported: call it;
3. the device's ``info`` has a ``default`` (a function, called with the key
   first, or the name of another device to ask instead);
4. otherwise message@1.0 answers the key (get/set/keys/remove/id fall back).

A key is exported unless ``info`` lists ``exports`` without it, or lists it in
``excludes``.  Handlers return a value (status ``ok``) or a ``(status, value)``
pair; statuses other than ``ok`` stop a multi-part path early.

What a caller hands in is not trusted: a base's claimed ``priv/hashpath`` is
kept only when the node's store holds that very message under it
(:func:`caller_base`), and a one-part claim (another message's ID) is never
taken where results are stored (:func:`base_hashpath`); a request path names
at most ``ctx.max_path_segments`` keys (the option ``max-path-segments``).

Reference: HyperBEAM ``src/hb_ao.erl`` at b2743e4a.
"""
from __future__ import annotations

import functools
import threading

from . import ids
from .context import (MAX_DEPTH, Context, as_context, default_registry,  # noqa: F401
                      make_context, reset_default_registry)
from .errors import AolabError, DeviceError, KeyNotFound, PathError, ResolutionError
from .linking import (base_hashpath, caller_base, compressed_hashpath, forget_requests,  # noqa: F401
                      hashpath_alg,
                      holds_function, holds_result, request_part, result_hashpath, step_inputs,
                      with_hashpath, without_hashpath)
from .message import normalize_key
from .notify import OpenStep
from .path import parse_segment, path_parts
from .previews import describe, describe_request as _describe_request, preview as _preview
from .registry import DEFAULT_DEVICE, Registry, arity_of

STATUSES = frozenset(("ok", "error", "skip", "pass", "created", "failure"))

_local = threading.local()   # per thread: how deep steps nest


def resolve(base, request, opts: Context | dict | None = None, **options):
    """Resolve *request* against *base* and return the value.

    Raises :class:`~aolab.errors.ResolutionError` when a step ends with a
    status other than ``ok`` (the status and value are on the exception).

    >>> resolve({"device": "message@1.0", "a": {"b": "RESULT"}}, "a/b")
    'RESULT'
    """
    status, value = resolve_status(base, request, opts, **options)
    if status != "ok":
        raise ResolutionError(
            f"resolving {_describe_request(request)} ended with status {status!r}: {_preview(value)}",
            key=_describe_request(request),
        ).with_status(status, value)
    return value


def resolve_status(base, request, opts: Context | dict | None = None,
                   **options) -> tuple[str, object]:
    """Like :func:`resolve`, but return ``(status, value)`` instead of raising
    on a non-``ok`` status (errors raised by devices still propagate)."""
    # A base from outside: what it claims is checked before it is used (linking.caller_base).
    from_caller = isinstance(base, dict) and "priv" in base and getattr(_local, "depth", 0) == 0
    opts = make_context(opts, options, base if from_caller else None)
    request = as_request(request)
    parts = check_path_length(path_parts(request.get("path")), request, opts)
    try:
        return walk_path(base, request, parts, opts)
    finally:
        if getattr(_local, "depth", 0) == 0:
            forget_requests()  # the outermost resolution ended: its requests may be freed


def walk_path(base, request: dict, parts: list, opts: Context) -> tuple[str, object]:
    """Stage 13: resolve each key of *parts* in turn, each result the next base."""
    current, status = base, "ok"
    single = len(parts) == 1
    for index, part in enumerate(parts):
        segment = parse_segment(part)
        if segment.device is not None and segment.key is None:
            current = with_device(current, segment.device, opts)
            continue
        key = normalize_key(segment.key)
        if index == 0 and current is None:
            current = load_base(key, segment.device, opts)
            continue
        if single and not segment.params and segment.device is None and request.get("path") == key:
            step_request = request
        else:
            step_request = {**request, **segment.params, "path": key}
        if segment.device is not None:
            current = with_device(current, segment.device, opts)
        status, current = resolve_step(current, step_request, key, opts)
        if status != "ok":
            break
    return status, current


def check_path_length(parts, request, opts) -> list:
    """Stage 3 for a request: it has a path, of at most ``ctx.max_path_segments`` keys."""
    if parts is None:
        raise PathError(f"request {_preview(request)} has no 'path': nothing to resolve", key="path")
    limit = opts.max_path_segments
    if len(parts) > limit:
        raise PathError(f"request path names {len(parts):,} keys; this node resolves at most "
                        f"{limit:,} in one request (max_path_segments)", key="path")
    return parts


#: The name of :func:`make_context` in earlier aolab.
make_opts = make_context


def node_option(opts, key: str, device: str, why: str):
    """The node-provided service *key* (``store``, ``node``) a device needs, or a
    :class:`~aolab.errors.DeviceError` naming the device and why it needs it
    (kept for earlier code: devices call ``ctx.store_for`` / ``ctx.node_for``)."""
    ctx = as_context(opts)
    return ctx.node_for(device, why) if key == "node" else ctx.store_for(device, why)


def as_request(request) -> dict:
    """A request message from a path string, a list of keys or a message."""
    if isinstance(request, dict):
        return request
    if isinstance(request, (str, bytes, list, tuple, int)) and not isinstance(request, bool):
        return {"path": request}
    raise PathError(f"request {request!r} must be a message or a path, not {type(request).__name__}")


def with_device(message, device: str, opts) -> dict:
    """*message* with its ``device`` replaced (the ``~device@1.0`` segment)."""
    if message is None:
        message = {}
    if not isinstance(message, dict):
        raise PathError(f"'~{device}' applies to a message, not to {_preview(message)}", device=device)
    opts.registry.load(device)  # fail early, naming the device
    return {**message, "device": device}


def load_base(key: str, device, opts) -> dict:
    """The first segment of a path with no base: a message loaded by ID."""
    store = opts.store
    if store is None or not ids.is_id(key):
        raise PathError(f"path starts with {key!r} but there is no base message "
                        "(expected the ID of a stored message)", key=key)
    message = store.read(key)
    return with_device(message, device, opts) if device else message


def find_handler(device, key: str, base, opts, registry: Registry):
    """``(function, arity, takes_key, device)`` answering *key* (see module doc)."""
    info = device.info(base, opts)
    exported = is_exported(info, key)
    handler = info.get("handler") if exported else None
    if handler is not None:
        if isinstance(handler, dict):
            if key in [normalize_key(k) for k in handler.get("excludes", ())]:
                return find_handler(registry.load(DEFAULT_DEVICE), key, base, opts, registry)
            handler = handler["func"]
        return handler, _arity(handler), True, device
    if exported:
        found = device.function(key)
        if found is not None:
            return found[0], found[1], False, device
        default = info.get("default")
        if callable(default):
            return default, _arity(default), True, device
        if isinstance(default, str):
            return find_handler(registry.load(default), key, base, opts, registry)
    if device.name == DEFAULT_DEVICE:
        raise KeyNotFound(f"message@1.0 cannot resolve key {key!r}", key=key, device=device.name)
    return find_handler(registry.load(DEFAULT_DEVICE), key, base, opts, registry)


def answers(base, key: str, opts: Context) -> bool:
    """True when *base*'s device has its own handler for *key*, False when only
    message@1.0's plain ``get`` would answer it (a key read from the message).

    Lets callers such as stack@1.0 skip devices that do not implement a key
    without recording a failed lookup for each.
    """
    if not isinstance(base, dict):
        return False
    opts = as_context(opts)
    registry = opts.registry
    device_value = base.get("device")
    device = registry.load(DEFAULT_DEVICE if device_value is None else device_value)
    key = normalize_key(key)
    _func, _arity_, takes_key, answering = find_handler(device, key, base, opts, registry)
    if answering.name != DEFAULT_DEVICE:
        return True
    return answering.function(key) is not None  # message@1.0's own keys: set, keys, id...


def is_exported(info: dict, key: str) -> bool:
    """Whether *info* lets its device answer *key* (``hb_ao:is_exported/2``)."""
    if key == "info":
        return True
    excludes = info.get("excludes")
    if excludes and key in [normalize_key(k) for k in excludes]:
        return False
    exports = info.get("exports")
    if exports is not None:
        return key in [normalize_key(k) for k in exports]
    return True


def _arity(fn) -> int:
    """How many arguments handler *fn* takes (remembered for the last 1,024 handlers)."""
    try:
        return _known_arity(fn)
    except TypeError:  # an unhashable callable
        return arity_of(fn)


_known_arity = functools.lru_cache(maxsize=1024)(arity_of)


# -- one step: stages 1, 5, 3, 6, 9, 10 and 11 ----------------------------------

def resolve_step(base, request: dict, key: str, opts: dict) -> tuple[str, object]:
    """One step: run the handler for *key* on *base*, link and store the result,
    and tell the listener (when there is one) what happened."""
    base = normalize_base(base, key)
    func, arity, takes_key, answering = device_lookup(base, key, opts)
    call = (key, base, request, opts)[(0 if takes_key else 1):][:arity]
    listener = opts.listener
    if listener is None:
        return link_result(execute(func, call, key, base, answering, opts), base, request, key,
                           answering, opts, None)[:2]
    step = OpenStep(listener, base, request, key, answering.name, opts)
    try:
        raw = execute(func, call, key, base, answering, opts)
        status, value, result_hp = link_result(raw, base, request, key, answering, opts, step)
    except BaseException as error:
        step.failed(error)
        raise
    step.finished(status, value, result_hp)
    return status, value


def normalize_base(base, key: str) -> dict:
    """Stage 1 for a base: a list is a message numbered from 1; a value that is
    not a message has no keys to resolve."""
    if isinstance(base, list):
        base = list_to_message(base)
    if not isinstance(base, dict):
        raise KeyNotFound(f"cannot resolve key {key!r} on {_preview(base)}: it is not a message", key=key)
    return base


def device_lookup(base: dict, key: str, opts: Context):
    """Stage 5: ``(function, arity, takes_key, device)`` answering *key* on *base*."""
    registry = opts.registry
    device = registry.load(device_name(base))
    return find_handler(device, key, base, opts, registry)


def device_name(base: dict):
    """The device a base names (``message@1.0`` when it names none)."""
    device = base.get("device")
    if device is None:
        device = base.get("Device")
    return DEFAULT_DEVICE if device is None else device


def execute(func, call: tuple, key: str, base: dict, answering, opts: dict):
    """Stage 6: call the handler; anything it raises becomes an aolab error
    naming the device, the key and the message (stage 3 refuses a step nested
    too deep first)."""
    depth = enter(key, base, answering, opts)
    try:
        return func(*call)
    except AolabError:
        raise
    except RecursionError:
        raise ResolutionError(f"device {answering.name} recursed without end on key {key!r}",
                              key=key, device=answering.name, message=describe(base)) from None
    except Exception as exc:
        raise ResolutionError(
            f"device {answering.name} failed on key {key!r} of message {describe(base)}: "
            f"{type(exc).__name__}: {exc}", key=key, device=answering.name,
            message=describe(base)) from exc
    finally:
        _local.depth = depth


def enter(key: str, base: dict, answering, opts: dict) -> int:
    """Stage 3 for a step: count it one deeper, unless that is deeper than ``max_depth``;
    return the depth to restore when it ends."""
    depth = getattr(_local, "depth", 0)
    if depth >= opts.max_depth:
        raise ResolutionError(
            f"resolution is {depth} steps deep at key {key!r} of device {answering.name}: "
            "probably an endless recursion", key=key, device=answering.name, message=describe(base))
    _local.depth = depth + 1
    return depth


def link_result(raw, base: dict, request: dict, key: str, answering, opts: dict, step):
    """Stage 9: ``(status, value, hashpath)`` of a handler's answer.

    A message result of status ``ok`` or ``pass`` is linked: it carries
    ``base hashpath / request part`` and (``ok`` only) is stored (stage 10).
    A plain value is not linked: when someone listens (*step*), its record
    holds the step's base hashpath and request part, from which
    :attr:`aolab.step.Step.hashpath` derives the value's hashpath when read."""
    status, value = as_status(raw, answering.name, key)
    if not isinstance(value, dict):  # a plain value's hashpath: its record derives it, if read
        return status, value, None
    if value is not base and "commitments" in value and value["commitments"] is base.get("commitments"):
        # a new message that copied its base's signatures: they signed the base, not it
        value = {k: v for k, v in value.items() if k != "commitments"}
    if status in _LINKED and opts.hashpath == "update":
        base_hp, part = step.inputs(strict=True) if step else step_inputs(base, request, opts)
        if base_hp is not None:
            result_hp = result_hashpath(base_hp, part, hashpath_alg(base))
            value = with_hashpath(value, result_hp)
            if status == "ok":
                cache_result(value, result_hp, base, base_hp, part, request, opts)
            return status, value, result_hp
    elif status != "ok" and isinstance(value.get("priv"), dict) and "hashpath" in value["priv"]:
        value = without_hashpath(value)
    return status, value, None


#: Statuses whose result is linked to its base by a hashpath.  ``pass`` (a
#: stack's next pass starts from the result) is linked too, so that pass reads
#: the hashpath instead of hashing the whole state again; only ``ok`` results
#: are stored.
_LINKED = frozenset(("ok", "pass"))


def cache_result(value: dict, result_hp: str, base: dict, base_hp: str, part: str,
                 request: dict, opts: dict) -> None:
    """Stage 10: write a linked ``ok`` result, with its inputs, into the node's store."""
    store = opts.store
    if store is not None:
        store.write_step(result_hp, value, base_hashpath=base_hp, base=base, request_part=part,
                         request=request, compressed=compressed_hashpath(result_hp, hashpath_alg(base)))


def as_status(raw, device: str, key: str) -> tuple[str, object]:
    """Split a handler's return value into ``(status, value)``."""
    if type(raw) is tuple:
        if len(raw) == 2 and isinstance(raw[0], str) and raw[0] in STATUSES:
            return raw
        raise ResolutionError(
            f"device {device} returned {_preview(raw)} for key {key!r}; expected a value "
            f"or a (status, value) pair with status in {sorted(STATUSES)}", key=key, device=device)
    return "ok", raw


def list_to_message(values: list) -> dict:
    """A list as a message numbered from 1 (``hb_ao:normalize_keys/1``)."""
    return {str(index): value for index, value in enumerate(values, 1)}
