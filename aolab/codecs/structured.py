"""structured@1.0: typed messages <-> TABM (type-annotated binary messages).

A TABM holds only binaries and nested TABMs.  Every value that is not a
binary is written as a binary and its type is recorded in the ``ao-types``
key, an RFC 8941 structured-field dictionary (``n="integer", t="atom"``):

========================  =========================================================
Python value              TABM form (type in ``ao-types``)
========================  =========================================================
``str`` / ``bytes``       the UTF-8 / raw bytes (no type; ``""`` is ``empty-binary``)
``int``                   decimal digits (``integer``)
``float``                 ``%.20e`` as Erlang's ``float_to_binary/1`` (``float``)
``True/False/None``       ``"true"``/``"false"``/``"null"`` (``atom``)
``list``                  a structured-field list; binaries as strings, other
                          items as ``"(ao-type-T) V"`` (``list``; ``[]`` is
                          ``empty-list``); a list of messages becomes a nested
                          TABM numbered from 1 (``list``)
``dict``                  a nested TABM (``{}`` is ``empty-message``)
a function (callable)     its stable reference ``#Fun<name.digest>`` (no
                          type, as HyperBEAM writes ``erlang:fun_to_list``)
========================  =========================================================

Keys are normalised (lower case except ID-length keys); private keys
(``priv*``) and the regenerated keys ``unsigned_id`` and ``content-digest`` are
left out; keys in ``ao-types`` are percent-escaped as ``hb_escape`` does.

Reference: HyperBEAM ``src/dev_codec_structured.erl``,
``src/hb_structured_fields.erl`` and ``src/hb_escape.erl`` at b2743e4a.
"""
from __future__ import annotations

import base64
import functools
import re
import sys

from ..errors import EncodingError
from ..message import normalize_key

REGEN_KEYS = frozenset(("unsigned_id", "content-digest"))
#: Keys the codecs write themselves; a message holding one could not be read back.
CODEC_KEYS = frozenset(("ao-types", "ao-ids", "body-keys"))
_ESCAPE_SAFE_BYTES = b"abcdefghijklmnopqrstuvwxyz0123456789.-_/?&+"
_ESCAPE_SAFE = frozenset(_ESCAPE_SAFE_BYTES)
MAX_DEPTH = 256


# -- RFC 8941 structured fields (the subset HyperBEAM writes) -------------------

def sf_string(value: bytes) -> bytes:
    """A structured-field string: quoted, with ``\\`` and ``"`` escaped."""
    return b'"' + value.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def sf_binary(value: bytes) -> bytes:
    """A structured-field byte sequence: ``:base64:``."""
    return b":" + base64.b64encode(value) + b":"


def sf_dictionary(pairs) -> bytes:
    """``key=value, key=value`` from already-serialised values."""
    return b", ".join(key + b"=" + value for key, value in pairs)


_SF_STRING = re.compile(rb'"([^"\\]*(?:\\.[^"\\]*)*)"', re.S)
_SF_ESCAPE = re.compile(rb"\\(.)", re.S)


def parse_sf_string(text: bytes, start: int = 0) -> tuple[bytes, int]:
    """Parse a quoted string at *start*; return ``(value, index after it)``."""
    if text[start:start + 1] != b'"':
        raise EncodingError(f"expected a structured-field string at {text[start:start + 20]!r}")
    found = _SF_STRING.match(text, start)
    if found is None:
        raise EncodingError(f"unterminated structured-field string in {text[:40]!r}")
    raw = found.group(1)
    return (_SF_ESCAPE.sub(rb"\1", raw) if b"\\" in raw else raw), found.end()


def parse_sf_string_list(text: bytes) -> list[bytes]:
    """Parse a list of strings ``"a", "b"`` (what ``list`` values hold)."""
    items, i = [], 0
    text = text.strip(b" ")
    while i < len(text):
        value, i = parse_sf_string(text, i)
        items.append(value)
        while i < len(text) and text[i] in b", ":
            i += 1
    return items


def parse_sf_dictionary(text: bytes) -> dict[bytes, bytes]:
    """Parse ``key="string", key2="string"`` into raw string values."""
    out, i = {}, 0
    text = text.strip(b" ")
    while i < len(text):
        eq = text.index(b"=", i)
        key = text[i:eq].strip(b" ")
        value, i = parse_sf_string(text, eq + 1)
        out[key] = value
        while i < len(text) and text[i] in b", ":
            i += 1
    return out


def escape_key(key: str) -> bytes:
    """Percent-escape a key as ``hb_escape:encode/1``."""
    try:
        raw = key.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise EncodingError(f"key {key!r} is not valid Unicode ({exc.reason} at position "
                            f"{exc.start})", key=repr(key)) from None
    if not raw.translate(None, _ESCAPE_SAFE_BYTES):  # every byte safe: as it is
        return raw
    return b"".join(bytes((b,)) if b in _ESCAPE_SAFE else b"%%%02x" % b for b in raw)


def unescape_key(raw: bytes) -> str:
    """The inverse of :func:`escape_key`."""
    if b"%" not in raw:  # nothing escaped
        return raw.decode("utf-8")
    return re.sub(rb"%([0-9a-fA-F]{2})", lambda m: bytes((int(m.group(1), 16),)), raw).decode("utf-8")


# -- values ----------------------------------------------------------------------

#: Lists of scalars nest inside one header field; deeper nesting is refused.
MAX_LIST_DEPTH = 32


def as_binary(value, key=None) -> bytes:
    """*value* as bytes: a str UTF-8 encoded, anything else as it is (an error names *key*)."""
    if not isinstance(value, str):
        return value
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise EncodingError(f"key {key!r}: text is not valid Unicode ({exc.reason} at "
                            f"position {exc.start})", key=key) from None


def encode_value(value, key, _depth: int = 0) -> tuple[str, bytes]:
    """``(type, binary)`` of a non-binary value (``dev_codec_structured:encode_value``)."""
    if value is True or value is False or value is None:
        return "atom", sf_string({True: b"true", False: b"false", None: b"null"}[value])
    if isinstance(value, int):
        try:
            return "integer", str(value).encode("ascii")
        except ValueError:
            raise EncodingError(f"key {key!r}: an integer of more than {sys.get_int_max_str_digits()} "
                                "digits cannot be encoded", key=key) from None
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise EncodingError(f"key {key!r}: {value!r} cannot be encoded (HyperBEAM floats are finite)",
                                key=key)
        return "float", b"%.20e" % value
    if isinstance(value, (list, tuple)):
        if _depth > MAX_LIST_DEPTH:
            raise EncodingError(f"key {key!r}: list nested more than {MAX_LIST_DEPTH} levels deep "
                                "(or containing itself)", key=key)
        return "list", b", ".join(_list_item(item, key, _depth + 1) for item in value)
    if isinstance(value, (str, bytes)):
        return "binary", as_binary(value, key)
    raise EncodingError(f"key {key!r}: a {type(value).__name__} cannot be encoded; expected "
                        "str, bytes, int, float, bool, None, list or dict", key=key)


def _list_item(item, key, _depth: int = 0) -> bytes:
    if _is_function(item):
        return sf_string(function_reference(item).encode("utf-8"))
    if isinstance(item, (str, bytes)):
        raw = as_binary(item, key)
        if raw.startswith(b"(ao-type-"):
            raise EncodingError(f"key {key!r}: a list item starting with '(ao-type-' would be read "
                                "back as a typed value; HyperBEAM's list encoding cannot carry it",
                                key=key)
        return sf_string(raw)
    if isinstance(item, dict):
        raise EncodingError(f"key {key!r}: a message inside a list must come first "
                            "(HyperBEAM encodes a list as messages only when its first item is one)", key=key)
    kind, encoded = encode_value(item, key, _depth)
    return sf_string(b"(ao-type-" + kind.encode() + b") " + encoded)


def _hostile_input_is_an_encoding_error(codec):
    """Any failure of *codec* on malformed input becomes an EncodingError (trust item 8)."""
    import functools

    @functools.wraps(codec)
    def checked(*args):
        try:
            return codec(*args)
        except EncodingError:
            raise
        except (TypeError, ValueError, AttributeError, KeyError, IndexError, RecursionError) as exc:
            raise EncodingError(f"{codec.__name__}: malformed input: {type(exc).__name__}: "
                                f"{str(exc)[:120]}") from None
    return checked


def _entered(message: dict, depth: int, seen: set | None) -> set:
    """The messages being encoded, *message* added; refuses cycles and deep nesting."""
    if depth > MAX_DEPTH:
        raise EncodingError(f"message nested more than {MAX_DEPTH} levels deep")
    seen = seen if seen is not None else set()
    if id(message) in seen:
        raise EncodingError("message contains itself (a cycle)")
    seen.add(id(message))
    return seen


def _normalized(message: dict) -> dict:
    """*message*'s keys normalised, refusing empty, invalid, codec-written and clashing keys."""
    normalized: dict[str, object] = {}
    for raw_key, value in message.items():
        key = normalize_key(raw_key)
        if not key:
            raise EncodingError("a message key is empty (HTTP field names cannot be)", key=key)
        if not key.isascii():
            escape_key(key)  # raises EncodingError for text that is not valid Unicode
        if key in CODEC_KEYS:
            raise EncodingError(f"key {raw_key!r} is written by the codecs themselves; a message "
                                "cannot hold it", key=key)
        if key in normalized:
            raise EncodingError(f"keys {raw_key!r} and another key both normalise to {key!r}", key=key)
        normalized[key] = value
    return normalized


def _list_value(key: str, value, depth: int, seen: set):
    """A non-empty list: a nested TABM numbered from 1 when it holds messages or
    lists, else one structured-field list."""
    if not isinstance(value[0], (dict, list, tuple)):
        return encode_value(value, key)[1]
    if id(value) in seen:
        raise EncodingError(f"key {key!r}: list contains itself (a cycle)", key=key)
    return to_tabm({str(i): v for i, v in enumerate(value, 1)}, depth + 1, seen)


@_hostile_input_is_an_encoding_error
def decode_value(kind: str, raw: bytes):
    """The inverse of :func:`encode_value`."""
    kind = kind.lower()
    if kind == "integer":
        return int(raw)
    if kind == "float":
        return float(raw)
    if kind == "atom":
        name = parse_sf_string(raw)[0] if raw[:1] == b'"' else raw
        atoms = {b"true": True, b"false": False, b"null": None}
        if name not in atoms:
            raise EncodingError(f"atom {name!r} has no Python value (only true, false, null)")
        return atoms[name]
    if kind == "list":
        out = []
        for item in parse_sf_string_list(raw):
            if item.startswith(b"(ao-type-"):
                inner_kind, _, inner = item[len(b"(ao-type-"):].partition(b") ")
                out.append(decode_value(inner_kind.decode(), inner))
            else:
                out.append(binary_to_text(item))
        return out
    if kind == "binary":
        return binary_to_text(raw)
    raise EncodingError(f"unknown ao-type {kind!r}")


# -- functions (inline devices) ---------------------------------------------------

def _is_function(value) -> bool:
    return callable(value) and not isinstance(value, (str, bytes, dict, list, tuple, type))


def function_reference(fn) -> str:
    """A stable textual reference to a Python function, as HyperBEAM encodes an
    Erlang fun by ``erlang:fun_to_list`` (``#Fun<module.index.hash>``): it names
    the function (``#Fun<qualified name.digest>``) and digests its code (bytecode, constants, names, defaults and
    the simple values it closes over), so the same code gives the same
    reference on every run and machine (of one Python version), and a message
    holding inline devices has an ID.  It cannot be turned back into the function.

    >>> function_reference(len)
    '#Fun<builtins.len>'
    >>> function_reference(lambda x: x + 1) == function_reference(lambda x: x + 1)
    True
    """
    return _function_reference(fn, 0)


def _function_reference(fn, depth: int) -> str:
    import hashlib

    if depth > 8:
        return "#Fun<...>"
    code = getattr(fn, "__code__", None)
    if code is None:
        inner = getattr(fn, "__func__", None)
        if inner is not None:  # a bound method: its function and its object's type
            owner = type(getattr(fn, "__self__", None))
            return f"#Fun<{owner.__module__}.{owner.__qualname__}.{_function_reference(inner, depth + 1)}>"
        name = getattr(fn, "__qualname__", None) or type(fn).__qualname__
        return f"#Fun<{getattr(fn, '__module__', None) or type(fn).__module__}.{name}>"
    parts = [_code_digest(code), _value_digest(getattr(fn, "__defaults__", None), depth),
             _value_digest(getattr(fn, "__kwdefaults__", None), depth),
             _value_digest(tuple(_cell(c) for c in (fn.__closure__ or ())), depth)]
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]
    return f"#Fun<{fn.__qualname__}.{digest}>"  # no module: its name depends on how it was imported


def _cell(cell):
    try:
        return cell.cell_contents
    except ValueError:  # an empty cell
        return None


def _code_digest(code) -> str:
    import hashlib

    consts = tuple(_code_digest(c) if hasattr(c, "co_code") else _value_digest(c, 0)
                   for c in code.co_consts)
    text = repr((code.co_code.hex(), consts, code.co_names, code.co_varnames, code.co_freevars,
                 code.co_cellvars, code.co_argcount, code.co_kwonlyargcount, code.co_flags))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _value_digest(value, depth: int) -> str:
    """A deterministic text for a value a function carries (no addresses, no
    hash-seed-dependent order)."""
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return repr(value)
    if _is_function(value):
        return _function_reference(value, depth + 1)
    if isinstance(value, (list, tuple)):
        return "(" + ",".join(_value_digest(v, depth) for v in value) + ")"
    if isinstance(value, (set, frozenset)):
        return "{" + ",".join(sorted(_value_digest(v, depth) for v in value)) + "}"
    if isinstance(value, dict):
        return "{" + ",".join(sorted(f"{_value_digest(k, depth)}:{_value_digest(v, depth)}"
                                     for k, v in value.items())) + "}"
    return f"<{type(value).__module__}.{type(value).__qualname__}>"


def binary_to_text(raw: bytes):
    """A binary as ``str`` when it is valid UTF-8, else ``bytes``."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


def is_empty_message(value: dict) -> bool:
    """No public key: private keys are removed before a message is encoded."""
    return all(isinstance(k, str) and k[:4].lower() == "priv" for k in value)


# -- messages <-> TABM ------------------------------------------------------------

def to_tabm(message: dict, _depth: int = 0, _seen=None) -> dict:
    """A message as a TABM: binaries, nested TABMs and ``ao-types`` (a raw binary
    passes through, as in HyperBEAM)."""
    if isinstance(message, bytes):
        return message
    if not isinstance(message, dict):
        raise EncodingError(f"structured@1.0 encodes messages or binaries, not a {type(message).__name__}")
    seen = _entered(message, _depth, _seen)
    normalized = _normalized(message)
    types: list[tuple[str, str]] = []
    values: dict = {}
    for key in sorted(normalized):
        if key in REGEN_KEYS or key.startswith("priv"):
            continue
        value = normalized[key]
        if isinstance(value, (str, bytes)):
            if not value:
                types.append((key, "empty-binary"))
            else:
                values[key] = as_binary(value, key)
        elif isinstance(value, dict):
            if is_empty_message(value):
                types.append((key, "empty-message"))
            else:
                values[key] = to_tabm(value, _depth + 1, seen)
        elif isinstance(value, (list, tuple)):
            types.append((key, "list" if value else "empty-list"))
            if value:
                values[key] = _list_value(key, value, _depth, seen)
        elif _is_function(value):
            values[key] = function_reference(value).encode("utf-8")
        else:
            kind, encoded = encode_value(value, key)
            types.append((key, kind))
            values[key] = encoded
    seen.discard(id(message))
    if types:
        values["ao-types"] = sf_dictionary((escape_key(k), sf_string(t.encode())) for k, t in types)
    return values


@_hostile_input_is_an_encoding_error
def from_tabm(tabm: dict) -> dict:
    """A TABM back as a typed message (``dev_codec_structured:to/1``); a raw
    binary passes through."""
    if isinstance(tabm, bytes):
        return tabm
    if not isinstance(tabm, dict):
        raise EncodingError(f"structured@1.0 decodes a TABM (a dict) or a binary, not a {type(tabm).__name__}")
    raw_types = tabm.get("ao-types", b"")
    types = {unescape_key(k): v.decode() for k, v in parse_sf_dictionary(as_binary(raw_types)).items()} \
        if raw_types else {}
    out: dict = {}
    for key, kind in types.items():
        if kind == "empty-binary":
            out[key] = ""
        elif kind == "empty-list":
            out[key] = []
        elif kind == "empty-message":
            out[key] = {}
    for key, value in tabm.items():
        if key == "ao-types":
            continue
        kind = types.get(normalize_key(key)) if types else None
        if isinstance(value, dict):
            child = from_tabm(value)
            out[key] = [child[k] for k in sorted(child, key=int)] if kind == "list" else child
        elif kind is None:
            out[key] = binary_to_text(as_binary(value))
        else:
            out[key] = decode_value(kind, as_binary(value))
    return out


# -- dictionary entries (signature and signature-input fields) ----------------------

def dictionary_entries(text: str) -> dict:
    """``{name: serialised value}`` of a structured-field dictionary, each value
    kept as written (RFC 8941; what ``signature`` and ``signature-input`` hold).

    >>> dictionary_entries('a=("x" "y");alg="z", b=:AA==:')
    {'a': '("x" "y");alg="z"', 'b': ':AA==:'}
    """
    return dict(_dictionary_entries(text))


@functools.lru_cache(maxsize=1024)
def _dictionary_entries(text: str) -> tuple:
    out, rest = {}, text
    while rest:
        name, sep, rest = rest.partition("=")
        if not sep:
            raise EncodingError(f"malformed structured-field dictionary {text[:60]!r}")
        end = _entry_end(rest)
        out[name.strip()] = rest[:end]
        rest = rest[end:].lstrip(", ")
    return tuple(out.items())


_ENTRY_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[(),]', re.S)


def _entry_end(text: str) -> int:
    """Where one dictionary value ends (the next top-level ``, ``)."""
    depth = 0
    for token in _ENTRY_TOKENS.finditer(text):
        mark = token.group()
        if mark == "(":
            depth += 1
        elif mark == ")":
            depth -= 1
        elif mark == "," and depth == 0:
            return token.start()
    return len(text)
