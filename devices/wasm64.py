"""wasm64@1.0: run a WebAssembly image (memory64 or 32-bit) on messages.

The base names an image, its bytes (or the ID of a stored ``{"body": bytes}``
message, or such a message) under ``<input-prefix>/image`` (in a process:
``process/image``), else ``image`` or ``body``.  Keys:

``init``
    compile the image (once per image ID, cached on disk as a serialized
    module) and instantiate it; the live instance goes in
    ``priv/<prefix>/instance``, where ``<prefix>`` is the stack's
    ``output-prefix`` (none by default).  Private keys are never hashed or
    stored: the memory is state *outside* the message.
``compute``
    call ``function`` with ``parameters``, read from the request's ``body``,
    else the request, else the base (so a process can be sent
    ``{"function": "fac", "parameters": [5.0]}``, and json-iface@1.0 can set
    them on the state).  Results go to ``results/<prefix>/output`` (a list)
    and ``results/<prefix>/type`` (``ok``/``error``).  Only the first pass of a
    stack calls; when the state asks for more ``passes`` than the current
    ``pass`` (json-iface@1.0 asks for 2), ``compute`` answers ``pass``, so the
    devices before it read the results, as multipass@1.0 would.
``snapshot``
    the memory as a message (:mod:`aolab.snapshots`): a *keyframe*, ``pages``
    (its size), ``chunks`` and ``bodies`` (its 4 KiB chunks that are not all
    zeros), or, mostly, a *delta*: ``pages``, ``base`` (the ID of the
    instance's previous snapshot) and the bytes changed since it
    (``delta-runs``, ``delta-bytes``); ``globals`` when the module exports
    mutable ones.  The snapshot is also written to the node's store under its
    ID, so the next delta's ``base`` can be read; process@1.0 stores it with
    the slot's state.  (HyperBEAM's snapshot is the whole memory: a ``body``
    restores as that.)  With ``snapshot-mode: checkpoint`` the memory is only
    copied aside (what a trapped call goes back to); ``snapshot-mode:
    pending`` writes the snapshot of the last checkpoint: process@1.0's lazy
    snapshots.
``normalize``
    a state with a live instance: if there is none, a fresh instance restored
    from ``snapshot/<device-key>`` (``snapshot`` outside a stack), reading the
    bases of a delta from the store.
``terminate``
    drop the instance.

Imports: every call the module makes to an import goes to the device at
``<prefix>/stdlib/<module>`` in the state (wasi@1.0 puts itself at
``stdlib/wasi_snapshot_preview1``), as a recorded step on ``<func>`` with
``args`` and ``func-sig``; it answers ``{"state": ..., "results": [...]}``.
An import nobody answers returns 0 and is listed in
``results/<prefix>/undefined-calls``; Emscripten's ``env.invoke_*`` call
through the module's function table.

Limits belong to the node: its options (``ctx.option``: a keyword of the
resolve, ``wasm_fuel=...``, else the node message's ``wasm-fuel``) ``wasm_fuel``
(instructions per call, deterministic; default 10**9), ``wasm_deadline`` (seconds of wall clock per
call, a backstop; default 30), ``wasm_memory_limit`` (bytes, shared by all the
instance's memories; default 1 GiB), ``wasm_memories`` (1),
``wasm_table_elements`` (2**20, over all tables), ``wasm_tables`` (4),
``wasm_image_limit`` (64 MiB) and ``wasm_function_limit`` (50,000 functions)
are caps.  A message may lower one with the matching key (``wasm-fuel``,
``wasm-deadline``, ``wasm-memory-limit``, ...), never raise it: a larger value,
or ``none``, leaves the node's cap.  Work done for the module outside
WebAssembly (every import call, the bytes wasi@1.0 copies) is paid in fuel.

Errors name the function and the reason: a bad image, a missing export,
wrong parameters, a trap, a limit.  Outside a process they raise
:class:`aolab.wasm_runtime.WasmError` (a failed, recorded step).  Inside one
(the base holds a ``process``), the slot records them under
``results/<prefix>``: ``type: error``, ``error`` (the text) and ``error-kind``
(``trap``, ``fuel``, ``deadline``, ``export``, ...); the state is left as it was
before the call, the instance restarts from its last snapshot (the previous
slot's, with process@1.0's default ``cache-frequency`` of 1), and the process
goes on with its next slot.

The instance is shared by every message derived from the same ``init`` (as
HyperBEAM's executor process is): computing on an older message uses the
memory as it is now.

>>> import aolab
>>> module = {"device": "wasm64@1.0", "image": aolab.data.wasm("fac")}
>>> ready = aolab.resolve(module, "init")
>>> aolab.resolve(ready, {"path": "compute", "function": "fac", "parameters": [5.0]})["results"]
{'type': 'ok', 'output': [120.0]}

Reference: HyperBEAM src/dev_wasm.erl, src/hb_beamr.erl at b2743e4a.
"""
from __future__ import annotations

from aolab import ids
from aolab import wasm_runtime as runtime
from aolab.context import as_context
from aolab.errors import DeviceError, StoreError
from aolab.resolver import answers, resolve_status
from aolab.wasm_runtime import WasmError

NAME = "wasm64@1.0"


def info():
    """The device's info: the keys it answers."""
    return {"exports": ["init", "compute", "snapshot", "normalize", "terminate"]}


def init(base, request, opts):
    """Compile the image (cached by image ID) and start an instance of it."""
    prefix = runtime.prefix_of(base)
    if int(base.get("pass", 1)) > 1 and runtime.instance_of(base, prefix) is not None:
        return base  # a later pass of a stack: already running
    module = runtime.load_module(_image(base, opts), image_limit=_limit(base, opts, "image-limit"),
                                 function_limit=_limit(base, opts, "function-limit"))
    instance = runtime.Instance(module, memory_limit=_limit(base, opts, "memory-limit"),
                                fuel=_limit(base, opts, "fuel"),
                                memories=_limit(base, opts, "memories"),
                                tables=_limit(base, opts, "tables"),
                                table_elements=_limit(base, opts, "table-elements"))
    return runtime.with_instance(base, prefix, instance)


def compute(base, request, opts):
    """Call the function (see the module doc); first pass of a stack only."""
    base = normalize(base, request, opts)
    current_pass = int(base.get("pass", 1))
    if current_pass != 1:
        return base
    function = _first(request, base, "function")
    if function is None:
        return base  # nothing to call: HyperBEAM's `skipping_wasm_exec`
    parameters = _first(request, base, "parameters")
    prefix = runtime.prefix_of(base)
    instance = runtime.instance_of(base, prefix)
    state = [_with_results(base, prefix, {})]

    def imports(module, func, args, signature):
        answer, state[0] = _import(state[0], prefix, module, func, args, signature, opts)
        return answer
    try:
        output = instance.call(_text(function), _as_list(parameters), imports=imports,
                               fuel=_limit(base, opts, "fuel"), deadline=_limit(base, opts, "deadline"))
        result = _with_results(state[0], prefix, {**_results(state[0], prefix), "type": "ok",
                                                  "output": output})
    except WasmError as exc:
        if exc.kind not in ("export", "parameters"):
            instance.recover()  # memory may be half-written: back to the last snapshot
        text = f"{NAME}: {exc}"
        if not isinstance(base.get("process"), dict):
            raise WasmError(text, kind=exc.kind, function=exc.function, key="compute",
                            device=NAME) from exc
        result = _with_results(base, prefix, {"type": "error", "error": text,  # as before the call
                                              "error-kind": exc.kind})
    if int(base.get("passes", 1)) > current_pass:
        return "pass", result
    return result


def snapshot(base, request, opts):
    """The instance's memory as a message (see the module doc)."""
    instance = runtime.instance_of(base, runtime.prefix_of(base))
    if instance is None:
        raise DeviceError(f"{NAME}: no live instance to snapshot (run 'init' first)",
                          key="snapshot", device=NAME)
    mode = request.get("snapshot-mode", "now") if isinstance(request, dict) else "now"
    if mode == "checkpoint":
        instance.checkpoint()
        return {"checkpoint": instance.checkpoints}
    if mode not in ("now", "pending"):
        raise DeviceError(f"{NAME}: 'snapshot-mode' is now, checkpoint or pending; got {mode!r}",
                          key="snapshot-mode", device=NAME)
    taken = instance.snapshot() if mode == "now" else instance.write_snapshot()
    store = as_context(opts).store
    if store is not None:  # the next snapshot may be a delta on this one: keep it by its ID
        instance.remember_snapshot_id(store.write(taken))
    return taken


def normalize(base, request, opts):
    """A state with a live instance, restored from its ``snapshot`` if needed."""
    prefix = runtime.prefix_of(base)
    if runtime.instance_of(base, prefix) is not None:
        return base if "snapshot" not in base else {k: v for k, v in base.items() if k != "snapshot"}
    saved = base.get("snapshot")
    key = base.get("device-key")
    if isinstance(saved, dict) and key is not None and isinstance(saved.get(key), dict):
        saved = saved[key]
    if not (isinstance(saved, dict) and ("body" in saved or "bodies" in saved
                                         or "delta-runs" in saved)):
        raise DeviceError(f"{NAME}: the state has no live instance and no snapshot to restore "
                          "from (run 'init', or load a state stored with its snapshot)",
                          key="normalize", device=NAME)
    started = init({k: v for k, v in base.items() if k not in ("snapshot", "pass")}, request, opts)
    store = as_context(opts).store
    try:
        runtime.instance_of(started, prefix).restore(saved, load=store.read if store else None)
    except runtime.WasmError as exc:
        raise DeviceError(f"{NAME}: {exc}", key="normalize", device=NAME) from None
    if "pass" in base:
        started = {**started, "pass": base["pass"]}
    return started


def terminate(base):
    """The base without its instance."""
    return runtime.with_instance(base, runtime.prefix_of(base), None)


# -- imports ---------------------------------------------------------------------------

def _import(state, prefix, module, func, args, signature, opts):
    """Answer one import: ``<prefix>/stdlib/<module>`` if it handles ``func``."""
    library = runtime.value_at(state, [*runtime.parts(prefix), "stdlib", module])
    if isinstance(library, dict) and answers(library, func, opts):
        request = {"path": func, "module": module, "func": func, "args": args,
                   "func-sig": signature}
        status, answer = resolve_status({**library, "state": state}, request,
                                        as_context(opts).derive(hashpath="ignore"))
        if status != "ok" or not isinstance(answer, dict):
            raise WasmError(f"import {module}.{func} answered {status}: {answer!r}", kind="import")
        return answer.get("results", []), answer.get("state", state)
    logged = [*_results(state, prefix).get("undefined-calls", []),
              {"module": module, "func": func, "args": list(args), "func-sig": signature}]
    state = _with_results(state, prefix, {**_results(state, prefix), "undefined-calls": logged})
    return [0] * _count_results(signature), state


def _count_results(signature: str) -> int:
    results = signature.rsplit("->", 1)[-1].strip().strip("()")
    return len([r for r in results.split(",") if r.strip()])


# -- helpers ---------------------------------------------------------------------------

def _image(base, opts) -> bytes:
    """The image bytes named by ``<input-prefix>/image``, ``image`` or ``body``."""
    in_prefix = runtime.parts(base.get("input-prefix") or "")
    found = runtime.value_at(base, [*in_prefix, "image"])
    if found is None:
        found = base.get("image", base.get("body"))
    if found is None:
        where = "/".join([*in_prefix, "image"])
        raise DeviceError(f"{NAME}: no image found in {where!r}, 'image' or 'body'", key="image",
                          device=NAME)
    if isinstance(found, str) and ids.is_id(found):
        store = as_context(opts).store
        try:
            found = store.read(found) if store is not None else None
        except StoreError:
            found = None
        if found is None:
            raise DeviceError(f"{NAME}: image {runtime.value_at(base, [*in_prefix, 'image'])!r} "
                              "is not in this node's store", key="image", device=NAME)
    if isinstance(found, dict):
        found = found.get("body")
    if isinstance(found, (bytes, bytearray)):
        return bytes(found)
    raise DeviceError(f"{NAME}: the image must be bytes, a stored image's ID or a message with a "
                      f"'body'; got {type(found).__name__}", key="image", device=NAME)


def _as_list(parameters) -> list:
    """Parameters as a list (a message numbered from 1, as lists travel, too)."""
    if parameters is None:
        return []
    if isinstance(parameters, dict):
        return [parameters[k] for k in sorted(parameters, key=lambda k: int(k))]
    return list(parameters) if isinstance(parameters, (list, tuple)) else [parameters]


def _text(function) -> str:
    return function.decode("utf-8") if isinstance(function, bytes) else str(function)


def _first(request, base, key):
    body = request.get("body")
    for source in (body if isinstance(body, dict) else None, request, base):
        if isinstance(source, dict) and source.get(key) is not None:
            return source[key]
    return None


#: The node's caps when its options say nothing (see the module doc).
_DEFAULTS = {"fuel": runtime.DEFAULT_FUEL, "deadline": runtime.DEFAULT_DEADLINE,
             "memory-limit": runtime.DEFAULT_MEMORY_LIMIT, "memories": runtime.DEFAULT_MEMORIES,
             "tables": runtime.DEFAULT_TABLES, "table-elements": runtime.DEFAULT_TABLE_ELEMENTS,
             "image-limit": runtime.DEFAULT_IMAGE_LIMIT,
             "function-limit": runtime.DEFAULT_FUNCTION_LIMIT}


def _limit(base, opts, name):
    """The limit *name* for this call: the node's cap (the option
    ``wasm-<name>``, e.g. ``wasm_fuel=`` or the node message's ``wasm-fuel``,
    else the default), lowered by the base's ``wasm-<name>`` when that is
    smaller.  A message never raises a cap: a larger value, or ``none``,
    leaves it.  Only an option of None lifts fuel or deadline."""
    option = f"wasm_{name.replace('-', '_')}"
    cap = as_context(opts).option(option, _DEFAULTS[name])
    if cap is None and name not in ("fuel", "deadline"):
        cap = _DEFAULTS[name]
    cap = None if cap is None else _number(cap, name, f"the node option {option!r}")
    asked = base.get(f"wasm-{name}") if isinstance(base, dict) else None
    if asked is None or (isinstance(asked, str) and asked.strip().lower() in ("none", "unlimited")):
        return cap
    asked = _number(asked, name, f"'wasm-{name}'")
    return asked if cap is None else min(asked, cap)


def _number(value, name, where):
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(value) if name == "deadline" else int(value)
    except (TypeError, ValueError, OverflowError):
        raise DeviceError(f"{NAME}: {where} must be a number, not {value!r}",
                          key=f"wasm-{name}", device=NAME) from None
    if number < 0 or number != number:
        raise DeviceError(f"{NAME}: {where} must be 0 or more, not {value!r}",
                          key=f"wasm-{name}", device=NAME)
    return number


def _results(state, prefix) -> dict:
    found = runtime.value_at(state, ["results", *runtime.parts(prefix)])
    return found if isinstance(found, dict) else {}


def _with_results(state, prefix, values: dict) -> dict:
    return runtime.with_value(state, ["results", *runtime.parts(prefix)], values)
