"""Node benchmark: signatures and verifications per second, and what verifying
a result costs relative to computing it.

* signing / verifying a 10-key message with a 4096-bit RSA-PSS-SHA512 key;
* a 20-step counter computation on one node, then re-executed and checked by a
  second node (``Node.verify``): the ratio of the two times, with the results
  signed (each step's signature dominates the computation) and unsigned;
* ``verify_branch`` of the same result (its branch re-executed from the first
  message and requests the proof holds), relative to the computation.

Run: ``.venv/bin/python bench/bench_nodes.py``.
"""
from __future__ import annotations

import time

import aolab
from aolab import wallet
from aolab.codecs import httpsig


def _rate(fn, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return n / (time.perf_counter() - start)


def _compute(node, steps: int) -> tuple[dict, float]:
    """A counter added to *steps* times on *node*: the result and the seconds it took."""
    start = time.perf_counter()
    result = {"device": "counter@1.0", "count": 0}
    for i in range(steps):
        result = node.resolve(result, {"path": "add", "amount": i})
    return result, time.perf_counter() - start


def run(steps: int = 20) -> dict:
    key = wallet.load(wallet.test_wallet_path("alice"))
    message = {f"key-{i}": f"value-{i}" for i in range(10)}
    signed = httpsig.sign(message, key)
    figures = {
        "signatures_per_s": max(_rate(lambda: httpsig.sign(message, key), 30) for _ in range(3)),
        "verifications_per_s": max(_rate(lambda: httpsig.verify(signed), 200) for _ in range(3)),
    }
    network = aolab.Network()
    alice = aolab.Node(name="bench-alice", operator_key=key, network=network, record=False)
    bob = aolab.Node(name="bench-bob", network=network, record=False)
    result, computed = _compute(alice, steps)
    start = time.perf_counter()
    report = bob.verify(result)
    verified = time.perf_counter() - start
    assert report, report
    proof = alice.prove(result)
    start = time.perf_counter()
    assert aolab.verify_branch(result, proof, node=bob)
    branch = time.perf_counter() - start
    carol = aolab.Node(name="bench-carol", network=network, record=False)
    plain, computed_unsigned = _compute(carol, steps)
    start = time.perf_counter()
    assert bob.verify(plain, source=carol)
    verified_unsigned = time.perf_counter() - start
    figures.update({
        f"compute_{steps}_steps_unsigned_ms": computed_unsigned * 1000,
        f"verify_{steps}_steps_unsigned_ms": verified_unsigned * 1000,
        "verify_over_compute_unsigned_x": verified_unsigned / computed_unsigned,
        f"compute_{steps}_steps_signed_ms": computed * 1000,
        f"verify_{steps}_steps_ms": verified * 1000,
        "verify_over_compute_x": verified / computed,
        "verify_branch_ms": branch * 1000,
        "verify_branch_over_compute_x": branch / computed,
    })
    return figures


if __name__ == "__main__":
    import run as runner  # bench/run.py: prints figures the same way for every benchmark
    runner.show(run())
