"""ANS-104 data items and bundles: the bytes Arweave stores.

A **data item** is a signed envelope with an owner, an optional target and
anchor, a list of tags and some data::

    signature type   2 bytes, little-endian (1 = Arweave RSA-4096)
    signature        512 bytes (all zero while unsigned)
    owner            512 bytes: the signer's RSA modulus (all zero while unsigned)
    target           1 presence byte, then 32 bytes when present
    anchor           1 presence byte, then 32 bytes when present
    tag count        8 bytes, little-endian
    tag bytes        8 bytes, little-endian: the length of the next field
    tags             Apache Avro: an array of {name: bytes, value: bytes}
    data             the rest

The signer signs the **deep hash** (SHA-384 over a tree of byte strings) of
``["dataitem", "1", "1", owner, target, anchor, tag bytes, data]`` with
RSA-PSS/SHA-256; the item's **ID** is the SHA-256 of its signature.  A
**bundle** is many serialized items behind an index: a 32-byte little-endian
count, then per item its size (32 bytes, little-endian) and ID (32 bytes).

>>> import aolab
>>> wallet = aolab.wallet.load(aolab.wallet.test_wallet_path("alice"))
>>> item = sign(DataItem(tags=[(b"Content-Type", b"text/plain")], data=b"hello"), wallet)
>>> copy = deserialize(serialize(item))
>>> verify(copy), copy.id == item.id, copy.tags
(True, True, [(b'Content-Type', b'text/plain')])

The codec is pure: it signs with the wallet it is handed and verifies with
the check :mod:`aolab.signing` registers (:data:`SIGNATURE_CHECKS`).  The
format is written here (this module, over ``hashlib``) rather than taken from PyPI's ``pyarweave``, whose last release is
from May 2023; it is checked byte for byte against npm ``@dha-team/arbundles``
(``data/vectors/ans104/``).

Reference: the ANS-104 standard; HyperBEAM ``src/ar_bundles.erl`` and
``src/ar_deep_hash.erl`` at b2743e4a; npm ``@dha-team/arbundles``.
"""
from __future__ import annotations

import dataclasses
import hashlib

from ..errors import CommitmentError, EncodingError
from .base64url import b64url, b64url_decode  # noqa: F401 - public here too

SIGNATURE_TYPE_ARWEAVE = 1
SIGNATURE_LENGTH = 512
OWNER_LENGTH = 512
MAX_TAGS = 128
MAX_TAG_NAME = 1024
MAX_TAG_VALUE = 3072
UNSIGNED = bytes(SIGNATURE_LENGTH)


@dataclasses.dataclass
class DataItem:
    """One ANS-104 data item (fields are raw bytes; tags keep their order and case)."""

    tags: list = dataclasses.field(default_factory=list)
    data: bytes = b""
    target: bytes = b""
    anchor: bytes = b""
    owner: bytes = bytes(OWNER_LENGTH)
    signature: bytes = UNSIGNED
    signature_type: int = SIGNATURE_TYPE_ARWEAVE

    @property
    def signed(self) -> bool:
        """Whether the item carries a signature (not the all-zero placeholder)."""
        return self.signature != UNSIGNED

    @property
    def id(self) -> str:
        """SHA-256 of the signature, base64url (43 characters)."""
        return b64url(hashlib.sha256(self.signature).digest())

    @property
    def unsigned_id(self) -> str:
        """SHA-256 of the signature data with a zero owner: names an unsigned item."""
        unowned = dataclasses.replace(self, owner=bytes(OWNER_LENGTH))
        return b64url(hashlib.sha256(signature_data(unowned)).digest())

    @property
    def owner_address(self) -> str:
        """SHA-256 of the owner (the signer's wallet address)."""
        return b64url(hashlib.sha256(self.owner).digest())


# -- deep hash -----------------------------------------------------------------

def deep_hash(value) -> bytes:
    """Arweave's deep hash: SHA-384 over nested lists of byte strings.

    A blob hashes as ``H(H("blob" + len) + H(blob))``; a list folds its items
    into ``H("list" + len)``, one ``H(acc + deep_hash(item))`` at a time.
    """
    if isinstance(value, (list, tuple)):
        acc = _sha384(b"list" + str(len(value)).encode())
        for item in value:
            acc = _sha384(acc + deep_hash(item))
        return acc
    return _sha384(_sha384(b"blob" + str(len(value)).encode()) + _sha384(value))


def _sha384(raw: bytes) -> bytes:
    return hashlib.sha384(raw).digest()


def signature_data(item: DataItem) -> bytes:
    """The 48 bytes an item's owner signs."""
    return deep_hash([b"dataitem", b"1", str(item.signature_type).encode(), item.owner,
                      item.target, item.anchor, encode_tags(item.tags), item.data])


# -- Avro tags -----------------------------------------------------------------

def _zigzag(value: int) -> bytes:
    n = (value << 1) ^ (value >> 63)
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def encode_tags(tags) -> bytes:
    """Tags as Avro bytes (one block, then the 0 terminator); no tags are no bytes."""
    if not tags:
        return b""
    out = bytearray(_zigzag(len(tags)))
    for name, value in tags:
        for field in (name, value):
            out += _zigzag(len(field)) + field
    out.append(0)
    return bytes(out)


def decode_tags(raw: bytes) -> list:
    """Avro bytes back to ``[(name, value), ...]``; malformed bytes raise EncodingError."""
    tags, pos = [], 0

    def long() -> int:
        nonlocal pos
        shift = result = 0
        while True:
            if pos >= len(raw) or shift > 63:
                raise EncodingError("ANS-104 tags: truncated Avro number")
            byte = raw[pos]
            pos += 1
            result |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return (result >> 1) ^ -(result & 1)

    def field() -> bytes:
        nonlocal pos
        size = long()
        if size < 0 or pos + size > len(raw):
            raise EncodingError("ANS-104 tags: a tag name or value runs past the tag bytes")
        pos += size
        return bytes(raw[pos - size:pos])

    if not raw:
        return tags
    while True:
        count = long()
        if count == 0:
            break
        if count < 0:  # a block that announces its byte size
            count = -count
            long()
        for _ in range(count):
            tags.append((field(), field()))
            if len(tags) > MAX_TAGS:
                raise EncodingError(f"ANS-104 item has more than {MAX_TAGS} tags")
    if pos != len(raw):
        raise EncodingError(f"ANS-104 tags: {len(raw) - pos} bytes after the Avro array")
    return tags


# -- serialize / deserialize ----------------------------------------------------

def serialize(item: DataItem) -> bytes:
    """The item's bytes (the ANS-104 binary layout)."""
    check(item)
    tags = encode_tags(item.tags)
    return b"".join((
        item.signature_type.to_bytes(2, "little"), item.signature, item.owner,
        _optional(item.target), _optional(item.anchor),
        len(item.tags).to_bytes(8, "little"), len(tags).to_bytes(8, "little"), tags, item.data))


def _optional(field: bytes) -> bytes:
    return b"\x01" + field if field else b"\x00"


def deserialize(raw: bytes) -> DataItem:
    """A data item from its bytes; anything malformed raises :class:`EncodingError`."""
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        raise EncodingError(f"an ANS-104 data item is bytes, not {type(raw).__name__}")
    raw = bytes(raw)
    header = 2 + SIGNATURE_LENGTH + OWNER_LENGTH
    if len(raw) < header + 2 + 16:
        raise EncodingError(f"{len(raw)} bytes are too few for an ANS-104 data item "
                            f"(at least {header + 18})")
    kind = int.from_bytes(raw[:2], "little")
    if kind != SIGNATURE_TYPE_ARWEAVE:
        raise EncodingError(f"ANS-104 signature type {kind} is not supported (only 1, Arweave RSA-4096)")
    signature, owner = raw[2:2 + SIGNATURE_LENGTH], raw[2 + SIGNATURE_LENGTH:header]
    pos = header
    target, pos = _read_optional(raw, pos, "target")
    anchor, pos = _read_optional(raw, pos, "anchor")
    if pos + 16 > len(raw):
        raise EncodingError("ANS-104 item ends inside its tag header")
    count = int.from_bytes(raw[pos:pos + 8], "little")
    size = int.from_bytes(raw[pos + 8:pos + 16], "little")
    pos += 16
    if count > MAX_TAGS or pos + size > len(raw):
        raise EncodingError(f"ANS-104 tag header announces {count} tags in {size} bytes; "
                            f"the item has {len(raw) - pos} bytes left")
    tags = decode_tags(raw[pos:pos + size])
    if len(tags) != count:
        raise EncodingError(f"ANS-104 tag header announces {count} tags, the tags hold {len(tags)}")
    item = DataItem(tags=tags, data=raw[pos + size:], target=target, anchor=anchor, owner=owner,
                    signature=signature, signature_type=kind)
    check(item)
    return item


def _read_optional(raw: bytes, pos: int, name: str) -> tuple[bytes, int]:
    if pos >= len(raw) or raw[pos] not in (0, 1):
        raise EncodingError(f"ANS-104 {name} presence byte must be 0 or 1")
    if raw[pos] == 0:
        return b"", pos + 1
    if pos + 33 > len(raw):
        raise EncodingError(f"ANS-104 item ends inside its {name}")
    return raw[pos + 1:pos + 33], pos + 33


def check(item: DataItem) -> None:
    """Refuse an item the format cannot hold (sizes, tag limits)."""
    for name, value, sizes in (("signature", item.signature, (SIGNATURE_LENGTH,)),
                               ("owner", item.owner, (OWNER_LENGTH,)),
                               ("target", item.target, (0, 32)), ("anchor", item.anchor, (0, 32))):
        if not isinstance(value, bytes) or len(value) not in sizes:
            raise EncodingError(f"ANS-104 {name} must be {' or '.join(map(str, sizes))} bytes",
                                key=name)
    if not isinstance(item.data, bytes):
        raise EncodingError("ANS-104 data must be bytes", key="data")
    if len(item.tags) > MAX_TAGS:
        raise EncodingError(f"ANS-104 items hold at most {MAX_TAGS} tags, not {len(item.tags)}")
    for name, value in item.tags:
        if not (isinstance(name, bytes) and isinstance(value, bytes)):
            raise EncodingError(f"ANS-104 tag {name!r}: names and values are bytes")
        if not name or len(name) > MAX_TAG_NAME or len(value) > MAX_TAG_VALUE:
            raise EncodingError(f"ANS-104 tag {name[:40]!r}: names hold 1 to {MAX_TAG_NAME} bytes, "
                                f"values at most {MAX_TAG_VALUE}", key=name.decode("utf-8", "replace"))


# -- signing ----------------------------------------------------------------------

def sign(item: DataItem, wallet) -> DataItem:
    """A copy of *item* signed by *wallet* (its owner set to the wallet's modulus)."""
    owned = dataclasses.replace(item, owner=wallet.modulus, signature_type=SIGNATURE_TYPE_ARWEAVE)
    check(owned)
    return dataclasses.replace(owned, signature=wallet.sign_pss_sha256(signature_data(owned)))


#: Signature checks by signature type: ``fn(signed data, signature, owner) -> bool``.
#: The codec holds no keys: :mod:`aolab.signing` registers Arweave's RSA-PSS-SHA256.
SIGNATURE_CHECKS: dict = {}


def verify(item: DataItem) -> bool:
    """True when *item* is signed and its signature is its owner's over its fields
    (checked by the check registered for its signature type)."""
    if not item.signed:
        return False
    verifier = SIGNATURE_CHECKS.get(item.signature_type)
    if verifier is None:
        return False
    try:
        check(item)
        return bool(verifier(signature_data(item), item.signature, item.owner))
    except (EncodingError, CommitmentError):
        return False


# -- bundles ------------------------------------------------------------------------

def bundle(items) -> bytes:
    """Signed items as one ANS-104 bundle (the data of a bundling transaction)."""
    parts = [serialize(item) for item in items]
    index = b"".join(len(part).to_bytes(32, "little") + hashlib.sha256(item.signature).digest()
                     for item, part in zip(items, parts))
    return len(parts).to_bytes(32, "little") + index + b"".join(parts)


def unbundle(raw: bytes) -> list:
    """The items of a bundle, each checked against the index's size and ID."""
    if len(raw) < 32:
        raise EncodingError("an ANS-104 bundle starts with a 32-byte item count")
    count = int.from_bytes(raw[:32], "little")
    if 32 + 64 * count > len(raw):
        raise EncodingError(f"ANS-104 bundle announces {count} items; too few bytes for the index")
    pos, items = 32 + 64 * count, []
    for n in range(count):
        entry = raw[32 + 64 * n:96 + 64 * n]
        size = int.from_bytes(entry[:32], "little")
        item = deserialize(raw[pos:pos + size])
        if hashlib.sha256(item.signature).digest() != entry[32:]:
            raise EncodingError(f"ANS-104 bundle item {n}: its ID does not match the index")
        items.append(item)
        pos += size
    return items
