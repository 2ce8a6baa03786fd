"""15 · A node over HTTP."""

CELLS = [
    ("md", """# 15 · A node over HTTP

**What you'll do:** serve an aolab node over HTTP as HyperBEAM does, call it with a plain HTTP
client (httpx), with a signed request, and with aolab's own client; then draw what those
requests caused in the node's trace, and stop the server.
**What you'll learn:** HyperBEAM's whole interface is one route: the request *is* a message
(header fields + body, httpsig@1.0), its path is the singleton syntax of notebook 03, and the
answer is a message too, with its status code.
**What you need:** notebooks 03 (paths), 06 (processes) and 09 (signatures). The server listens
on 127.0.0.1 only, on a free port."""),
    ("code", """import aolab, httpx
from aolab import wallet
from aolab.codecs import httpsig
alice_key = wallet.load(wallet.test_wallet_path("alice"))
bob_key = wallet.load(wallet.test_wallet_path("bob"))
alice = aolab.Node(name="alice-http", operator_key=alice_key, network=aolab.Network())
server = alice.serve(port=0)          # a background thread; `aolab serve` / `make serve` in a shell
server.running, server.host"""),
    ("md", """## A plain HTTP client
`GET /~meta@1.0/info/address` is `/~meta@1.0/info` then the key `address`: a plain value comes
back as the body. The whole node message comes back as header fields (small values) and a
multipart body (nested ones), signed by the node: `force-signed` is on because it has a wallet."""),
    ("code", """answer = httpx.get(server.url + "/~meta@1.0/info/address")
answer.status_code, answer.text == alice_key.address"""),
    ("code", """answer = httpx.get(server.url + "/~meta@1.0/info")
info = aolab.http_client.decode_response(answer)
answer.status_code, info["node-name"], httpsig.signers(info) == [alice_key.address]"""),
    ("md", """The codec of the answer follows the request's `accept` header (or its `accept-codec` key):
`application/json` gives json@1.0."""),
    ("code", """httpx.get(server.url + "/~meta@1.0/info", headers={"accept": "application/json"}).json()["operator"] \\
    == alice_key.address"""),
    ("md", """Errors are answers too, with the status code the result names (`error` 400, `not_found` 404,
`failure` 500) and a body that says what was wrong:"""),
    ("code", """bad = httpx.get(server.url + "/~meta@1.0/info&count+integer=ten")
bad.status_code, aolab.http_client.decode_response(bad)["body"]"""),
    ("md", """## A signed request
Bob signs a request that tries to change Alice's node message. The signature covers `path`
(listed as `"@path"`, written `"path": ...` in the signature base, as HyperBEAM and hbsig do).
The node checks it, keeps only the keys it covers, and meta@1.0 refuses: Bob is not the operator."""),
    ("code", """request = httpsig.sign({"path": "/~meta@1.0/info", "method": "POST", "motd": "hello"}, bob_key)
fields = httpsig.to_http(request)
refused = httpx.post(server.url + "/~meta@1.0/info", headers=fields, content=fields.pop("body", b""))
refused.status_code, "motd" in alice.config"""),
    ("md", """## aolab's own client: the Node API over HTTP
`aolab.connect(url, wallet=...)` signs every request with the wallet and has the methods of
`aolab.Node`: spawn (`POST /~process@1.0/schedule`, `type: Process`), schedule
(`POST /<pid>/schedule`), compute (`GET /<pid>/compute&slot+integer=N`)."""),
    ("code", """alice.trace.clear()
remote = aolab.connect(server.url, wallet=bob_key)
process = remote.spawn({"execution-device": "counter@1.0", "scheduler-device": "scheduler@1.0"})
pid = aolab.id(process, committers="all")
slots = [remote.schedule(process, {"action": "add", "amount": n})["slot"] for n in (1, 2, 3)]
slots, remote.compute(process, 3)["count"], remote.slot(process)"""),
    ("md", """## What the requests caused
Every HTTP request is one step of the node's trace (device meta@1.0, key `METHOD path`); the
resolution steps it caused are its children."""),
    ("code", """import pandas as pd
rows = [(r["step"], r["key"].replace(pid, "<pid>"), r["status"],
         sum(1 for c in alice.trace.records if c["parent"] == r["step"]))
        for r in alice.trace.records if r["parent"] is None]
pd.DataFrame(rows, columns=["step", "HTTP request", "status", "child steps"])"""),
    ("code", """alice.trace.show()"""),
    ("md", """## On your own
Through `remote` (Bob's client), schedule one more `add` of `amount` 10 on the process, then
compute the slot you got, over HTTP. Store the computed state in `mine`: its `count` should be
10 more than slot 3's."""),
    ("exercise", """# your answer here
mine = None"""),
    ("solution", """slot = remote.schedule(process, {"action": "add", "amount": 10})["slot"]
mine = remote.compute(process, slot)
mine["count"]"""),
    ("check", """from exercises import check_15
check_15(mine, alice, process)"""),
    ("md", """## Stop the server
The node itself lives on (its store, trace and processes); only the HTTP server stops."""),
    ("code", """server.stop()
server.running, alice.compute(process, 3)["count"]"""),
    ("md", """**Try it:** start the server again on another free port, and from a terminal call it with
`curl -i http://127.0.0.1:<port>/~meta@1.0/info/node-name`. The real AO clients (`hbsig`,
`@permaweb/aoconnect`) drive it in `tests/test_http_clients.py`."""),
]
