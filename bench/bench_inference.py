"""Inference benchmark: inference@1.0 against llama-cpp-python called directly.

The same tiny model (``aolab.llm_model.tiny_model``), the same prompt, the same
sampling parameters and the same llama.cpp settings, both ways, interleaved in
one run (so load from other programs falls on both alike):

- ``direct_tokens_per_s``: ``Llama.create_completion`` (after ``reset``, as the
  device does), completion tokens per second.
- ``device_tokens_per_s``: ``Node.resolve`` of ``completions`` on a recording
  node: the request parsed and stored, the OpenAI-shaped answer and its
  receipt built and hashed, the result's hashpath, the step recorded.
  ``device_overhead`` is the ratio of times per token (goal <= 1.1x).
- ``stream_*``: the same with ``stream: true`` (every token a recorded child
  step) against ``create_completion(stream=True)``.
- ``token_step_us`` / ``direct_token_us``: what one recorded ``token`` step
  costs by itself (the chunks of a real streamed generation replayed through
  the same steps, no model), next to what the model spends per streamed token
  called directly: the stream's overhead is this step cost, so it shrinks as
  the model grows (the tiny model makes a token in well under a millisecond).
- ``verify_receipt_vs_generation``: ``resolve(receipt, "verify")`` on a second
  node (re-execution and comparison) over the generation's own time;
  ``verify_result_vs_generation``: ``Node.verify`` of the result (fetching its
  inputs from the first node, re-executing, comparing hashpath and content).

Run: ``.venv/bin/python bench/bench_inference.py``.
"""
from __future__ import annotations

import time

import aolab
from aolab.llm_model import tiny_model
from devices import inference

PROMPT = "a message is"
SAMPLING = {"max_tokens": 128, "temperature": 0.8, "top_p": 0.95, "top_k": 40, "seed": 1}
ROUNDS = 30


def _direct_model(path):
    import llama_cpp
    s = inference.SETTINGS
    return llama_cpp.Llama(model_path=str(path), n_ctx=s["n_ctx"], n_batch=s["n_batch"],
                           n_ubatch=s["n_batch"], n_threads=s["n_threads"],
                           n_threads_batch=s["n_threads"], n_gpu_layers=s["n_gpu_layers"],
                           seed=0, verbose=False)


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def _direct(llm, stream: bool) -> int:
    llm.reset()
    out = llm.create_completion(PROMPT, stream=stream, **SAMPLING)
    if stream:
        return sum(1 for _ in out)
    return out["usage"]["completion_tokens"]


def overhead(path, stream: bool, rounds: int = ROUNDS) -> dict:
    """Direct and device tokens/s, interleaved round by round."""
    llm = _direct_model(path)
    lab = aolab.Node(name=f"bench-inference-{stream}")
    inference.add_model(lab, path)
    request = {"path": "completions", "prompt": PROMPT, "stream": stream, **SAMPLING}
    lab.resolve({"device": "inference@1.0"}, request)  # load the model once
    _direct(llm, stream)
    direct_s = device_s = 0.0
    direct_tokens = device_tokens = 0
    for _ in range(rounds):
        seconds, tokens = _timed(lambda: _direct(llm, stream))
        direct_s, direct_tokens = direct_s + seconds, direct_tokens + tokens
        seconds, answer = _timed(lambda: lab.resolve({"device": "inference@1.0"}, request))
        device_s += seconds
        device_tokens += answer["usage"]["completion_tokens"]
        lab.trace.clear()
    direct_rate, device_rate = direct_tokens / direct_s, device_tokens / device_s
    prefix = "stream_" if stream else ""
    return {f"{prefix}direct_tokens_per_s": direct_rate, f"{prefix}device_tokens_per_s": device_rate,
            f"{prefix}device_overhead": direct_rate / device_rate}


class _Replayed:
    """Stands for the model in a replayed stream (``token`` reads ``n_tokens``)."""
    n_tokens = 3


def token_steps(path, rounds: int = ROUNDS) -> dict:
    """A recorded token step's own cost, against the model's time per streamed token."""
    llm = _direct_model(path)
    llm.reset()
    chunks = list(llm.create_completion(PROMPT, stream=True, **SAMPLING))
    lab = aolab.Node(name="bench-inference-steps")
    step_s = direct_s = 0.0
    steps = tokens = 0
    for _ in range(rounds):
        state = {"device": "inference@1.0", "generation": "g" * 43, "text": "", "chunks": [],
                 "priv": {"stream": iter(chunks), "model": _Replayed()}}
        start = time.perf_counter()
        while not state.get("finish_reason"):
            _, state = lab.resolve_status(state, {"path": "token"})
            steps += 1
        step_s += time.perf_counter() - start
        lab.trace.clear()
        seconds, count = _timed(lambda: _direct(llm, True))
        direct_s, tokens = direct_s + seconds, tokens + count
    return {"token_step_us": step_s / steps * 1e6, "direct_token_us": direct_s / tokens * 1e6}


def verification(path, rounds: int = 10) -> dict:
    """Receipt verification and result verification, over generation."""
    alice, bob = aolab.Node(name="bench-inf-alice"), aolab.Node(name="bench-inf-bob")
    inference.add_model(alice, path)
    inference.add_model(bob, path)
    generate = verify_receipt = verify_result = 0.0
    for n in range(rounds):
        request = {"path": "completions", "prompt": PROMPT, **{**SAMPLING, "seed": n}}
        seconds, result = _timed(lambda: alice.resolve({"device": "inference@1.0"}, request))
        generate += seconds
        seconds, report = _timed(lambda: bob.resolve(result["receipt"], "verify"))
        assert report["verified"], report
        verify_receipt += seconds
        seconds, report = _timed(lambda: bob.verify(result, source=alice))
        assert report, report
        verify_result += seconds
    return {"verify_receipt_vs_generation": verify_receipt / generate,
            "verify_result_vs_generation": verify_result / generate}


def run() -> dict:
    path = tiny_model()
    return {**overhead(path, stream=False), **overhead(path, stream=True), **token_steps(path),
            **verification(path)}


if __name__ == "__main__":
    import sys
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    from run import show
    show(run())
