"""ans104@1.0: messages as ANS-104 data items, the form Arweave stores.

The codec itself is :mod:`aolab.codecs.ans104` (which keys become tags, how
nested messages ride in a bundle, IDs as the SHA-256 of the signature); this
device lets a request reach it.  Every key works on the request's ``body``
when it has one, else on the base:

``serialize``
    the message's data item bytes.
``deserialize``
    the message in the data item bytes of ``body`` (signature not checked).
``commit``
    the message signed as a data item by the node's wallet.
``verify``
    true when the message carries an ans104@1.0 commitment that verifies.
``id``
    the data item's ID (the unsigned ID, SHA-256 of its signature data, when
    unsigned).
``content-type``
    ``application/ans104``.

>>> import aolab
>>> raw = aolab.resolve({"device": "ans104@1.0"}, {"path": "serialize", "body": {"a": "1"}})
>>> aolab.resolve({"device": "ans104@1.0"}, {"path": "deserialize", "body": raw})["a"]
'1'
>>> alice = aolab.wallet.load(aolab.wallet.test_wallet_path("alice"))
>>> lab = aolab.Node(operator_key=alice, config={"force-signed": False})
>>> signed = lab.resolve({"device": "ans104@1.0"}, {"path": "commit", "body": {"a": "1"}})
>>> lab.resolve({"device": "ans104@1.0"}, {"path": "verify", "body": signed})
True

Reference: HyperBEAM src/dev_codec_ans104.erl at b2743e4a (``serialize``,
``deserialize``, ``commit``, ``verify``, ``id``, ``content_type``).
"""
from __future__ import annotations

from aolab.codecs import ans104
from aolab.errors import DeviceError, EncodingError
from aolab.context import as_context

NAME = "ans104@1.0"


def _subject(base, request) -> dict:
    body = (request or {}).get("body")
    message = body if body is not None else {k: v for k, v in base.items() if k != "device"}
    if not isinstance(message, dict):
        raise EncodingError(f"{NAME}: expected a message in 'body', not a {type(message).__name__}",
                            key="body", device=NAME)
    return message


def serialize(base, request):
    """The ANS-104 bytes of the message."""
    return ans104.serialize(_subject(base, request))


def deserialize(base, request):
    """The message in the data item bytes of ``body``."""
    raw = (request or {}).get("body")
    if not isinstance(raw, (bytes, str)):
        raise EncodingError(f"{NAME}: 'deserialize' needs the item's bytes in 'body'",
                            key="body", device=NAME)
    return ans104.deserialize(raw.encode("latin-1") if isinstance(raw, str) else raw)


def commit(base, request, opts):
    """The message signed by the node's wallet."""
    ctx = as_context(opts)
    wallet = ctx.wallet
    if wallet is None:
        ctx.node_for(NAME, "signs with a node's wallet")
        raise DeviceError(f"{NAME}: this node has no wallet to sign with (operator_key=...)",
                          device=NAME)
    return ans104.sign(_subject(base, request), wallet)


def verify(base, request):
    """True when the message's ans104@1.0 commitment verifies."""
    return ans104.verify(_subject(base, request))


def id(base, request):  # noqa: A001 - the protocol's word
    """The data item's ID."""
    return ans104.item_id(_subject(base, request))


def content_type(base):
    """The MIME type of serialized items."""
    return "application/ans104"

