"""A node over HTTP: the server (hb_http_server's one route) and aolab.connect.

Each test talks to a real uvicorn server on 127.0.0.1 (a free port), with
httpx or with aolab's own client.
"""
from __future__ import annotations

import json

import httpx
import pytest

import aolab
import aolab.data
from aolab import wallet as wallets
from aolab.codecs import httpsig
from aolab.errors import ResolutionError
from tests.header_signing import header_signed

ALICE = wallets.load(wallets.test_wallet_path("alice"))
BOB = wallets.load(wallets.test_wallet_path("bob"))


@pytest.fixture
def served():
    node = aolab.Node(name="alice-http", operator_key=ALICE)
    server = node.serve(port=0)
    yield node, server
    server.stop()


@pytest.fixture
def plain():
    node = aolab.Node(name="plain-http")
    server = node.serve(port=0)
    yield node, server
    server.stop()


def _signed_post(url: str, path: str, wallet, **keys) -> httpx.Response:
    message = httpsig.sign({**keys, "path": path, "method": "POST"}, wallet)
    http = httpsig.to_http(message)
    body = http.pop("body", b"")
    return httpx.post(url + path, headers=http, content=body)


# -- the route, codecs and status codes ----------------------------------------------------

def test_info_is_the_node_message_signed_by_the_node(served):
    node, server = served
    answer = httpx.get(server.url + "/~meta@1.0/info")
    assert answer.status_code == 200
    message = aolab.http_client.decode_response(answer)
    assert message["node-name"] == "alice-http"
    assert message["address"] == ALICE.address
    assert httpsig.signers(message) == [ALICE.address]


def test_info_address_is_a_plain_body(served):
    _node, server = served
    answer = httpx.get(server.url + "/~meta@1.0/info/address")
    assert answer.status_code == 200
    assert answer.text == ALICE.address


def test_json_codec_by_accept_header_and_by_accept_codec(plain):
    _node, server = plain
    by_header = httpx.get(server.url + "/~meta@1.0/info", headers={"accept": "application/json"})
    assert by_header.headers["content-type"] == "application/json"
    assert by_header.json()["node-name"] == "plain-http"
    by_key = httpx.get(server.url + "/~meta@1.0/info", headers={"accept-codec": "json@1.0"})
    assert by_key.json()["node-name"] == "plain-http"


def test_unknown_codec_is_a_400_naming_it(plain):
    _node, server = plain
    answer = httpx.get(server.url + "/~meta@1.0/info", headers={"codec-device": "nope@9"})
    assert answer.status_code == 400
    assert "nope@9" in answer.text and "codec-device" in answer.text
    answer = httpx.get(server.url + "/~meta@1.0/info", headers={"accept-codec": "xml@1.0"})
    assert answer.status_code == 400 and "xml@1.0" in answer.text


def test_status_codes_follow_the_result(plain):
    _node, server = plain
    assert httpx.get(server.url + "/~meta@1.0/build").status_code == 200
    missing = httpx.get(server.url + "/" + "A" * 43 + "/key")
    assert missing.status_code == 404
    bad_type = httpx.get(server.url + "/~meta@1.0/info&n+integer=abc")
    assert bad_type.status_code == 400
    assert "n+integer" in aolab.http_client.decode_response(bad_type)["body"]
    unknown_device = httpx.get(server.url + "/~nosuch@1.0/info")
    assert unknown_device.status_code in (400, 404)


def test_result_status_key_sets_the_code(plain):
    node, server = plain
    node.register_device("teapot@1.0", {"brew": lambda base, req: ("error", {"status": 418,
                                                                         "body": "short and stout"})})
    answer = httpx.get(server.url + "/~teapot@1.0/brew")
    assert answer.status_code == 418
    assert answer.text == "short and stout"


def test_body_over_the_limit_is_refused_with_413():
    node = aolab.Node(name="small")
    with node.serve(port=0, max_body=1000) as server:
        answer = httpx.post(server.url + "/~meta@1.0/info", content=b"x" * 5000)
        assert answer.status_code == 413 and "1000" in answer.text
        assert httpx.get(server.url + "/~meta@1.0/info/node-name").text == "small"


def test_binds_loopback_by_default(plain):
    _node, server = plain
    assert server.host == "127.0.0.1"


def test_request_over_the_time_limit_gets_503():
    import time
    node = aolab.Node(name="slow")
    node.register_device("slow@1.0", {"wait": lambda base, req: (time.sleep(0.5), "done")[1]})
    with node.serve(port=0, timeout=0.1) as server:
        answer = httpx.get(server.url + "/~slow@1.0/wait")
        assert answer.status_code == 503 and "0.1" in answer.text


def test_without_a_time_limit_requests_run_on_the_loop_thread_and_are_traced():
    import threading
    node = aolab.Node(name="untimed")
    threads = set()
    node.register_device("where@1.0", {"name": lambda base, req: threads.add(
        threading.current_thread().name) or "here"})
    with node.serve(port=0, timeout=None) as server:
        assert server.app.worker is None
        before = len(node.trace.records)
        answers = [httpx.get(server.url + "/~where@1.0/name") for _ in range(3)]
        assert [(a.status_code, a.text) for a in answers] == [(200, "here")] * 3
        assert threads == {f"aolab-http-{server.port}"}
        outer = [r for r in node.trace.records[before:] if r["parent"] is None]
        assert [r["key"] for r in outer] == ["GET /~where@1.0/name"] * 3


def test_a_slow_request_within_the_limit_is_answered_when_it_ends():
    import time
    node = aolab.Node(name="slowish")
    node.register_device("slow@1.0", {"wait": lambda base, req: (time.sleep(0.1), "done")[1]})
    with node.serve(port=0, timeout=5) as server:
        answers = [httpx.get(server.url + "/~slow@1.0/wait") for _ in range(2)]
        assert [(a.status_code, a.text) for a in answers] == [(200, "done")] * 2
        assert httpx.get(server.url + "/~meta@1.0/info/node-name").text == "slowish"


def test_a_requests_time_limit_counts_while_it_waits_for_the_node():
    import threading
    import time
    node = aolab.Node(name="busy")
    node.register_device("slow@1.0", {"wait": lambda base, req: (time.sleep(1.5), "done")[1]})
    with node.serve(port=0, timeout=0.3) as server:
        first = threading.Thread(target=httpx.get, args=(server.url + "/~slow@1.0/wait",))
        first.start()
        time.sleep(0.1)  # the node is busy with the first request
        started = time.monotonic()
        answer = httpx.get(server.url + "/~meta@1.0/info/node-name")
        assert answer.status_code == 503 and time.monotonic() - started < 1.0  # not after the first
        first.join()



def test_each_waiting_requests_time_limit_counts_from_its_arrival():
    """Several requests waiting behind a slow one each get their 503 about one
    limit after they came, not one limit after the request before them."""
    import concurrent.futures
    import threading
    import time
    node = aolab.Node(name="queue")
    node.register_device("slow@1.0", {"wait": lambda base, req: (time.sleep(2.0), "done")[1]})
    with node.serve(port=0, timeout=0.3) as server:
        first = threading.Thread(target=httpx.get, args=(server.url + "/~slow@1.0/wait",))
        first.start()
        time.sleep(0.1)

        def waited():
            started = time.monotonic()
            answer = httpx.get(server.url + "/~meta@1.0/info/node-name", timeout=10)
            return answer.status_code, time.monotonic() - started

        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            found = list(pool.map(lambda _: waited(), range(4)))
        assert [code for code, _ in found] == [503] * 4
        assert max(seconds for _, seconds in found) < 0.9, found  # one after another: 1.2 s
        first.join()

@pytest.mark.parametrize("buffer_size", [1, 3, 8192])
def test_client_reads_answers_whole_or_line_by_line(buffer_size):
    import io
    from aolab.http_client import _read_response
    answers = {
        b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\na: b\r\n\r\nbody":
            ([("content-length", "4"), ("a", "b")], b"body"),
        b"HTTP/1.1 204 No Content\r\n\r\n": ([], b""),
        b"HTTP/1.1 200 OK\r\n\r\n\r\n\r\nxx": ([], b"\r\n\r\nxx"),
        b"HTTP/1.1 200 OK\nx: y\ncontent-length: 2\n\nab":
            ([("x", "y"), ("content-length", "2")], b"ab"),
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n":
            ([("transfer-encoding", "chunked")], b"ab"),
    }
    for raw, (fields, content) in answers.items():
        answer = _read_response(io.BufferedReader(io.BytesIO(raw), buffer_size=buffer_size), "GET")
        assert (answer.headers.multi_items(), answer.content) == (fields, content)
    raw = b"HTTP/1.1 200 OK\r\nA: 1\r\nb: 2\r\na: 3\r\ncontent-length: 0\r\n\r\n"
    twice = _read_response(io.BufferedReader(io.BytesIO(raw)), "GET")
    fields = twice.headers
    assert (fields.get("a"), fields["B"], "c" in fields) == ("1, 3", "2", False)


def test_a_bare_get_decodes_as_the_codec_decodes_no_fields():
    from aolab import http_server
    assert httpsig.from_http({}) == {}
    transport_only = {"host": b"x", "accept": b"*/*"}
    request = http_server.request_message("GET", "/~meta@1.0/info", transport_only, b"")
    assert request == {"method": "GET", "path": "/~meta@1.0/info"}


def test_every_http_request_is_a_step_in_the_trace(plain):
    node, server = plain
    before = len(node.trace.records)
    httpx.get(server.url + "/~meta@1.0/info/node-name")
    records = node.trace.records[before:]
    outer = records[0]
    assert outer["device"] == "meta@1.0" and outer["key"] == "GET /~meta@1.0/info/node-name"
    assert outer["parent"] is None
    children = [r for r in records[1:] if r["parent"] == outer["step"]]
    assert [r["key"] for r in children] == ["info", "node-name"]


# -- signed requests --------------------------------------------------------------------

def test_signed_request_is_reduced_to_its_committed_keys(plain):
    node, server = plain
    seen = {}

    def echo(base, request):
        seen.update(request)
        return {"keys": sorted(k for k in request if k != "commitments")}

    node.register_device("echo@1.0", {"look": echo})
    message = httpsig.sign({"path": "/~echo@1.0/look", "signed-key": "yes"}, BOB)
    http = httpsig.to_http(message)
    http["unsigned-key"] = b"sneaked in"
    answer = httpx.get(server.url + "/~echo@1.0/look", headers=http)
    assert answer.status_code == 200
    assert seen["signed-key"] == "yes" and "unsigned-key" not in seen
    assert seen["method"] == "GET"


def test_signature_over_path_uses_the_path_line_quirk():
    message = httpsig.sign({"path": "/~meta@1.0/info", "x": "1"}, BOB)
    commitment = next(c for c in message["commitments"].values() if c.get("alg") == "rsa-pss-sha512")
    assert '"@path"' in commitment["signature-input"]
    cid = next(k for k, c in message["commitments"].items() if c is commitment)
    base = httpsig.signed_base(message, cid)
    assert b'\n"path": /~meta@1.0/info\n' in b"\n" + base
    assert b'"@path":' not in base


def test_tampered_signed_request_is_400(plain):
    _node, server = plain
    message = httpsig.sign({"path": "/~meta@1.0/info", "x": "1"}, BOB)
    http = httpsig.to_http(message)
    http["x"] = b"2"
    answer = httpx.get(server.url + "/~meta@1.0/info", headers=http)
    assert answer.status_code == 400 and "signature" in answer.text


def test_data_signed_as_a_header_verifies_against_the_data_key(plain):
    node, server = plain
    seen = {}

    def echo(base, request):
        seen.update(request)
        return {"ok": "yes"}

    node.register_device("echo@1.0", {"look": echo})
    http = header_signed(BOB, {"action": b"add", "data": b"hello there"})
    answer = httpx.post(server.url + "/~echo@1.0/look", headers={**http, "extra": "unsigned"})
    assert answer.status_code == 200, answer.text
    assert seen["data"] == "hello there" and seen["action"] == "add" and "extra" not in seen
    # httpsig@1.0 carries `data` in the body, yet the message still verifies as bob's
    message = {k: v for k, v in seen.items() if k not in ("method", "path")}
    assert "data" not in httpsig.tabm_to_http({"data": b"hello there"})
    assert httpsig.verify(message) and httpsig.signers(message, covering=("data",)) == [BOB.address]
    assert httpsig.verify(httpsig.from_http(httpsig.to_http(message)))


def test_data_signed_as_a_header_and_changed_is_400(plain):
    _node, server = plain
    http = header_signed(BOB, {"action": b"add", "data": b"hello there"})
    answer = httpx.post(server.url + "/~meta@1.0/info", headers={**http, "data": "hello THERE"})
    assert answer.status_code == 400 and "signature" in answer.text
    # a signed header never stands for another key's value
    message = httpsig.from_http(header_signed(BOB, {"action": b"add", "data": b"x"}))
    assert httpsig.verify(message)
    assert not httpsig.verify({**message, "data": "y"})
    with_body = {**message, "body": "x"}  # `data` is a header again; `body` is not signed
    assert httpsig.verify(with_body) and "body" not in httpsig.committed_keys(with_body)


def test_operator_can_update_the_node_over_http_and_others_cannot(served):
    node, server = served
    refused = _signed_post(server.url, "/~meta@1.0/info", BOB, **{"new-key": "mallory"})
    assert refused.status_code in (400, 401)
    assert "new-key" not in node.config
    answer = _signed_post(server.url, "/~meta@1.0/info", ALICE, **{"new-key": "ok"})
    assert answer.status_code == 200, answer.text
    assert node.config["new-key"] == "ok"


# -- aolab.connect: the Node API over HTTP --------------------------------------------------

def test_connect_info_and_address(served):
    _node, server = served
    remote = aolab.connect(server.url, wallet=BOB)
    assert remote.info()["node-name"] == "alice-http"
    assert remote.address == ALICE.address
    assert remote.resolve("/~meta@1.0/info")["operator"] == ALICE.address


def test_connect_errors_raise_like_node_resolve(plain):
    _node, server = plain
    remote = aolab.connect(server.url)
    with pytest.raises(ResolutionError) as caught:
        remote.resolve("/~meta@1.0/info&n+integer=abc")
    assert caught.value.status == "error"


def _counter_process():
    return {"execution-device": "counter@1.0", "scheduler-device": "scheduler@1.0"}


def test_spawn_schedule_compute_over_http_match_in_process(served):
    node, server = served
    remote = aolab.connect(server.url, wallet=BOB)
    process = remote.spawn(_counter_process())
    pid = aolab.id(process, committers="all")
    assert node.read(pid)["type"] == "Process"
    messages = [httpsig.sign({"action": "add", "amount": n}, BOB) for n in (1, 2, 3)]
    assignments = [remote.schedule(process, m) for m in messages]
    assert [a["slot"] for a in assignments] == [1, 2, 3]
    assert all(httpsig.signers(a) == [ALICE.address] for a in assignments)
    state = remote.compute(process, 3)
    assert remote.slot(process) == 3
    local = aolab.Node(name="local-twin", network=aolab.Network())
    assert local.schedule(process, process)["slot"] == 0  # a spawn is slot 0
    twin = [local.schedule(process, m) for m in messages]
    assert [a["hash-chain"] for a in twin] == [a["hash-chain"] for a in assignments]
    assert state["count"] == local.compute(process, 3)["count"]
    assert remote.compute(process)["at-slot"] == 3


def test_compute_paths_hyperbeam_clients_use(served):
    _node, server = served
    remote = aolab.connect(server.url, wallet=BOB)
    process = remote.spawn(_counter_process())
    pid = aolab.id(process, committers="all")
    remote.schedule(process, {"action": "add", "amount": 5})
    by_int = httpx.get(f"{server.url}/{pid}/compute&slot+integer=1")
    by_query = httpx.get(f"{server.url}/{pid}/compute?slot=1")
    as_process = httpx.post(f"{server.url}/{pid}~process@1.0/compute&slot+integer=1")
    now = httpx.get(f"{server.url}/{pid}/now")
    slot = httpx.get(f"{server.url}/{pid}/slot/current")
    assert {r.status_code for r in (by_int, by_query, as_process, now, slot)} == {200}
    assert slot.text == "1"
    counts = {aolab.http_client.decode_response(r)["count"] for r in (by_int, by_query, as_process, now)}
    assert len(counts) == 1


# -- two aolab nodes over HTTP ------------------------------------------------------------

def test_bob_verifies_alices_result_fetching_inputs_over_http():
    alice = aolab.Node(name="alice-verify-http", operator_key=ALICE, network=aolab.Network())
    process = {"device": "process@1.0", "type": "Process", "execution-device": "counter@1.0",
               "scheduler-device": "scheduler@1.0"}
    alice.schedule(process, process)
    for n in (1, 2, 3):
        alice.schedule(process, httpsig.sign({"action": "add", "amount": n}, BOB))
    result = alice.compute(process, 3)
    assert httpsig.signers(result) == [ALICE.address]
    with alice.serve(port=0) as server:
        remote = aolab.connect(server.url)
        bob = aolab.Node(name="bob-verify-http", network=aolab.Network())
        bob.network.join(remote)          # HTTP: one transport beside the in-process one
        before = len(alice.trace.records)
        report = bob.verify(result, source=remote)
        assert report.ok, report
        fetched = [r for r in alice.trace.records[before:] if r["parent"] is None]
        reads = [r for r in fetched if r["key"].startswith("GET /~cache@1.0/read?target=")]
        assert len(reads) >= 4 and all(r["key"].startswith("GET /") for r in fetched)
        # bob computes alice's process himself: its assignments come over HTTP
        state = bob.compute(process, 3)
        assert state["count"] == result["count"]
        assert bob.store.read(f"~scheduler@1.0/{aolab.id(process, committers='all')}/assignments/3")
        # a result whose content was changed does not verify
        forged = {**result, "count": result["count"] + 1}
        assert not bob.verify(forged, source=remote).ok


def test_fetch_of_an_unknown_key_is_a_store_error(plain):
    _node, server = plain
    with pytest.raises(aolab.errors.StoreError):
        aolab.connect(server.url).fetch("A" * 43)


def test_results_json_of_an_ao_process_by_each_slot_form(served):
    node, server = served
    remote = aolab.connect(server.url, wallet=BOB)
    image = node.write({"body": aolab.data.wasm("counter-process")})
    process = remote.spawn({"execution-device": "stack@1.0", "image": image,
                            "device-stack": ["wasi@1.0", "json-iface@1.0", "wasm64@1.0"]})
    pid = aolab.id(process, committers="all")
    for _ in range(2):
        remote.schedule(process, {"action": "Ping"})
    expected = node.compute(node.read(pid), 2)["results"]
    for path in (f"/{pid}/compute&slot=2/results/json", f"/{pid}/compute&slot+integer=2/results/json",
                 f"/{pid}/compute/results/json?slot=2"):
        answer = httpx.get(server.url + path)  # httpsig@1.0: the JSON is the body
        assert answer.status_code == 200, (path, answer.text)
        assert answer.headers["content-type"] == "application/json"
        assert json.loads(answer.content)["Output"]["data"] == expected["data"] == "3"
    as_json = httpx.get(server.url + f"/{pid}/compute&slot=2/results/json",
                        headers={"accept": "application/json"})  # json@1.0: the whole message
    assert json.loads(as_json.json()["body"]) == json.loads(expected["json"]["body"])


def test_an_unreachable_peer_holds_nothing_for_its_network(plain):
    node, server = plain
    stored = node.write({"kept": "here"})
    gone = aolab.Node(name="gone").serve(port=0)
    gone_url = gone.url
    gone.stop()
    down = aolab.connect(gone_url)
    with pytest.raises(aolab.errors.StoreError, match="could not be asked"):
        down.fetch(stored)
    with pytest.raises(aolab.http_client.TransportError):
        down.info()
    network, up = aolab.Network(), aolab.connect(server.url)  # a network holds nodes weakly
    down.name = "0-down"  # asked first
    network.join(down)
    network.join(up)
    assert network.nodes()[0] is down
    assert network.fetch(stored)["kept"] == "here"


class _Recorded:
    """A transport that records what is written on it (for OneWriteTransport)."""

    def __init__(self):
        self.writes, self.closed = [], False

    def write(self, data):
        self.writes.append(bytes(data))

    def is_closing(self):
        return self.closed

    def close(self):
        self.closed = True

    def get_write_buffer_size(self):
        return 0

    def get_extra_info(self, name, default=None):
        return ("127.0.0.1", 1) if name == "peername" else default


def test_an_answers_head_and_body_leave_in_one_write():
    import asyncio
    from aolab.http_server import JOINED_WRITE_BYTES, OneWriteTransport

    async def scenario():
        real = _Recorded()
        joined = OneWriteTransport(real, asyncio.get_running_loop())
        joined.write(b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\n")
        joined.write(b"body")
        assert real.writes == [] and joined.get_write_buffer_size() == 42
        await asyncio.sleep(0)  # the end of the loop's turn
        assert real.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nbody"]
        joined.write(b"head")
        joined.write(b"x" * JOINED_WRITE_BYTES)  # large: what waits goes first, then it
        assert real.writes[1:] == [b"head", b"x" * JOINED_WRITE_BYTES]
        joined.write(b"last")
        joined.close()  # a close sends what waits first
        assert real.writes[-1] == b"last" and real.closed
        assert joined.get_extra_info("peername") == ("127.0.0.1", 1)

    asyncio.run(scenario())


def test_answers_on_a_kept_alive_raw_connection_arrive_whole(plain):
    """Through the joined writes, each answer on a kept-alive connection arrives
    whole and alone (its head, then its body, nothing of another answer)."""
    import socket
    _node, server = plain
    with socket.create_connection((server.host, server.port)) as sock:
        for _ in range(2):
            sock.sendall(b"GET /~meta@1.0/info/node-name HTTP/1.1\r\nhost: x\r\n\r\n")
            data = b""
            while not data.endswith(b"plain-http"):
                chunk = sock.recv(65536)
                assert chunk, data
                data += chunk
            assert data.startswith(b"HTTP/1.1 200 OK\r\n") and data.count(b"HTTP/1.1") == 1



@pytest.mark.parametrize("http", ["httptools", "h11"])
def test_both_http_parsers_answer_on_one_connection(http):
    from aolab.http_server import one_write_protocol
    assert one_write_protocol(http).__name__.startswith("OneWrite")
    node = aolab.Node(name=f"parser-{http}")
    with node.serve(port=0, http=http) as server, aolab.http_client.http_client(server.url) as c:
        answers = [c.get("/~meta@1.0/info/node-name") for _ in range(3)]
        assert [(a.status_code, a.text) for a in answers] == [(200, f"parser-{http}")] * 3
    with pytest.raises(ValueError, match="h11"):
        one_write_protocol("h2")

def test_the_node_thread_hands_back_results_errors_and_expiry():
    import asyncio
    import threading
    from aolab.http_server import NodeThread

    worker = NodeThread()
    try:
        job = worker.submit(lambda a, b: a + b, 2, 3)
        assert job.wait(5) and job.result() == 5
        job = worker.submit({}.__getitem__, "missing")
        assert job.wait(5)
        with pytest.raises(KeyError):
            job.result()
        release, ended = threading.Event(), threading.Event()
        slow = worker.submit(lambda: (release.wait(5), ended.set()))
        after = worker.submit(lambda: "after")
        assert not slow.wait(0.05)  # still running: the caller stops waiting

        async def on_the_loop():
            future = slow.ended_on(asyncio.get_running_loop())
            release.set()
            await asyncio.wait_for(future, 5)  # settled from the node's thread

        asyncio.run(on_the_loop())
        assert after.wait(5) and after.result() == "after" and ended.is_set()  # in order
        assert slow.ended_on(None) is None  # ended: nothing to wait for
    finally:
        worker.shutdown()
