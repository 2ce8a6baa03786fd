"""Arweave benchmark: ans104@1.0 data items against httpsig@1.0 IDs, and a gateway round trip.

Run: ``.venv/bin/python bench/bench_arweave.py``.  Figures are rates and ratios measured in
one run on one machine.  The arlocal figures appear only where arlocal can run (``make npm``).
"""
from __future__ import annotations

import time

import aolab
from aolab import arlocal
from aolab.codecs import ans104, dataitem
from aolab.gateway import GatewayStore

MESSAGE = {f"key-{n}": f"value {n}" for n in range(8)} | {"count": 3, "data": "x" * 1000}
NESTED = {"state": {"count": 3, "results": {"output": "y" * 300}}, "slot": 7}


def _rate(fn, seconds: float) -> float:
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        n += 1
    return n / (time.perf_counter() - start)


def run(seconds: float = 0.6) -> dict:
    alice = aolab.wallet.load(aolab.wallet.test_wallet_path("alice"))
    signed = ans104.sign(MESSAGE, alice)
    raw = ans104.serialize(signed)
    httpsig_ids = _rate(lambda: aolab.id(MESSAGE), seconds)
    ans104_bytes = _rate(lambda: ans104.serialize(MESSAGE), seconds)
    figures = {
        "httpsig unsigned IDs, 10-key message /s": httpsig_ids,
        "ans104 serialize (unsigned), same message /s": ans104_bytes,
        "ans104 serialize / httpsig ID (ratio)": ans104_bytes / httpsig_ids,
        "ans104 nested message (bundle) serialize /s": _rate(lambda: ans104.serialize(NESTED), seconds),
        "ans104 deserialize signed item /s": _rate(lambda: ans104.deserialize(raw), seconds),
        "ans104 sign (RSA-PSS-SHA256, 4096-bit) /s": _rate(lambda: ans104.sign(MESSAGE, alice), seconds),
        "ans104 verify /s": _rate(lambda: ans104.verify(signed), seconds),
        "deep hash of 1 MiB, MB/s": _rate(lambda: dataitem.deep_hash(bytes(1 << 20)), seconds),
    }
    if arlocal.unavailable_reason() is None:
        with arlocal.ArLocal() as local:
            store = GatewayStore(local.gateway(alice), alice)
            started = time.perf_counter()
            item_ids = [store.publish({"n": n}) for n in range(5)]
            figures["arlocal publish (bundle + layer-1 tx + mine), ms"] = (time.perf_counter() - started) * 200
            started = time.perf_counter()
            for item_id in item_ids:
                store.read(item_id)
            figures["arlocal read by item ID, verified, ms"] = (time.perf_counter() - started) * 200
            started = time.perf_counter()
            store.read(aolab.id({"n": 0}))
            figures["arlocal read by unsigned ID (link), ms"] = (time.perf_counter() - started) * 1000
    return figures


if __name__ == "__main__":
    for figure, value in run().items():
        print(f"  {figure:52s} {value:12,.2f}")
