"""inference@1.0 and inference_receipt@1.0: OpenAI-shaped answers from llama.cpp,
deterministic, recorded, and verified by re-execution on another node.

Tests that run a model skip, with the reason, where the ``[llm]`` extra
(llama-cpp-python, gguf) is not installed; the rest run everywhere.
"""
from __future__ import annotations

import base64
import hashlib
import shutil
import sys

import pytest

import aolab
import aolab.data
from aolab import ids, llm_model
from aolab.errors import DeviceError, MessageError
from devices import inference

NEEDS_LLM = "the [llm] extra (llama-cpp-python) is not installed: `make llm`"
STACK = ["wasi@1.0", "json-iface@1.0", "wasm64@1.0"]
INFER = {"device": "inference@1.0"}


def _has(module: str) -> bool:
    try:
        __import__(module)
        return True
    except ImportError:
        return False


llm = pytest.mark.skipif(not (_has("llama_cpp") and _has("gguf")), reason=NEEDS_LLM)


@pytest.fixture(scope="module")
def model_path():
    if not (_has("llama_cpp") and _has("gguf")):
        pytest.skip(NEEDS_LLM)
    return llm_model.tiny_model()


def _node(name, model_path, **config):
    node = aolab.Node(name=name, config=config or None)
    inference.add_model(node, model_path)
    return node


def _ask(prompt, **extra):
    return {"path": "completions", "prompt": prompt, "max_tokens": 8, **extra}


# -- the model ---------------------------------------------------------------------

@pytest.mark.skipif(not _has("gguf"), reason=NEEDS_LLM)
def test_the_tiny_model_has_the_same_bytes_wherever_it_is_made(tmp_path, monkeypatch):
    first, second = tmp_path / "a.gguf", tmp_path / "b.gguf"
    llm_model.write_tiny_model(first)
    llm_model.write_tiny_model(second)
    assert first.read_bytes() == second.read_bytes()
    assert llm_model.model_id(first) == "d1e3K-VDUzYrJtQeodgaw9_Qyo2hYlik8b7qCtUQOiA"


@pytest.mark.skipif(not _has("gguf"), reason=NEEDS_LLM)
def test_the_tiny_model_is_cached_under_the_model_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("AOLAB_MODEL_DIR", str(tmp_path))
    path = llm_model.tiny_model()
    assert path.parent == tmp_path and path.exists()
    assert llm_model.tiny_model() == path


def test_a_model_id_is_the_hash_of_its_file(tmp_path):
    file = tmp_path / "m.gguf"
    file.write_bytes(b"weights")
    digest = hashlib.sha256(b"weights").digest()
    assert llm_model.model_id(file) == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    assert ids.is_id(llm_model.model_id(file))


# -- answers ---------------------------------------------------------------------

@llm
def test_completions_answer_in_openai_shape(model_path):
    lab = _node("shape", model_path)
    answer = lab.resolve(INFER, _ask("a message is", temperature=0))
    assert answer["object"] == "text_completion" and answer["created"] == 0
    assert answer["model"] == llm_model.model_id(model_path)
    choice = answer["choices"][0]
    assert choice["index"] == 0 and choice["finish_reason"] == "length" and choice["text"]
    usage = answer["usage"]
    assert usage["completion_tokens"] == 8
    assert usage["total_tokens"] == usage["prompt_tokens"] + 8
    assert answer["id"] == "cmpl-" + answer["receipt"]["request-id"]


@llm
def test_chat_answers_through_the_models_chat_template(model_path):
    lab = _node("chat", model_path)
    answer = lab.resolve(INFER, {"path": "chat", "max_tokens": 6, "temperature": 0,
                                 "messages": [{"role": "user", "content": "what is a device"}]})
    assert answer["object"] == "chat.completion"
    message = answer["choices"][0]["message"]
    assert message["role"] == "assistant" and isinstance(message["content"], str)
    assert answer["usage"]["completion_tokens"] == 6


@llm
def test_models_and_health_describe_the_node(model_path):
    lab = _node("models", model_path)
    listed = lab.resolve(INFER, "models")
    assert listed["object"] == "list"
    assert [m["id"] for m in listed["data"]] == [llm_model.model_id(model_path)]
    health = lab.resolve(INFER, "health")
    assert health["status"] == "ok" and health["runtime"]["engine"] == "llama.cpp"
    assert health["runtime"]["backend"] in ("cpu", "gpu") and health["models"] == 1


@llm
def test_greedy_decoding_is_deterministic(model_path):
    lab = _node("greedy", model_path)
    texts = {lab.resolve(INFER, _ask("the state", temperature=0))["choices"][0]["text"]
             for _ in range(3)}
    assert len(texts) == 1


@llm
def test_seeded_sampling_repeats_with_its_seed_and_varies_with_another(model_path):
    lab = _node("seeded", model_path)

    def text(seed):
        return lab.resolve(INFER, _ask("a node", temperature=1.0, seed=seed,
                                       max_tokens=24))["choices"][0]["text"]
    assert text(1) == text(1)
    assert len({text(seed) for seed in range(4)}) > 1


@llm
def test_an_earlier_request_does_not_change_a_later_answer(model_path):
    lab = _node("history", model_path)
    fresh = lab.resolve(INFER, _ask("a message is a map", seed=3))
    lab.resolve(INFER, _ask("a message is a map of keys", seed=9, max_tokens=20))
    assert lab.resolve(INFER, _ask("a message is a map", seed=3)) == fresh


@llm
def test_values_may_arrive_as_text(model_path):
    lab = _node("text-values", model_path)
    as_text = lab.resolve(INFER, _ask("a key", temperature="0", seed="5", max_tokens="8"))
    as_values = lab.resolve(INFER, _ask("a key", temperature=0, seed=5, max_tokens=8))
    assert as_text["choices"] == as_values["choices"]


@llm
@pytest.mark.parametrize("key, value, expected", [
    ("prompt", "", "prompt"), ("prompt", 3, "prompt"), ("max_tokens", 0, "max_tokens"),
    ("max_tokens", 10_000, "inference-max-tokens"), ("temperature", "hot", "temperature"),
    ("top_p", 1.5, "top_p"), ("seed", -1, "seed"), ("stream", "maybe", "stream"),
    ("model", "no-such-model", "model")])
def test_bad_requests_get_errors_naming_the_key(model_path, key, value, expected):
    lab = _node("bad", model_path)
    with pytest.raises(MessageError) as caught:
        lab.resolve(INFER, {**_ask("hi"), key: value})
    assert caught.value.key == key and expected in str(caught.value)
    assert lab.resolve(INFER, _ask("still works"))["choices"]


@llm
def test_a_request_may_lower_the_nodes_token_limit_but_not_raise_it(model_path):
    lab = _node("limits", model_path, **{"inference-max-tokens": 4})
    assert lab.resolve(INFER, _ask("a", max_tokens=3))["usage"]["completion_tokens"] == 3
    with pytest.raises(MessageError, match="inference-max-tokens"):
        lab.resolve(INFER, _ask("a", max_tokens=5))


@llm
def test_a_model_file_that_changed_is_refused(model_path, tmp_path):
    copy = tmp_path / "model.gguf"
    shutil.copy(model_path, copy)
    lab = aolab.Node(name="changed")
    inference.add_model(lab, copy)
    with open(copy, "ab") as file:
        file.write(b"\0" * 32)
    with pytest.raises(DeviceError, match="not to the model ID"):
        lab.resolve(INFER, _ask("a"))


def test_without_the_runtime_the_device_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "llama_cpp", None)
    with pytest.raises(DeviceError, match=r"\[llm\]"):
        aolab.Node(name="no-runtime").resolve(INFER, "health")


def test_a_model_must_be_registered_on_the_node(tmp_path):
    lab = aolab.Node(name="no-models")
    with pytest.raises(MessageError, match="names no 'model'"):
        lab.resolve(INFER, _ask("a"))
    with pytest.raises(DeviceError, match="no model file"):
        inference.add_model(lab, tmp_path / "absent.gguf")


# -- recorded and verified ----------------------------------------------------------

@llm
def test_a_stream_records_every_token_as_a_child_step(model_path):
    lab = _node("stream", model_path)
    whole = lab.resolve(INFER, _ask("a process", seed=2))
    lab.trace.clear()
    streamed = lab.resolve(INFER, _ask("a process", seed=2, stream=True))
    assert streamed["choices"][0]["text"] == whole["choices"][0]["text"]
    assert streamed["usage"] == whole["usage"]
    assert "".join(c["text"] for c in streamed["chunks"]) == streamed["choices"][0]["text"]
    token_steps = [r for r in lab.trace.records if r["key"] == "token"]
    assert streamed["usage"]["completion_tokens"] == len(streamed["chunks"]) == 8
    assert len(token_steps) == 8 + 1  # one per token, one for the finish reason
    assert all(r["depth"] == 1 for r in token_steps)


@llm
def test_loaded_models_are_bounded_and_the_least_recently_used_is_forgotten(model_path, monkeypatch):
    monkeypatch.setattr(inference, "MAX_LOADED", 2)
    declared = llm_model.model_id(model_path)
    path = str(model_path)
    kept = [inference.loaded_model(path, declared, {**inference.SETTINGS, "n_ctx": n})
            for n in (256, 384)]
    inference.loaded_model(path, declared, {**inference.SETTINGS, "n_ctx": 256})  # used again
    inference.loaded_model(path, declared, {**inference.SETTINGS, "n_ctx": 448})
    contexts = sorted(dict(key[1])["n_ctx"] for key in inference._LOADED)
    assert len(inference._LOADED) == 2 and contexts == [256, 448]   # 384 went: least recently used
    assert kept[1].model.tokenize(b"a message")   # a caller still holding it can use it
    lab = _node("bounded", model_path)
    assert lab.resolve(INFER, _ask("a message is", temperature=0))["choices"][0]["text"]


@llm
def test_two_nodes_give_equal_hashpaths_for_100_prompts(model_path):
    alice, bob = _node("hp-alice", model_path), _node("hp-bob", model_path)
    words = llm_model.CORPUS.read_text().split()
    for n in range(100):
        request = _ask(" ".join(words[n:n + 3]), seed=n, temperature=0.7, max_tokens=4)
        mine, theirs = alice.resolve(INFER, request), bob.resolve(INFER, request)
        assert aolab.hashpath_of(mine) == aolab.hashpath_of(theirs)
        assert ids.id(mine) == ids.id(theirs)


@llm
def test_another_node_verifies_a_generation_by_re_executing_it(model_path):
    alice, bob = _node("v-alice", model_path), _node("v-bob", model_path)
    result = alice.resolve(INFER, _ask("a receipt", seed=4))
    assert bob.verify(result, source=alice)
    forged = {**result, "choices": [{**result["choices"][0], "text": "something else"}]}
    assert not bob.verify(forged, source=alice)


@llm
@pytest.mark.parametrize("key, value", [("seed", 99), ("prompt", "a different prompt"),
                                        ("temperature", 0.1), ("model", "m" * 43)])
def test_a_receipt_whose_request_was_changed_names_the_change(model_path, key, value):
    alice, bob = _node("r-alice", model_path), _node("r-bob", model_path)
    receipt = alice.resolve(INFER, _ask("a model is", seed=4))["receipt"]
    assert bob.resolve(receipt, "verify")["verified"] is True
    forged = {**receipt, "request": {**receipt["request"], key: value}}
    report = bob.resolve(forged, "verify")
    assert report["verified"] is False
    # named, and nothing else (a changed model also disagrees with the receipt's model-id)
    assert set(report["differences"]) - {"model-id"} == {f"request/{key}"}
    assert report["differences"][f"request/{key}"]["claimed"] == value


@llm
def test_a_receipt_naming_another_model_is_detected(model_path, tmp_path):
    other = tmp_path / "other.gguf"
    llm_model.write_tiny_model(other, {"seed": 19})
    alice = _node("m-alice", model_path)
    inference.add_model(alice, other)
    receipt = alice.resolve(INFER, _ask("a model is", model=llm_model.model_id(model_path),
                                        temperature=0))["receipt"]
    forged = {**receipt, "model-id": llm_model.model_id(other)}
    assert "model-id" in alice.resolve(forged, "verify")["differences"]
    hexed = {**receipt, "model-sha256": hashlib.sha256(other.read_bytes()).hexdigest()}
    assert set(alice.resolve(hexed, "verify")["differences"]) == {"model-sha256"}
    # a consistent forgery (request re-hashed) is caught by re-execution: the response differs
    request = {**receipt["request"], "model": llm_model.model_id(other)}
    consistent = {**forged, "request": request, "request-id": ids.id(request)}
    report = alice.resolve(consistent, "verify")
    assert report["verified"] is False
    assert any(k.startswith("response/") for k in report["differences"])


@llm
def test_a_changed_response_is_named(model_path):
    alice, bob = _node("resp-alice", model_path), _node("resp-bob", model_path)
    receipt = alice.resolve(INFER, _ask("a hashpath", seed=1))["receipt"]
    response = {**receipt["response"], "choices": [{**receipt["response"]["choices"][0],
                                                    "text": "forged"}]}
    report = bob.resolve({**receipt, "response": response}, "verify")
    assert {"response-id", "response/choices/0/text"} <= set(report["differences"])


@llm
def test_compare_names_the_inputs_two_receipts_differ_in(model_path):
    lab = _node("compare", model_path)
    one = lab.resolve(INFER, _ask("a device", seed=1, temperature=1.0, max_tokens=16))["receipt"]
    two = lab.resolve(INFER, _ask("a device", seed=2, temperature=1.0, max_tokens=16))["receipt"]
    found = lab.resolve(one, {"path": "compare", "other": two})
    assert sorted(found["inputs"]) == ["seed"] and found["same-response"] is False
    assert lab.resolve(one, {"path": "compare", "other": one})["same-inputs"] is True


@llm
def test_verification_names_the_settings_a_node_runs_the_model_with(model_path):
    alice = _node("s-alice", model_path)
    bob = _node("s-bob", model_path, **{"inference-settings": {"n_batch": 64}})
    receipt = alice.resolve(INFER, _ask("a slot", seed=1))["receipt"]
    report = bob.resolve(receipt, "verify")
    assert report["environment"] == {"settings/n_batch": {"claimed": 512, "found": 64}}
    assert report["verified"] is True  # the same bytes all the same (see notebook 14)


# -- called from an AO process ----------------------------------------------------------

def _inference_pair(lab, model):
    server = lab.spawn({"device": "process@1.0", "execution-device": "inference@1.0",
                        "model": model, "max-tokens": 12, "temperature": 0})
    client = lab.spawn({"device": "process@1.0", "execution-device": "stack@1.0",
                        "device-stack": STACK, "image": aolab.data.wasm("inference-client"),
                        "inference-process": ids.id(server)})
    return server, client


def test_the_client_process_asks_the_process_its_tag_names():
    lab = aolab.Node(name="client-only")
    client = lab.spawn({"device": "process@1.0", "execution-device": "stack@1.0",
                        "device-stack": STACK, "image": aolab.data.wasm("inference-client"),
                        "inference-process": "a" * 43})
    lab.schedule(client, {"action": "Ask", "data": 'a "quoted" prompt'})
    lab.schedule(client, {"action": "Inference-Response", "data": "the answer"})
    asked = lab.compute(client, slot=0)["results"]
    assert asked["data"] == "asked"
    assert asked["outbox"]["1"]["target"] == "a" * 43
    assert asked["outbox"]["1"]["data"] == 'a "quoted" prompt'
    assert asked["outbox"]["1"]["action"] == "Infer"
    assert lab.compute(client, slot=1)["results"]["data"] == "the answer"


@llm
def test_a_process_asks_for_inference_and_gets_the_answer_through_its_schedule(model_path):
    lab = _node("ao", model_path)
    server, client = _inference_pair(lab, llm_model.model_id(model_path))
    lab.schedule(client, {"action": "Ask", "data": "a process is"})
    assert lab.compute(client, slot=0)["results"]["outbox"]["1"]["action"] == "Infer"
    lab.resolve(client, {"path": "push", "slot": 0})           # Ask -> the inference process
    pushed = lab.resolve(server, {"path": "push", "slot": 0})  # its answer -> the client
    assert pushed["pushed"]["1"]["status"] == "ok"
    answer = lab.compute(server, slot=0)["results"]
    assert lab.compute(client, slot=1)["results"]["data"] == answer["data"]
    expected = lab.resolve(INFER, {"path": "completions", "prompt": "a process is",
                                   "max_tokens": 12, "temperature": 0})
    assert answer["data"] == expected["choices"][0]["text"]
    assert answer["receipt"]["response"]["choices"] == expected["receipt"]["response"]["choices"]


@llm
def test_a_bad_message_gets_an_error_answer_and_the_process_goes_on(model_path):
    lab = _node("ao-errors", model_path)
    server, client = _inference_pair(lab, llm_model.model_id(model_path))
    sender = ids.id(client)
    lab.schedule(server, {"action": "Infer", "from-process": sender, "seed": "not a number",
                          "data": "a"})
    lab.schedule(server, {"action": "Infer", "from-process": sender, "data": "a slot"})
    failed = lab.compute(server, slot=0)["results"]
    assert "seed" in failed["error"] and failed["outbox"]["1"]["action"] == "Inference-Error"
    assert lab.compute(server, slot=1)["results"]["outbox"]["1"]["action"] == "Inference-Response"


@llm
def test_a_request_longer_than_the_context_gets_a_clear_error(model_path):
    lab = _node("context", model_path)
    with pytest.raises(MessageError, match="n_ctx is 512"):
        lab.resolve(INFER, _ask("a " * 400, max_tokens=200))
    assert lab.resolve(INFER, _ask("a"))["choices"]


# -- publishing a receipt to Arweave (arlocal) ----------------------------------------

@llm
def test_a_reproduced_receipt_is_published_to_the_gateway_and_read_back(model_path):
    from aolab import arlocal
    from aolab.gateway import GatewayStore
    from aolab.store import MemoryStore
    from tests.needs import require
    require("arlocal")
    wallet = aolab.wallet.load(aolab.wallet.test_wallet_path("bob"))
    alice = _node("pub-alice", model_path)
    receipt = alice.resolve(INFER, _ask("a receipt on Arweave", seed=3))["receipt"]
    with arlocal.ArLocal() as local:
        store = GatewayStore(local.gateway(wallet), wallet)
        bob = aolab.Node(name="pub-bob", store=[MemoryStore(), store])
        inference.add_model(bob, model_path)
        answer = bob.resolve(receipt, "publish")
        assert answer["receipt-id"] == ids.id(receipt)
        back = GatewayStore(local.gateway(), trusted=[wallet.address]).read(answer["published"])
        assert {k: v for k, v in back.items() if k != "commitments"} == receipt
        forged = {**receipt, "request": {**receipt["request"], "seed": 4}}
        with pytest.raises(MessageError, match="does not reproduce.*request/seed"):
            bob.resolve(forged, "publish")


@llm
def test_publishing_without_a_gateway_store_says_what_is_needed(model_path):
    alice = _node("nopub", model_path)
    receipt = alice.resolve(INFER, _ask("no gateway", seed=3))["receipt"]
    with pytest.raises(MessageError, match="publish needs a gateway store"):
        alice.resolve(receipt, "publish")
