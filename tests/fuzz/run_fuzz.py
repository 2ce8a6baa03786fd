"""Long-run fuzzing of the codecs, the path parsers and the resolver, for a bounded time.

Runs the checks of ``tests/test_fuzz_properties.py`` (``PROPERTIES``) with
Hypothesis for about ``--seconds`` in all (default 60), in rounds of fresh
random inputs, and prints how many inputs each ran and what it found.  Exit
status 1 when a check failed (its shrunk input is printed).

    .venv/bin/python -m tests.fuzz.run_fuzz --seconds 30      # what CI runs (make fuzz)
"""
from __future__ import annotations

import argparse
import sys
import time
import traceback

from hypothesis import HealthCheck, given, settings

from tests.test_fuzz_properties import PROPERTIES


def fuzz(check, strategies, budget: float, per_round: int = 400) -> dict:
    count = [0]

    from hypothesis import strategies as st

    @settings(max_examples=per_round, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(st.tuples(*strategies))
    def target(args):
        count[0] += 1
        check(*args)

    started, rounds, failure = time.monotonic(), 0, None
    while time.monotonic() - started < budget and failure is None:
        try:
            target()
        except Exception:
            failure = traceback.format_exc(limit=4)
        rounds += 1
    return {"inputs": count[0], "rounds": rounds, "seconds": time.monotonic() - started,
            "failure": failure}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    failed = False
    for name, (check, strategies) in PROPERTIES.items():
        row = fuzz(check, strategies, args.seconds / len(PROPERTIES))
        status = "FAILED" if row["failure"] else "no failure"
        print(f"{name:24s} {row['inputs']:8d} inputs, {row['rounds']:3d} rounds, "
              f"{row['seconds']:5.1f} s: {status}", flush=True)
        if row["failure"]:
            failed = True
            print(row["failure"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
