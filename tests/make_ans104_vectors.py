"""Write data/vectors/ans104/: ANS-104 items made by npm @dha-team/arbundles and by aolab.

Run once by hand (``PYTHONHASHSEED=0 .venv/bin/python tests/make_ans104_vectors.py``)
with the npm packages installed (``make npm``); the tests replay the files and never
regenerate them.  Signatures are randomised (RSA-PSS salts), so a rerun writes new bytes.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from aolab import wallet as wallets  # noqa: E402
from aolab.codecs import ans104, dataitem  # noqa: E402

OUT = ROOT / "data" / "vectors" / "ans104"
SCRIPT = ROOT / "tests" / "npm" / "ans104_vectors.cjs"


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _bytes(seed: str, n: int) -> bytes:
    out = b""
    while len(out) < n:
        out += hashlib.sha256(seed.encode() + len(out).to_bytes(4, "big")).digest()
    return out[:n]


MESSAGE = {"action": "Eval", "count": 3, "data": "1 + 1"}
NESTED = {"process": {"module": "aos", "scheduler": "alice"}, "slot": 1, "data": "state"}


def cases() -> list:
    message_item = ans104.to_item(MESSAGE)
    return [
        {"name": "empty", "tags": [], "data": ""},
        {"name": "tags-and-data", "tags": [["Content-Type", "text/plain"], ["App-Name", "aolab"]],
         "data": b64(b"hello")},
        {"name": "target-and-anchor", "tags": [["Action", "Transfer"]], "data": b64(b"x"),
         "target": dataitem.b64url(_bytes("target", 32)), "anchor_text": "a" * 16 + "0123456789abcdef"},
        {"name": "duplicated-tag-names", "tags": [["Test-Tag", "a"], ["test-tag", "b"]], "data": ""},
        {"name": "binary-data", "tags": [["ao-type", "binary"]], "data": b64(_bytes("data", 1000))},
        {"name": "unicode-tags", "tags": [["名前", "値"], ["emoji", "🦀"]], "data": b64("ü".encode())},
        {"name": "aolab-message", "message": "MESSAGE",
         "tags": [[k.decode(), v.decode()] for k, v in message_item.tags],
         "data": b64(message_item.data)},
    ]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    alice = wallets.test_wallet_path("alice")
    with tempfile.NamedTemporaryFile("w", suffix=".json") as handle:
        json.dump(cases(), handle)
        handle.flush()
        made = subprocess.run(["node", str(SCRIPT), "make", str(alice), handle.name],
                              env={**os.environ, "NODE_PATH": str(ROOT / "npm" / "node_modules")},
                              capture_output=True, text=True, check=True).stdout
    (OUT / "npm-items.jsonl").write_text(made)
    wallet = wallets.load(alice)
    lines = []
    for name, message in (("message", MESSAGE), ("nested-message", NESTED)):
        signed = ans104.sign(message, wallet)
        item = ans104.to_item(signed)
        lines.append({"name": name, "message": name.upper().replace("-", "_").replace("NESTED_MESSAGE", "NESTED"),
                      "raw": b64(dataitem.serialize(item)), "id": item.id,
                      "signature_data": b64(dataitem.signature_data(item))})
    for c in cases()[:6]:
        item = dataitem.sign(dataitem.DataItem(
            tags=[(k.encode(), v.encode()) for k, v in c["tags"]], data=base64.b64decode(c["data"]),
            target=base64.urlsafe_b64decode(c["target"] + "=") if c.get("target") else b"",
            anchor=c.get("anchor_text", "").encode()), wallet)
        lines.append({**c, "raw": b64(dataitem.serialize(item)), "id": item.id,
                      "signature_data": b64(dataitem.signature_data(item))})
    (OUT / "aolab-items.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
