"""Signed messages: IDs and verifications per second, before and after issue 13, in one run.

"Before" is the code at commit ``bee2ee1`` (taken from git with ``git archive``, nothing
checked out), where a signed message's ID was its commitment's key, taken unchecked; "after"
is this checkout, where an ID counts only commitments that verify (an RSA check, cached per
signature base, plus the hmac). Both run the same script in a fresh interpreter, alternately,
three times each; the best rate of each is kept and the ratio is after / before.

* IDs of a signed 10-key message (``aolab.id``), repeated (after: the verification cache warm)
  and, after only, cold (cache emptied before every ID: a message seen for the first time);
* ``httpsig.verify`` of the same message (after: warm and cold).

Run: ``.venv/bin/python bench/bench_signed.py``.
"""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import tarfile
import tempfile
import io

ROOT = pathlib.Path(__file__).resolve().parents[1]
BEFORE = "bee2ee1"

SCRIPT = r"""
import json, time
import aolab
from aolab import wallet
from aolab.codecs import httpsig

def rate(fn, n):
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return n / (time.perf_counter() - start)

key = wallet.load(wallet.test_wallet_path("alice"))
signed = httpsig.sign({f"key-{i}": f"value-{i}" for i in range(10)}, key)
cache = getattr(httpsig, "_VERIFIED", None)
def cold():
    cache.clear()
    aolab.id(signed)
def cold_verify():
    cache.clear()
    httpsig.verify(signed)
print(json.dumps({
    "ids": rate(lambda: aolab.id(signed), 2000),
    "ids_cold": rate(cold, 200) if cache is not None else None,
    "verify": rate(lambda: httpsig.verify(signed), 200),
    "verify_cold": rate(cold_verify, 200) if cache is not None else None,
    "commitments": len(signed["commitments"]),
}))
"""


def _export_before(target: pathlib.Path) -> pathlib.Path | None:
    """The ``aolab`` package and demo wallets at commit BEFORE, extracted into *target*."""
    try:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", BEFORE, "aolab", "data/wallets"],
                                 check=True, capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def _measure(source: pathlib.Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(source), "PYTHONHASHSEED": "0"}
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=source, env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out)


def run() -> dict:
    with tempfile.TemporaryDirectory(prefix="aolab-before-") as tmp:
        before_root = _export_before(pathlib.Path(tmp))
        if before_root is None:
            return {"skipped": f"git archive {BEFORE} failed (not a git checkout?)"}
        before, after = [], []
        for _ in range(3):
            before.append(_measure(before_root))
            after.append(_measure(ROOT))
    best = {side: {k: max(r[k] for r in runs) if runs[0][k] is not None else None for k in runs[0]}
            for side, runs in (("before", before), ("after", after))}
    return {
        "signed IDs/s before (commitment key, unchecked)": best["before"]["ids"],
        "signed IDs/s after (verified, cache warm)": best["after"]["ids"],
        "signed IDs/s after (verified, cache cold)": best["after"]["ids_cold"],
        "ratio IDs after warm / before": best["after"]["ids"] / best["before"]["ids"],
        "ratio IDs after cold / before": best["after"]["ids_cold"] / best["before"]["ids"],
        "verifications/s before": best["before"]["verify"],
        "verifications/s after (RSA + hmac, cache warm)": best["after"]["verify"],
        "verifications/s after (RSA + hmac, cache cold)": best["after"]["verify_cold"],
        "ratio verifications after warm / before": best["after"]["verify"] / best["before"]["verify"],
        "ratio verifications after cold / before": best["after"]["verify_cold"] / best["before"]["verify"],
        "commitments per signed message before / after":
            f"{best['before']['commitments']} / {best['after']['commitments']}",
    }


if __name__ == "__main__":
    for figure, value in run().items():
        print(f"{figure:52s} {value:,.2f}" if isinstance(value, float) else f"{figure:52s} {value}")
