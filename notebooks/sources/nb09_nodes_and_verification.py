"""09 · Nodes, signatures, payments and verification."""

CELLS = [
    ("md", """# 09 · Nodes, signatures, payments and verification

**What you'll do:** run three nodes in one notebook, sign results, charge for requests, verify a
result on another node, catch a forged one, and check one output from its branch alone.
**What you'll learn:** what makes an AO-Core result trustworthy without trusting the node that
computed it.
**What you need:** notebooks 02 and 06. The wallets are demo wallets from `data/wallets/`
(their private keys are public)."""),
    ("code", """import aolab
from aolab import wallet
from aolab.codecs import httpsig
from devices import simple_pay
keys = {name: wallet.load(wallet.test_wallet_path(name)) for name in ("alice", "bob", "mallory")}
{name: key.address for name, key in keys.items()}"""),
    ("md", """## Nodes and their configuration
Each node has a store, a registry, a wallet and a *node message*, served by meta@1.0."""),
    ("code", """net = aolab.Network()
alice = aolab.Node(name="alice", operator_key=keys["alice"], network=net)
bob = aolab.Node(name="bob", operator_key=keys["bob"], network=net)
carol = aolab.Node(name="carol", network=net)
info = alice.resolve("/~meta@1.0/info")
{k: info[k] for k in ("node-name", "operator", "force-signed")}"""),
    ("md", """## Signed results
Alice signs every result (RSA-PSS-SHA512, 4096-bit key). The signature covers every key and
the hashpath; changing anything breaks it."""),
    ("code", """base = {"device": "counter@1.0", "count": 10}
first = alice.resolve(base, {"path": "add", "amount": 5})
second = alice.resolve(first, {"path": "subtract", "amount": 3})
second["count"], httpsig.signers(second) == [keys["alice"].address], httpsig.verify(second)"""),
    ("code", """httpsig.verify({**second, "count": 99})"""),
    ("md", """## Verification by re-execution
Bob walks the hashpath back to its first message, fetches every input from Alice's node, runs
every step himself, and compares."""),
    ("code", """report = bob.verify(second)
report, report.steps"""),
    ("md", """## A forged result
Mallory copies Alice's result, changes the count, and signs it with his own (valid!) key.
Carol re-executes and names the step whose result does not match."""),
    ("code", """forged = httpsig.sign({k: v for k, v in second.items() if k != "commitments"} | {"count": 99},
                      keys["mallory"])
httpsig.verify(forged), carol.verify(forged).divergence"""),
    ("md", """## A forged lineage, and why it is caught
Mallory tries harder. He computes from `{"count": 1000}`, makes his result claim the hashpath
of Alice's `first` (whose lineage starts at `base`), and has his node serve his own message
under `base`'s ID. The hashpath is right, the count is not."""),
    ("code", """mallory = aolab.Node(name="mallory", network=net)
fake = {"device": "counter@1.0", "count": 1000}
lie = mallory.resolve(fake, {"path": "add", "amount": 5})
lie = {**lie, "priv": {"hashpath": aolab.hashpath(first)}}   # claims first's lineage
mallory.store.write_result(aolab.id(base), fake)              # serves fake under base's ID
lie["count"], aolab.hashpath(lie) == aolab.hashpath(first)"""),
    ("md", """A hashpath names every input by its ID, and an ID is a hash of the message's content. Carol
fetches the inputs from Mallory's node but takes none of them on trust: she recomputes the ID
of each one, so the message served under `base`'s ID is caught before anything runs. Mallory's
own node would not have helped him either: a node keeps a claimed `priv/hashpath` only when
its store holds that very message under it (his `resolve` above named `fake` by its own ID)."""),
    ("code", """carol.verify(lie, source=mallory)"""),
    ("md", """## One output from a partial tree
A proof holds one output's branch only: the first message and the requests along its lineage,
none of the rest of the execution tree. The checker recomputes their IDs, folds them into the
hashpath and re-executes that branch: intermediate results are not named by the hashpath (only
inputs are), so they are recomputed, never read from the proof."""),
    ("code", """proof = alice.prove(second)
sorted(k for k in proof if k != "commitments"), aolab.verify_branch(second, proof)"""),
    ("code", """aolab.verify_branch({**second, "count": 13}, proof)"""),
    ("md", """## Payments
With p4@1.0 as its request and response hooks and simple-pay@1.0 as pricing and ledger, a node
charges `simple-pay-price` per message of a signed request; the operator tops up balances and
uses the node for free. The ledger is the device's own state, kept in the node's store
(`simple_pay.ledger(shop)`), not in the node's configuration."""),
    ("code", """hook = {"device": "p4@1.0", "pricing-device": "simple-pay@1.0", "ledger-device": "simple-pay@1.0"}
shop = aolab.Node(name="shop", operator_key=keys["alice"], network=net,
                  config={"simple-pay-price": 10, "on": {"request": hook, "response": hook}})
topup = httpsig.sign({"path": "/~simple-pay@1.0/topup", "amount": 25,
                      "recipient": keys["bob"].address}, keys["alice"])
shop.resolve(None, topup)"""),
    ("code", """paid = shop.resolve({"device": "counter@1.0"}, httpsig.sign({"path": "add"}, keys["bob"]))
paid["count"], simple_pay.ledger(shop)[keys["bob"].address]"""),
    ("code", """status, refusal = shop.resolve_status({"device": "counter@1.0"},
                                     httpsig.sign({"path": "add"}, keys["bob"]))
status, refusal"""),
    ("code", """shop.trace.steps()[["step", "parent", "device", "key", "status"]].head(8)"""),
    ("md", """## On your own
Alice computes a third step: `third = alice.resolve(second, {"path": "add", "amount": 1})`.
Mallory makes a copy of `third` with another `count` and signs it with his own key, as above.
Let Bob verify Mallory's copy, and store Bob's report in `mine`."""),
    ("exercise", """# your answer here
mine = None"""),
    ("solution", """third = alice.resolve(second, {"path": "add", "amount": 1})
copy = httpsig.sign({k: v for k, v in third.items() if k != "commitments"} | {"count": 1000},
                    keys["mallory"])
mine = bob.verify(copy)
mine"""),
    ("check", """from exercises import check_09
check_09(mine)"""),
]
