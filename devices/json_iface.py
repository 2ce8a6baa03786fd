"""json-iface@1.0: AO processes that speak JSON, such as aos (AO's Lua).

An AO process module exports ``handle(msg, env)``: two NUL-terminated JSON
strings in its memory, the message and ``{"Process": ...}``; it answers a
pointer to a JSON string ``{"ok": true, "response": {"Output": {"data": ...},
"Messages": [...], ...}}``.  This device does the translation both ways around
wasm64@1.0, in a stack such as ``["wasi@1.0", "json-iface@1.0", "wasm64@1.0"]``:

``init``
    sets ``function: handle`` and ``passes`` to at least 2.
``compute``, first pass
    turns the assignment's ``body`` (the scheduled message) and the state's
    ``process`` into AO's JSON form (``Id``, ``Owner``, ``From``, ``Target``,
    ``Anchor``, ``Data``, ``Signature``, ``Tags`` as ``[{name, value}]`` in
    header case, plus ``Module``: the image ID, and ``Block-Height``; a
    message without a ``target`` gets the process's ID, as every message AO
    delivers to a process names it), writes both into the instance's memory
    with its ``malloc`` and sets ``parameters`` to the two pointers;
    wasm64@1.0 then calls ``handle`` and asks for a second pass.
``compute``, second pass
    reads the answer and sets ``results/data`` (the ``Output``'s data),
    ``results/json`` (the response as JSON, a message with ``content-type:
    application/json``: what aoconnect's ``result()`` reads over HTTP),
    ``results/outbox/1..N`` (each message's ``Tags`` flattened to keys, plus
    ``from-process`` and ``from-image``), ``results/patches``, and
    ``results/error`` when the process answered an ``Error`` (which is also
    the data, as in HyperBEAM) or ``ok: false``, when the call failed, or when
    the answer is not JSON.  An error does not stop the process: the next slot
    runs as usual.  (HyperBEAM ends such a slot with an ``error`` status.)

Values of tags are text: numbers and atoms as written, bytes as UTF-8 (else
base64url), lists and messages as JSON; the process's image is named by its ID.

>>> import aolab, aolab.data
>>> lab = aolab.Node()
>>> proc = lab.spawn({"device": "process@1.0", "execution-device": "stack@1.0",
...                   "device-stack": ["wasi@1.0", "json-iface@1.0", "wasm64@1.0"],
...                   "image": aolab.data.wasm("counter-process")})
>>> _ = lab.schedule(proc, {"action": "Ping"})
>>> _ = lab.schedule(proc, {"action": "Ping"})
>>> results = lab.compute(proc, slot=1)["results"]
>>> results["data"], results["outbox"]["1"]["action"], results["outbox"]["1"]["count"]
('2', 'Tick', '2')

Reference: HyperBEAM src/dev_json_iface.erl at b2743e4a.
"""
from __future__ import annotations

import json

from aolab import id_memo
from aolab import wasm_runtime as runtime
from aolab.codecs import httpsig
from aolab.codecs.base64url import b64url
from aolab.errors import DeviceError
from aolab.message import normalize_key

NAME = "json-iface@1.0"
#: Keys of a message that are fields of AO's JSON form, not tags.
FIELDS = frozenset(("id", "anchor", "owner", "data", "target", "signature", "commitments"))


def init(base):
    """Call ``handle``; read its answer on a second pass."""
    passes = base.get("passes")
    return {**base, "function": "handle", "passes": max(2, int(passes) if passes else 0)}


def compute(base, request, opts):
    """Pass 1: write the JSON arguments.  Pass 2: read the JSON answer."""
    current = base.get("pass")
    if current == 1:
        return _prepare(base, request, opts)
    if current == 2:
        return _read_results(base, request, opts)
    return base


# -- pass 1: the message and the process as JSON in the instance's memory ---------

def _prepare(base, request, opts):
    process = base.get("process")
    if not isinstance(process, dict):
        raise DeviceError(f"{NAME}: the state has no 'process' message to describe to the module "
                          "(run it as a process@1.0 execution device)", key="process", device=NAME)
    instance = _instance(base)
    message = request.get("body") if isinstance(request.get("body"), dict) else {
        k: v for k, v in request.items() if k != "path"}
    process_json, process_id, state = _described(base, process)
    fields = _json_struct(message)
    if not fields["Target"]:  # sent to this process: AO's messages always name their target
        fields["Target"] = str(request.get("process") or process_id)
    fields.update({"Module": _image_id(process), "Block-Height": request.get("block-height")})
    message_pointer = instance.write_string(_encode(fields))
    process_pointer = instance.write_string(process_json)
    return {**state, "function": "handle", "parameters": [message_pointer, process_pointer]}


def _described(base, process):
    """``({"Process": ...} as JSON, the process ID, state)``; the process ID is
    computed once per process message (:mod:`aolab.id_memo`)."""
    process_id = id_memo.id_of(process, committers="all")
    return _encode({"Process": _json_struct(process, process_id)}), process_id, base


def _json_struct(message: dict, message_id: str | None = None) -> dict:
    """A message in AO's JSON form (HyperBEAM ``message_to_json_struct``)."""
    committers = httpsig.committers(message)
    owner = committers[0] if committers else ""
    lower = {normalize_key(k): v for k, v in message.items() if not str(k).startswith("priv")}
    tags = [{"name": _header_case(k), "value": _text(k, v)}
            for k, v in sorted(lower.items()) if k not in FIELDS]
    return {"Id": message_id or id_memo.id_of(message, committers="all"),
            "Anchor": _text("anchor", lower.get("anchor", "")),
            "Owner": owner,
            "From": _text("from-process", lower.get("from-process", owner)),
            "Tags": tags,
            "Target": _text("target", lower.get("target", "")),
            "Data": _text("data", lower.get("data", "")),
            "Signature": ""}


def _header_case(key: str) -> str:
    return "-".join(word[:1].upper() + word[1:] for word in key.split("-"))


def _text(key: str, value) -> str:
    if key == "image" and isinstance(value, (bytes, bytearray)):
        return runtime.image_id(bytes(value))
    if isinstance(value, str):
        return value
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return b64url(bytes(value))
    if value is True or value is False or value is None:
        return json.dumps(value)
    if isinstance(value, (int, float)):
        return str(value)
    return _encode(value)


def _encode(value) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_jsonable)


def _jsonable(value):
    if isinstance(value, (bytes, bytearray)):
        return _text("", value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def _image_id(process: dict) -> str:
    image = process.get("image")
    if isinstance(image, (bytes, bytearray)):
        return runtime.image_id(bytes(image))
    return image if isinstance(image, str) else ""


# -- pass 2: the JSON answer as results ---------------------------------------------

def _read_results(base, request, opts):
    prefix = runtime.parts(runtime.prefix_of(base))
    results = runtime.value_at(base, ["results"], {})
    outcome = runtime.value_at(base, ["results", *prefix], {})
    if outcome.get("type") == "error":
        return _with_results(base, results, {"error": outcome.get("error", "WASM execution error.")})
    try:
        answer = json.loads(_instance(base).read_string(outcome["output"][0]))
    except (KeyError, IndexError, TypeError, ValueError, runtime.WasmError) as exc:
        return _with_results(base, results, {"error": f"JSON error parsing result output: {exc}"})
    if not isinstance(answer, dict) or answer.get("ok") is not True:
        error = answer.get("error") if isinstance(answer, dict) else None
        return _with_results(base, results, {"error": error if error is not None else answer})
    process = base.get("process") if isinstance(base.get("process"), dict) else {}
    origin = {"from-process": _described(base, process)[1] if process else "",
              "from-image": _image_id(process)}
    found = _response_to_results(answer.get("response"), origin)
    if isinstance(answer.get("response"), dict):
        # the answer as JSON, what aoconnect's result() reads at /compute/results/json
        # (HyperBEAM sets it for delegated compute: dev_delegated_compute:compute)
        found["json"] = {"content-type": "application/json",
                         "body": json.dumps(answer["response"], separators=(",", ":"))}
    return _with_results(base, results, found)


def _response_to_results(response, origin: dict) -> dict:
    """``Output``/``Error``, ``Messages`` and ``patches`` as results (HyperBEAM
    ``json_to_message`` and ``postprocess_outbox``)."""
    if not isinstance(response, dict):
        return {"error": f"the process answered {response!r}, not a response message"}
    found = {}
    output = response.get("Output")
    if isinstance(output, dict) and "data" in output:
        found["data"] = output["data"]
    if "Error" in response:
        found["error"] = response["Error"]
        found.setdefault("data", response["Error"])
    if not found:
        return {"error": "the response has neither Output/data nor Error", "response": response}
    messages = response.get("Messages") or []
    found["outbox"] = {str(n): {**_flattened(m), **origin} for n, m in enumerate(messages, 1)
                       if isinstance(m, dict)}
    found["patches"] = [_tags(p) for p in response.get("patches") or [] if isinstance(p, dict)]
    return found


def _flattened(message: dict) -> dict:
    """A message with its ``Tags`` as keys (lower case), as HyperBEAM's outbox."""
    kept = {normalize_key(k): v for k, v in message.items()
            if normalize_key(k) not in ("from-process", "from-image", "anchor", "tags")}
    return {**kept, **_tags(message)}


def _tags(message: dict) -> dict:
    tags = {normalize_key(k): v for k, v in message.items()}.get("tags") or []
    return {normalize_key(t["name"]): t.get("value") for t in tags
            if isinstance(t, dict) and "name" in t}


def _with_results(base, results, found: dict) -> dict:
    return {**base, "results": {**(results if isinstance(results, dict) else {}), **found}}


def _instance(base):
    instance = runtime.instance_of(base, runtime.prefix_of(base))
    if instance is None:
        raise DeviceError(f"{NAME}: the state holds no live wasm64@1.0 instance (put wasm64@1.0 "
                          f"after {NAME} in the stack and run 'init')", key="instance", device=NAME)
    return instance
