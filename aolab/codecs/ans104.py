"""ans104@1.0: messages as ANS-104 data items, the form Arweave stores.

A message goes through structured@1.0 (typed values become binaries and
``ao-types``), then:

- ``target`` and ``last_tx`` (the **anchor**) become the item's fields (a
  43-character ID or 32 raw bytes);
- ``data`` (a binary) becomes the item's data;
- every other binary of at most 128 bytes that is valid UTF-8 becomes a
  **tag** (key and value; ``ao-types`` too), in key order;
- nested messages and the other binaries become **child items**: the item's
  data is then a bundle of them (tags ``bundle-format: binary``,
  ``bundle-version: 2.0.0``, ``bundle-map: <manifest ID>``), the manifest a
  JSON map ``key -> unsigned ID of the child``; a binary child carries the
  tag ``ao-type: binary``.

A signed item is a message with one commitment, named by the item's **ID,
the SHA-256 of its signature**: ``{"commitment-device": "ans104@1.0", "alg":
"rsa-pss", "committer": <address>, "owner": <modulus>, "signature": <bytes>}``.
Tags whose names are not normalised (``Content-Type``) come back lower-cased,
repeated names as one structured-field list (``"a", "b"``); the commitment
then keeps the original tags (``original-tags``), so that the item re-encodes
to the very same bytes.

>>> import aolab
>>> wallet = aolab.wallet.load(aolab.wallet.test_wallet_path("alice"))
>>> signed = sign({"action": "Eval", "count": 3, "data": "1 + 1"}, wallet)
>>> message = deserialize(serialize(signed))
>>> message["count"], verify(message), aolab.id(message) == aolab.id(signed)
(3, True, True)

Reference: HyperBEAM ``src/dev_codec_ans104.erl`` and ``src/ar_bundles.erl``
at b2743e4a.  Where aolab differs: HyperBEAM orders tags and children as its
maps iterate (key order up to 32 keys, hash order beyond: aolab always uses
key order); it keeps ``original-tags`` only for names that are not
normalised (aolab also for tags out of key order or repeated, and it takes
the keys named there as tags whatever their size), so every signed item
re-encodes to its own bytes; and keys such as ``owner``, ``signature``, ``id``,
``tags`` or ``format`` are ordinary tags (HyperBEAM reads some of them as the
item's own fields): the owner and signature come from the commitment only.
"""
from __future__ import annotations

import json

from ..errors import AolabError, CommitmentError, EncodingError
from ..message import normalize_key
from . import dataitem, httpsig, structured
from .dataitem import DataItem, b64url

NAME = "ans104@1.0"
MAX_TAG_VALUE = 128
BUNDLE_TAGS = [(b"bundle-format", b"binary"), (b"bundle-version", b"2.0.0")]
FILTERED_TAGS = ("bundle-format", "bundle-map", "bundle-version")
RESERVED_KEYS = FILTERED_TAGS + ("ao-type",)
ID_FIELDS = {"target": "target", "last_tx": "anchor"}
COMMITMENT_KEYS = ("commitment-device", "committer", "alg")
MAX_DEPTH = 64


# -- message -> data item -------------------------------------------------------

def to_item(message: dict) -> DataItem:
    """The data item of *message* (signed when it carries one ans104 commitment)."""
    if not isinstance(message, dict):
        raise EncodingError(f"ans104@1.0 encodes messages, not a {type(message).__name__}")
    commitment = _ans104_commitment(message)
    body = {k: v for k, v in message.items() if normalize_key(k) != "commitments"}
    item = _tabm_to_item(structured.to_tabm(body), commitment)
    if commitment is not None and not dataitem.verify(item):
        raise CommitmentError("the message's ans104@1.0 commitment does not verify: its keys "
                              "differ from those that were signed", key="commitments")
    return item


def _ans104_commitment(message: dict):
    commitments = message.get("commitments") or {}
    if not isinstance(commitments, dict):
        raise EncodingError("'commitments' must be a message", key="commitments")
    signed = {k: c for k, c in commitments.items()
              if isinstance(c, dict) and c.get("commitment-device") == NAME}
    if len(signed) > 1:
        raise EncodingError("an ANS-104 data item holds one signature; the message has "
                            f"{len(signed)} ans104@1.0 commitments", key="commitments")
    return next(iter(signed.values()), None)


def _tabm_to_item(tabm: dict, commitment=None, _depth: int = 0) -> DataItem:
    if _depth > MAX_DEPTH:
        raise EncodingError(f"message nested more than {MAX_DEPTH} levels deep for ANS-104")
    item = DataItem()
    fields = {normalize_key(k): v for k, v in tabm.items()}
    for key in RESERVED_KEYS:
        if key in fields:
            raise EncodingError(f"key {key!r} is written by ans104@1.0 itself (bundles, bare "
                                "binaries); a message cannot hold it", key=key)
    for key, attribute in ID_FIELDS.items():
        if key in fields:
            setattr(item, attribute, _id_field(fields.pop(key), key))
    if commitment is not None:
        item.owner = _bytes(commitment.get("owner"), "owner")
        item.signature = _bytes(commitment.get("signature"), "signature")
    data = fields.pop("data", None)
    original = (commitment or {}).get("original-tags")
    listed = _listed_tags(original) if original else None
    tag_keys = None if listed is None else {normalize_key(_text(name)) for name, _ in listed}
    tags, children = [], {}
    for key in sorted(fields):
        value = fields[key]
        if isinstance(value, (str, bytes)) and \
                (_tag_value(value) if tag_keys is None else key in tag_keys):
            tags.append((key.encode("utf-8"), structured.as_binary(value, key)))
        else:
            children[key] = value
    if listed is not None:
        if dedup_tags(listed) != {k.decode(): v for k, v in tags}:
            raise CommitmentError("the message's keys differ from its signed 'original-tags'",
                                  key="original-tags")
        tags = listed
    if isinstance(data, dict) or (children and data is not None):
        children["data"] = data
    elif data is not None:
        item.data = structured.as_binary(data, "data")
    item.tags = tags
    if children:
        _bundle_children(item, children, _depth)
    return item


def _tag_value(value) -> bool:
    raw = value.encode("utf-8") if isinstance(value, str) else value
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return len(raw) <= MAX_TAG_VALUE


def _id_field(value, key: str) -> bytes:
    from ..ids import is_id, native_id

    if isinstance(value, bytes) and len(value) == 43:
        value = value.decode("ascii", "replace")
    if isinstance(value, str) and is_id(value):
        return native_id(value)
    if isinstance(value, bytes) and len(value) == 32:
        return value
    raise EncodingError(f"key {key!r} must be a 43-character ID or 32 bytes for ANS-104", key=key)


def _bytes(value, key: str) -> bytes:
    if not isinstance(value, bytes):
        raise CommitmentError(f"the ans104@1.0 commitment's {key!r} must be bytes", key=key)
    return value


def _listed_tags(original: dict) -> list:
    """The signed tag list kept in a commitment's ``original-tags``."""
    try:
        return [(_as_bytes(original[n]["name"]), _as_bytes(original[n]["value"]))
                for n in sorted(original, key=int)]
    except (KeyError, TypeError, ValueError, AttributeError):
        raise CommitmentError("'original-tags' must number {name, value} messages from 1",
                              key="original-tags") from None


def _as_bytes(value) -> bytes:
    return value.encode("utf-8") if isinstance(value, str) else value


def _bundle_children(item: DataItem, children: dict, depth: int) -> None:
    """Make *item*'s data a HyperBEAM bundle of *children* with a JSON manifest."""
    pairs = {}
    for key in sorted(children):
        value = children[key]
        if isinstance(value, dict):
            child = _tabm_to_item(value, None, depth + 1)
        else:
            child = DataItem(tags=[(b"ao-type", b"binary")], data=structured.as_binary(value, key))
        pairs[key] = (child.unsigned_id, dataitem.serialize(child))
    index = {key: unsigned for key, (unsigned, _) in pairs.items()}
    manifest = DataItem(tags=[(b"data-protocol", b"bundle-map"), (b"variant", b"0.0.1")],
                        data=json.dumps(index, separators=(",", ":")).encode())
    entries = [(manifest.unsigned_id, dataitem.serialize(manifest)), *pairs.values()]
    item.data = (len(entries).to_bytes(32, "big")
                 + b"".join(len(raw).to_bytes(32, "big") + _native(uid) for uid, raw in entries)
                 + b"".join(raw for _, raw in entries))
    tags = BUNDLE_TAGS + [t for t in item.tags if t not in BUNDLE_TAGS and t[0] != b"bundle-map"]
    item.tags = tags + [(b"bundle-map", manifest.unsigned_id.encode())]


def _native(human: str) -> bytes:
    from ..ids import native_id
    return native_id(human)


# -- data item -> message -------------------------------------------------------

def from_item(item: DataItem) -> dict:
    """The message of a data item (a signed item gives a committed message)."""
    value = _item_to_tabm(item, 0)
    if not isinstance(value, dict):
        raise EncodingError("this ANS-104 item holds a bare binary (ao-type: binary), not a message")
    return _typed(value)


def _typed(tabm: dict) -> dict:
    commitments = tabm.pop("commitments", None)
    message = structured.from_tabm(tabm)
    if commitments is not None:
        message["commitments"] = commitments
    return message


def _item_to_tabm(item: DataItem, depth: int):
    if depth > MAX_DEPTH:
        raise EncodingError(f"ANS-104 bundle nested more than {MAX_DEPTH} levels deep")
    names = [name for name, _ in item.tags]
    if (b"ao-type", b"binary") in item.tags:
        return item.data
    tabm: dict = dedup_tags(item.tags)
    for key in FILTERED_TAGS:
        tabm.pop(key, None)
    for key, attribute in ID_FIELDS.items():
        if getattr(item, attribute):
            tabm[key] = getattr(item, attribute)
    if b"bundle-map" in names and _tag(item, b"bundle-format") == b"binary" \
            and _tag(item, b"bundle-version") == b"2.0.0":
        for key, child in _unbundle_children(item).items():
            tabm[key] = _item_to_tabm(child, depth + 1)
    elif item.data:
        tabm["data"] = item.data
    normal = _canonical(names)
    commitment = {"commitment-device": NAME}
    if item.signed:
        commitment.update({"alg": "rsa-pss", "committer": item.owner_address,
                           "owner": item.owner, "signature": item.signature})
        name = item.id
    elif normal:
        return tabm
    else:
        commitment["alg"] = "unsigned"
        name = item.unsigned_id
    if not normal:
        commitment["original-tags"] = {str(n): {"name": _text(k), "value": _text(v)}
                                       for n, (k, v) in enumerate(item.tags, 1)}
    if depth == 0:
        tabm["commitments"] = {name: commitment}
    return tabm


def _canonical(names: list) -> bool:
    """True when re-encoding gives these tag names back: normalised, in key order, each
    once (bundle tags first, ``bundle-map`` last).  Otherwise the commitment keeps
    ``original-tags`` (HyperBEAM keeps them only for names that are not normalised)."""
    if not all(isinstance(_text(n), str) and normalize_key(_text(n)) == _text(n) for n in names):
        return False
    bundle_tags = [name for name, _ in BUNDLE_TAGS]
    if names[:2] == bundle_tags and names[-1:] == [b"bundle-map"]:
        names = names[2:-1]
    return all(a < b for a, b in zip(names, names[1:]))


def _tag(item: DataItem, name: bytes):
    return next((v for k, v in item.tags if k == name), None)


def _text(raw: bytes):
    return structured.binary_to_text(raw)


def dedup_tags(tags) -> dict:
    """Tags as keys: names normalised, a repeated name's values as a structured-field list."""
    grouped: dict = {}
    for name, value in tags:
        grouped.setdefault(normalize_key(_text(name)), []).append(value)
    return {key: values[0] if len(values) == 1 else
            b", ".join(structured.sf_string(v) for v in values)
            for key, values in grouped.items()}


def _unbundle_children(item: DataItem) -> dict:
    """The children of a HyperBEAM bundle, by the keys of its manifest; each
    child must have the unsigned ID the index gives it."""
    raw = item.data
    count = int.from_bytes(raw[:32], "big")
    if len(raw) < 32 or 32 + 64 * count > len(raw):
        raise EncodingError("malformed ans104@1.0 bundle: its index runs past its data")
    pos, found = 32 + 64 * count, {}
    for n in range(count):
        size = int.from_bytes(raw[32 + 64 * n:64 + 64 * n], "big")
        named = b64url(raw[64 + 64 * n:96 + 64 * n])
        child = dataitem.deserialize(raw[pos:pos + size])
        if child.unsigned_id != named:
            raise EncodingError(f"malformed ans104@1.0 bundle: item {n} is not the item "
                                f"{named} its index names")
        found[named] = child
        pos += size
    manifest = found.get(_text(_tag(item, b"bundle-map") or b""))
    if manifest is None:
        raise EncodingError("malformed ans104@1.0 bundle: no item is named by its bundle-map tag")
    try:
        index = json.loads(manifest.data)
        return {normalize_key(k): found[v] for k, v in index.items()}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise EncodingError(f"malformed ans104@1.0 bundle manifest: {exc!r}") from None


# -- bytes, signing, verifying, IDs ---------------------------------------------

def serialize(message: dict) -> bytes:
    """The ANS-104 bytes of *message*."""
    return dataitem.serialize(to_item(message))


def deserialize(raw: bytes) -> dict:
    """The message in ANS-104 bytes (its signature is not checked: see :func:`verify`)."""
    return from_item(dataitem.deserialize(raw))


def sign(message: dict, wallet) -> dict:
    """*message* signed as an ANS-104 item by *wallet* (other commitments dropped)."""
    if not isinstance(message, dict):
        raise CommitmentError(f"can only sign a message, not a {type(message).__name__}")
    body = {k: v for k, v in message.items() if normalize_key(k) != "commitments"}
    signed = dataitem.sign(_tabm_to_item(structured.to_tabm(body)), wallet)
    commitment = {"commitment-device": NAME, "alg": "rsa-pss", "committer": wallet.address,
                  "owner": signed.owner, "signature": signed.signature}
    return {**body, "commitments": {signed.id: commitment}}


def verify(message: dict) -> bool:
    """True when *message* carries one ans104@1.0 commitment that verifies and names it."""
    try:
        commitment = _ans104_commitment(message)
        if commitment is None:
            return False
        item = to_item(message)
    except (EncodingError, CommitmentError):
        return False
    commitment_ids = [k for k, c in message["commitments"].items() if c is commitment]
    return commitment_ids == [item.id] and \
        commitment.get("committer") in (None, item.owner_address)


def _verifies(message: dict, commitment_id: str, commitment: dict) -> bool:
    """httpsig's hook for ans104@1.0 commitments: the message's data item verifies and its
    ID is *commitment_id* (so a signed message's ID can be this commitment's)."""
    try:
        return verify(message) and to_item(message).id == commitment_id
    except (AolabError, ValueError, TypeError, KeyError):
        return False


httpsig.COMMITMENT_VERIFIERS[NAME] = _verifies


def item_id(message: dict) -> str:
    """The ID of *message*'s data item: SHA-256 of its signature when signed,
    else the unsigned ID (SHA-256 of its signature data)."""
    item = to_item(message)
    return item.id if item.signed else item.unsigned_id


def unsigned(message: dict) -> dict:
    """*message* without its commitments."""
    return {k: v for k, v in message.items() if normalize_key(k) != "commitments"}


__all__ = ["NAME", "to_item", "from_item", "serialize", "deserialize", "sign", "verify",
           "item_id", "unsigned", "dedup_tags"]
