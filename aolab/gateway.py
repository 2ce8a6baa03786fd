"""Gateways: messages published to Arweave and fetched back by ID.

A :class:`GatewayStore` is a store whose messages live on an Arweave gateway,
as HyperBEAM's ``hb_store_gateway`` reads them:

- ``publish(message)`` uploads the message as a **signed ANS-104 data item**
  (:mod:`aolab.codecs.ans104`; signed by the store's wallet unless it already
  carries an ans104@1.0 signature) and returns the item's ID, the SHA-256 of
  its signature;
- a **link message** (tags ``data-protocol: ao-link``, ``link-key``,
  ``link-id``, and ``link-hashpath`` when the message carries one) names the
  item by another key: the message's unsigned ID always, and a hashpath for
  ``publish_result(hashpath, message)``; ``publish_lineage(result, fetch)``
  publishes a result with every input its hashpath names, so that a node with
  an empty store can re-execute and verify it from the gateway alone;
- ``read(key)`` fetches by item ID, else follows the newest link for *key*
  signed by a trusted publisher, and **verifies** what comes back: the item's
  signature, that its ID is the SHA-256 of that signature, and, through an ID
  link, that the message has the unsigned ID asked for.  Anything else is a
  :class:`~aolab.errors.StoreError`, and nothing is cached half-way.

Read by item ID, a message keeps its ans104@1.0 commitment (its ID is the
item's); read by unsigned ID or by hashpath, it comes back without it, as the
node that computed it held it.

:class:`Gateway` is the HTTP client: GraphQL for tags, owners and signatures
(``transactions(ids: ...)``), ``GET /<id>`` for data.  It uploads as HyperBEAM
does, one data item per ``POST /tx`` to a bundler; a local arlocal gateway
takes bundles inside layer-1 transactions instead (:mod:`aolab.arlocal`).

Reference: HyperBEAM ``src/hb_store_gateway.erl``, ``src/hb_gateway_client.erl``
at b2743e4a.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request

from . import ids
from .codecs import ans104, dataitem
from .codecs.base64url import b64url_decode
from .errors import AolabError, StoreError
from .store import Store

LINK_PROTOCOL = "ao-link"
ITEM_FIELDS = "id signature anchor recipient owner { key address } tags { name value }"


class Gateway:
    """An Arweave gateway reached over HTTP (GraphQL and ``GET /<id>``)."""

    def __init__(self, url: str, timeout: float = 10.0):
        self.url = url.rstrip("/")
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url}>"

    # -- HTTP ----------------------------------------------------------------
    def request(self, path: str, body: bytes | None = None, content_type: str = "application/json") -> bytes:
        """The body of ``GET path`` (or ``POST`` with *body*); errors become StoreError."""
        request = urllib.request.Request(self.url + path, data=body, method="GET" if body is None else "POST")
        if body is not None:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            raise StoreError(f"gateway {self.url} answered {exc.code} to {path[:60]}: "
                             f"{exc.read()[:200]!r}", key=path) from None
        except (urllib.error.URLError, OSError) as exc:
            raise StoreError(f"gateway {self.url} cannot be reached ({exc}); is it running?",
                             key=path) from None

    def graphql(self, query: str) -> dict:
        """The ``data`` of a GraphQL answer."""
        raw = self.request("/graphql", json.dumps({"query": query}).encode())
        try:
            answer = json.loads(raw)
            if answer.get("errors"):
                raise StoreError(f"gateway {self.url} GraphQL error: {answer['errors'][0].get('message')}")
            return answer["data"]
        except (ValueError, AttributeError, KeyError, TypeError):
            raise StoreError(f"gateway {self.url} answered garbage to a GraphQL query: {raw[:80]!r}") from None

    # -- items ------------------------------------------------------------------
    def upload(self, items: list) -> None:
        """Send signed data items, one ``POST /tx`` each (a bundler's interface)."""
        for item in items:
            self.request("/tx", dataitem.serialize(item), "application/octet-stream")

    def item(self, item_id: str) -> dataitem.DataItem:
        """The data item *item_id*, rebuilt from the gateway and checked (signature and ID)."""
        item = self.find_item(item_id)
        if item is None:
            raise StoreError(f"gateway {self.url} holds no item {item_id}", key=item_id)
        return item

    def find_item(self, item_id: str):
        """Like :meth:`item`, but None when the gateway holds no such item."""
        if not ids.is_id(item_id):
            raise StoreError(f"{item_id!r} is not a 43-character item ID", key=item_id)
        edges = self.graphql(f'{{ transactions(ids: ["{item_id}"]) {{ edges {{ node {{ {ITEM_FIELDS} }} }} }} }}')
        nodes = _nodes(self, edges)
        if not nodes:
            return None
        try:
            node = nodes[0]
            item = dataitem.DataItem(
                tags=[(t["name"].encode(), t["value"].encode()) for t in node["tags"]],
                data=self.request(f"/{item_id}"), target=_b64(node.get("recipient")),
                anchor=_b64(node.get("anchor")), owner=_b64(node["owner"]["key"]),
                signature=_b64(node["signature"]))
        except (KeyError, TypeError, AttributeError, ValueError):
            raise StoreError(f"gateway {self.url} describes item {item_id} in an unexpected shape",
                             key=item_id) from None
        if item.id != item_id:
            raise StoreError(f"gateway {self.url} answered for {item_id} an item whose signature "
                             f"hashes to {item.id}", key=item_id)
        if not dataitem.verify(item):
            raise StoreError(f"item {item_id} from gateway {self.url} does not verify: its fields "
                             "are not what its owner signed", key=item_id)
        return item

    def find(self, tags: dict, owners=None) -> list:
        """IDs of the items with all *tags* (and one of *owners*), newest first."""
        filters = ", ".join(f'{{ name: {json.dumps(k)}, values: [{json.dumps(v)}] }}' for k, v in tags.items())
        owner_filter = f", owners: {json.dumps(list(owners))}" if owners else ""
        data = self.graphql(f"{{ transactions(tags: [{filters}]{owner_filter}, sort: HEIGHT_DESC, first: 10) "
                            f"{{ edges {{ node {{ id }} }} }} }}")
        return [node["id"] for node in _nodes(self, data)]


def _nodes(gateway: Gateway, data) -> list:
    try:
        return [edge["node"] for edge in data["transactions"]["edges"]]
    except (KeyError, TypeError):
        raise StoreError(f"gateway {gateway.url} answered garbage: no transactions/edges") from None


def _b64(text) -> bytes:
    return b64url_decode(text) if text else b""


class GatewayStore(Store):
    """A store on an Arweave gateway: publish signed messages, read them back verified.

    Parameters
    ----------
    gateway : Gateway
        Where items go and come from (an :class:`aolab.arlocal.ArLocalGateway` in tests).
    wallet : aolab.wallet.Wallet, optional
        Signs what is published; without one the store only reads.
    trusted : iterable of addresses, optional
        Whose links are followed (default: the wallet's address).  With none,
        only links by ID are followed (what they name is checked against the ID).
    """

    def __init__(self, gateway: Gateway, wallet=None, trusted=None):
        self.gateway = gateway
        self.wallet = wallet
        self.trusted = list(trusted) if trusted is not None else \
            ([wallet.address] if wallet is not None else [])

    def __repr__(self) -> str:
        return f"<GatewayStore {self.gateway.url}>"

    # -- publishing ------------------------------------------------------------
    def publish(self, message: dict, *keys: str) -> str:
        """Upload *message* signed (and links to it from its unsigned ID and *keys*);
        return its item ID."""
        return self.publish_many([(message, keys)])[0]

    def publish_many(self, entries) -> list:
        """Publish ``(message, keys)`` pairs in one upload; return their item IDs."""
        if self.wallet is None:
            raise StoreError(f"{self!r} has no wallet: it can read, not publish (it signs "
                             "what it publishes and the links that name it)")
        uploads, published = [], []
        for message, keys in entries:
            item = self._signed_item(message)
            priv = message.get("priv")
            carried = priv.get("hashpath") if isinstance(priv, dict) else None
            carried = carried if isinstance(carried, str) else None
            uploads.append(item)
            uploads += [self._link(key, item.id, carried)
                        for key in dict.fromkeys((ans104_unsigned_id(message), *keys))]
            published.append(item.id)
        self.gateway.upload(uploads)
        return published

    def publish_keys(self, keys, fetch) -> list:
        """Publish what *fetch* (e.g. ``node.fetch``) holds under each of *keys*, linked
        by that key (a process's schedule, for example); return the item IDs."""
        return self.publish_many([(fetch(key), [key]) for key in keys])

    def publish_result(self, hashpath: str, message: dict) -> str:
        """Publish a computed *message* and a link from its *hashpath*; return its item ID."""
        return self.publish(message, hashpath)

    def _signed_item(self, message: dict) -> dataitem.DataItem:
        if not isinstance(message, dict):
            raise StoreError(f"only messages can be published, not a {type(message).__name__}")
        if ans104.verify(message):
            return ans104.to_item(message)
        try:
            body = {k: v for k, v in message.items() if k not in ("commitments", "priv")}
            return ans104.to_item(ans104.sign(body, self.wallet))
        except AolabError as exc:
            raise StoreError(f"cannot publish the message as an ANS-104 item: {exc}") from None

    def publish_lineage(self, result: dict, fetch) -> list:
        """Publish *result* and every input its hashpath names (bases by hashpath,
        requests by ID, read with *fetch*, e.g. ``node.fetch``), so that a node
        with an empty store can verify it from this gateway alone.  Returns the
        item IDs published."""
        from .hashpaths import hashpath_of
        from .verify import lineage

        hashpath = hashpath_of(result)
        entries = [(result, [hashpath])]
        for step in lineage(hashpath, fetch):
            prev, _, part = step["hashpath"].rpartition("/")
            entries.append((step["base"], [prev]))
            if ids.is_id(part):
                entries.append((step["request"], [part]))
        return self.publish_many(entries)

    def _link(self, key: str, item_id: str, hashpath: str | None = None) -> dataitem.DataItem:
        tags = [(b"data-protocol", LINK_PROTOCOL.encode()), (b"link-key", key.encode()),
                (b"link-id", item_id.encode())]
        if hashpath is not None:
            tags.append((b"link-hashpath", hashpath.encode()))
        return dataitem.sign(dataitem.DataItem(tags=tags), self.wallet)

    # -- the store interface -----------------------------------------------------
    def write(self, message: dict) -> str:
        """Publish *message*; return the key that reads it back (its ID when it
        carries an ans104 signature, else its unsigned ID)."""
        item_id = self.publish(message)
        return item_id if ans104.verify(message) else ans104_unsigned_id(message)

    def write_result(self, hashpath: str, message: dict) -> None:
        """Publish *message* to the gateway under *hashpath*."""
        self.publish_result(hashpath, message)

    def write_step(self, result_hashpath: str, result: dict, base_hashpath: str, base,
                   request_part: str, request: dict, compressed: str | None = None) -> None:
        """Publish a step's result under its hashpath (and its compressed form)."""
        keys = [result_hashpath] + ([compressed] if compressed else [])
        self.publish(result, *keys)

    def read(self, key: str) -> dict:
        """The message published under *key* (item ID, unsigned ID or hashpath), verified."""
        if not isinstance(key, str) or not key:
            raise StoreError(f"a store key is a non-empty string, not {key!r}", key=key)
        if ids.is_id(key):
            found = self._read_item(key)
            if found is not None:
                return found
        if not self.trusted and not ids.is_id(key):
            raise StoreError(f"{self!r} trusts no publisher, so it follows no link for {key!r} "
                             "(only an ID can be checked against what it names)", key=key)
        for link_id in self.gateway.find({"data-protocol": LINK_PROTOCOL, "link-key": key},
                                         self.trusted or None):
            link = self.gateway.item(link_id)
            target = dict(link.tags).get(b"link-id", b"").decode()
            if dict(link.tags).get(b"link-key") != key.encode() or not ids.is_id(target):
                continue
            if self.trusted and link.owner_address not in self.trusted:
                continue  # the gateway's owner filter is not taken on trust
            message = self._read_item(target)
            if message is None:
                raise StoreError(f"link for {key!r} names item {target}, which the gateway lacks",
                                 key=key)
            unsigned = ans104.unsigned(message)
            if ids.is_id(key) and ans104_unsigned_id(unsigned) != key:
                raise StoreError(f"link for {key!r} names item {target}, whose message has "
                                 f"another ID: refused", key=key)
            carried = dict(link.tags).get(b"link-hashpath")
            if carried and self.trusted:  # a hashpath claim only from a trusted publisher
                unsigned["priv"] = {"hashpath": carried.decode()}
            return unsigned
        raise StoreError(f"no message published under {key!r} at {self.gateway.url}", key=key)

    def _read_item(self, item_id: str):
        item = self.gateway.find_item(item_id)
        if item is None:
            return None
        try:
            return ans104.from_item(item)
        except AolabError as exc:
            raise StoreError(f"item {item_id} is not an ans104@1.0 message: {exc}", key=item_id) from None

    fetch = read  # what aolab.verify asks a source for



def ans104_unsigned_id(message: dict) -> str:
    """The unsigned (httpsig hmac) ID of *message*, its commitments and private keys left out."""
    return ids.id({k: v for k, v in message.items() if k not in ("priv",)}, committers="none")
