"""HTTP benchmark: a node served over HTTP (aolab.http_server) against the same node in-process.

* ``GET /~meta@1.0/info`` requests per second, from a client process with 4 keep-alive
  connections (stdlib ``http.client``), with uvicorn's httptools parser and with h11, against ``Node.resolve("/~meta@1.0/info")``
  in-process (the node has no wallet: with one, every answer is RSA-signed and the
  signature dominates both);
* schedule + compute pairs per second (``POST /<pid>/schedule`` then
  ``GET /<pid>/compute&slot+integer=N``, aolab.connect in a client process) against
  ``Node.schedule`` + ``Node.compute`` in-process; the ratio is the cost of HTTP
  (encoding, transport, decoding) for the same work.

Goals (issue 16): >= 1,500 info requests/s on a 2-core machine; HTTP cost <= 2x in-process
for schedule + compute. The client runs in its own process so that it does not share the
server's interpreter lock.

Run: ``.venv/bin/python bench/bench_http.py``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import aolab

CLIENT = r'''
import http.client, json, sys, threading, time
host, port, threads, per_thread = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def work():
    c = http.client.HTTPConnection(host, port)
    for _ in range(per_thread):
        c.request("GET", "/~meta@1.0/info"); r = c.getresponse(); r.read()
        assert r.status == 200
work_threads = [threading.Thread(target=work) for _ in range(threads)]
t = time.perf_counter()
for w in work_threads: w.start()
for w in work_threads: w.join()
print(json.dumps({"seconds": time.perf_counter() - t, "requests": threads * per_thread}))
'''

PAIRS_CLIENT = r'''
import json, sys, time
import aolab
url, pairs = sys.argv[1], int(sys.argv[2])
remote = aolab.connect(url)
process = remote.spawn({"execution-device": "counter@1.0", "scheduler-device": "scheduler@1.0",
                        "bench": "http"})
t = time.perf_counter()
for n in range(pairs):
    slot = remote.schedule(process, {"action": "add", "amount": 1, "n": n})["slot"]
    assert remote.compute(process, slot)["at-slot"] == slot
print(json.dumps({"seconds": time.perf_counter() - t, "pairs": pairs}))
'''


def _client(code: str, *args) -> dict:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                         text=True, env=env, timeout=600, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _in_process_pairs(pairs: int) -> float:
    node = aolab.Node(name="bench-local", record=False, network=aolab.Network())
    process = {"device": "process@1.0", "type": "Process", "execution-device": "counter@1.0",
               "scheduler-device": "scheduler@1.0", "bench": "local"}
    node.schedule(process, process)
    start = time.perf_counter()
    for n in range(pairs):
        slot = node.schedule(process, {"action": "add", "amount": 1, "n": n})["slot"]
        assert node.compute(process, slot)["at-slot"] == slot
    return pairs / (time.perf_counter() - start)


def run(info_requests: int = 2000, pairs: int = 300) -> dict:
    node = aolab.Node(name="bench-http", record=False, network=aolab.Network())
    start = time.perf_counter()
    for _ in range(info_requests):
        node.resolve("/~meta@1.0/info")
    info_local = info_requests / (time.perf_counter() - start)
    with node.serve(port=0) as server:
        info = _client(CLIENT, server.host, server.port, 4, info_requests // 4)
        pair_run = _client(PAIRS_CLIENT, server.url, pairs)
    with node.serve(port=0, http="h11") as server:
        info_h11 = _client(CLIENT, server.host, server.port, 4, info_requests // 4)
    info_http = info["requests"] / info["seconds"]
    pairs_http = pair_run["pairs"] / pair_run["seconds"]
    pairs_local = _in_process_pairs(pairs)
    return {
        "info_requests_per_s_http": info_http,
        "info_requests_per_s_in_process": info_local,
        "info_http_cost_x": info_local / info_http,
        "info_requests_per_s_http_h11_parser": info_h11["requests"] / info_h11["seconds"],
        "schedule_compute_pairs_per_s_http": pairs_http,
        "schedule_compute_pairs_per_s_in_process": pairs_local,
        "schedule_compute_http_cost_x": pairs_local / pairs_http,
        "load_average_1min": os.getloadavg()[0],
    }


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(__file__))
    from run import show
    show(run())
