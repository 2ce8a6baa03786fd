"""inference@1.0: large-language-model inference as a device, verifiable by re-execution.

APUS runs a HyperBEAM device ``inference@1.0`` that relays OpenAI-style requests
to a local llama.cpp server and issues an ``inference_receipt@1.0``.  This one
runs llama.cpp in the node itself, through ``llama-cpp-python`` (the optional
``[llm]`` extra), and makes every generation a recorded step that another node
can re-execute to the same hashpath and the same bytes.

Keys (APUS's exports):

``completions``
    ``prompt`` -> ``{"object": "text_completion", "choices": [{"text", ...}], "usage", "receipt"}``.
``chat``
    ``messages`` (``[{"role", "content"}]``, through the model's chat template)
    -> ``{"object": "chat.completion", "choices": [{"message": {...}}], ...}``.
``models``
    the node's models, OpenAI's list shape; a model's ID is the hash of its file.
``health``
    the runtime (llama.cpp version, CPU or GPU build, system info).
``compute``
    as a process's execution device: the scheduled message's ``data`` (or
    ``prompt``) is the prompt, its keys (else the process's) the parameters;
    the answer goes back in the outbox to the message's ``from-process`` with
    ``action: Inference-Response`` (``Inference-Error`` and ``results/error``
    for a bad request: the process goes on with its next slot).  The sender is
    whoever the message names: an unsigned claim, as in any AO outbox.

Request keys: ``model`` (an ID of :func:`models`; may be left out when the node
has one model), ``prompt`` / ``messages``, ``max_tokens`` (16), ``temperature``
(0.8; 0 is greedy), ``top_p`` (0.95), ``top_k`` (40), ``seed`` (0: a request
without a seed still gets one, so it can be recomputed), ``stream`` (false;
true makes every chunk of the stream a child step ``token``: one per token, and
a last one that carries the finish reason; the answer lists them in ``chunks``).  Values may
be text (``"0.5"``), as they arrive over HTTP.  Results carry no wall clock
(``created`` is 0) and their ``id`` is derived from the request's.

The node decides how the model runs (node config ``inference-settings``:
``n_ctx``, ``n_batch``, ``n_threads``, ``n_gpu_layers``) and how much a request
may ask (``inference-max-tokens``, 256): a request may stay under the limit,
never raise it.  Models are registered with :func:`add_model` (any GGUF file;
:func:`aolab.llm_model.tiny_model` makes a tiny one with no download).

Each result carries a ``receipt``: an ``inference_receipt@1.0`` message with
the request (defaults filled in), the response, the model ID, the runtime and
the settings; ``resolve(receipt, "verify")`` re-executes it on a node and names
what differs.

>>> import aolab, pytest
>>> _ = pytest.importorskip("llama_cpp", reason="the [llm] extra is not installed")
>>> from aolab.llm_model import tiny_model
>>> lab = aolab.Node()
>>> model = add_model(lab, tiny_model())
>>> answer = lab.resolve({"device": "inference@1.0"},
...                      {"path": "completions", "prompt": "a message is", "max_tokens": 8,
...                       "temperature": 0})
>>> answer["choices"][0]["finish_reason"], answer["usage"]["completion_tokens"]
('length', 8)
>>> answer["receipt"]["model-id"] == model
True

Not here: APUS's ``v1`` export (OpenAI's URL paths), ``tee=true`` attestation
(``sev_gpu@1.0``), relaying to a separate server (llama.cpp or SGLang).

Reference: apuslabs/hb-apus-devices docs/inference.md (inference@1.0).
"""
from __future__ import annotations

import atexit
import collections
import math
import os
import threading

from aolab import ids
from aolab.errors import DeviceError, MessageError
from aolab.llm_model import model_id
from aolab.context import as_context
from aolab.resolver import resolve_status

NAME = "inference@1.0"
RECEIPT = "inference_receipt@1.0"
#: What a request gets for a key it leaves out (llama.cpp server's sampling defaults; seed 0).
DEFAULTS = {"max_tokens": 16, "temperature": 0.8, "top_p": 0.95, "top_k": 40, "seed": 0,
            "stream": False}
#: How the node runs models, unless its config ``inference-settings`` says otherwise.
SETTINGS = {"n_ctx": 512, "n_batch": 512, "n_threads": 1, "n_gpu_layers": 0}
MAX_TOKENS = 256
#: What a process's message (else the process message itself) may set for its generation.
PROCESS_KEYS = ("model", "max_tokens", "temperature", "top_p", "top_k", "seed")
SEED_LIMIT = 2**32 - 1  # llama.cpp reads 0xFFFFFFFF as "pick a random seed"


def info():
    """The device's info: the keys it answers."""
    return {"exports": ["completions", "chat", "models", "health", "compute", "token"]}


# -- the node's models ----------------------------------------------------------

def add_model(node, path) -> str:
    """Register the GGUF file at *path* on *node*; its ID (the file's hash)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise DeviceError(f"{NAME}: no model file at {path!r}", key="model", device=NAME)
    found = model_id(path)
    models = {**(node.config.get("inference-models") or {}), found: path}
    node.update_config({"inference-models": models})
    return found


def models(base, request, opts):
    """The node's models in OpenAI's list shape."""
    listed = [{"id": mid, "object": "model", "owned_by": _node_name(opts),
               "file": os.path.basename(path), "size": _size(path)}
              for mid, path in sorted(_models(opts).items())]
    return {"object": "list", "data": listed}


def health(base, request, opts):
    """Is the runtime there, and what is it."""
    llama_cpp = _runtime()
    return {"status": "ok", "runtime": runtime_description(), "models": len(_models(opts)),
            "gpu-offload": bool(llama_cpp.llama_supports_gpu_offload()),
            "system-info": _system_info(llama_cpp)}


# -- generation -----------------------------------------------------------------

def completions(base, request, opts):
    """Text completion of ``prompt`` (see the module doc)."""
    return _generate("completions", request, opts)


def chat(base, request, opts):
    """Chat completion of ``messages`` (see the module doc)."""
    return _generate("chat", request, opts)


def token(base, request, opts):
    """One chunk of a streamed generation: a token, or at the end the finish reason
    (a child step of ``completions``/``chat``)."""
    priv = base.get("priv") if isinstance(base.get("priv"), dict) else {}
    stream = priv.get("stream")
    if stream is None:
        raise DeviceError(f"{NAME}: 'token' continues a streamed generation, and this message "
                          "holds none (ask 'completions' or 'chat' with stream: true)",
                          key="token", device=NAME)
    chunk = next(stream, None)
    if chunk is None:
        return {**base, "finish_reason": base.get("finish_reason") or "stop"}
    state = dict(base)
    if "prompt_tokens" not in state:  # the prompt is evaluated before the first chunk comes
        state["prompt_tokens"] = int(priv["model"].n_tokens)
    choice = chunk["choices"][0]
    piece = choice.get("text") if "text" in choice else (choice.get("delta") or {}).get("content")
    if piece:
        state["text"] = base["text"] + piece
        state["chunks"] = [*base["chunks"], {"index": len(base["chunks"]), "text": piece}]
    if choice.get("finish_reason"):
        state["finish_reason"] = choice["finish_reason"]
    return state


def generation_request(kind: str, request: dict, opts) -> dict:
    """The request as the receipt states it: its model resolved, every default filled in."""
    known = _models(opts)
    model = request.get("model")
    if model is None:
        if len(known) != 1:
            raise MessageError(f"{NAME}: the request names no 'model' and the node has "
                               f"{len(known)} models (see ~inference@1.0/models)", key="model",
                               device=NAME)
        model = next(iter(known))
    if model not in known:
        raise MessageError(f"{NAME}: model {model!r} is not a model of this node (its models: "
                           f"{', '.join(sorted(known)) or 'none'})", key="model", device=NAME)
    stated = {"path": kind, "model": model}
    if kind == "completions":
        stated["prompt"] = _prompt(request)
    else:
        stated["messages"] = _messages(request)
    limit = _int(as_context(opts).option("inference-max-tokens", MAX_TOKENS), "limit")
    stated["max_tokens"] = _bounded_int(request, "max_tokens", 1, limit,
                                        f"the node's limit inference-max-tokens ({limit})")
    stated["temperature"] = _bounded_float(request, "temperature", 0.0, 100.0)
    stated["top_p"] = _bounded_float(request, "top_p", 0.0, 1.0)
    stated["top_k"] = _bounded_int(request, "top_k", 0, 1_000_000, "1000000")
    stated["seed"] = _bounded_int(request, "seed", 0, SEED_LIMIT - 1, f"{SEED_LIMIT - 1}")
    stated["stream"] = _bool(request, "stream")
    return stated


def _generate(kind: str, request: dict, opts):
    stated = generation_request(kind, request, opts)
    settings = node_settings(opts)
    store = as_context(opts).store
    if store is not None:
        store.write(stated)  # so a receipt's request-id can be looked up, and compared
    llm = loaded_model(_models(opts)[stated["model"]], stated["model"], settings)
    with llm.lock:
        llm.model.reset()  # no prompt prefix reused from an earlier request: each one from scratch
        try:
            if stated["stream"]:
                text, finish, chunks, usage = _streamed(kind, stated, llm.model, opts)
            else:
                text, finish, chunks, usage = _whole(kind, stated, llm.model)
        except ValueError as exc:  # llama-cpp-python's word for "does not fit the context"
            raise MessageError(f"{NAME}: {exc} (the node's n_ctx is {settings['n_ctx']})",
                               key="max_tokens", device=NAME) from None
    response = _response(kind, stated, text, finish, usage)
    if chunks is not None:
        response["chunks"] = chunks
    return {**response, "receipt": receipt(stated, response, settings)}


def _sampling(stated: dict) -> dict:
    return {k: stated[k] for k in ("max_tokens", "temperature", "top_p", "top_k", "seed")}


def _call(kind: str, stated: dict, model, stream: bool):
    if kind == "completions":
        return model.create_completion(stated["prompt"], stream=stream, **_sampling(stated))
    return model.create_chat_completion(stated["messages"], stream=stream, **_sampling(stated))


def _whole(kind, stated, model):
    out = _call(kind, stated, model, stream=False)
    choice = out["choices"][0]
    text = choice["text"] if kind == "completions" else choice["message"]["content"]
    return text or "", choice.get("finish_reason") or "stop", None, out["usage"]


def _streamed(kind, stated, model, opts):
    """Each chunk a child step ``token`` on a generation state, so a learner can step through."""
    state = {"device": NAME, "generation": ids.id(stated), "text": "", "chunks": [],
             "priv": {"stream": iter(_call(kind, stated, model, stream=True)), "model": model}}
    for _ in range(stated["max_tokens"] + 3):  # tokens, a chat's role chunk, the finish chunk
        status, state = resolve_status(state, {"path": "token"}, opts)
        if status != "ok":
            raise DeviceError(f"{NAME}: a token step ended with status {status!r}", key="token",
                              device=NAME)
        if state.get("finish_reason"):
            break
    prompt_tokens, tokens = state.get("prompt_tokens", 0), len(state["chunks"])
    usage = {"prompt_tokens": prompt_tokens, "completion_tokens": tokens,
             "total_tokens": prompt_tokens + tokens}
    return state["text"], state.get("finish_reason") or "stop", state["chunks"], usage


def _response(kind: str, stated: dict, text: str, finish: str, usage) -> dict:
    """The OpenAI-shaped answer; ``id`` from the request's ID, no wall clock."""
    request_id = ids.id(stated)
    choice = ({"index": 0, "text": text, "finish_reason": finish} if kind == "completions" else
              {"index": 0, "message": {"role": "assistant", "content": text},
               "finish_reason": finish})
    return {"id": ("cmpl-" if kind == "completions" else "chatcmpl-") + request_id,
            "object": "text_completion" if kind == "completions" else "chat.completion",
            "created": 0, "model": stated["model"], "choices": [choice],
            "usage": {k: int(usage[k]) for k in ("prompt_tokens", "completion_tokens",
                                                 "total_tokens")}}


def receipt(stated: dict, response: dict, settings: dict) -> dict:
    """The ``inference_receipt@1.0`` message of one generation (``model-sha256``:
    APUS's field, the model ID in hexadecimal)."""
    return {"device": RECEIPT, "request": stated, "request-id": ids.id(stated),
            "response": response, "response-id": ids.id(response),
            "model-id": stated["model"], "model-sha256": ids.native_id(stated["model"]).hex(),
            "runtime": runtime_description(), "settings": dict(settings)}


# -- as a process's execution device -------------------------------------------------

def compute(base, request, opts):
    """Answer a scheduled message's prompt; the answer goes to its ``from-process``."""
    message = request.get("body") if isinstance(request.get("body"), dict) else request
    process = base.get("process") if isinstance(base.get("process"), dict) else base
    asked = {}
    for key in PROCESS_KEYS:  # the message's value, else the process's (its defaults)
        for source in (message, process):
            found = [source[k] for k in (key, key.replace("_", "-")) if k in source]
            if found:
                asked[key] = found[0]
                break
    prompt = message.get("prompt", message.get("data"))
    sender = message.get("from-process")
    reply = {"target": sender} if isinstance(sender, str) and ids.is_id(sender) else None
    try:
        answer = _generate("completions", {**asked, "prompt": prompt}, opts)
    except MessageError as exc:  # a bad message fails its slot's answer, not the process
        results = {"error": str(exc), "outbox": {}}
        if reply:
            results["outbox"]["1"] = {**reply, "action": "Inference-Error", "data": str(exc)}
        return {**base, "results": results}
    text = answer["choices"][0]["text"]
    results = {"data": text, "receipt": answer["receipt"], "outbox": {}}
    if reply:
        results["outbox"]["1"] = {**reply, "action": "Inference-Response", "data": text,
                                  "model": answer["model"],
                                  "receipt-id": ids.id(answer["receipt"])}
    served = _int(base.get("served", 0), "served") + 1
    return {**base, "served": served, "results": results}


# -- the runtime ------------------------------------------------------------------

class Loaded:
    """A model loaded in llama.cpp, with the lock that serialises its use."""

    def __init__(self, model, stamp):
        self.model, self.stamp, self.lock = model, stamp, threading.Lock()


#: Models kept loaded at once (per model and settings); the least recently used
#: beyond it is forgotten (freed once no call is using it).
MAX_LOADED = 4
_LOADED: "collections.OrderedDict[tuple, Loaded]" = collections.OrderedDict()
_LOADING = threading.Lock()


def loaded_model(path: str, declared: str, settings: dict) -> Loaded:
    """The model at *path*, loaded with *settings* (kept loaded: at most
    :data:`MAX_LOADED` models at once).  Its file must hash to *declared*, the
    ID it was registered under: checked when it loads, and again whenever the
    file's size or modification time changes."""
    key = (declared, tuple(sorted(settings.items())))
    stamp = _stamp(path)
    with _LOADING:
        found = _LOADED.get(key)
        if found is not None and found.stamp == stamp:
            _LOADED.move_to_end(key)
            return found
        actual = model_id(path)
        if actual != declared:
            raise DeviceError(f"{NAME}: the model file {path!r} hashes to {actual}, not to the "
                              f"model ID {declared} it was registered under (the file changed: "
                              "register it again)", key="model", device=NAME)
        llama_cpp = _runtime()
        model = llama_cpp.Llama(model_path=path, n_ctx=settings["n_ctx"],
                                n_batch=settings["n_batch"], n_ubatch=settings["n_batch"],
                                n_threads=settings["n_threads"],
                                n_threads_batch=settings["n_threads"],
                                n_gpu_layers=settings["n_gpu_layers"], seed=0, verbose=False)
        _LOADED[key] = found = Loaded(model, stamp)
        _LOADED.move_to_end(key)
        _trim_loaded()
        return found


def _trim_loaded() -> None:
    """Forget the least recently used models beyond :data:`MAX_LOADED`: a call
    still using one keeps it alive, and it is freed when that call ends."""
    while len(_LOADED) > MAX_LOADED:
        _LOADED.popitem(last=False)


def unload_models() -> None:
    """Close every loaded model (they load again when asked for)."""
    with _LOADING:
        for loaded in _LOADED.values():
            loaded.model.close()
        _LOADED.clear()


atexit.register(unload_models)  # llama.cpp's objects closed while Python can still run their code


def node_settings(opts) -> dict:
    """How this node runs models: :data:`SETTINGS` updated by its ``inference-settings``."""
    configured = as_context(opts).option("inference-settings") or {}
    unknown = sorted(set(configured) - set(SETTINGS))
    if unknown:
        raise DeviceError(f"{NAME}: node config inference-settings has unknown keys {unknown} "
                          f"(known: {sorted(SETTINGS)})", key="inference-settings", device=NAME)
    return {k: _int(configured.get(k, v), k) for k, v in SETTINGS.items()}


def runtime_description() -> dict:
    """What computes: llama.cpp through llama-cpp-python, its version, its backend."""
    llama_cpp = _runtime()
    gpu = bool(llama_cpp.llama_supports_gpu_offload())
    return {"engine": "llama.cpp", "binding": "llama-cpp-python",
            "version": str(llama_cpp.__version__), "backend": "gpu" if gpu else "cpu"}


def _runtime():
    try:
        import llama_cpp
    except ImportError:
        raise DeviceError(f"{NAME}: llama-cpp-python is not installed (pip install -e '.[llm]', "
                          "or `make llm`)", key="runtime", device=NAME) from None
    return llama_cpp


def _system_info(llama_cpp) -> str:
    raw = llama_cpp.llama_print_system_info()
    return raw.decode("utf-8", "replace").strip() if isinstance(raw, bytes) else str(raw).strip()


def _models(opts) -> dict:
    ctx = as_context(opts)
    ctx.node_for(NAME, "runs models registered on a node (add_model(node, path))")
    return dict(ctx.option("inference-models") or {})


def _node_name(opts) -> str:
    node = as_context(opts).node
    return node.name if node is not None else "node"


def _stamp(path):
    try:
        st = os.stat(path)
    except OSError:
        raise DeviceError(f"{NAME}: the model file {path!r} is gone", key="model",
                          device=NAME) from None
    return (st.st_size, st.st_mtime_ns)


def _size(path) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return -1


# -- request values ---------------------------------------------------------------------

def _prompt(request) -> str:
    prompt = request.get("prompt")
    if isinstance(prompt, (bytes, bytearray)):
        try:
            prompt = bytes(prompt).decode("utf-8")
        except UnicodeDecodeError:
            prompt = None
    if not isinstance(prompt, str) or not prompt:
        raise MessageError(f"{NAME}: 'prompt' must be non-empty text, not {prompt!r}",
                           key="prompt", device=NAME)
    return prompt


def _messages(request) -> list:
    messages = request.get("messages")
    if isinstance(messages, dict):  # a list that travelled as a message: {"1": ..., "2": ...}
        messages = [messages[k] for k in sorted(messages, key=lambda k: (len(str(k)), str(k)))]
    if not isinstance(messages, list) or not messages:
        raise MessageError(f"{NAME}: 'messages' must be a non-empty list of {{role, content}}, "
                           f"not {messages!r}", key="messages", device=NAME)
    out = []
    for n, message in enumerate(messages):
        if not (isinstance(message, dict) and isinstance(message.get("role"), str)
                and isinstance(message.get("content"), str)):
            raise MessageError(f"{NAME}: messages[{n}] must have text 'role' and 'content', "
                               f"not {message!r}", key="messages", device=NAME)
        out.append({"role": message["role"], "content": message["content"]})
    return out


def _value(request, key):
    return request.get(key, request.get(key.replace("_", "-"), DEFAULTS[key]))


def _bounded_int(request, key, low, high, high_name) -> int:
    value = _int(_value(request, key), key)
    if not low <= value <= high:
        raise MessageError(f"{NAME}: {key} {value} is out of range: at least {low}, at most "
                           f"{high_name}", key=key, device=NAME)
    return value


def _bounded_float(request, key, low, high) -> float:
    raw = _value(request, key)
    try:
        value = float(raw.strip() if isinstance(raw, str) else raw)
    except (TypeError, ValueError):
        value = math.nan
    if isinstance(raw, bool) or not (low <= value <= high):
        raise MessageError(f"{NAME}: {key} must be a number from {low} to {high}, not {raw!r}",
                           key=key, device=NAME)
    return value


def _bool(request, key) -> bool:
    raw = _value(request, key)
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false", "1", "0"):
        return raw.strip().lower() in ("true", "1")
    raise MessageError(f"{NAME}: {key} must be true or false, not {raw!r}", key=key, device=NAME)


def _int(value, key) -> int:
    if isinstance(value, bool):
        raise MessageError(f"{NAME}: {key} must be an integer, not {value!r}", key=key, device=NAME)
    if isinstance(value, int):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise MessageError(f"{NAME}: {key} must be an integer, not {value!r}", key=key,
                           device=NAME) from None
