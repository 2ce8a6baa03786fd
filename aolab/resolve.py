"""The resolver: HyperBEAM's ``hb_ao`` algorithm in Python.

``resolve(base, request)`` finds the key named by the request's ``path``, finds
the device named by the base's ``device`` key (``message@1.0`` when absent),
finds that device's handler for the key and calls it with
``(base, request, opts)`` (or fewer arguments, as the handler accepts).  A
multi-part path ``a/b/c`` is resolved one key after another, each result the
base of the next step.  A result that is a message carries its hashpath in
``priv/hashpath``.

How a handler is found (``hb_ao:message_to_fun/3``):

1. the device's ``info`` has a ``handler`` and the key is exported: call it
   with the key first (``handler(key, base, request, opts)``); a handler given
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
at most ``max_path_segments`` keys.

Reference: HyperBEAM ``src/hb_ao.erl`` at b2743e4a.
"""
from __future__ import annotations

import reprlib
import threading

from . import hashpaths as hp
from . import ids
from .events import Recorder, StepFailed, StepFinished, StepStarted
from .errors import AolabError, DeviceError, EncodingError, KeyNotFound, PathError, ResolutionError
from .message import normalize_key
from .path import MAX_PATH_SEGMENTS, parse_segment, path_parts
from .registry import DEFAULT_DEVICE, Registry

_event = tuple.__new__  # builds the named-tuple events without their Python-level __new__
STATUSES = frozenset(("ok", "error", "skip", "pass", "created", "failure"))
MAX_DEPTH = 120

_default_registry: Registry | None = None
_local = threading.local()


def default_registry() -> Registry:
    """The registry ``aolab.resolve`` uses when no node is given."""
    global _default_registry
    if _default_registry is None:
        _default_registry = Registry()
    return _default_registry


def reset_default_registry() -> None:
    """Forget devices registered with :func:`aolab.register_device`."""
    global _default_registry
    _default_registry = None


def resolve(base, request, opts: dict | None = None, **options):
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


def resolve_status(base, request, opts: dict | None = None, **options) -> tuple[str, object]:
    """Like :func:`resolve`, but return ``(status, value)`` instead of raising
    on a non-``ok`` status (errors raised by devices still propagate)."""
    opts = make_opts(opts, options)
    request = as_request(request)
    parts = path_parts(request.get("path"))
    if parts is None:
        raise PathError(f"request {_preview(request)} has no 'path': nothing to resolve", key="path")
    limit = opts.get("max_path_segments", MAX_PATH_SEGMENTS)
    if len(parts) > limit:
        raise PathError(f"request path names {len(parts):,} keys; this node resolves at most "
                        f"{limit:,} in one request (max_path_segments)", key="path")
    current, status = base, "ok"
    if isinstance(base, dict) and "priv" in base and getattr(_local, "depth", 0) == 0:
        opts["caller-base"] = base  # from outside: what it claims is checked before it is used
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


def make_opts(opts, options) -> dict:
    """Merge the options dict and keyword options; fill in the registry."""
    merged = dict(opts) if opts else {}
    if options:
        merged.update(options)
    if "registry" not in merged:
        merged["registry"] = default_registry()
    if "listener" not in merged:
        from .trace import active_trace
        merged["listener"] = active_trace()
    return merged


def node_option(opts, key: str, device: str, why: str):
    """The node-provided option *key* (``store``, ``node``) a device needs, or a
    :class:`~aolab.errors.DeviceError` naming the device and why it needs it."""
    value = (opts or {}).get(key)
    if value is None:
        raise DeviceError(f"{device} {why}: resolve through an aolab.Node()"
                          + (", or pass store=..." if key == "store" else ""), device=device)
    return value


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
    opts["registry"].load(device)  # fail early, naming the device
    return {**message, "device": device}


def caller_base(base: dict, opts) -> dict:
    """*base* as a caller hands it in, with any hashpath it claims checked
    (when a step's result is linked to it: a plain value stores nothing).

    Results are stored under the hashpaths of their bases, so a node keeps a
    claimed ``priv/hashpath`` only when it computed it: its store holds that
    very message (same public keys and values) under that hashpath.  Any other
    claim is dropped, and the base counts as a message never computed (its
    hashpath is its ID).  Without a store nothing is written, and the claim
    stays the caller's own business (a verifier recomputes it anyway).
    """
    priv = base.get("priv")
    if not isinstance(priv, dict) or "hashpath" not in priv:
        return base
    store = opts.get("store")
    if store is None or opts.get("hashpath", "update") != "update":
        return base
    claim = priv["hashpath"]
    if isinstance(claim, str) and "/" in claim and holds_result(store, claim, base):
        return base
    return without_hashpath(base)


def holds_result(store, hashpath: str, message: dict) -> bool:
    """True when *store* holds *message* (its public keys and values) under *hashpath*."""
    try:
        stored = store.read(hashpath)
    except (AolabError, RecursionError):
        return False
    if stored is message:
        return True
    if not isinstance(stored, dict):
        return False
    try:
        return _public_items(stored) == _public_items(message)
    except RecursionError:
        return False


def _public_items(message: dict) -> dict:
    if "priv" not in message and not any(type(k) is str and k[:4].lower() == "priv" for k in message):
        return message
    return {k: v for k, v in message.items() if not (type(k) is str and k[:4].lower() == "priv")}


def load_base(key: str, device, opts) -> dict:
    """The first segment of a path with no base: a message loaded by ID."""
    store = opts.get("store")
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


def answers(base, key: str, opts: dict) -> bool:
    """True when *base*'s device has its own handler for *key*, False when only
    message@1.0's plain ``get`` would answer it (a key read from the message).

    Lets callers such as stack@1.0 skip devices that do not implement a key
    without recording a failed lookup for each.
    """
    if not isinstance(base, dict):
        return False
    registry = opts["registry"]
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


_arities: dict = {}


def _arity(fn) -> int:
    try:
        return _arities[fn]
    except (KeyError, TypeError):
        from .registry import arity_of
        arity = arity_of(fn)
        try:
            _arities[fn] = arity
        except TypeError:
            pass
        return arity


def resolve_step(base, request: dict, key: str, opts: dict) -> tuple[str, object]:
    """One step: run the handler for *key* on *base* and link the result."""
    if isinstance(base, list):
        base = list_to_message(base)
    if not isinstance(base, dict):
        raise KeyNotFound(f"cannot resolve key {key!r} on {_preview(base)}: it is not a message", key=key)
    registry = opts["registry"]
    device_value = base.get("device")
    if device_value is None and "Device" in base:
        device_value = base["Device"]
    device = registry.load(DEFAULT_DEVICE if device_value is None else device_value)
    func, arity, takes_key, answering = find_handler(device, key, base, opts, registry)
    listener = opts.get("listener")
    step = None
    if listener is not None:
        if isinstance(listener, Recorder):  # plain arguments: no event objects to build
            step = listener.started(base, request, key, answering.name)
        else:
            step = listener.step_started(_event(StepStarted, (base, request, key, answering.name, None, None)))
    depth = getattr(_local, "depth", 0)
    if depth >= opts.get("max_depth", MAX_DEPTH):
        _fail(listener, step, error := ResolutionError(
            f"resolution is {depth} steps deep at key {key!r} of device {answering.name}: "
            "probably an endless recursion", key=key, device=answering.name, message=describe(base)))
        raise error
    _local.depth = depth + 1
    try:
        args = (key, base, request, opts) if takes_key else (base, request, opts)
        raw = func(*args[:arity])
    except AolabError as exc:
        _fail(listener, step, exc)
        raise
    except RecursionError:
        error = ResolutionError(f"device {answering.name} recursed without end on key {key!r}",
                                key=key, device=answering.name, message=describe(base))
        _fail(listener, step, error)
        raise error from None
    except Exception as exc:
        error = ResolutionError(
            f"device {answering.name} failed on key {key!r} of message {describe(base)}: "
            f"{type(exc).__name__}: {exc}", key=key, device=answering.name, message=describe(base))
        _fail(listener, step, error)
        raise error from exc
    finally:
        _local.depth = depth
    try:
        status, value, result_hp = _link_result(raw, base, request, key, answering, device_value, opts)
    except AolabError as exc:
        _fail(listener, step, exc)  # the step is in the trace, as failed; nothing was stored
        raise
    if listener is not None:
        if isinstance(listener, Recorder):
            listener.finished(step, status, value, result_hp)
        else:
            listener.step_finished(_event(StepFinished, (step, status, value, result_hp)))
    return status, value


def _link_result(raw, base, request, key, answering, device_value, opts):
    """``(status, value, hashpath)`` of a handler's answer; the result stored."""
    status, value = as_status(raw, answering.name, key)
    result_hp = None
    if isinstance(value, dict):
        if value is not base and "commitments" in value and value["commitments"] is base.get("commitments"):
            # a new message that copied its base's signatures: they signed the base, not it
            value = {k: v for k, v in value.items() if k != "commitments"}
        if status in _LINKED and opts.get("hashpath", "update") == "update":
            if base is opts.get("caller-base"):
                base = caller_base(base, opts)
            base_hp, part = _hashpath_inputs(base, request, device_value, opts)
            if base_hp is not None:
                result_hp = hp.join(base_hp, part, _alg(base))
                value = with_hashpath(value, result_hp)
                store = opts.get("store")
                if store is not None and status == "ok":
                    store.write_step(result_hp, value, base_hp, base, part, request,
                                     hp.compress(result_hp, _alg(base)))
        elif status != "ok" and isinstance(value.get("priv"), dict) and "hashpath" in value["priv"]:
            value = without_hashpath(value)
    return status, value, result_hp


#: Statuses whose result is linked to its base by a hashpath.  ``pass`` (a
#: stack's next pass starts from the result) is linked too, so that pass reads
#: the hashpath instead of hashing the whole state again; only ``ok`` results
#: are stored.
_LINKED = frozenset(("ok", "pass"))


def describe(message) -> str:
    """A short description of a message for error texts: its hashpath, else its keys."""
    if isinstance(message, dict):
        priv = message.get("priv")
        carried = priv.get("hashpath") if isinstance(priv, dict) else None
        if carried:
            return _short(carried)
        keys = ", ".join(sorted(str(k) for k in message if not str(k).startswith("priv"))[:6])
        return f"{{{keys}}}"
    return _preview(message, 60)


def _hashpath_inputs(base: dict, request: dict, device_value, opts=None):
    """``(base hashpath, request part)``; None for bases that cannot be hashed."""
    try:  # inline devices' functions are encoded by stable references, so they have IDs
        return base_hashpath(base, opts), _request_part(request)
    except (EncodingError, UnicodeError, RecursionError) as exc:
        if (device_value is not None and not isinstance(device_value, (str, bytes, dict))) \
                or holds_function(base) or holds_function(request):
            return None, None  # a device object that cannot be encoded: no ID
        raise EncodingError(f"cannot compute the hashpath of a step: {type(exc).__name__}: {exc}",
                            key=getattr(exc, "key", None), message=_preview(base)) from None


def base_hashpath(base: dict, opts: dict | None = None) -> str:
    """The hashpath a step continues: the two-part hashpath the base carries (a
    result), else the base's ID.  Where results are stored (a store in *opts*)
    a one-part claim is never taken, the ID is recomputed: the claim would name
    another message's ID, and the base would be stored under it."""
    priv = base.get("priv")
    carried = priv.get("hashpath") if isinstance(priv, dict) else None
    if isinstance(carried, str) and ("/" in carried or not (opts or {}).get("store")):
        return carried
    if carried is not None:
        base = without_hashpath(base)
    return ids.id(base)


_last_request: tuple = (None, None, None)


def _request_part(request) -> str:
    """``hp.request_part``, remembered for the last request seen: a stack hands
    the same request (an assignment) to each of its devices, pass after pass.
    (Requests are never changed in place; the check of its items is a guard.)"""
    global _last_request
    seen, items, part = _last_request
    if request is seen and isinstance(request, dict) and tuple(request.items()) == items:
        return part
    part = hp.request_part(request)
    if isinstance(request, dict):
        _last_request = (request, tuple(request.items()), part)
    return part


def holds_function(value, _depth: int = 0) -> bool:
    """True when a callable (an inline device) sits anywhere inside *value*."""
    if callable(value) and not isinstance(value, type(None)):
        return True
    if _depth > 64:
        return False
    if isinstance(value, dict):
        return any(holds_function(v, _depth + 1) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(holds_function(v, _depth + 1) for v in value)
    return False


def _alg(base: dict) -> str:
    return hp.algorithm_of(base) if "hashpath-alg" in base else hp.DEFAULT_ALG


def _fail(listener, step, error) -> None:
    if listener is not None and step is not None:
        listener.step_failed(StepFailed(step, error))


def as_status(raw, device: str, key: str) -> tuple[str, object]:
    """Split a handler's return value into ``(status, value)``."""
    if type(raw) is tuple:
        if len(raw) == 2 and isinstance(raw[0], str) and raw[0] in STATUSES:
            return raw
        raise ResolutionError(
            f"device {device} returned {_preview(raw)} for key {key!r}; expected a value "
            f"or a (status, value) pair with status in {sorted(STATUSES)}", key=key, device=device)
    return "ok", raw


def with_hashpath(message: dict, hashpath: str) -> dict:
    """A copy of *message* carrying *hashpath* in ``priv/hashpath``."""
    new = dict(message)
    priv = new.get("priv")
    new["priv"] = {**priv, "hashpath": hashpath} if isinstance(priv, dict) else {"hashpath": hashpath}
    return new


def without_hashpath(message: dict) -> dict:
    new = dict(message)
    new["priv"] = {k: v for k, v in new["priv"].items() if k != "hashpath"}
    return new


def list_to_message(values: list) -> dict:
    """A list as a message numbered from 1 (``hb_ao:normalize_keys/1``)."""
    return {str(index): value for index, value in enumerate(values, 1)}


def _describe_request(request) -> str:
    if isinstance(request, dict):
        return repr(request.get("path"))
    return _preview(request)


def _short(hashpath) -> str:
    if not hashpath:
        return "<unhashed message>"
    return "/".join(ids.short_id(p) if len(p) == 43 else p for p in hashpath.split("/"))


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxdict, _REPR.maxlist, _REPR.maxstring, _REPR.maxother = 3, 8, 8, 60, 60


def _preview(value, limit: int = 120) -> str:
    """A short, safe repr: bounded depth and size, whatever the value holds."""
    try:
        text = _REPR.repr(value)
    except Exception:  # a repr that fails is no reason to hide the real error
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- set: the hb_ao:set/3,4 helpers, each level through its own device ---------

def set_values(message, values: dict, opts: dict | None = None, **options):
    """*message* with every key of *values* set (``hb_ao:set/3``).

    A key may be a path (``"a/b/c"``): each level is read, updated and written
    back through that level's own device.
    """
    opts = make_opts(opts, options)
    opts.setdefault("hashpath", "ignore")
    for raw_key, value in values.items():
        if raw_key in ("path", "priv", "hashpath"):
            continue
        message = deep_set(message, path_parts(raw_key) or [], value, opts)
    return message


def deep_set(message, parts: list, value, opts: dict):
    """Set *value* at the path *parts* below *message* (``hb_ao:deep_set/4``)."""
    if not parts:
        return device_set(message, "/", value, opts) if isinstance(message, dict) else value
    key = normalize_key(parts[0])
    if len(parts) == 1:
        return device_set(message, key, value, opts)
    try:
        status, inner = resolve_status(message, {"path": key}, opts)
    except (KeyNotFound, ResolutionError):
        status, inner = "error", None
    if status == "ok" and isinstance(inner, dict):
        return device_set(message, key, deep_set(inner, parts[1:], value, opts), opts, explicit=True)
    return {**message, key: deep_set({}, parts[1:], value, opts)}


def device_set(message, key: str, value, opts: dict, explicit: bool = False):
    """Ask *message*'s device to set one key."""
    if key == "path":
        request = {"path": "set-path", "value": value}
    elif key == "/" and isinstance(value, dict):
        request = {**value, "path": "set"}
    else:
        request = {"path": "set", key: value}
    if explicit:
        request["set-mode"] = "explicit"
    status, result = resolve_status(message, request, opts)
    if status != "ok":
        raise ResolutionError(f"setting key {key!r} ended with status {status!r}", key=key)
    return result
