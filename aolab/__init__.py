"""aolab: an executable, recorded model of the AO-Core protocol.

aolab follows HyperBEAM (permaweb/HyperBEAM) main at commit b2743e4a (May 2025):
the same keys, the same semantics and byte-for-byte the same IDs and hashpaths.

>>> import aolab
>>> base = {"device": "message@1.0", "a": {"b": "RESULT"}}
>>> aolab.resolve(base, "a/b")
'RESULT'
>>> aolab.id({"a": "1"})
'N0nIQ3Vna7YDxuRsaVTYeYS4glkmxD4HrUbZIwIvN_s'
"""
from __future__ import annotations

from . import errors, signing, singleton, wallet  # signing: the codec's RSA check
from . import data  # noqa: F401 - aolab.data.wasm(name): the WebAssembly fixtures in data/wasm
from .hashpaths import hashpath_of, next_hashpath, verify_hashpath
from .ids import human_id, is_id, native_id, short_id
from .ids import id  # noqa: A004 - AO-Core's word
from .context import Context
from .message import UNSET, normalize_key
from .node import Network, Node
from .registry import Registry
from . import resolve as _old_name  # noqa: F401 - load it now: the name below must stay the function
from .resolver import default_registry, reset_default_registry, resolve, resolve_status
from .setting import set_values
from .store import DiskStore, MemoryStore, StoreChain
from .lmdb_store import LmdbStore
from .gateway import Gateway, GatewayStore
from .trace import Trace, recording
from .verify import verify_branch
from .http_client import RemoteNode, connect
from . import viz  # noqa: E402,F401 - registers Trace.show() and Trace.stepper()
from . import dist  # noqa: E402 - scale-out on Dask (imports dask only when a client is used)

__version__ = "0.1.0"
HYPERBEAM_REFERENCE = "permaweb/HyperBEAM main @ b2743e4a (May 2025)"


def hashpath(message) -> str:
    """The hashpath of a message: the one it carries, else its ID."""
    return hashpath_of(message)


def register_device(name: str, impl):
    """Register a device for ``aolab.resolve`` and for every Node created after."""
    return default_registry().register(name, impl)


def get(message, path, default=None, **opts):
    """The value at *path* in *message*, or *default* when it cannot be resolved."""
    try:
        return resolve(message, path, **opts)
    except (errors.KeyNotFound, errors.ResolutionError):
        return default


def set(message, path_or_values, value=UNSET, **opts):  # noqa: A001 - AO-Core's word
    """``message`` with keys set through its device (deep paths allowed).

    ``set(m, "a/b/c", 1)`` or ``set(m, {"a": 1, "b": 2})``.
    """
    if isinstance(path_or_values, (list, tuple)):
        path_or_values = "/".join(str(p) for p in path_or_values)
    values = path_or_values if isinstance(path_or_values, dict) else {path_or_values: value}
    return set_values(message, values, **opts)


__all__ = [
    "Context", "DiskStore", "Gateway", "GatewayStore", "LmdbStore", "MemoryStore", "StoreChain", "Network", "Node", "RemoteNode", "connect", "dist", "Registry", "Trace", "UNSET", "errors", "get",
    "hashpath", "hashpath_of", "human_id", "id", "is_id", "native_id", "next_hashpath",
    "normalize_key", "recording", "register_device", "reset_default_registry", "resolve",
    "resolve_status", "set", "short_id", "singleton", "verify_branch", "verify_hashpath", "wallet",
]
