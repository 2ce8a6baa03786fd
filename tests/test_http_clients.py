"""The AO ecosystem's own clients against an aolab node over HTTP.

npm ``hbsig@0.1.5`` and ``@permaweb/aoconnect@0.0.77`` (pinned in npm/package.json) run as
Node scripts (tests/clients/*.cjs) against a node that pytest starts on 127.0.0.1 at a free
port -- the ``aolab serve`` command in its own process (on a disk store when the node's side
is read afterwards) -- and stops by PID. Each script prints one JSON line of what the client
saw; the node's side is checked here.
"""
from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import httpx
import pytest

import aolab
import aolab.data
from aolab import tools
from aolab.codecs import httpsig
from devices.scheduler import read_assignment
from tests.needs import require
from aolab import wallet as wallets

HERE = pathlib.Path(__file__).parent
CLIENTS = HERE / "clients"
ALICE_FILE = wallets.test_wallet_path("alice")
BOB_FILE = wallets.test_wallet_path("bob")
ALICE = wallets.load(ALICE_FILE)
SCRIPT_SECONDS = 120


def _run_client(script: str, url: str, *args: str) -> dict:
    env = {**os.environ, "AOLAB_NODE_MODULES": str(tools.node_modules())}
    proc = subprocess.Popen(["node", str(CLIENTS / script), url, str(BOB_FILE), *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=SCRIPT_SECONDS)
    except subprocess.TimeoutExpired:
        proc.kill()  # by its PID: this Popen's process only
        proc.communicate()
        raise AssertionError(f"{script} took longer than {SCRIPT_SECONDS} s") from None
    assert proc.returncode == 0, f"{script} failed:\n{err[-2000:]}"
    return json.loads(out.strip().splitlines()[-1])


def _serve_cli(*args: str):
    """``aolab serve`` in its own process on a free port: ``(process, url)``."""
    proc = subprocess.Popen([sys.executable, "-m", "aolab.cli", "serve", "--port", "0",
                             "--wallet", str(ALICE_FILE), *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONHASHSEED": "0"})
    line = proc.stdout.readline()
    if "serving on http://127.0.0.1:" not in line:
        _stop(proc)
        raise AssertionError(proc.stderr.read()[-2000:])
    return proc, line.rsplit(" ", 1)[-1].strip()


def _stop(proc) -> None:
    """Stop a server process by its PID (this Popen's process only)."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def cli_server():
    """``aolab serve`` in its own process, on a free port; stopped by its PID."""
    proc, url = _serve_cli("--name", "alice-cli")
    try:
        yield url
    finally:
        _stop(proc)


def test_aolab_serve_command_answers_info(cli_server):
    answer = httpx.get(cli_server + "/~meta@1.0/info/address")
    assert answer.status_code == 200 and answer.text == ALICE.address
    remote = aolab.connect(cli_server)
    assert remote.info()["node-name"] == "alice-cli"


@pytest.mark.requires_tool("node", "hbsig")
def test_hbsig_signs_spawns_schedules_and_computes(cli_server):
    seen = _run_client("hbsig_peer.cjs", cli_server)
    assert seen["info"] == {"status": 200, "name": "alice-cli", "address": ALICE.address}
    assert seen["spawn"]["status"] == 200 and seen["spawn"]["slot"] == "0"
    assert aolab.is_id(seen["spawn"]["process"])
    assert seen["slots"] == [1, 2, 3]
    assert seen["nowSlot"] == 3
    assert seen["tampered"] == "400"
    # the node's own account of the same process, fetched by aolab's client
    remote = aolab.connect(cli_server)
    assert remote.slot(seen["spawn"]["process"]) == 3
    assert remote.compute(seen["spawn"]["process"], 3)["count"] == seen["count"]


@pytest.fixture(scope="module")
def aoconnect_seen(tmp_path_factory):
    """What aoconnect saw of ``aolab serve`` (its own process, a disk store, stopped by its
    PID before the checks), and the node over that store: request()-level calls on a
    counter@1.0 process, then spawn() -> message() -> result() on an AO JSON process over
    the counter-process image the store holds."""
    require("node")
    require("aoconnect")
    store = str(tmp_path_factory.mktemp("aoconnect") / "store")
    image = aolab.Node(store=store).write({"body": aolab.data.wasm("counter-process")})
    proc, url = _serve_cli("--name", "alice-aoconnect", "--store", store)
    try:
        seen = _run_client("aoconnect_peer.cjs", url, image)
    finally:
        _stop(proc)
    return aolab.Node(name="alice-aoconnect", operator_key=ALICE, store=store), seen


@pytest.mark.requires_tool("node", "aoconnect")
def test_aoconnect_mainnet_process_device(aoconnect_seen):
    node, seen = aoconnect_seen
    assert seen["operator"] == ALICE.address
    assert seen["nodeName"] == "alice-aoconnect"
    pid = seen["process"]
    assert node.read(pid)["type"] == "Process"
    assert seen["slots"] == [1, 2] and seen["slot"] == "2" and seen["pushStatus"] == 200
    assert seen["computeStatus"] == "200"
    assert int(seen["count"]) == node.compute(node.read(pid), 2)["count"]
    # aoconnect signs the messages it schedules: the node kept only the signed keys
    assignment = read_assignment(node.store, pid, 1)
    assert assignment["body"]["action"] == "add" and assignment["body"]["amount"] == "2"
    assert httpsig.committers(assignment["body"]) != []


@pytest.mark.requires_tool("node", "aoconnect")
def test_aoconnect_spawn_message_result(aoconnect_seen):
    node, seen = aoconnect_seen
    bob = wallets.load(BOB_FILE)
    # spawn(): a Process signed by bob, `data` signed as a header and checked against the key
    process = node.read(seen["spawned"])
    assert process["type"] == "Process" and process["data"] == "counter"
    assert process["device-stack"] == ["wasi@1.0", "json-iface@1.0", "wasm64@1.0"]
    assert httpsig.verify(process) and httpsig.signers(process) == [bob.address]
    assert "data" in httpsig.committed_keys(process)
    # message(): two slots, each message signed by bob (its data too), then pushed
    assert seen["messaged"] == ["1", "2"]
    for slot, amount in ((1, "4"), (2, "5")):
        body = read_assignment(node.store, seen["spawned"], slot)["body"]
        assert body["data"] == f"adding {amount}" and body["amount"] == amount
        assert httpsig.signers(body, covering=("data", "action", "amount")) == [bob.address]
    # result(): /<pid>/compute&slot+integer=2/results/json, the answer as json@1.0
    result = seen["result"]
    assert result["content-type"] == "application/json" and int(result["status"]) == 200
    expected = node.compute(process, 2)["results"]
    assert json.loads(result["body"])["Output"]["data"] == expected["data"] == "3"
    assert json.loads(result["body"])["Messages"][0]["Tags"][1] == {"name": "Count", "value": "3"}
