"""arlocal: a local Arweave gateway (npm ``arlocal``) for tests and notebooks.

:class:`ArLocal` starts ``arlocal`` from the project's ``npm/node_modules`` on
127.0.0.1 and a free port, with its database in a temporary file, and stops it
by its process ID::

    with ArLocal() as local:
        store = GatewayStore(local.gateway(wallet), wallet)

arlocal differs from a production gateway in two ways, which
:class:`ArLocalGateway` adapts to: it takes no data item on its own (``POST
/tx`` of an item), so items go in an ANS-104 bundle inside a signed layer-1
transaction (format 2, with its Merkle ``data_root``) from a minted wallet,
followed by ``GET /mine``; and it serves no ``/raw/<id>``, so reads go through
GraphQL plus ``GET /<id>`` (as :class:`aolab.gateway.Gateway` does).  It also
keeps no anchor for bundled items: an item with an anchor does not verify
after the round trip.
"""
from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from . import tools
from .codecs import dataitem
from .codecs.base64url import b64url, b64url_decode
from .codecs.dataitem import deep_hash
from .errors import StoreError
from .gateway import Gateway

LOOPBACK = pathlib.Path(__file__).resolve().parent.parent / "npm" / "arlocal-loopback.cjs"  # binds 127.0.0.1


def _entry() -> pathlib.Path:
    return tools.node_modules() / "arlocal" / "bin" / "index.js"


def _sqlite_binding() -> pathlib.Path:
    return tools.node_modules() / "sqlite3" / "build" / "Release" / "node_sqlite3.node"
MAX_CHUNK, MIN_CHUNK = 256 * 1024, 32 * 1024


def unavailable_reason() -> str | None:
    """Why arlocal cannot run here (None when it can): node, the npm packages, sqlite3's build."""
    if shutil.which("node") is None:
        return "node is not installed (arlocal is an npm package)"
    if not _entry().exists():
        return f"npm package arlocal is not installed in {tools.node_modules()}: {tools.SETUP_HINT}"
    if not _sqlite_binding().exists():
        return f"arlocal's sqlite3 is not built ({_sqlite_binding().name} missing): {tools.SETUP_HINT}"
    return None


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ArLocal:
    """An arlocal process on 127.0.0.1 (``start``/``stop``, or ``with``)."""

    def __init__(self, port: int | None = None):
        self.port = port
        self.process: subprocess.Popen | None = None
        self._folder = None

    @property
    def url(self) -> str:
        """The gateway's address on 127.0.0.1."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> "ArLocal":
        """Start arlocal on 127.0.0.1 in a new temporary folder; wait until it answers (at most *timeout* s)."""
        reason = unavailable_reason()
        if reason:
            raise StoreError(f"cannot start arlocal: {reason}")
        self.port = self.port or free_port()
        self._folder = tempfile.TemporaryDirectory(prefix="aolab-arlocal-")
        log = open(pathlib.Path(self._folder.name) / "arlocal.log", "wb")
        self.process = subprocess.Popen(
            ["node", str(LOOPBACK), str(self.port), "--hidelogs",
             "--dbpath", "arlocal.db"],
            cwd=self._folder.name, stdout=log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)
        log.close()
        atexit.register(self.stop)  # never outlive the Python process that started it
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = (pathlib.Path(self._folder.name) / "arlocal.log").read_text(errors="replace")
                self.stop()
                raise StoreError(f"arlocal exited at start: {output[-500:]}")
            with contextlib.suppress(StoreError):
                Gateway(self.url, timeout=2).request("/info")
                return self
            time.sleep(0.2)
        self.stop()
        raise StoreError(f"arlocal did not answer on {self.url} within {timeout:.0f} s")

    def stop(self) -> None:
        """Stop the process (by its ID, with its process group) and remove its database."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None
        atexit.unregister(self.stop)
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    def gateway(self, wallet=None) -> "ArLocalGateway":
        """A client of this arlocal; it uploads as *wallet* (minted enough to pay)."""
        return ArLocalGateway(self.url, wallet)

    def __enter__(self) -> "ArLocal":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class ArLocalGateway(Gateway):
    """The arlocal adapter: items uploaded as a bundle in a layer-1 transaction, then mined."""

    def __init__(self, url: str, wallet=None, timeout: float = 10.0):
        super().__init__(url, timeout)
        self.wallet = wallet

    def upload(self, items: list) -> None:
        """Post *items* as one ANS-104 bundle in a transaction signed by this gateway's wallet, and mine it."""
        if self.wallet is None:
            raise StoreError(f"{self!r} has no wallet to pay for and sign the bundle's transaction")
        data = dataitem.bundle(items)
        self.request(f"/mint/{self.wallet.address}/1000000000000000")
        anchor = self.request("/tx_anchor").decode().strip()
        transaction = layer1_transaction(self.wallet, data, anchor,
                                         [(b"Bundle-Format", b"binary"), (b"Bundle-Version", b"2.0.0")])
        self.request("/tx", json.dumps(transaction).encode())
        self.request("/mine")


def layer1_transaction(wallet, data: bytes, anchor: str, tags) -> dict:
    """A signed Arweave format-2 transaction carrying *data* (JSON form for ``POST /tx``)."""
    reward = str(round(len(data) / 1000 * 65595508))
    fields = {"format": 2, "last_tx": anchor, "owner": b64url(wallet.modulus), "target": "",
              "quantity": "0", "reward": reward, "data_size": str(len(data)),
              "data_root": b64url(data_root(data)) if data else "",
              "tags": [{"name": b64url(n), "value": b64url(v)} for n, v in tags],
              "data": b64url(data)}
    signed = deep_hash([b"2", wallet.modulus, b"", b"0", reward.encode(), _b64(anchor),
                        [[n, v] for n, v in tags], fields["data_size"].encode(), _b64(fields["data_root"])])
    signature = wallet.sign_pss_sha256(signed)
    return {**fields, "signature": b64url(signature), "id": b64url(hashlib.sha256(signature).digest())}


def _b64(text: str) -> bytes:
    return b64url_decode(text) if text else b""


def data_root(data: bytes) -> bytes:
    """The Merkle root of *data*'s chunks, as Arweave computes a transaction's ``data_root``."""
    chunks, cursor, rest = [], 0, data
    while len(rest) >= MAX_CHUNK:
        size = MAX_CHUNK
        if 0 < len(rest) - MAX_CHUNK < MIN_CHUNK:
            size = -(-len(rest) // 2)
        chunks.append((hashlib.sha256(rest[:size]).digest(), cursor + size))
        cursor, rest = cursor + size, rest[size:]
    chunks.append((hashlib.sha256(rest).digest(), cursor + len(rest)))
    nodes = [(_sha(_sha(h) + _sha(_note(end))), end) for h, end in chunks]
    while len(nodes) > 1:
        nodes = [_branch(nodes[i], nodes[i + 1]) if i + 1 < len(nodes) else nodes[i]
                 for i in range(0, len(nodes), 2)]
    return nodes[0][0]


def _branch(left, right):
    return _sha(_sha(left[0]) + _sha(right[0]) + _sha(_note(left[1]))), right[1]


def _note(value: int) -> bytes:
    return value.to_bytes(32, "big")


def _sha(raw: bytes) -> bytes:
    return hashlib.sha256(raw).digest()
