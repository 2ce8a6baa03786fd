"""A tiny language model made on this machine, and the ID of any model file.

No registry package ships trained weights, so aolab writes its own model: a
llama-architecture GGUF (the file format llama.cpp reads) whose weights are
computed, not downloaded.  Its vocabulary is one token per character of
``data/llm/corpus.txt`` (plus llama's 256 byte tokens and ``<s>``, ``</s>``,
``<unk>``); its output layer is solved so that, from the embedding of a
character, it scores the next character as the corpus does (a bigram model,
"trained" by counting); its two transformer blocks hold small seeded random
weights, so attention and the feed-forward layers do real arithmetic that
perturbs those scores a little.  It babbles corpus-like text, fast.

Every byte of the file follows from the corpus and the seed: two machines
make the same file, so the same :func:`model_id`.  The file is cached under
``.cache/models/`` of the repository (``$AOLAB_MODEL_DIR`` overrides).

A model's ID is the SHA-256 of its file in base64url (43 characters, the
shape of an AO ID): a request that names a model ID names the exact weights.

>>> import pathlib, tempfile
>>> file = pathlib.Path(tempfile.mkdtemp()) / "m.gguf"
>>> _ = file.write_bytes(b"GGUF not really")
>>> len(model_id(file))
43
"""
from __future__ import annotations

import hashlib
import os
import pathlib

from .codecs.base64url import b64url

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "data" / "llm" / "corpus.txt"
#: The tiny model's shape: vocabulary from the corpus, 2 blocks of 64 dimensions.
SHAPE = {"n_embd": 64, "n_layer": 2, "n_head": 4, "n_ff": 128, "n_ctx": 512, "seed": 18}
SPACE = "\u2581"  # SentencePiece's visible space
CHAT_TEMPLATE = ("{% for message in messages %}{{ message['role'] }}: {{ message['content'] }}\n"
                 "{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}")


def model_id(path) -> str:
    """The ID of a model: SHA-256 of its file, base64url without padding."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return b64url(digest.digest())


def model_dir() -> pathlib.Path:
    """Where made models are cached: ``$AOLAB_MODEL_DIR`` or ``<repo>/.cache/models``."""
    return pathlib.Path(os.environ.get("AOLAB_MODEL_DIR") or ROOT / ".cache" / "models")


def tiny_model(shape: dict | None = None) -> pathlib.Path:
    """The path of the tiny model, written first if it is not cached yet.

    A *shape* (keys of :data:`SHAPE`) makes a variant, cached under its own name.
    """
    shape = {**SHAPE, **(shape or {})}
    name = "tiny-{n_layer}x{n_embd}-ff{n_ff}-h{n_head}-s{seed}".format(**shape)
    path = model_dir() / f"{name}.gguf"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.part")
        write_tiny_model(partial, shape)
        os.replace(partial, path)  # atomic: a reader never sees half a model
    return path


def vocabulary(text: str) -> tuple[list[str], list[int]]:
    """``(tokens, token types)``: ``<unk> <s> </s>``, 256 byte tokens, one per character."""
    chars = sorted({SPACE if c == " " else c for c in text if c != "\n"})
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)] + chars
    types = [2, 3, 3] + [6] * 256 + [1] * len(chars)  # unknown, control, byte, normal
    return tokens, types


def bigram_logits(text: str, tokens: list[str]):
    """Log-probabilities of the next token given the previous one, counted in *text*
    (a row per token; rows of tokens the corpus never shows are uniform)."""
    import numpy as np

    index = {t: i for i, t in enumerate(tokens)}
    ids = [1] + [index.get(SPACE if c == " " else c, index["<0x0A>"]) for c in " " + text] + [2]
    counts = np.full((len(tokens), len(tokens)), 0.05)
    counts[:, :259] = 1e-4  # byte tokens and controls: rare, but possible
    for previous, following in zip(ids, ids[1:]):
        counts[previous, following] += 1.0
    return np.log(counts / counts.sum(axis=1, keepdims=True)), sorted(set(ids))


def write_tiny_model(path, shape: dict | None = None) -> None:
    """Write the tiny model to *path* (see the module doc); deterministic bytes."""
    import gguf
    import numpy as np

    shape = {**SHAPE, **(shape or {})}
    text = CORPUS.read_text(encoding="utf-8")
    tokens, types = vocabulary(text)
    logits, seen = bigram_logits(text, tokens)
    rng = np.random.default_rng(shape["seed"])
    embeddings = rng.standard_normal((len(tokens), shape["n_embd"]))
    normed = embeddings / np.sqrt((embeddings ** 2).mean(axis=1, keepdims=True))
    # output @ normed[i] = logits[i] for every token the corpus shows (exact while len(seen) <= d)
    output = np.linalg.lstsq(normed[seen], logits[seen], rcond=None)[0].T

    writer = gguf.GGUFWriter(str(path), "llama")
    _write_header(writer, gguf, shape, tokens, types)
    for name, array in _tensors(shape, rng, embeddings, output):
        # on a grid of 2**-12: the last bits of a platform's libm or LAPACK cannot reach the file
        writer.add_tensor(name, np.ascontiguousarray(np.round(array * 4096) / 4096, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def _write_header(writer, gguf, shape: dict, tokens: list, types: list) -> None:
    """The model's metadata: a llama architecture of *shape*, the byte vocabulary."""
    d = shape["n_embd"]
    writer.add_name("aolab-tiny")
    writer.add_context_length(shape["n_ctx"])
    writer.add_embedding_length(d)
    writer.add_block_count(shape["n_layer"])
    writer.add_feed_forward_length(shape["n_ff"])
    writer.add_head_count(shape["n_head"])
    writer.add_head_count_kv(shape["n_head"])
    writer.add_rope_dimension_count(d // shape["n_head"])
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_file_type(gguf.LlamaFileType.ALL_F32)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(tokens)
    writer.add_token_scores([0.0] * len(tokens))
    writer.add_token_types(types)
    writer.add_unk_token_id(0)
    writer.add_bos_token_id(1)
    writer.add_eos_token_id(2)
    writer.add_add_bos_token(True)
    writer.add_chat_template(CHAT_TEMPLATE)


def _tensors(shape: dict, rng, embeddings, output):
    """``(name, array)`` of every tensor, in file order (small seeded weights per block)."""
    import numpy as np

    d, n_ff, small = shape["n_embd"], shape["n_ff"], 0.02
    yield "token_embd.weight", embeddings
    for layer in range(shape["n_layer"]):
        block = f"blk.{layer}"
        yield f"{block}.attn_norm.weight", np.ones(d)
        for part in ("attn_q", "attn_k", "attn_v", "attn_output"):
            yield f"{block}.{part}.weight", rng.standard_normal((d, d)) * small
        yield f"{block}.ffn_norm.weight", np.ones(d)
        yield f"{block}.ffn_gate.weight", rng.standard_normal((n_ff, d)) * small
        yield f"{block}.ffn_up.weight", rng.standard_normal((n_ff, d)) * small
        yield f"{block}.ffn_down.weight", rng.standard_normal((d, n_ff)) * small
    yield "output_norm.weight", np.ones(d)
    yield "output.weight", output
