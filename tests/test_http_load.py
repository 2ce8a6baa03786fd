"""A bounded load test of a node over HTTP: 8 concurrent clients, 10,000 requests.

Eight client processes (tests/clients/load_client.py) each alternate
``POST /<pid>/schedule`` (a message of its own) and ``GET /<pid>/compute&slot+integer=N``
(the slot it was just given) against one node served on 127.0.0.1. Afterwards: every
acknowledged message holds exactly one slot, the slots are 1..N with none missing, the
node's schedule is those messages in that order, the hash chain verifies, and every
computed state counts exactly the messages up to its slot.

It takes a minute or more on a busy 2-core machine, so the default ``pytest`` run skips it;
``make test`` runs it (``make test-load``: ``AOLAB_LOAD_TEST=1``).
``AOLAB_LOAD_REQUESTS`` changes the number of requests (default 10,000).
"""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys
import time

import pytest

import aolab
from devices.scheduler import check_chain, read_assignment

CLIENTS = 8
REQUESTS = int(os.environ.get("AOLAB_LOAD_REQUESTS", "10000"))
TIME_LIMIT_SECONDS = 600
CLIENT = pathlib.Path(__file__).parent / "clients" / "load_client.py"

pytestmark = pytest.mark.skipif(not os.environ.get("AOLAB_LOAD_TEST"),
                                reason="the HTTP load test runs in `make test` (make test-load)")


def test_eight_clients_ten_thousand_requests_lose_nothing():
    node = aolab.Node(name="load", record=False, network=aolab.Network())
    process = {"device": "process@1.0", "type": "Process", "execution-device": "counter@1.0",
               "scheduler-device": "scheduler@1.0"}
    assert node.schedule(process, process)["slot"] == 0
    pid = aolab.id(process, committers="all")
    base_count = node.compute(process, 0)["count"]
    per_client = REQUESTS // (2 * CLIENTS)
    total = per_client * CLIENTS
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    started = time.monotonic()
    with node.serve(port=0) as server:
        procs = [subprocess.Popen([sys.executable, str(CLIENT), server.url, pid, str(i),
                                   str(per_client)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=env)
                 for i in range(CLIENTS)]
        outputs = []
        try:
            for proc in procs:
                left = max(1.0, TIME_LIMIT_SECONDS - (time.monotonic() - started))
                out, err = proc.communicate(timeout=left)
                assert proc.returncode == 0, err[-2000:]
                outputs.append(json.loads(out))
        finally:
            for proc in procs:
                if proc.poll() is None:
                    proc.kill()  # by PID: only the clients this test started
                    proc.wait()
    acknowledged = [tuple(a) for o in outputs for a in o["acknowledged"]]
    computed = [tuple(c) for o in outputs for c in o["computed"]]
    assert [f for o in outputs for f in o["failures"]] == []
    # every acknowledged message has exactly one slot, and the slots are 1..total
    assert sorted(slot for slot, _ in acknowledged) == list(range(1, total + 1))
    assert len({message_id for _, message_id in acknowledged}) == total
    # the node's schedule is exactly those messages, chained
    assignments = [read_assignment(node.store, pid, n) for n in range(total + 1)]
    by_slot = dict(acknowledged)
    assert all(aolab.id(a["body"]) == by_slot[a["slot"]] for a in assignments[1:])
    verdict = check_chain(assignments)
    assert verdict["valid"], verdict
    # each computed state counts the messages up to its slot, no more, no fewer
    assert len(computed) == total
    assert all(count == base_count + slot for slot, count in computed)
    assert node.compute(process, total)["count"] == base_count + total
