"""A node over HTTP, as HyperBEAM's ``hb_http_server`` serves it.

One catch-all route takes every request and does what HyperBEAM does with it:

1. **decode** the HTTP message (header fields + body) with the codec its
   ``codec-device`` header names (default ``httpsig@1.0``, see
   :mod:`aolab.codecs.httpsig_conv`; ``json@1.0`` reads a JSON body);
2. a **signed** request is checked (a signature that does not verify is a 400)
   and reduced to the keys its signatures cover; ``method`` is the HTTP method
   and ``path`` the signed ``path`` key, else the URL's path and query
   (``hb_http:req_to_tabm_singleton``);
3. :func:`handle` -- meta@1.0's ``handle``: the node's ``on/request`` hook,
   the singleton path rules (:mod:`aolab.singleton`) turned into steps and
   resolved, the ``on/response`` hook, the status embedded (the result's
   ``status`` key, else ``ok`` 200, ``error`` 400, ``not_found`` 404,
   ``failure`` 500), then the node's signature (``force-signed``);
4. **encode** the answer with the codec the request's ``accept-codec`` key or
   ``accept`` header asks for (default ``httpsig@1.0``: header fields +
   multipart body + ``content-digest``; ``application/json`` gives ``json@1.0``).

Every HTTP request is one step in the node's trace (device ``meta@1.0``, key
``"<METHOD> <path>"``) whose children are the resolution steps it caused.

Where aolab differs on purpose: transport headers (``host``, ``user-agent``,
``content-length``, ``accept``, ...) are not made keys of the request
message unless a signature covers them (hbsig signs ``content-length``); a body larger than ``max_body`` is refused with 413 before it is
read; a request that runs longer than ``timeout`` seconds is answered 503
(its resolution still finishes: the node stays consistent; ``timeout=None``
sets no limit, and the requests then run on the event loop's thread). The node
resolves one request at a time, in arrival order.

>>> import aolab, httpx
>>> server = aolab.Node(name="docs-http").serve(port=0)
>>> answer = httpx.get(server.url + "/~meta@1.0/info/node-name")
>>> answer.status_code, answer.text
(200, 'docs-http')
>>> server.stop()

Reference: HyperBEAM ``src/hb_http_server.erl``, ``src/hb_http.erl``
(``req_to_tabm_singleton``, ``reply``, ``accept_to_codec``) and
``src/dev_meta.erl`` (``handle``, ``embed_status``) at b2743e4a.
"""
from __future__ import annotations

import asyncio
import json
import math
import socket
import threading
import time
import urllib.parse

from . import singleton
from .node_thread import Job, NodeThread  # noqa: F401 - Job: re-exported
from .one_write import JOINED_WRITE_BYTES, OneWriteTransport, one_write_protocol  # noqa: F401
from .resolver import resolve_status as _resolve_status
from .codecs import httpsig, structured
from .errors import (AolabError, DeviceNotAllowed, DeviceNotFound, EncodingError, KeyNotFound,
                     MessageError, PathError, StoreError)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8734
MAX_BODY_BYTES = 16 * 1024 * 1024
REQUEST_SECONDS = 60.0
#: How long the event loop blocks waiting for a request's job before it awaits the job
#: and goes on reading other requests (seconds): most requests end well within it.
BLOCKING_WAIT = 0.005
CODECS = ("httpsig@1.0", "json@1.0")
#: HTTP status of each AO-Core status (``dev_meta:status_code``).
STATUS_CODES = {"ok": 200, "error": 400, "created": 201, "not_found": 404, "failure": 500,
                "unavailable": 503}
#: Header fields of the transport, not of the message.
TRANSPORT_FIELDS = frozenset((
    "host", "connection", "content-length", "transfer-encoding", "user-agent", "accept",
    "accept-encoding", "accept-language", "keep-alive", "te", "upgrade", "expect", "origin",
    "referer", "cookie", "sec-fetch-mode", "sec-fetch-site", "sec-fetch-dest", "codec-device",
    "access-control-request-headers", "access-control-request-method", "x-forwarded-for",
))
CORS = {"access-control-allow-origin": "*",
        "access-control-allow-methods": "GET, POST, PUT, DELETE, OPTIONS"}


class BadRequest(AolabError):
    """An HTTP request that cannot become a message (answered 400, or ``status``)."""

    def __init__(self, text: str, status: int = 400, **kw):
        super().__init__(text, **kw)
        self.status = status


# -- HTTP message -> request message ----------------------------------------------

def request_message(method: str, target: str, headers: dict, body: bytes) -> dict:
    """The request message of an HTTP request (``hb_http:req_to_tabm_singleton``).

    *target* is the URL's path and query, *headers* lower-cased names to bytes.
    A signed request comes back reduced to the keys its signatures cover, plus
    ``method`` and ``path``.
    """
    return decode_request(method, target, headers, body)[0]


def decode_request(method: str, target: str, headers: dict, body: bytes) -> tuple[dict, list]:
    """``(request message, addresses of its verified signers)``: :func:`request_message`
    and the signers its check found, so that :func:`handle` need not check again."""
    codec = headers.get("codec-device", b"httpsig@1.0").decode("latin-1").strip()
    if codec == "httpsig@1.0":
        signed_input = headers.get("signature-input", b"")
        fields = {k: v for k, v in headers.items()
                  if k not in TRANSPORT_FIELDS or b'"' + k.encode() + b'"' in signed_input}
        if body:
            fields["body"] = body
        if "path" not in fields and b"@path" in fields.get("signature-input", b""):
            fields["path"] = target.encode("latin-1")  # a signed @path is the URL's
        try:
            message = httpsig.from_http(fields) if fields else {}  # {}: a bare GET's
        except AolabError as exc:
            raise BadRequest(f"the request is not a valid httpsig@1.0 message: {exc}") from None
    elif codec == "json@1.0":
        try:
            decoded = json.loads(body or b"{}")
        except ValueError as exc:
            raise BadRequest(f"codec-device json@1.0: the body is not JSON: {exc}") from None
        if not isinstance(decoded, dict):
            raise BadRequest("codec-device json@1.0: the body must be a JSON object")
        message = _from_json_tabm(decoded)
    else:
        raise BadRequest(f"codec-device {codec!r} is not one this node decodes "
                         f"(expected one of {', '.join(CODECS)})", key="codec-device")
    if not isinstance(message, dict):
        message = {"body": message}
    signers = []
    if message.get("commitments"):
        signers = httpsig.verified_signers(message)
        if signers is None:
            raise BadRequest("the request's signature does not verify (its commitments "
                             f"{sorted(message['commitments'])} do not match its fields)",
                             key="signature")
        message = httpsig.with_only_committed(message)
    path = message.get("path", target)
    return {**message, "method": method.upper(), "path": path}, signers


def _from_json_tabm(tabm: dict) -> dict:
    try:
        return structured.from_tabm({k: (v.encode() if isinstance(v, str) else v)
                                     for k, v in tabm.items()})
    except (AolabError, ValueError, TypeError, AttributeError) as exc:
        raise BadRequest(f"codec-device json@1.0: {exc}") from None


# -- the node's handling (dev_meta:handle) -------------------------------------------

class _Stop(Exception):
    def __init__(self, status, value):
        self.status, self.value = status, value


def handle(node, request: dict, signers: list | None = None) -> dict:
    """What the node answers to a request message: a message with ``status``.

    The request hook, the singleton's steps resolved on the node, the
    response hook, the node's signature; errors become messages with the
    status that names them (never a raw exception).  *signers*, when given,
    are the verified signers :func:`decode_request` found (else the request's
    commitments are checked here).
    """
    options = node.opts()
    try:
        status, value = _handle(node, request, options, signers)
    except BadRequest as exc:
        status, value = "error", {"status": exc.status, "body": str(exc)}
    except (PathError, MessageError) as exc:
        status, value = "error", {"status": 400, "body": str(exc)}
    except (StoreError, KeyNotFound) as exc:
        status, value = "not_found", {"status": 404, "body": str(exc)}
        if getattr(exc, "key", None):
            value["unavailable"] = str(exc.key)
    except DeviceNotAllowed as exc:
        status, value = "error", {"status": 403, "body": str(exc)}
    except DeviceNotFound as exc:
        status, value = "not_found", {"status": 404, "body": str(exc)}
    except AolabError as exc:
        status, value = "failure", {"status": 500, "body": str(exc)}
    except Exception as exc:  # a bug: still an answer, never a dropped connection
        status, value = "failure", {"status": 500,
                                    "body": f"internal error: {type(exc).__name__}: {exc}"}
    answer = embed_status(status, value)
    if node.config.get("force-signed") and node.wallet is not None:
        answer = node.sign(answer)  # status included, as dev_meta:maybe_sign after embed_status
    return answer


def _handle(node, request: dict, options: dict, signers=None):
    if signers is None:
        signers = httpsig.verified_signers(request) if request.get("commitments") else []
    if signers is None:
        raise BadRequest("the request's signature does not verify", key="signature")
    if signers:
        # every commitment verified: each signature's keys, without checking them again
        options = options.derive(signers=signers, signed_keys={
            c["committer"]: httpsig.committed_keys(request, [cid])
            for cid, c in request["commitments"].items()
            if isinstance(c, dict) and c.get("alg") == httpsig.RSA_ALG and "committer" in c})
    hooks = node.config.get("on") or {}
    if hooks.get("request"):
        status, hooked = node._hook("request", hooks["request"], None, request, options)
        if status != "ok":
            return status, hooked
    messages = singleton.parse(request)

    def step(base, message):
        status, value = _resolve_status(base, message, options)
        if status != "ok":
            raise _Stop(status, value)
        return value

    try:
        value = singleton.resolve_many(messages, step, node.store.read)
    except _Stop as stop:
        return stop.status, stop.value
    if hooks.get("response"):
        status, value = node._hook("response", hooks["response"], None, request, options, value)
        if status != "ok":
            return status, value
    return "ok", value


def embed_status(status: str, value) -> dict:
    """The answer with its HTTP ``status`` (``dev_meta:embed_status``): the
    value's own ``status`` key when it has one, else the AO-Core status's code."""
    code = STATUS_CODES.get(status, 500)
    if isinstance(value, dict):
        if "status" in value:
            return value
        return {**value, "status": code}
    return {"status": code, "body": value}


def status_of(answer: dict) -> int:
    """The HTTP status code of an answer message (200 when it names none valid)."""
    raw = answer.get("status", 200)
    try:
        code = int(raw)
    except (TypeError, ValueError):
        return STATUS_CODES.get(str(raw), 500)
    return code if 100 <= code <= 599 else 500


# -- answer -> HTTP message ----------------------------------------------------------

def accept_codec(request: dict, accept: str | None) -> str:
    """The codec of the answer (``hb_http:accept_to_codec``): the request's
    ``accept-codec`` key, else the ``accept`` header (``application/json`` ->
    ``json@1.0``, ``device/<name>``), else httpsig@1.0."""
    wanted = request.get("accept-codec")
    if wanted is None and accept:
        for item in accept.split(","):
            mime = item.split(";")[0].strip().lower()
            if mime.startswith("application/"):
                name = mime[len("application/"):]
                name = name if "@" in name else name + "@1.0"
                if name in CODECS:
                    return name
            elif mime.startswith("device/"):
                wanted = mime[len("device/"):]
                break
    if wanted is None:
        return "httpsig@1.0"
    if wanted not in CODECS:
        raise BadRequest(f"accept-codec {wanted!r} is not one this node encodes "
                         f"(expected one of {', '.join(CODECS)})", key="accept-codec")
    return wanted


def encode_answer(answer: dict, codec: str) -> tuple[dict, bytes]:
    """``(headers, body)`` of an answer in *codec* (``hb_http:encode_reply``)."""
    if codec == "json@1.0":
        headers = {"codec-device": b"json@1.0", "content-type": b"application/json"}
        for key, value in answer.items():
            if isinstance(value, (str, int, float)) and not isinstance(value, bool) \
                    and _header_safe(str(value)) and key not in ("body", "content-type"):
                headers[key] = str(value).encode()
        return headers, to_json(answer)
    http = httpsig.to_http(answer)
    if isinstance(http, bytes):
        return {}, http
    body = http.pop("body", b"")
    return http, body


def to_json(message) -> bytes:
    """json@1.0: the message as a JSON object of its TABM (``ao-types`` beside
    the values); text that is not UTF-8 is an :class:`EncodingError`."""
    if isinstance(message, bytes):
        return json.dumps(message.decode("utf-8", "strict")).encode()
    tabm = structured.to_tabm({k: v for k, v in message.items() if k != "priv"})
    try:
        return json.dumps(_jsonable(tabm), sort_keys=True).encode()
    except UnicodeDecodeError as exc:
        raise EncodingError(f"json@1.0 cannot carry binary data: {exc}") from None


def _jsonable(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "strict")
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _header_safe(text: str) -> bool:
    return len(text) <= 4096 and text.isascii() and "\r" not in text and "\n" not in text


# -- the ASGI app --------------------------------------------------------------------

class NodeApp:
    """The ASGI app serving a node on one catch-all route (``hb_http_server``'s).

    A plain ASGI callable (uvicorn calls it once per request): the body is read
    up to ``max_body`` bytes, then the node's work runs on one worker thread,
    one request at a time (what keeps its store, schedules and trace
    consistent), in arrival order, and a request that runs longer than
    ``timeout`` seconds is answered 503.  The event loop's thread first waits
    for the job on a lock, for at most ``BLOCKING_WAIT`` seconds: most requests
    end within it, and this costs less than an asyncio future settled from the
    node thread.  A job still running then is awaited without blocking the
    loop, which goes on reading requests, so that each one's time limit counts
    from its arrival while it waits for the node.  ``timeout=None`` sets no
    limit: the node's work then runs on the event loop's own thread, without
    the hand-over to the node thread and back (``bench/bench_http.py``
    measures both).
    """

    def __init__(self, node, *, max_body: int = MAX_BODY_BYTES,
                 timeout: float | None = REQUEST_SECONDS):
        self.node, self.max_body, self.timeout = node, max_body, timeout
        self.worker = NodeThread() if timeout is not None else None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return  # lifespan and websockets: nothing to do
        code, headers, body = await self._answer(scope, receive)
        fields = [(k.encode("latin-1"), v if isinstance(v, bytes) else str(v).encode("latin-1"))
                  for k, v in headers.items() if k != "content-length"]
        fields.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": code, "headers": fields})
        await send({"type": "http.response.body", "body": body})

    async def _answer(self, scope, receive):
        """``(status, header fields, body)`` of one HTTP request."""
        method = scope["method"]
        if method == "OPTIONS":
            return 204, dict(CORS), b""
        headers = _header_fields(scope)
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            return _text(413, f"the request body of {declared.decode()} bytes is over this "
                              f"node's limit of {self.max_body} bytes")
        body = await self._body(receive)
        if isinstance(body, tuple):
            return body  # refused: the answer that says why
        code, out_headers, out_body = await self._run(method, _target(scope), headers, body)
        return code, {**CORS, **out_headers}, out_body

    async def _body(self, receive):
        """The request's body, or the answer refusing it (too large, cut short)."""
        chunks, size, more = [], 0, True
        while more:
            event = await receive()
            if event["type"] == "http.disconnect":
                return _text(400, "the client went away before sending the whole request")
            chunk = event.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                return _text(413, f"the request body is over this node's limit of "
                                  f"{self.max_body} bytes")
            chunks.append(chunk)
            more = event.get("more_body", False)
        return chunks[0] if len(chunks) == 1 else b"".join(chunks)

    async def _run(self, method: str, target: str, headers: dict, body: bytes):
        """The node's answer: on this thread without a time limit, else on the
        node's thread, or a 503 once the limit has passed."""
        if self.worker is None:  # no time limit: on this thread, as it comes
            return serve_one(self.node, method, target, headers, body)
        started = time.monotonic()
        job = self.worker.submit(serve_one, self.node, method, target, headers, body)
        if not job.wait(min(self.timeout, BLOCKING_WAIT)):  # a longer job: free the loop
            ended = job.ended_on(asyncio.get_running_loop())
            left = self.timeout - (time.monotonic() - started)
            try:
                if ended is not None:
                    await asyncio.wait_for(ended, left if math.isfinite(left) else None)
            except asyncio.TimeoutError:
                return _text(503, f"the request took longer than this node's limit of "
                                  f"{self.timeout:g} s (its resolution goes on; ask again later)")
        return job.result()


def _header_fields(scope) -> dict:
    """The request's header fields, names lower-cased; a repeated field's values
    joined by ``", "``."""
    headers = {}
    for name, value in scope["headers"]:
        key = name.decode("latin-1").lower()
        headers[key] = headers[key] + b", " + value if key in headers else value
    return headers


def _target(scope) -> str:
    """The request's path and query, percent-decoded."""
    target = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
    if scope.get("query_string"):
        target += "?" + scope["query_string"].decode("latin-1")
    return urllib.parse.unquote(target) if "%" in target else target


def serve_one(node, method: str, target: str, headers: dict, body: bytes):
    """``(status, header fields, body)`` of one HTTP request to *node*: decoded,
    handled, encoded, and recorded as one step of the node's trace."""
    token = None
    trace = node.trace if node.recording else None
    try:
        try:
            request, signers = decode_request(method, target, headers, body)
            codec = accept_codec(request, headers.get("accept", b"").decode("latin-1"))
        except BadRequest as exc:
            return exc.status, {"content-type": b"text/plain"}, str(exc).encode()
        if trace is not None:
            token = trace.started({"device": "meta@1.0"}, request,
                                  f"{method} {_short_path(request.get('path'))}", "meta@1.0")
        answer = handle(node, request, signers)
        try:
            out_headers, out_body = encode_answer(answer, codec)
        except AolabError as exc:
            answer = {"status": 500, "body": f"cannot encode the answer as {codec}: {exc}"}
            out_headers, out_body = encode_answer(answer, "httpsig@1.0")
        code = status_of(answer)
        if token is not None:
            trace.finished(token, "ok" if code < 400 else "error", answer, None)
            token = None
        return code, out_headers, out_body
    finally:
        if token is not None:
            trace.finished(token, "error", None, None)


def make_app(node, *, max_body: int = MAX_BODY_BYTES, timeout: float | None = REQUEST_SECONDS):
    """The ASGI app serving *node* (a :class:`NodeApp`)."""
    return NodeApp(node, max_body=max_body, timeout=timeout)


def _text(code: int, text: str):
    return code, {**CORS, "content-type": b"text/plain"}, text.encode()


def _short_path(path) -> str:
    text = str(path)
    return text if len(text) <= 80 else text[:77] + "..."


# -- running it ----------------------------------------------------------------------

class Server:
    """A node served over HTTP on a background thread (``Node.serve``).

    ``url`` is where it listens; :meth:`stop` ends it (and waits for it).
    ``http`` picks uvicorn's HTTP/1.1 parser (``auto``, ``httptools``, ``h11``).
    """

    def __init__(self, node, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, *,
                 max_body: int = MAX_BODY_BYTES, timeout: float | None = REQUEST_SECONDS,
                 log_level: str = "warning", http: str = "auto"):
        import uvicorn

        self.node = node
        self.app = make_app(node, max_body=max_body, timeout=timeout)
        # proto IPPROTO_TCP: asyncio sets TCP_NODELAY on the connections only then (without
        # it a response's body waits 40 ms for the client's delayed ACK of its headers)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.host, self.port = self._socket.getsockname()[:2]
        # http="auto": uvicorn's httptools parser when installed (a dependency), else h11
        config = uvicorn.Config(self.app, log_level=log_level, lifespan="off", access_log=False,
                                timeout_keep_alive=30, http=one_write_protocol(http),
                                proxy_headers=False, server_header=False, date_header=False)
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<aolab HTTP server for node {self.node.name} at {self.url}: {state}>"

    @property
    def url(self) -> str:
        """Where the server listens (``http://host:port``)."""
        return f"http://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        """Whether the server's thread is serving."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> "Server":
        """Serve in a background thread; return once it accepts connections."""
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]},
                                        name=f"aolab-http-{self.port}", daemon=True)
        self._thread.start()
        while not self._server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"the HTTP server on {self.url} did not start")
            self._thread.join(0.01)
        return self

    def run(self) -> None:
        """Serve in this thread until interrupted (the ``aolab serve`` command)."""
        self._server.run(sockets=[self._socket])

    def stop(self) -> None:
        """Stop serving and wait for the server thread to end."""
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(10)
        if self.app.worker is not None:
            self.app.worker.shutdown(wait=True)
        self._socket.close()

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def serve(node, port: int = DEFAULT_PORT, host: str = DEFAULT_HOST, **limits) -> Server:
    """Serve *node* on ``host:port`` in the background (port 0: a free port)."""
    return Server(node, host, port, **limits).start()
