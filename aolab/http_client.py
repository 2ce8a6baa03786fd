"""A node over HTTP, seen from a client: ``aolab.connect(url, wallet=...)``.

:func:`connect` gives a :class:`RemoteNode` with the API of
:class:`aolab.Node` -- ``resolve``, ``spawn``, ``schedule``, ``compute``,
``fetch``, ``info`` -- whose every call is one HTTP request to a node that
speaks HyperBEAM's interface (``aolab serve``, :meth:`aolab.Node.serve`, or
HyperBEAM itself).  Requests are httpsig@1.0 messages, signed by the wallet
when one is given (the signature covers ``path``: listed ``"@path"`` in
``signature-input``, its line in the signature base written
``"path": <value>``, as HyperBEAM and hbsig write it); answers are decoded
back into messages, and an answer with a status of 400 or more raises
:class:`~aolab.errors.ResolutionError` as :meth:`aolab.Node.resolve` does.

>>> import aolab
>>> server = aolab.Node(name="docs-client").serve(port=0)
>>> remote = aolab.connect(server.url)
>>> remote.resolve("/~meta@1.0/info")["node-name"]
'docs-client'
>>> server.stop()

Reference: HyperBEAM ``src/hb_http.erl`` (``request``,
``http_response_to_httpsig``) at b2743e4a.
"""
from __future__ import annotations

import http.client
import select
import socket
import threading
import urllib.parse

from . import id_memo, ids
from .codecs import httpsig
from .errors import AolabError, ResolutionError, StoreError

#: Response header fields that belong to the transport, not to the answer.
TRANSPORT_FIELDS = frozenset(("content-length", "date", "server", "connection", "keep-alive",
                              "transfer-encoding", "access-control-allow-origin",
                              "access-control-allow-methods", "access-control-allow-headers"))
SAFE_PATH_CHARACTERS = "/~@&=+?()-_.!*',;:$"


class TransportError(AolabError):
    """A request that could not be sent, or whose answer could not be read."""


def connect(url: str, wallet=None, *, timeout: float = 60.0) -> "RemoteNode":
    """A client of the node at *url*; requests are signed by *wallet* when given."""
    return RemoteNode(url, wallet, timeout=timeout)


class RemoteNode:
    """A node reached over HTTP, with the methods of :class:`aolab.Node`."""

    def __init__(self, url: str, wallet=None, *, timeout: float = 60.0):
        self.url = url.rstrip("/")
        self.wallet = wallet
        self._http = Connection(self.url, timeout)
        self.name = self.url

    def __repr__(self) -> str:
        return f"<RemoteNode {self.url}>"

    def close(self) -> None:
        """Close this client's connections."""
        self._http.close()

    def __enter__(self) -> "RemoteNode":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- one HTTP request ------------------------------------------------------------
    def request(self, method: str, path: str, message: dict | None = None, *, sign=None,
                accept: str | None = None) -> tuple[int, object]:
        """Send *message* to *path* with *method*; return ``(HTTP status, answer)``.

        The message is signed (``path`` included) when the client has a
        wallet, unless ``sign=False``.
        """
        sign = self.wallet is not None if sign is None else sign
        if sign and self.wallet is None:
            raise AolabError("sign=True needs a wallet: aolab.connect(url, wallet=...)")
        headers, body = encode_request({**(message or {}), "path": path},
                                       self.wallet if sign else None)
        if accept:
            headers["accept"] = accept.encode()
        response = self._http.request(method.upper(), urllib.parse.quote(path, SAFE_PATH_CHARACTERS),
                                      headers=headers, content=body)
        return response.status_code, decode_response(response)

    # -- the Node API --------------------------------------------------------------
    def resolve_status(self, base, request=None) -> tuple[str, object]:
        """``(status, value)``: ``ok`` for an HTTP status below 400."""
        method, path, message = _as_call(base, request)
        code, answer = self.request(method, path, message)
        return ("ok" if code < 400 else _status_name(code)), _value(answer, code)

    def resolve(self, base, request=None):
        """The answer to a path (``"/~meta@1.0/info"``), a request message
        (``{"path": ..., "method": ..., ...}``) or a stored message and a key."""
        status, value = self.resolve_status(base, request)
        if status != "ok":
            raise ResolutionError(f"node {self.url}: request ended with status {status!r}: "
                                  f"{str(value)[:200]}").with_status(status, value)
        return value

    def info(self) -> dict:
        """The node message (``GET /~meta@1.0/info``)."""
        return self.resolve("/~meta@1.0/info")

    @property
    def address(self) -> str:
        """The node's wallet address (``GET /~meta@1.0/info/address``)."""
        return self.resolve("/~meta@1.0/info/address")

    def spawn(self, process: dict) -> dict:
        """Start a process on the node (``POST /~process@1.0/schedule``, ``type: Process``);
        return the process message (signed when the client has a wallet).

        Its ID (``aolab.id(process, committers="all")``) is the ``process``
        the node's assignment names.
        """
        process = {"device": "process@1.0", "type": "Process", **process}
        if self.wallet is not None:
            process = httpsig.sign(process, self.wallet)
        assignment = self.resolve({"path": "/~process@1.0/schedule", "method": "POST",
                                   "body": process})
        expected = ids.id(process, committers="all")
        if isinstance(assignment, dict) and assignment.get("process") not in (None, expected):
            raise AolabError(f"node {self.url} scheduled the process as {assignment['process']}, "
                             f"not as its ID {expected}")
        return process

    def schedule(self, process, message: dict) -> dict:
        """Assign *message* (signed when the client has a wallet) to the
        process's next slot (``POST /<pid>/schedule``); return the assignment."""
        if self.wallet is not None and not message.get("commitments"):
            message = httpsig.sign(message, self.wallet)
        return self.resolve({"path": f"/{_pid(process)}/schedule", "method": "POST",
                             "body": message})

    def compute(self, process, slot=None) -> dict:
        """The process's state after *slot* (``GET /<pid>/compute&slot+integer=N``),
        the latest (``/<pid>/now``) when None."""
        if slot is None:
            return self.resolve(f"/{_pid(process)}/now")
        return self.resolve(f"/{_pid(process)}/compute&slot+integer={int(slot)}")

    def slot(self, process) -> int:
        """The process's current slot (``GET /<pid>/slot``)."""
        return int(self.resolve(f"/{_pid(process)}/slot")["current"])

    def fetch(self, key: str) -> dict:
        """A message the node holds, by ID, hashpath or store key
        (``GET /~cache@1.0/read?target=<key>``, as HyperBEAM's remote-node
        store reads), as it is stored: without the ``status`` and the node's
        signature that the answer added.  Raises :class:`StoreError` when the
        node does not hold it, so a :class:`aolab.Network` can hold RemoteNodes
        beside in-process nodes (``network.join(aolab.connect(url))``)."""
        target = urllib.parse.quote(key, safe="/~@-_.")
        try:
            code, answer = self.request("GET", f"/~cache@1.0/read?target={target}", sign=False)
        except TransportError as exc:  # an unreachable peer holds nothing for its network
            raise StoreError(f"node {self.url} could not be asked for {key!r}: {exc}",
                             key=key) from None
        if code >= 400 or not isinstance(answer, dict):
            raise StoreError(f"node {self.url} does not hold {key!r} (HTTP {code})", key=key)
        return self.unwrap(answer)

    def unwrap(self, answer: dict) -> dict:
        """*answer* without what the serving node added to it: the ``status``
        key and the node's signature over it (``force-signed``)."""
        node_address = self._node_address()
        commitments = httpsig._commitments(answer)
        added = [cid for cid, c in commitments.items()
                 if isinstance(c, dict) and c.get("committer") == node_address
                 and "status" in httpsig.committed_keys(answer, [cid])]
        kept = {cid: c for cid, c in commitments.items()
                if cid not in added and c.get("alg") != "hmac-sha256"}
        message = {k: v for k, v in answer.items() if k not in ("status", "commitments")}
        if kept:
            message = httpsig.commit({**message, "commitments": kept})
        return message

    def _node_address(self):
        if not hasattr(self, "_address"):
            code, answer = self.request("GET", "/~meta@1.0/info/address", sign=False)
            value = _value(answer, code)
            self._address = value if code < 400 and isinstance(value, str) else None
        return self._address


def http_client(base_url: str = "", timeout: float = 60.0):
    """An ``httpx.Client`` whose connections send small writes at once
    (``TCP_NODELAY``): a request's header block and body go out as two writes,
    and without it the body waits for the server's delayed ACK (40 ms)."""
    import socket

    import httpx

    transport = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    return httpx.Client(base_url=base_url, timeout=timeout, transport=transport)


class Connection:
    """Keep-alive HTTP/1.1 connections to one node, one per thread: what
    :class:`RemoteNode` sends its requests on.

    A request is one write of the request line, header fields and body; the
    answer is read by its ``content-length`` (or chunks).  This costs a
    fraction of a general client's (httpx, ``http.client``) time per request,
    which matters when the requests are small and many.  A connection the
    server has closed while idle is replaced before it is used; ``https``
    URLs go through ``http.client``.
    """

    def __init__(self, base_url: str, timeout: float = 60.0):
        parts = urllib.parse.urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise AolabError(f"a node's URL must be http://host[:port] or https://..., "
                             f"not {base_url!r}")
        self.scheme, self.host = parts.scheme, parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self._host_field = parts.netloc.encode("idna")
        self._local = threading.local()

    def request(self, method: str, path: str, headers: dict, content: bytes = b"") -> "Response":
        """Send one request; the answer's status, header fields and body."""
        if self.scheme == "https":
            return self._https_request(method, path, headers, content)
        head = [f"{method} {self.prefix}{path} HTTP/1.1".encode("latin-1"),
                b"host: " + self._host_field, b"content-length: " + str(len(content)).encode()]
        for name, value in headers.items():
            value = value if isinstance(value, bytes) else str(value).encode("latin-1")
            if b"\r" in value or b"\n" in value or "\r" in name or "\n" in name or ":" in name:
                raise AolabError(f"header field {name!r} cannot be sent: its name or value "
                                 "holds a line break or a colon", key=name)
            head.append(name.encode("latin-1") + b": " + value)
        payload = b"\r\n".join(head) + b"\r\n\r\n" + content
        try:
            sock, reader = self._connection()
            sock.sendall(payload)
            response = _read_response(reader, method)
        except (OSError, ValueError) as exc:
            self.close()
            raise TransportError(f"HTTP {method} {path} to {self.host}:{self.port} failed: "
                                 f"{exc}") from None
        if response.headers.get("connection", "").lower() == "close":
            self.close()
        return response

    def _connection(self):
        found = getattr(self._local, "connection", None)
        if found is not None and select.select([found[0]], [], [], 0)[0]:
            self.close()  # readable while idle: the server closed it
            found = None
        if found is None:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            found = self._local.connection = (sock, sock.makefile("rb"))
        return found

    def _https_request(self, method, path, headers, content):
        connection = http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request(method, self.prefix + path, body=content or None, headers=headers)
            answer = connection.getresponse()
            return Response(answer.status, answer.getheaders(), answer.read())
        except (OSError, http.client.HTTPException) as exc:
            raise TransportError(f"HTTPS {method} {path} to {self.host}:{self.port} failed: "
                                 f"{exc}") from None
        finally:
            connection.close()

    def close(self) -> None:
        """Close this thread's socket (its next request opens a new one)."""
        found = getattr(self._local, "connection", None)
        self._local.connection = None
        if found is not None:
            found[1].close()
            found[0].close()


MAX_RESPONSE_LINE = 65536


def _read_response(reader, method: str) -> "Response":
    """Status line, header fields and body of one HTTP/1.1 answer."""
    status_line = reader.readline(MAX_RESPONSE_LINE)
    if not status_line:
        raise ValueError("the server closed the connection without answering")
    version, _, rest = status_line.decode("latin-1").partition(" ")
    if not version.startswith("HTTP/1."):
        raise ValueError(f"not an HTTP/1.x answer: {status_line[:80]!r}")
    status = int(rest[:3])
    fields = [(name.strip(), value.strip()) for name, _, value in
              (line.decode("latin-1").partition(":") for line in _head_lines(reader))]
    response = Response(status, fields, b"")
    if method == "HEAD" or status in (204, 304) or 100 <= status < 200:
        return response
    if response.headers.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(reader.readline(MAX_RESPONSE_LINE).split(b";")[0], 16)
            if size == 0:
                while reader.readline(MAX_RESPONSE_LINE) not in (b"\r\n", b"\n", b""):
                    pass  # trailer fields
                break
            chunks.append(reader.read(size))
            reader.readline(MAX_RESPONSE_LINE)
        response.content = b"".join(chunks)
    else:
        length = response.headers.get("content-length")
        response.content = reader.read(int(length)) if length is not None else reader.read()
    return response


def _head_lines(reader) -> list:
    """The header lines of an answer, up to the empty line (consumed).  When the
    whole head is already buffered (the usual case) it is split at once."""
    buffered = reader.peek(MAX_RESPONSE_LINE)
    if buffered.startswith(b"\r\n"):
        reader.read(2)
        return []
    end = buffered.find(b"\r\n\r\n")
    if end > 0 and b"\n" not in buffered[:end].replace(b"\r\n", b""):
        head = reader.read(end + 4)
        return head[:end].split(b"\r\n")
    lines = []
    while True:
        line = reader.readline(MAX_RESPONSE_LINE)
        if line in (b"\r\n", b"\n"):
            return lines
        if not line:
            raise ValueError("the answer's header fields end early")
        lines.append(line.rstrip(b"\r\n"))


class Response:
    """An HTTP answer as :func:`decode_response` reads it (the attributes of
    ``httpx.Response`` it uses)."""

    def __init__(self, status: int, fields: list, content: bytes):
        self.status_code, self.content = status, content
        self.headers = _Fields(fields)

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.content.decode("utf-8", "replace")

    def json(self):
        """The body parsed as JSON."""
        import json
        return json.loads(self.content)


class _Fields:
    def __init__(self, fields: list):
        self._items = [(k.lower(), v) for k, v in fields]
        self._joined: dict = {}  # a field given several times: its values joined by ", "
        for name, value in self._items:
            found = self._joined.get(name)
            self._joined[name] = value if found is None else found + ", " + value

    def get(self, name: str, default=None):
        return self._joined.get(name.lower(), default)

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: str) -> bool:
        return self.get(name) is not None

    def multi_items(self) -> list:
        return list(self._items)


def encode_request(message: dict, wallet=None) -> tuple[dict, bytes]:
    """``(header fields, body)`` of a request message in httpsig@1.0, signed by
    *wallet* when one is given."""
    if wallet is not None:
        message = httpsig.sign(message, wallet)
    http = httpsig.to_http(message)
    body = http.pop("body", b"")
    return http, body


def decode_response(response) -> object:
    """The answer an httpsig@1.0 (or json@1.0) response holds, as a message."""
    content_type = response.headers.get("content-type", "")
    if content_type.startswith("text/plain") and "ao-types" not in response.headers:
        return {"status": response.status_code, "body": response.text}
    if response.headers.get("codec-device") == "json@1.0":
        return response.json()
    fields = {}
    for key, value in response.headers.multi_items():
        key = key.lower()
        if key in TRANSPORT_FIELDS:
            continue
        fields[key] = value.encode("latin-1")
    if response.content:
        fields["body"] = response.content
    if len(fields) == 1 and "body" in fields and "content-type" not in fields:
        return fields["body"]
    return httpsig.from_http(fields)


def _as_call(base, request) -> tuple[str, str, dict]:
    if request is None:
        if isinstance(base, str):
            return "GET", base if base.startswith("/") else "/" + base, {}
        if isinstance(base, dict):
            message = dict(base)
            path = message.pop("path", None)
            if not isinstance(path, str):
                raise AolabError("a request message needs a text 'path'", key="path")
            method = str(message.pop("method", "POST" if message else "GET"))
            return method, path, message
        raise AolabError(f"cannot send a {type(base).__name__} as a request")
    key = request if isinstance(request, str) else request.get("path")
    extra = {} if isinstance(request, str) else {k: v for k, v in request.items() if k != "path"}
    method = str(extra.pop("method", "POST" if extra else "GET"))
    return method, f"/{_pid(base)}/{str(key).lstrip('/')}", extra


def _pid(process) -> str:
    """The process's ID; remembered by content (:mod:`aolab.id_memo`): a client sends
    many requests to one process, and hashing its message each time costs more than
    a small request's own encoding."""
    if isinstance(process, str):
        return process
    return id_memo.id_of(process, committers="all")


def _status_name(code: int) -> str:
    return {400: "error", 404: "not_found", 500: "failure", 503: "unavailable"}.get(
        code, "error" if code < 500 else "failure")


def _value(answer, code: int):
    """The answer as :meth:`aolab.Node.resolve` gives it: without the added
    ``status`` key (unless signed), a lone ``body`` as itself."""
    if not isinstance(answer, dict):
        return answer
    committed = set()
    if answer.get("commitments"):
        committed = set(httpsig.committed_keys(answer))
    if "status" in answer and "status" not in committed:
        answer = {k: v for k, v in answer.items() if k != "status"}
    if set(answer) - {"status", "commitments"} == {"body"} and not isinstance(answer["body"], dict):
        return answer["body"]  # a plain value (signed by the node, status included)
    return answer
