"""12 · Results on Arweave: data items, a gateway, a fresh node."""

REQUIRES = ["arlocal"]   # node and the npm packages, installed by `make setup`

CELLS = [
    ("md", """# 12 · Results on Arweave

**What you'll do:** turn messages into signed ANS-104 data items, publish a process's results
to a local Arweave gateway, start a fresh node with an empty store, fetch the results back by
ID, check them by recomputing, and draw what the fresh node did.
**What you'll learn:** what a data item holds (tags, data, owner, signature), why its ID is
the hash of its signature, how a node's store reads through to a gateway, and why a result
fetched from a permanent store can be trusted without trusting the store.
**What you need:** notebooks 01 (IDs), 06 (processes) and 09 (verification); node and the npm
packages (`make setup` installs them). This notebook starts **arlocal**, a local Arweave gateway, on 127.0.0.1
and stops it at the end."""),
    ("code", """import hashlib
import pandas as pd
import aolab
from aolab import arlocal, wallet
from aolab.codecs import ans104, dataitem
from aolab.gateway import GatewayStore
from aolab.verify import content_id
alice = wallet.load(wallet.test_wallet_path("alice"))
mallory = wallet.load(wallet.test_wallet_path("mallory"))
local = arlocal.ArLocal().start()   # a free port on 127.0.0.1; stopped by its process ID below
local.url.startswith("http://127.0.0.1:")"""),
    ("md", """## A message as a data item
ans104@1.0 writes a message as HyperBEAM does: typed values go through structured@1.0
(`count` becomes the text `3`, its type goes into `ao-types`), small text values become
**tags**, `data` becomes the item's data. Nested messages and large values would become child
items in a bundle."""),
    ("code", """message = {"action": "Eval", "count": 3, "data": "1 + 1"}
item = ans104.to_item(message)
[(name.decode(), value.decode()) for name, value in item.tags], item.data"""),
    ("md", """Signing sets the **owner** (Alice's 512-byte RSA modulus) and the **signature**
(RSA-PSS over a deep hash of every field). The item's ID is the SHA-256 of its signature, and
the signed message's ID is that same ID: the commitment names it."""),
    ("code", """signed = ans104.sign(message, alice)
item = ans104.to_item(signed)
raw = dataitem.serialize(item)
(len(raw), item.owner_address == alice.address,
 aolab.id(signed) == dataitem.b64url(hashlib.sha256(item.signature).digest()))"""),
    ("code", """pd.DataFrame([("signature type", 2), ("signature", 512), ("owner", 512),
              ("target (absent)", 1), ("anchor (absent)", 1), ("tag count, tag bytes", 16),
              ("tags (Avro)", len(dataitem.encode_tags(item.tags))), ("data", len(item.data))],
             columns=["field", "bytes"]).set_index("field").T"""),
    ("md", """Change one byte of the data and the signature no longer matches what the owner signed."""),
    ("code", """tampered = dataitem.deserialize(raw[:-1] + b"2")
dataitem.verify(item), dataitem.verify(tampered)"""),
    ("md", """## Compute a process, publish its results
Alice's node runs a counter process for three slots. She publishes the process message, its
schedule (the assignments, under the scheduler's store keys) and the state after slot 2, each
as a data item she signs, with **link** items that name them by their unsigned ID or hashpath.
arlocal takes them in one bundle inside a layer-1 transaction and mines a block."""),
    ("code", """lab = aolab.Node(name="alice", network=aolab.Network())
proc = lab.spawn({"execution-device": "counter@1.0"})
pid = aolab.id(proc)
for amount in (5, 7, 11):
    lab.schedule(proc, {"action": "add", "amount": amount})
state = lab.compute(proc, slot=2)
state["count"]"""),
    ("code", """store = GatewayStore(local.gateway(alice), alice)
schedule_keys = [f"~scheduler@1.0/{pid}/assignments/{slot}" for slot in range(3)]
schedule_keys.append(f"~scheduler@1.0/{pid}/latest")
store.publish(proc)
store.publish_keys(schedule_keys, lab.fetch)
state_id = store.publish_result(aolab.hashpath(state), state)
aolab.is_id(state_id)"""),
    ("md", """The gateway rebuilds an item from its GraphQL answer (tags, owner, signature) and its
data; aolab checks the signature and that the ID is the hash of that signature before
believing anything."""),
    ("code", """fetched_item = store.gateway.item(state_id)
dataitem.verify(fetched_item), [name.decode() for name, _ in fetched_item.tags][:6]"""),
    ("md", """## A fresh node
Bob's node starts with an empty memory store in front of the gateway: `store=[memory,
gateway]`. A read that misses memory goes to the gateway (following links only when Alice
signed them), and what it finds is kept in memory, as HyperBEAM's store chain does."""),
    ("code", """reader = GatewayStore(local.gateway(), trusted=[alice.address])
fresh = aolab.Node(name="fresh", store=[aolab.MemoryStore(), reader], network=aolab.Network())
published = fresh.fetch(state_id)
published["count"], ans104.verify(published), aolab.id(published) == state_id"""),
    ("md", """Bob does not take Alice's word for the state: he fetches the process by its ID,
recomputes slot 2 from the schedule he reads through the gateway, and compares."""),
    ("code", """process = fresh.fetch(pid)
mine = fresh.compute(process, slot=2)
(mine["count"], content_id(mine) == content_id(published),
 aolab.hashpath(mine) == aolab.hashpath(state))"""),
    ("code", """fresh.trace.steps()[["step", "parent", "device", "key", "status"]]"""),
    ("code", """fresh.trace.show()"""),
    ("md", """## A forged result
Mallory publishes another state under the same hashpath, signed with his own (valid) key.
Bob's reader follows only Alice's links, so he never sees it; a reader that trusts Mallory
does, and recomputation tells Bob it is wrong."""),
    ("code", """forged_state = {**state, "count": 99}
GatewayStore(local.gateway(mallory), mallory).publish_result(aolab.hashpath(state), forged_state)
from_alice = reader.read(aolab.hashpath(state))
from_mallory = GatewayStore(local.gateway(), trusted=[mallory.address]).read(aolab.hashpath(state))
from_alice["count"], from_mallory["count"], content_id(from_mallory) == content_id(mine)"""),
    ("md", """## On your own
Alice computes slot 1 too. Publish that state under its hashpath, then make a new node with an
empty store in front of the gateway, fetch the state **by its hashpath**, and store what you
fetched in `mine_slot1`. (Hint: `store.publish_result`, `aolab.Node(store=[...])`, `fetch`.)"""),
    ("code", """slot1 = lab.compute(proc, slot=1)
# your answer here
mine_slot1 = None"""),
    ("code", """def check(answer):
    if not isinstance(answer, dict):
        return "Not yet: mine_slot1 should be the message you fetched (a dict)."
    if answer.get("count") != slot1["count"]:
        return f"Not quite: its count is {answer.get('count')!r}, slot 1's is {slot1['count']}."
    if aolab.hashpath(answer) != aolab.hashpath(slot1):
        return "Close: fetch it by its hashpath (aolab.hashpath(slot1)), not by its ID."
    return "Correct: the state came back from Arweave with its hashpath."
check(mine_slot1)"""),
    ("md", """## Stop the gateway
arlocal runs until it is stopped by its process ID; its database was a temporary file."""),
    ("code", """local.stop()
local.process is None"""),
]
