"""The glossary: ``TERMS`` is ``(heading, words that link to it, text)``.

Every numbered notebook links, under its title, to the entries whose words its
text uses (see ``make_notebooks.glossary_words``).
"""

TERMS = [
    ("AO-Core", ["AO-Core", "AO"],
     """The protocol: everything is a **message**, and computing is **resolving** a message with a
request through the code its **device** names. Every result carries a **hashpath** that says
how it was computed, so anyone can check it. [AO](https://ao.arweave.net) builds processes
(shared, persistent programs) out of this."""),
    ("HyperBEAM", ["HyperBEAM"],
     """The reference implementation of AO-Core, in Erlang. aolab follows its main branch at commit
`b2743e4a` (May 2025): same keys, same IDs, same hashpaths. A HyperBEAM **node** serves
messages over HTTP; aolab's `Node` is the same thing inside a notebook."""),
    ("Message", ["message", "messages"],
     """A map of keys to values (strings, numbers, lists, other messages). Keys are lower-case. Keys
that start with `priv` are private: kept by a node, never part of an **ID**."""),
    ("Device", ["device", "devices"],
     """The code that answers requests about a message: the message's `device` key names it as
`name@version` (`message@1.0`, `counter@1.0`...). In aolab a device is a Python module in
`devices/` (or a dict of functions) with one function per key it answers."""),
    ("Resolve", ["resolve", "resolves", "resolution", "resolving"],
     """`resolve(base, request)`: find the function the base's device has for the request's
`path`, call it, and give back the **result**. A path `a/b/c` is three resolutions, each
result the base of the next."""),
    ("Base, request, result", ["base", "request", "result"],
     """The three messages of one step: the **base** is the message asked, the **request** says
what to do (its `path` names the key), the **result** is what the device answered."""),
    ("ID", ["ID", "IDs"],
     """A message's identity: 32 bytes (SHA-256-based: an HMAC over the message's HTTP encoding)
that commit to every public key and value. Key order and case never change it; a value's type
does."""),
    ("Native and human IDs", ["native", "human ID", "human IDs", "native ID", "base64url"],
     """The same ID in two spellings: **native** is the 32 raw bytes (what gets hashed), **human**
is those bytes in base64url, 43 characters (what you read). `aolab.native_id` and
`aolab.human_id` convert."""),
    ("Hashpath", ["hashpath", "hashpaths"],
     """The lineage of a result, in two parts `A/B`: `A` stands for the base (its ID, or, when the
base is itself a result, its hashpath folded into one ID), `B` for the request (its ID, or
for a request that is only a path, the key itself: `.../a`). So
`hashpath(result) = fold(hashpath(base)) / id(request)`, and it stays two parts however long
the computation."""),
    ("Folded form", ["folded form", "folds", "fold the", "folded"],
     """A two-part hashpath `A/B` folded into one ID: `SHA-256(native(A) + native(B))`
(`sha-256-chain`). It is the first part of the next step's hashpath, and the key under which
a result can be looked up again (`aolab.hashpaths.compress`)."""),
    ("TABM", ["TABM", "structured@1.0", "ao-types"],
     """*Type-Annotated Binary Message*: the flat form every codec goes through, where each value is
bytes or a nested message and the types of non-string values are listed in the `ao-types`
key (`structured@1.0`). Two messages are the same if their TABMs are."""),
    ("Codec", ["codec", "codecs", "httpsig@1.0"],
     """A device that converts messages to and from a wire format: `structured@1.0` (TABM),
`httpsig@1.0` (HTTP messages with signatures, the form IDs are computed on)."""),
    ("Commitments", ["commitment", "commitments", "signature", "signatures", "signed"],
     """The signatures (or HMACs) attached to a message under its `commitments` key. A signature
vouches only for the keys it covers; the message's ID does not depend on who signed it."""),
    ("Force-signed", ["force-signed"],
     """A node setting: every result the node returns is signed with the node's (operator's) key,
so a result can be traced back to the node that computed it."""),
    ("Stack", ["stack", "stack@1.0", "stacking"],
     """`stack@1.0` runs several devices as one: the devices listed in `device-stack` each get the
request in turn."""),
    ("Fold and map", ["fold", "map", "fold mode", "map mode"],
     """The two modes of a stack. **fold** (default): the state goes through each device in turn,
each device's result the next one's base. **map**: every device gets the same input and the
results are collected by position."""),
    ("Process", ["process", "processes", "process@1.0"],
     """A persistent program: a message with a **scheduler** and an execution device. Its state at
slot N is the result of applying the scheduled messages 0..N in order."""),
    ("Slot and assignment", ["slot", "slots", "assignment", "assignments", "scheduler",
                             "scheduler@1.0", "schedule"],
     """The scheduler gives each message sent to a process the next **slot** number; its answer, an
**assignment**, links to the one before in a hash chain, so the order cannot be changed
afterwards."""),
    ("Hooks", ["hook", "hooks"],
     """Devices a node runs around every request: a `request` hook before resolving (it may refuse
or rewrite the request), a `response` hook after (it may charge for it)."""),
    ("p4", ["p4", "p4@1.0", "simple-pay@1.0", "payments", "charge"],
     """`p4@1.0`, HyperBEAM's payment framework, used as request and response **hooks**: a pricing
device sets the price of a request, a ledger device (here `simple-pay@1.0`) debits the
signer's balance."""),
    ("Node", ["node", "nodes", "Node"],
     """A machine that resolves messages: a device registry, a store, a wallet, a configuration
(its node message, served by `meta@1.0`) and a recorder. In aolab, `aolab.Node()`."""),
    ("Store", ["store", "stored", "DiskStore"],
     """Where a node keeps messages and results, by ID and by hashpath, so a computation can carry on
later or elsewhere."""),
    ("Trace", ["trace", "traces", "recorded", "DAG", "Merkle"],
     """Every step a node resolved, recorded as a networkx graph: messages are nodes (keyed by
hashpath), steps are edges. `trace.show()` draws it; `trace.stepper()` replays it."""),
    ("Verification", ["verify", "verification", "verified", "re-execution"],
     """Checking a result without trusting the node that computed it: fetch the inputs its hashpath
names, run every step again, and compare."""),
    ("WebAssembly", ["WebAssembly", "wasm", "wasm64@1.0", "WAT"],
     """Portable machine code: `wasm64@1.0` runs a module's functions with a fuel limit, so untrusted
code cannot run forever; AO processes written in Lua run this way."""),
]
