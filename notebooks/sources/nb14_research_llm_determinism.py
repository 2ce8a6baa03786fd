"""14 · Research: when does LLM inference stay bit-identical?"""

CELLS = [
    ("md", """# 14 · Research: when does LLM inference stay bit-identical?

**What you'll do:** run the same prompt through llama.cpp under different thread counts and
batch sizes, compare the model's scores bit for bit and the generated text token for token,
plot where they differ, and see what a difference does to a receipt's verification.
**What you'll learn:** why verification by re-execution needs bit-identical inference, where
the bits come from (the order of floating-point additions), which knobs of a runtime change
that order, and what a node must therefore fix and state in a receipt.
**What you need:** notebook 13 and the `[llm]` extra. On a CUDA build of llama-cpp-python the
same cells add a GPU column; this machine's build is reported below."""),
    ("code", """import os
# waiting threads sleep instead of spinning: on a busy shared machine spinning threads starve
# each other (this changes speed, never results); it must be set before llama.cpp loads
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
import hashlib
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import llama_cpp
import aolab
from aolab import llm_model
from devices import inference

path = llm_model.tiny_model()
PROMPT = "a process is a message whose state is computed slot by slot. the scheduler gives"
gpu = bool(llama_cpp.llama_supports_gpu_offload())
llama_cpp.__version__, "GPU build" if gpu else "CPU build\""""),
    ("md", """## Why bits matter
A verifier does not ask "is this answer plausible?": it recomputes and compares the response's
ID. One flipped token anywhere makes an honest node look like a forger. And floating-point
addition is not associative, so the *order* in which a runtime adds up a dot product decides
the last bits of every score:"""),
    ("code", """(0.1 + 0.2) + 0.3, 0.1 + (0.2 + 0.3)"""),
    ("md", """Greedy decoding picks the best score: a tie broken differently flips a token. Sampling
compares cumulative probabilities with a random threshold: a last-bit change can move a
token across it. After one flipped token the two generations continue from different text.

## The experiment
For each setting we load the model, evaluate the prompt, and keep (1) the SHA-256 of the
scores at the prompt's last position, (2) the largest difference from the reference scores,
and (3) a greedy and a sampled 32-token continuation. The knobs:

- `n_threads`: how many CPU threads split each matrix product;
- `n_batch` (= `n_ubatch` here): how many prompt tokens are evaluated in one pass; a prompt
  longer than the batch is evaluated in several passes, reusing the cached keys and values
  (what happens too when a server reuses a cached prefix of an earlier request);
- `n_gpu_layers`: layers offloaded to a GPU (only on a GPU build)."""),
    ("code", """def run(n_threads, n_batch, n_gpu_layers=0):
    llm = llama_cpp.Llama(model_path=str(path), n_ctx=256, n_batch=n_batch, n_ubatch=n_batch,
                          n_threads=n_threads, n_threads_batch=n_threads,
                          n_gpu_layers=n_gpu_layers, seed=0, verbose=False)
    tokens = llm.tokenize(PROMPT.encode())
    llm.reset()
    llm.eval(tokens)  # the scores of the next token, after the prompt's last one
    scores = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm.ctx, -1),
                                   shape=(llm.n_vocab(),)).copy()
    texts = {}
    for name, temperature in (("greedy", 0.0), ("sampled", 0.9)):
        llm.reset()
        out = llm.create_completion(PROMPT, max_tokens=32, temperature=temperature, seed=11)
        texts[name] = out["choices"][0]["text"]
    return scores, texts

settings = [(t, b, 0) for t in (1, 2, 4) for b in (1, 16, 512)]
if gpu:
    settings += [(1, b, 99) for b in (1, 16, 512)]  # every layer on the GPU
reference_scores, reference_texts = run(1, 512)
rows = []
for n_threads, n_batch, layers in settings:
    scores, texts = run(n_threads, n_batch, layers)
    rows.append({"n_threads": n_threads, "n_batch": n_batch, "gpu_layers": layers,
                 "scores_sha256": hashlib.sha256(scores.tobytes()).hexdigest()[:12],
                 "bit_identical": bool(np.array_equal(scores, reference_scores)),
                 "max_abs_diff": float(np.abs(scores - reference_scores).max()),
                 "same_greedy_text": texts["greedy"] == reference_texts["greedy"],
                 "same_sampled_text": texts["sampled"] == reference_texts["sampled"]})
table = pd.DataFrame(rows)
table"""),
    ("code", """pivot = table[table.gpu_layers == 0].pivot(index="n_threads", columns="n_batch",
                                              values="max_abs_diff")
fig, ax = plt.subplots(figsize=(6, 2.6))
image = ax.imshow(pivot.values, cmap="Reds", vmin=0, vmax=max(float(pivot.values.max()), 1e-7))
ax.set_xticks(range(len(pivot.columns)), [str(c) for c in pivot.columns])
ax.set_yticks(range(len(pivot.index)), [str(i) for i in pivot.index])
ax.set_xlabel("n_batch (prompt tokens per pass)")
ax.set_ylabel("n_threads")
for (i, j), value in np.ndenumerate(pivot.values):
    ax.text(j, i, "same bits" if value == 0 else f"{value:.1e}", ha="center", va="center",
            fontsize=8)
ax.set_title("largest |score difference| from threads=1, batch=512 (CPU)")
fig.colorbar(image, ax=ax)
plt.show()"""),
    ("code", """summary = {"settings": len(table), "bit_identical_scores": int(table.bit_identical.sum()),
           "same_greedy_text": int(table.same_greedy_text.sum()),
           "same_sampled_text": int(table.same_sampled_text.sum())}
summary"""),
    ("md", """## What the measurements say
On this CPU build, **the thread count never changed a bit**: llama.cpp gives each thread whole
rows of a matrix product, and each row's dot product is summed in the same order whatever
thread computes it. **The batch size did, once**: with `n_batch = 1` every prompt token goes
through matrix-vector kernels, and the scores differ from the reference in their last bits;
with 16 tokens per pass or more, the same matrix-matrix kernels compute each row the same way, and
evaluating the prompt in passes of 16 over the cache gives exactly the bits of one pass.
With this tiny, nearly-bigram model such differences are far smaller than the gap between the
best scores, so the generated text stayed the same; with a real model over thousands of tokens
a near-tie eventually meets a last-bit change, and the text forks.

A GPU adds more such knobs: kernels picked by the batch's shape, atomics and split-K
reductions whose order depends on scheduling, and, on a serving node, the *other* requests
batched with yours. That is why APUS relies on batch-invariant GPU kernels.

## What a verifiable node must do
- fix every knob that changes the order of additions, state it in the receipt, and have the
  verifier use the same (inference@1.0's `settings`: `n_ctx`, `n_batch`, `n_threads`,
  `n_gpu_layers`; and `runtime`: engine, version, CPU or GPU);
- evaluate each request from scratch (inference@1.0 resets llama.cpp's cache before each
  generation, so an earlier request cannot change a later answer);
- always seed the sampler (a request without a seed gets 0).

The receipt check compares what matters, the response, and names apart (`environment`) the
settings in which the verifying node differs. Here Bob evaluates prompts 1 token per pass, the
setting that changed bits above: the text is the same, so the receipt verifies, and the report
says what differed."""),
    ("code", """alice = aolab.Node(name="alice")
bob = aolab.Node(name="bob", config={"inference-settings": {"n_batch": 1}})
for node in (alice, bob):
    inference.add_model(node, path)
receipt = alice.resolve({"device": "inference@1.0"},
                        {"path": "completions", "prompt": PROMPT, "max_tokens": 16})["receipt"]
report = bob.resolve(receipt, "verify")
report["verified"], report["differences"], report["environment"]"""),
    ("md", """## On your own
Extend the experiment: does a longer prompt (say, the whole corpus, `llm_model.CORPUS`, cut to
200 tokens) make the batch size matter more? Make `run` take the prompt as an argument, rerun
the grid, and compare `max_abs_diff`. On a machine with a GPU and a CUDA build
(`make llm LLM_CMAKE_ARGS=-DGGML_CUDA=on`, in a fresh `.venv`), run this notebook again: the
GPU rows appear by themselves."""),
]
