"""13 · LLM inference in AO: a device, a receipt, and a process that asks."""

CELLS = [
    ("md", """# 13 · LLM inference in AO

**What you'll do:** make a tiny language model on this machine, ask it for text through the
`inference@1.0` device, read the receipt each answer carries, have a second node re-execute
and verify it, catch a receipt whose seed was changed, step through a generation token by
token, and let an AO process ask for inference and receive the answer through its schedule.
**What you'll learn:** how APUS's "GPU inference in AO" maps onto AO-Core: an OpenAI-style
device (`completions`, `chat`, `models`, `health`), a receipt naming model, request, response
and runtime, and why re-execution, not a declared model hash, is what shows which model ran.
**What you need:** notebooks 06, 07 and 09, and the `[llm]` extra (llama-cpp-python and gguf,
installed by `make lab`)."""),
    ("code", """import aolab, aolab.data
from aolab import ids, llm_model
from devices import inference

INFER = {"device": "inference@1.0"}"""),
    ("md", """## A model with no download
No package ships trained weights, so aolab writes a model itself: a llama-architecture GGUF
file (llama.cpp's format) with one token per character of `data/llm/corpus.txt`, an output
layer solved from that corpus's character pairs, and two transformer blocks of small seeded
random weights. Every byte follows from the corpus and the seed, so every machine makes the
same file. **A model's ID is the SHA-256 of its file**: a request naming it names the exact
weights. Any other GGUF file you have works the same way: `inference.add_model(node, path)`."""),
    ("code", """path = llm_model.tiny_model()
model = llm_model.model_id(path)
path.name, path.stat().st_size, model"""),
    ("code", """lab = aolab.Node(name="lab")
inference.add_model(lab, path)
lab.resolve(INFER, "models")"""),
    ("md", """`health` says what computes: llama.cpp through llama-cpp-python, a CPU or a GPU build, and
the CPU features it uses (these differ between machines, hence no fixed output here)."""),
    ("code", """# NBVAL_IGNORE_OUTPUT
lab.resolve(INFER, "health")"""),
    ("md", """## Completions, greedy and seeded
The request keys are APUS's (and OpenAI's): `model`, `prompt` or `messages`, `max_tokens`,
`temperature`, `top_p`, `top_k`, `seed`, `stream`. `temperature: 0` is greedy decoding: the
best-scored token every time. The answer has OpenAI's shape, with two differences that make it
recomputable: `created` is 0 (no wall clock) and `id` comes from the request's ID."""),
    ("code", """greedy = lab.resolve(INFER, {"path": "completions", "prompt": "a message is",
                             "max_tokens": 40, "temperature": 0})
{k: v for k, v in greedy.items() if k != "receipt"}"""),
    ("md", """The tiny model knows only which character tends to follow which, so greedy decoding soon
loops. Sampling (`temperature` > 0) picks tokens at random, in proportion to their scores; the
`seed` fixes the random choices, so the same seed gives the same text again. A request without
a seed gets seed 0: a verifiable device never picks one by itself."""),
    ("code", """def sample(seed):
    answer = lab.resolve(INFER, {"path": "completions", "prompt": "a message is",
                                 "max_tokens": 40, "temperature": 0.9, "seed": seed})
    return answer["choices"][0]["text"]

[sample(1), sample(1), sample(2)]"""),
    ("md", """`chat` takes `messages` and lays them out with the chat template stored in the model file:"""),
    ("code", """lab.resolve(INFER, {"path": "chat", "max_tokens": 24, "seed": 3,
                    "messages": [{"role": "user", "content": "what is a hashpath"}]})["choices"]"""),
    ("md", """## The receipt
Every answer carries an `inference_receipt@1.0` message: the request with every default filled
in, the response, their IDs, the model ID, the runtime and the node's settings (context size,
batch size, threads, GPU layers)."""),
    ("code", """receipt = greedy["receipt"]
{k: (v if k not in ("response",) else "...") for k, v in receipt.items()}"""),
    ("md", """APUS's receipt names a model hash, and its own documentation says that this does not prove
which model ran. What does: another node that holds the same model file runs the same request
and finds the same response, byte for byte. `resolve(receipt, "verify")` does exactly that."""),
    ("code", """bob = aolab.Node(name="bob")
inference.add_model(bob, path)
bob.resolve(receipt, "verify")"""),
    ("md", """Mallory claims the text came from seed 7 (and leaves the rest alone). The request in the
receipt no longer hashes to its `request-id`; Bob looks that ID up (Alice's node stored the
request) and names the key that was changed:"""),
    ("code", """forged = {**receipt, "request": {**receipt["request"], "seed": 7}}
bob.resolve(forged, "verify")"""),
    ("md", """A more careful forger re-hashes the request too. Then re-execution catches it: seed 7 gives
another text (with greedy decoding the seed changes nothing, so Mallory picks a sampled answer):"""),
    ("code", """honest = lab.resolve(INFER, {"path": "completions", "prompt": "a message is", "max_tokens": 16,
                             "temperature": 0.9, "seed": 1})["receipt"]
request = {**honest["request"], "seed": 7}
careful = {**honest, "request": request, "request-id": ids.id(request)}
report = bob.resolve(careful, "verify")
report["verified"], sorted(report["differences"])"""),
    ("md", """The result itself is a computed message with a hashpath, so the generic check of notebook 09
works as well: Bob fetches its inputs from Alice's node, re-executes, and compares hashpath and
content."""),
    ("code", """bool(bob.verify(greedy, source=lab)), aolab.short_id(aolab.hashpath_of(greedy).split("/")[-1])"""),
    ("md", """## Token by token
With `stream: true` every token is a child step (`token`) of the generation: the trace holds
one step per token, and `chunks` in the answer lists them."""),
    ("code", """lab.trace.clear()
streamed = lab.resolve(INFER, {"path": "completions", "prompt": "a node", "max_tokens": 8,
                               "seed": 5, "stream": True})
steps = lab.trace.steps()
steps[["step", "parent", "depth", "device", "key", "status"]]"""),
    ("code", """[chunk["text"] for chunk in streamed["chunks"]], streamed["choices"][0]["text"]"""),
    ("md", """## An AO process that asks for inference
In APUS's article a process sends a message, the node's GPU device answers, and the answer
comes back as a message. Here: `inference-client` is a WebAssembly AO process
(`data/wasm/inference-client.wat`, run by json-iface@1.0 like aos). On an `Ask` message it
sends an `Infer` message, with the prompt as data, to the process named by its tag
`Inference-Process`; on an `Inference-Response` message it outputs the answer. The inference
process runs `inference@1.0` as its execution device: each scheduled message is a generation,
its answer goes to the outbox, addressed to the sender. `push` delivers outboxes through the
schedulers."""),
    ("code", """server = lab.spawn({"device": "process@1.0", "execution-device": "inference@1.0",
                    "model": model, "max-tokens": 24, "temperature": 0})
client = lab.spawn({"device": "process@1.0", "execution-device": "stack@1.0",
                    "device-stack": ["wasi@1.0", "json-iface@1.0", "wasm64@1.0"],
                    "image": aolab.data.wasm("inference-client"),
                    "inference-process": ids.id(server)})
lab.schedule(client, {"action": "Ask", "data": "a process is"})
lab.compute(client, slot=0)["results"]["outbox"]["1"]"""),
    ("code", """lab.resolve(client, {"path": "push", "slot": 0})        # the Infer message -> server slot 0
lab.resolve(server, {"path": "push", "slot": 0})["pushed"]  # its answer -> client slot 1"""),
    ("code", """lab.compute(client, slot=1)["results"]["data"]"""),
    ("md", """The server's state at slot 0 holds the receipt of that generation; anyone can re-run the
server's schedule and check it, as for any process."""),
    ("code", """served = lab.compute(server, slot=0)["results"]
bob.resolve(served["receipt"], "verify")["verified"]"""),
    ("md", """## Two nodes, twenty prompts
Two nodes that run the same requests on the same model file find the same hashpaths and the
same results (the test suite does this for 100 prompts):"""),
    ("code", """words = llm_model.CORPUS.read_text().split()
same = 0
for n in range(20):
    ask = {"path": "completions", "prompt": " ".join(words[n:n + 3]), "max_tokens": 4,
           "temperature": 0.7, "seed": n}
    mine, theirs = lab.resolve(INFER, ask), bob.resolve(INFER, ask)
    same += aolab.hashpath_of(mine) == aolab.hashpath_of(theirs) and ids.id(mine) == ids.id(theirs)
same"""),
    ("md", """## On your own
Mallory now changes the **prompt** of `receipt` (keep the rest as it is). Build her receipt,
let Bob verify it, and keep the report in `mine`. Which key does the report name?
(One answer: `notebooks/solutions/nb13_llm_inference.py`.)"""),
    ("code", """# your answer here
mine = None"""),
    ("code", """def check(report):
    if report is None:
        return "Not answered yet: build the forged receipt, then mine = bob.resolve(forged, 'verify')."
    if report.get("verified") is not False:
        return "Bob verified it: did the receipt's request really change?"
    if "request/prompt" not in report.get("differences", {}):
        return "Not verified, but not for the prompt: change only receipt['request']['prompt']."
    return "Right: the report names request/prompt."

check(mine)"""),
]
