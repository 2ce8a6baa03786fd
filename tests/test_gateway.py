"""Gateway store: messages published as ANS-104 items, fetched back by ID and verified.

The round trips run against npm arlocal (started here on 127.0.0.1, stopped by
PID); they skip with the reason where node or the npm packages are missing.  Bad
gateways (down, answering garbage, lying) are small local HTTP servers.
"""
from __future__ import annotations

import contextlib
import http.server
import json
import threading

import pytest

import aolab
from aolab import arlocal
from aolab.codecs import ans104, dataitem
from aolab.errors import StoreError
from aolab.gateway import Gateway, GatewayStore
from aolab.store import MemoryStore, StoreChain
from tests.needs import require

ALICE = aolab.wallet.load(aolab.wallet.test_wallet_path("alice"))
BOB = aolab.wallet.load(aolab.wallet.test_wallet_path("bob"))


@pytest.fixture(scope="module")
def local():
    require("arlocal")
    server = arlocal.ArLocal().start()
    yield server
    server.stop()


@pytest.fixture
def store(local):
    return GatewayStore(local.gateway(ALICE), ALICE)


# -- round trips on arlocal --------------------------------------------------------

def test_published_message_is_read_back_by_item_id_and_verifies(store):
    message = {"action": "Eval", "count": 3, "nested": {"a": [1, 2]}, "data": "x" * 400}
    item_id = store.publish(message)
    back = store.read(item_id)
    assert aolab.id(back) == item_id and ans104.verify(back)
    assert ans104.unsigned(back) == message


def test_published_message_is_read_back_by_its_unsigned_id(store):
    message = {"hello": "arweave", "n": 1}
    store.publish(message)
    assert store.read(aolab.id(message)) == message


def test_message_signed_elsewhere_keeps_its_signature_and_id(store):
    signed = ans104.sign({"by": "bob"}, BOB)
    assert store.publish(signed) == aolab.id(signed)
    back = store.read(aolab.id(signed))
    assert back["commitments"] == signed["commitments"]


def test_result_is_read_back_by_hashpath_through_a_link(store):
    store.publish_result("some-base/some-request", {"result": 42})
    assert store.read("some-base/some-request") == {"result": 42}
    store.publish_result("other-key", {"result": 43, "priv": {"hashpath": "base/request"}})
    assert store.read("other-key") == {"result": 43, "priv": {"hashpath": "base/request"}}


def test_newest_link_wins(store):
    store.publish_result("counter/latest", {"slot": 1})
    store.publish_result("counter/latest", {"slot": 2})
    assert store.read("counter/latest")["slot"] == 2


def test_links_from_untrusted_publishers_are_ignored(local):
    mallory = aolab.wallet.load(aolab.wallet.test_wallet_path("mallory"))
    GatewayStore(local.gateway(mallory), mallory).publish_result("trusted/key", {"forged": "yes"})
    alices = GatewayStore(local.gateway(ALICE), ALICE)
    with pytest.raises(StoreError, match="no message published"):
        alices.read("trusted/key")


def test_unknown_id_is_a_clear_error(store):
    with pytest.raises(StoreError, match="no message published"):
        store.read(aolab.id({"never": "published"}))
    assert aolab.id({"never": "published"}) not in store


def test_a_node_reads_through_to_the_gateway_and_keeps_a_copy(local, store):
    message = {"device": "counter@1.0", "count": 5}
    store.publish(message)
    reader = GatewayStore(local.gateway(BOB), trusted=[ALICE.address])
    node = aolab.Node(name="gateway-reader", store=[MemoryStore(), reader], network=aolab.Network())
    assert isinstance(node.store, StoreChain)
    assert node.resolve(f"/{aolab.id(message)}/count") == 5
    assert aolab.id(message) in node.store.stores[0]


def test_a_fresh_node_verifies_a_published_result_from_the_gateway_alone(local, store):
    alice = aolab.Node(name="gw-alice", network=aolab.Network())
    result = alice.resolve({"device": "counter@1.0", "count": 1}, {"path": "add", "amount": 2})
    store.publish_lineage(result, alice.fetch)
    reader = GatewayStore(local.gateway(BOB), trusted=[ALICE.address])
    bob = aolab.Node(name="gw-bob", store=[MemoryStore(), reader], network=aolab.Network())
    fetched = bob.fetch(aolab.hashpath(result))
    assert fetched["count"] == 3 and aolab.hashpath(fetched) == aolab.hashpath(result)
    report = bob.verify(fetched, source=bob)
    assert report.ok, report


def test_a_tampered_published_result_does_not_verify(local, store):
    alice = aolab.Node(name="gw-alice2", network=aolab.Network())
    result = alice.resolve({"device": "counter@1.0", "count": 10}, {"path": "add", "amount": 1})
    store.publish_lineage(result, alice.fetch)
    bob = aolab.Node(name="gw-bob2", store=[MemoryStore(), GatewayStore(local.gateway(BOB),
                                                                         trusted=[ALICE.address])],
                     network=aolab.Network())
    forged = {**bob.fetch(aolab.hashpath(result)), "count": 99}
    assert not bob.verify(forged, source=bob).ok


def test_item_with_an_anchor_is_refused_after_the_round_trip(local, store):
    """arlocal keeps no anchor for bundled items: the rebuilt item cannot verify."""
    signed = ans104.sign({"last_tx": aolab.id({"anchor": "1"}), "k": "v"}, ALICE)
    item_id = store.publish(signed)
    with pytest.raises(StoreError, match="does not verify"):
        store.read(item_id)


def test_arlocal_listens_on_loopback_only(local):
    import socket
    with open("/proc/net/tcp") as handle, open("/proc/net/tcp6") as handle6:
        table = handle.read() + handle6.read()
    port = f":{local.port:04X} "
    listening = [line.split()[1] for line in table.splitlines() if port in line and line.split()[3] == "0A"]
    assert listening and all(addr.startswith(("0100007F", "0000000000000000FFFF00000100007F"))
                             for addr in listening), listening
    assert socket.gethostbyname("127.0.0.1")


# -- bad gateways (no node needed) ---------------------------------------------------------

@contextlib.contextmanager
def fake_gateway(answer):
    """A local HTTP server answering every request with ``answer(path, body) -> bytes``."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def _reply(self, body=b""):
            payload = answer(self.path, body)
            self.send_response(200)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self):  # noqa: N802 - http.server's name
            self._reply()

        def do_POST(self):  # noqa: N802
            self._reply(self.rfile.read(int(self.headers.get("Content-Length", 0))))

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_gateway_down_is_a_clear_error_and_nothing_is_cached():
    url = f"http://127.0.0.1:{arlocal.free_port()}"
    first = MemoryStore()
    chain = StoreChain([first, GatewayStore(Gateway(url, timeout=2), trusted=[ALICE.address])])
    with pytest.raises(StoreError, match="cannot be reached"):
        chain.read(aolab.id({"a": "1"}))
    assert len(first) == 0
    with pytest.raises(StoreError, match="cannot be reached"):
        GatewayStore(Gateway(url, timeout=2), ALICE).publish({"a": "1"})


def test_gateway_answering_garbage_is_a_clear_error():
    with fake_gateway(lambda path, body: b"<html>garbage</html>") as url:
        store = GatewayStore(Gateway(url), trusted=[ALICE.address])
        with pytest.raises(StoreError, match="garbage"):
            store.read(aolab.id({"a": "1"}))
    with fake_gateway(lambda path, body: b'{"data": {"transactions": 7}}') as url:
        with pytest.raises(StoreError, match="garbage"):
            GatewayStore(Gateway(url)).read(aolab.id({"a": "1"}))


def _lying_gateway(item, data: bytes):
    node = {"id": item.id, "signature": dataitem.b64url(item.signature), "anchor": "", "recipient": "",
            "owner": {"key": dataitem.b64url(item.owner), "address": item.owner_address},
            "tags": [{"name": n.decode(), "value": v.decode()} for n, v in item.tags]}

    def answer(path, body):
        if path == "/graphql":
            return json.dumps({"data": {"transactions": {"edges": [{"node": node}]}}}).encode()
        return data
    return answer


def test_gateway_serving_tampered_data_is_refused_and_nothing_is_cached():
    signed = ans104.sign({"a": "1", "data": "the real data"}, ALICE)
    item = ans104.to_item(signed)
    with fake_gateway(_lying_gateway(item, b"forged data")) as url:
        first = MemoryStore()
        chain = StoreChain([first, GatewayStore(Gateway(url))])
        with pytest.raises(StoreError, match="does not verify"):
            chain.read(item.id)
        assert len(first) == 0
    with fake_gateway(_lying_gateway(item, b"the real data")) as url:
        assert StoreChain([MemoryStore(), GatewayStore(Gateway(url))]).read(item.id) == signed


def test_gateway_answering_for_another_id_is_refused():
    item = ans104.to_item(ans104.sign({"a": "1"}, ALICE))
    wrong = aolab.id({"other": "1"})
    with fake_gateway(_lying_gateway(item, b"")) as url:
        with pytest.raises(StoreError, match="hashes to"):
            Gateway(url).item(wrong)


def test_store_without_wallet_cannot_publish():
    for message in ({"a": "1"}, ans104.sign({"a": "1"}, ALICE)):
        with pytest.raises(StoreError, match="no wallet"):
            GatewayStore(Gateway("http://127.0.0.1:9")).publish(message)


def test_large_message_goes_through_a_multi_chunk_layer1_transaction(store):
    """Over 256 KiB the layer-1 data is several Merkle chunks; arlocal checks the data_root."""
    message = {"blob": bytes(range(256)) * 2400, "note": "600 kB"}
    assert len(arlocal.dataitem.bundle([ans104.to_item(ans104.sign(message, ALICE))])) > 2 * 256 * 1024
    item_id = store.publish(message)
    assert ans104.unsigned(store.read(item_id)) == message


def test_a_fresh_node_recomputes_a_published_process_and_gets_the_published_state(local, store):
    """Publish a process, its schedule and a computed state; a node with an empty store
    fetches the process by ID, recomputes from the schedule it reads through, and
    arrives at the published state (same content, same hashpath)."""
    from aolab.verify import content_id

    alice = aolab.Node(name="gw-process-alice", network=aolab.Network())
    process = alice.spawn({"execution-device": "counter@1.0"})
    pid = aolab.id(process)
    for amount in (5, 7, 11):
        alice.schedule(process, {"action": "add", "amount": amount})
    state = alice.compute(process, slot=2)
    store.publish(process)
    store.publish_keys([f"~scheduler@1.0/{pid}/assignments/{n}" for n in range(3)]
                       + [f"~scheduler@1.0/{pid}/latest"], alice.fetch)
    state_id = store.publish_result(aolab.hashpath(state), state)

    carol = aolab.Node(name="gw-process-carol", network=aolab.Network(),
                       store=[MemoryStore(), GatewayStore(local.gateway(BOB), trusted=[ALICE.address])])
    mine = carol.compute(carol.fetch(pid), slot=2)
    published = carol.fetch(state_id)
    assert mine["count"] == 23 and ans104.verify(published)
    assert content_id(mine) == content_id(published)
    assert aolab.hashpath(mine) == aolab.hashpath(state)


def test_notebook_12_solution_passes_its_check():
    """The solution (notebooks/solutions/nb12_arweave.py) run after the notebook's cells."""
    import importlib.util
    import pathlib

    require("arlocal")
    root = pathlib.Path(__file__).resolve().parent.parent
    spec = importlib.util.spec_from_file_location("nb12", root / "notebooks" / "sources" / "nb12_arweave.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    code = [src for kind, src in module.CELLS if kind == "code"]
    namespace: dict = {}
    try:
        for src in code[:-1]:
            exec(compile(src, "nb12", "exec"), namespace)
        assert namespace["check"](namespace["mine_slot1"]).startswith("Not yet")
        exec(compile((root / "notebooks" / "solutions" / "nb12_arweave.py").read_text(), "solution", "exec"),
             namespace)
        assert namespace["check"](namespace["mine_slot1"]).startswith("Correct")
    finally:
        if "local" in namespace:
            namespace["local"].stop()


def test_plain_gateway_uploads_each_item_as_its_bytes():
    """A production gateway (a bundler) takes one data item per ``POST /tx``."""
    received = []

    def answer(path, body):
        if body:
            received.append((path, body))
        return b"OK"
    signed = ans104.sign({"a": "1"}, ALICE)
    with fake_gateway(answer) as url:
        item_id = GatewayStore(Gateway(url), ALICE).publish(signed)
    paths = {path for path, _ in received}
    items = [dataitem.deserialize(body) for _, body in received]
    assert paths == {"/tx"} and items[0].id == item_id == aolab.id(signed)
    assert all(dataitem.verify(item) for item in items)
    assert dict(items[1].tags)[b"link-key"] == aolab.id({"a": "1"}).encode()


def test_a_store_that_trusts_nobody_follows_only_checkable_id_links(local, store):
    message = {"checkable": "yes"}
    store.publish_result("unchecked/key", message)
    nobody = GatewayStore(local.gateway())
    assert nobody.read(aolab.id(message)) == message
    with pytest.raises(StoreError, match="trusts no publisher"):
        nobody.read("unchecked/key")


def test_a_link_naming_another_message_under_an_id_is_refused(local):
    """Mallory links Alice's unsigned ID to his own message: the ID check refuses it."""
    mallory = aolab.wallet.load(aolab.wallet.test_wallet_path("mallory"))
    mallorys = GatewayStore(local.gateway(mallory), mallory)
    victim_id = aolab.id({"owner": "alice's message"})
    forged_item = mallorys.publish({"owner": "mallory's message"})
    mallorys.gateway.upload([mallorys._link(victim_id, forged_item)])
    with pytest.raises(StoreError, match="another ID"):
        GatewayStore(local.gateway(), trusted=[mallory.address]).read(victim_id)
