"""05 · Scheduling."""

CELLS = [
    ("md", """# 05 · Scheduling

**What you'll do:** give a process a schedule of messages, read its slots, and catch a schedule
that was tampered with.
**What you'll learn:** what an assignment is, how the hash chain links slots, and why a
deterministic order is what makes a shared state possible.
**What you need:** notebooks 00–04."""),
    ("code", """import pandas as pd
import aolab
from devices import scheduler
lab = aolab.Node()
proc = lab.spawn({"execution-device": "counter@1.0"})
aolab.id(proc)"""),
    ("md", """## Slots
Each scheduled message gets the next slot, from 0. The answer is an **assignment**."""),
    ("code", """first = lab.schedule(proc, {"action": "add", "amount": 2})
{k: first[k] for k in ("process", "slot", "path", "hash-chain")}"""),
    ("code", """for amount in (5, 1, 10):
    lab.schedule(proc, {"action": "add", "amount": amount})
lab.resolve(proc, "slot/current")"""),
    ("md", """## The schedule
`GET schedule` lists the assignments (with `from`/`to` cursors)."""),
    ("code", """listing = lab.resolve(proc, {"path": "schedule", "from": 0})["assignments"]
pd.DataFrame([{"slot": a["slot"], "amount": a["body"]["amount"], "hash-chain": a["hash-chain"]}
              for a in listing.values()])"""),
    ("md", """## The hash chain
Slot N's `hash-chain` is SHA-256 of slot N-1's link and the ID of slot N's message: each link
commits to every message before it, in order."""),
    ("code", """import hashlib
link0 = hashlib.sha256(aolab.native_id(aolab.id(listing["0"]["body"]))).digest()
link1 = hashlib.sha256(link0 + aolab.native_id(aolab.id(listing["1"]["body"]))).digest()
aolab.human_id(link1) == listing["1"]["hash-chain"]"""),
    ("code", """lab.resolve(proc, "verify-schedule")["valid"]"""),
    ("md", """## Tampering is detected
Change one message, or swap two, and the chain no longer follows."""),
    ("code", """assignments = [listing[str(n)] for n in range(4)]
altered = list(assignments)
altered[2] = {**altered[2], "body": {**altered[2]["body"], "amount": 1000}}
scheduler.check_chain(altered)"""),
    ("code", """swapped = [assignments[0], {**assignments[2], "slot": 1}, {**assignments[1], "slot": 2}, assignments[3]]
scheduler.check_chain(swapped)"""),
    ("md", """## Deterministic
Two nodes given the same messages in the same order produce the same assignments."""),
    ("code", """other = aolab.Node(name="other")
again = other.spawn({"execution-device": "counter@1.0"})
copies = [other.schedule(again, a["body"]) for a in assignments]
[c["hash-chain"] for c in copies] == [a["hash-chain"] for a in assignments]"""),
    ("md", """## On your own
Drop slot 1 from `assignments` (renumbering nothing) and store `check_chain`'s report in
`mine`. Which slot does it name?"""),
    ("exercise", """# your answer here
mine = None"""),
    ("solution", """mine = scheduler.check_chain([assignments[0], *assignments[2:]])
mine"""),
    ("check", """from exercises import check_05
check_05(mine)"""),
]
