"""01 · Messages, keys and IDs."""

CELLS = [
    ("md", """# 01 · Messages, keys and IDs

**What you'll do:** build messages, compute their IDs, and see exactly what an ID commits to.
**What you'll learn:** why key case and key order never change an ID, why value *types* do, and
why private keys never count.
**What you need:** notebook 00."""),
    ("code", """import json
import pathlib
import aolab
from aolab.codecs import httpsig, structured"""),
    ("md", """## Keys are normalised
Keys are lower-case; a message is the same message whatever order its keys were written in."""),
    ("code", """a = {"Colour": "blue", "size": "10"}
b = {"size": "10", "colour": "blue"}
aolab.id(a) == aolab.id(b)"""),
    ("code", """aolab.resolve(a, "COLOUR")"""),
    ("md", """## Types are part of the message
`10` (an integer) and `"10"` (a string) are different values, so they give different IDs.
HyperBEAM's structured@1.0 codec records the type of every non-string value in `ao-types`."""),
    ("code", """typed = {"size": 10}
text = {"size": "10"}
aolab.id(typed) == aolab.id(text)"""),
    ("code", """structured.to_tabm({"size": 10, "ok": True, "ratio": 0.5, "tags": ["x", 1]})"""),
    ("md", """## Private keys never count
Keys starting with `priv` hold things a node keeps for itself (a hashpath, a live WebAssembly
instance); they are never part of an ID."""),
    ("code", """aolab.id({"a": "1", "priv": {"note": "mine"}}) == aolab.id({"a": "1"})"""),
    ("md", """## What an ID commits to
The message is encoded as an HTTP message (httpsig@1.0). Its **signature base** lists every
field, sorted; the ID is HMAC-SHA256 with the key `ao` over it, in base64url."""),
    ("code", """fields = httpsig.hmac_fields({"size": 10, "colour": "blue"})
print(httpsig.signature_base(fields).decode())"""),
    ("code", """import hashlib, hmac
base_bytes = httpsig.signature_base(fields)
by_hand = aolab.human_id(hmac.new(b"ao", base_bytes, hashlib.sha256).digest())
by_hand, by_hand == aolab.id({"size": 10, "colour": "blue"})"""),
    ("md", """## The same IDs as HyperBEAM
`data/vectors/ids/` holds IDs that HyperBEAM's own Erlang code computed. aolab reproduces them
byte for byte."""),
    ("code", """vectors = [json.loads(line) for line in
           (pathlib.Path("..") / "data/vectors/ids/hyperbeam-ids.jsonl").read_text().splitlines()]
checked = [(v["name"], aolab.id(v["msg"]) == v["id"]) for v in vectors if v["op"] == "id"]
len(checked), all(ok for _, ok in checked)"""),
    ("code", """checked[:5]"""),
    ("md", """## Nested messages and lists
A nested message is encoded as a part of a multipart body; its content counts like any other."""),
    ("code", """outer = {"a": {"b": "c"}}
aolab.id(outer) != aolab.id({"a": {"b": "d"}})"""),
    ("md", """## A signed message's ID
A message HyperBEAM signed carries `commitments`: one `rsa-pss-sha512` signature per signer and
one `hmac-sha256` commitment (keyid `ao`) that carries the signatures too. Here is one that
HyperBEAM itself signed with the demo wallet alice (`data/vectors/signed/`)."""),
    ("code", """record = json.loads((pathlib.Path("..") / "data/vectors/signed/hyperbeam-signed.jsonl")
                    .read_text().splitlines()[0])
signed = record["signed"]
{cid: (c["alg"], c.get("committer", "-")) for cid, c in signed["commitments"].items()}"""),
    ("md", """Each commitment has its own ID: an RSA commitment's is the SHA-256 of its signature, the
hmac's is the unsigned ID of the content (`{"a": "1"}` above). The message's ID, the one
hashpaths and stores use, is the SHA-256 of the sorted commitment IDs joined by `", "`
(HyperBEAM's `dev_message:id`). The other ID kinds apply the same rule to other sets:"""),
    ("code", """import hashlib
joined = ", ".join(sorted(signed["commitments"]))
by_hand = aolab.human_id(hashlib.sha256(joined.encode()).digest())
kinds = {"id(m): every commitment": aolab.id(signed),
         "committers='all': the signatures": aolab.id(signed, committers="all"),
         "committers='none': unsigned": aolab.id(signed, committers="none")}
kinds, by_hand == aolab.id(signed) == record["hb"]["ids"]["dev_message_id_commitments_all"]"""),
    ("md", """Only commitments that verify count. A message that copies alice's commitments beside other
content does not get her message's ID: it gets the ID of its own content."""),
    ("code", """copied = {"a": "2", "commitments": signed["commitments"]}
aolab.id(copied) == aolab.id({"a": "2"}) != aolab.id(signed)"""),
    ("md", """## On your own
Make a message `mine` with two keys whose ID equals the vector named `two_keys`
(hint: look at the vector's `msg`, then change its key order or case)."""),
    ("code", """# your answer here
mine = None"""),
    ("solution", """mine = {"B": "hello", "A": "1"}
aolab.id(mine)"""),
    ("code", """target = next(v for v in vectors if v["name"] == "two_keys")
assert mine is not None and list(mine) != list(target["msg"])
assert aolab.id(mine) == target["id"]
"checked\""""),
]
