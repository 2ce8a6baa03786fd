"""HTTP benchmark: a node served over HTTP (aolab.http_server) against the same node in-process.

* ``GET /~meta@1.0/info`` requests per second, from a client process with 4 keep-alive
  connections (stdlib ``http.client``; uvicorn's httptools parser, and h11 once), against
  ``Node.resolve("/~meta@1.0/info")`` in-process (the node has no wallet: with one, every
  answer is RSA-signed and the signature dominates both);
* schedule + compute pairs per second (``POST /<pid>/schedule`` then
  ``GET /<pid>/compute&slot+integer=N``, ``aolab.connect`` in a client process) against
  ``Node.schedule`` + ``Node.compute`` in-process: the same process type (counter@1.0),
  the same messages, no signatures on either side (neither node has a wallet, the
  client none either). The ratio is the cost of HTTP (encoding, transport, decoding)
  for the same work. Also measured: the CPU time per pair of the server (this process,
  while the client runs) and of the client (its own process), and the server's work
  without sockets (``request_message`` + ``handle`` + ``encode_answer`` on the same
  requests: what is left of the ratio once transport and client are gone), and the
  pairs over HTTP from a server with no time limit (``timeout=None``: the node's work
  on the event loop's thread, no hand-over to the node thread and back);
* where one request's time goes (``ms_per_request_*``, the mean of a schedule and a
  compute, from the timed HTTP run): the client's request encoding, answer decoding and
  the rest of its CPU (sockets, the answer's head); the server's request decoding,
  handling (the node's resolution: what the in-process run does), answer encoding and
  the rest of its CPU (uvicorn, asyncio, sockets, the hand-over to the node thread);
  ``waiting``: the wall time neither process spent on a CPU (being woken up, or waiting
  for a core the machine's other work holds); and the server's CPU by thread (the event
  loop's: uvicorn's HTTP parsing, asyncio, the sockets, the ASGI app and the hand-over;
  the node thread's: the three jobs). Each job's figure is the CPU time of the
  thread that runs it (``time.thread_time``, as the in-process figure is CPU time),
  taken by wrapping its function for the run (about a microsecond a call).

The machine is shared: each figure is measured in ``ROUNDS`` interleaved rounds (one of
each kind per round) and reported as the median; a ratio is the median of the rounds'
ratios. The load average before and after is reported.

Goals (issue 16): >= 1,500 info requests/s on a 2-core machine; HTTP cost <= 2x in-process
for schedule + compute. The client runs in its own process so that it does not share the
server's interpreter lock.

Run: ``.venv/bin/python bench/bench_http.py``.
"""
from __future__ import annotations

import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import aolab

ROUNDS = 5

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
from aolab import http_client
url, pairs = sys.argv[1], int(sys.argv[2])
spent = {"encode": 0.0, "decode": 0.0}


def timed(name, function):  # the client's own codec CPU time, per job (bench only)
    def wrapper(*args, **kw):
        started = time.thread_time()
        try:
            return function(*args, **kw)
        finally:
            spent[name] += time.thread_time() - started
    return wrapper


remote = aolab.connect(url)
process = remote.spawn({"execution-device": "counter@1.0", "scheduler-device": "scheduler@1.0",
                        "bench": "http"})
http_client.encode_request = timed("encode", http_client.encode_request)
http_client.decode_response = timed("decode", http_client.decode_response)
t, cpu = time.perf_counter(), time.process_time()
for n in range(pairs):
    slot = remote.schedule(process, {"action": "add", "amount": 1, "n": n})["slot"]
    assert remote.compute(process, slot)["at-slot"] == slot
print(json.dumps({"seconds": time.perf_counter() - t, "pairs": pairs,
                  "client_cpu": time.process_time() - cpu,
                  "client_encode": spent["encode"], "client_decode": spent["decode"]}))
'''


def _client(code: str, *args) -> dict:
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    out = subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True,
                         text=True, env=env, timeout=600, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _forget_ids() -> None:
    """Empty the content-keyed ID memo (:mod:`aolab.id_memo`): the HTTP server and the
    in-process node run in this process on the same messages, and a run would otherwise
    find the IDs of the messages the run before it hashed (so each run starts cold)."""
    from aolab import id_memo
    with id_memo._lock:
        id_memo._memo.clear()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _thread_cpu(threads: dict) -> dict:
    """``{name: CPU seconds}`` each thread has used so far (Linux's per-thread
    ``/proc`` counters, in clock ticks; NaN where there are none)."""
    found = {}
    for name, thread in threads.items():
        try:
            with open(f"/proc/self/task/{thread.native_id}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
            found[name] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            found[name] = float("nan")
    return found


def _counter_process(name: str) -> dict:
    return {"device": "process@1.0", "type": "Process", "execution-device": "counter@1.0",
            "scheduler-device": "scheduler@1.0", "bench": name}


def _in_process_pairs(pairs: int) -> tuple[float, float]:
    """(pairs/s, CPU s per pair) of Node.schedule + Node.compute."""
    _forget_ids()
    node = aolab.Node(name="bench-local", record=False, network=aolab.Network())
    process = _counter_process("local")
    node.schedule(process, process)
    start, cpu = time.perf_counter(), time.process_time()
    for n in range(pairs):
        slot = node.schedule(process, {"action": "add", "amount": 1, "n": n})["slot"]
        assert node.compute(process, slot)["at-slot"] == slot
    return pairs / (time.perf_counter() - start), (time.process_time() - cpu) / pairs


def _server_pipeline_pairs(pairs: int) -> float:
    """pairs/s of the server's own work on the HTTP forms of the same requests, no sockets
    (the client's encoding of each request happens before the clock runs)."""
    from aolab import http_server
    from aolab.codecs import httpsig

    _forget_ids()
    node = aolab.Node(name="bench-pipeline", record=False, network=aolab.Network())
    process = _counter_process("pipeline")
    node.schedule(process, process)
    pid = aolab.id(process, committers="all")
    requests = []
    for n in range(pairs):
        form = httpsig.to_http({"path": f"/{pid}/schedule",
                                "body": {"action": "add", "amount": 1, "n": n}})
        requests.append(("POST", f"/{pid}/schedule", form, form.pop("body", b"")))
        requests.append(("GET", f"/{pid}/compute&slot+integer={n + 1}", {}, b""))
    start = time.perf_counter()
    for method, target, headers, body in requests:
        request = http_server.request_message(method, target, headers, body)
        answer = http_server.handle(node, request)
        http_server.encode_answer(answer, http_server.accept_codec(request, None))
        assert http_server.status_of(answer) == 200
    return pairs / (time.perf_counter() - start)


@contextlib.contextmanager
def _server_jobs_timed():
    """``{job: CPU seconds}`` the server spends decoding requests, handling them (the
    node's resolution, hooks and status) and encoding answers: the CPU time of the
    thread that runs them, taken around :mod:`aolab.http_server`'s three functions for
    as long as the block runs (as the in-process figure is CPU time)."""
    from aolab import http_server

    jobs = {"decode": "decode_request", "resolve": "handle", "encode": "encode_answer"}
    spent = dict.fromkeys(jobs, 0.0)
    originals = {job: getattr(http_server, name) for job, name in jobs.items()}

    def timed(job, function):
        def wrapper(*args, **kw):
            started = time.thread_time()
            try:
                return function(*args, **kw)
            finally:
                spent[job] += time.thread_time() - started
        return wrapper

    for job, name in jobs.items():
        setattr(http_server, name, timed(job, originals[job]))
    try:
        yield spent
    finally:
        for job, name in jobs.items():
            setattr(http_server, name, originals[job])


def _per_request_ms(found: list) -> dict:
    """Where a request's time goes (ms; a pair is two requests, a schedule and a
    compute): the client's codec and the rest of its CPU (its socket calls and
    reading the answer's head), the server's decode, resolution and encode, the
    rest of its CPU (uvicorn, asyncio, sockets, the hand-over to the node thread),
    what neither process spent on a CPU (waiting to be woken), and the server's
    CPU by thread."""
    def ms(key):
        return statistics.median(r[key] for r in found) / 2 * 1e3

    parts = {
        "client_encode": ms("client_encode"), "client_decode": ms("client_decode"),
        "client_other": ms("cpu_client") - ms("client_encode") - ms("client_decode"),
        "server_decode": ms("server_decode"), "server_resolve": ms("server_resolve"),
        "server_encode": ms("server_encode"),
        "server_other": ms("cpu_server") - ms("server_decode") - ms("server_resolve")
        - ms("server_encode"),
    }
    parts["waiting"] = ms("wall_http") - ms("cpu_client") - ms("cpu_server")
    # the server's CPU by thread: the event loop's (uvicorn: HTTP parsing, asyncio,
    # sockets, the ASGI app, handing the job over and taking its answer back) and the
    # node thread's (the three jobs above, and waiting for the next job)
    parts["server_loop_thread"] = ms("server_loop_thread")
    parts["server_node_thread"] = ms("server_node_thread")
    return {f"ms_per_request_{name}": value for name, value in parts.items()}


def _round(info_requests: int, pairs: int) -> dict:
    node = aolab.Node(name="bench-http", record=False, network=aolab.Network())
    start = time.perf_counter()
    for _ in range(info_requests):
        node.resolve("/~meta@1.0/info")
    info_local = info_requests / (time.perf_counter() - start)
    with node.serve(port=0) as server:
        info = _client(CLIENT, server.host, server.port, 4, info_requests // 4)
        _forget_ids()
        threads = {"loop": server._thread, "node": server.app.worker._thread}
        with _server_jobs_timed() as jobs:
            cpu, thread_cpu = _cpu(), _thread_cpu(threads)
            pair_run = _client(PAIRS_CLIENT, server.url, pairs)
            server_cpu = (_cpu() - cpu) / pairs
            thread_cpu = {name: (seconds - thread_cpu[name]) / pairs
                          for name, seconds in _thread_cpu(threads).items()}
    untimed = aolab.Node(name="bench-http-untimed", record=False, network=aolab.Network())
    with untimed.serve(port=0, timeout=None) as server:  # the node's work on the loop's thread
        _forget_ids()
        untimed_run = _client(PAIRS_CLIENT, server.url, pairs)
    local_pairs, local_cpu = _in_process_pairs(pairs)
    pipeline = _server_pipeline_pairs(pairs)
    http_pairs = pair_run["pairs"] / pair_run["seconds"]
    return {"info_http": info["requests"] / info["seconds"], "info_local": info_local,
            "pairs_http": http_pairs, "pairs_local": local_pairs, "pairs_pipeline": pipeline,
            "pairs_http_untimed": untimed_run["pairs"] / untimed_run["seconds"],
            "cpu_local": local_cpu, "cpu_server": server_cpu,
            "cpu_client": pair_run["client_cpu"] / pairs,
            "wall_http": pair_run["seconds"] / pairs,
            "client_encode": pair_run["client_encode"] / pairs,
            "client_decode": pair_run["client_decode"] / pairs,
            **{f"server_{job}": seconds / pairs for job, seconds in jobs.items()},
            **{f"server_{name}_thread": seconds for name, seconds in thread_cpu.items()}}


def run(info_requests: int = 2000, pairs: int = 300, rounds: int = ROUNDS) -> dict:
    load_before = os.getloadavg()[0]
    found = [_round(info_requests, pairs) for _ in range(rounds)]
    node = aolab.Node(name="bench-h11", record=False, network=aolab.Network())
    with node.serve(port=0, http="h11") as server:
        info_h11 = _client(CLIENT, server.host, server.port, 4, info_requests // 4)

    def median(key):
        return statistics.median(r[key] for r in found)

    def ratio(a, b):
        return statistics.median(r[a] / r[b] for r in found)

    return {
        "rounds": rounds,
        "info_requests_per_s_http": median("info_http"),
        "info_requests_per_s_http_min_max": f"{min(r['info_http'] for r in found):,.0f}-"
                                            f"{max(r['info_http'] for r in found):,.0f}",
        "info_requests_per_s_in_process": median("info_local"),
        "info_http_cost_x": ratio("info_local", "info_http"),
        "info_requests_per_s_http_h11_parser": info_h11["requests"] / info_h11["seconds"],
        "schedule_compute_pairs_per_s_http": median("pairs_http"),
        "schedule_compute_pairs_per_s_in_process": median("pairs_local"),
        "schedule_compute_http_cost_x": ratio("pairs_local", "pairs_http"),
        "schedule_compute_http_cost_x_min_max": f"{min(r['pairs_local'] / r['pairs_http'] for r in found):.2f}-"
                                                f"{max(r['pairs_local'] / r['pairs_http'] for r in found):.2f}",
        "schedule_compute_http_cost_x_no_time_limit": ratio("pairs_local", "pairs_http_untimed"),
        "server_work_without_sockets_cost_x": ratio("pairs_local", "pairs_pipeline"),
        "cpu_ms_per_pair_in_process": median("cpu_local") * 1e3,
        "cpu_ms_per_pair_http_server": median("cpu_server") * 1e3,
        "cpu_ms_per_pair_http_client": median("cpu_client") * 1e3,
        "ms_per_request_in_process": median("cpu_local") / 2 * 1e3,
        "ms_per_request_http_wall": median("wall_http") / 2 * 1e3,
        **_per_request_ms(found),
        "load_average_1min_before_after": f"{load_before:.1f} / {os.getloadavg()[0]:.1f}",
    }


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(__file__))
    from run import show
    show(run())
