"""cache@1.0: read a message from the node's store, by ID, hashpath or store key.

What a peer asks a node for when it needs an input it does not hold: a process's
assignment (``~scheduler@1.0/<pid>/assignments/<slot>``), a step's base or request (by
hashpath or ID).  HyperBEAM's ``hb_store_remote_node`` reads another node's store with
``GET /~cache@1.0/read?target=<key>``.  Keys:

``read``
    the message stored under the request's ``target``; an error with status 404 when
    the store has nothing there.

(HyperBEAM's ``write`` and ``link``, for the node's trusted writers, are not modelled.)

>>> import aolab
>>> lab = aolab.Node(name="cache-docs")
>>> message_id = lab.write({"hello": "world"})
>>> lab.resolve({"device": "cache@1.0"}, {"path": "read", "target": message_id})["hello"]
'world'
>>> lab.resolve_status({"device": "cache@1.0"}, {"path": "read", "target": "nothing/here"})[0]
'error'

Reference: HyperBEAM ``src/dev_cache.erl`` (``read/3``) and
``src/hb_store_remote_node.erl`` at b2743e4a.
"""
from __future__ import annotations

from aolab.errors import StoreError
from aolab.context import as_context

NAME = "cache@1.0"


def info():
    """The device's info: it exports ``read``."""
    return {"exports": ["read"], "excludes": ["set", "keys"]}


def read(base, request, opts):
    """The message stored under ``target``."""
    target = request.get("target")
    if not isinstance(target, str) or not target:
        return "error", {"status": 400, "body": "cache@1.0 read needs a 'target': the ID, "
                                                "hashpath or store key to read"}
    store = as_context(opts).store_for(NAME, "reads the node's store")
    try:
        return store.read(target)
    except StoreError:
        return "error", {"status": 404, "body": f"cache@1.0: nothing stored under {target!r}",
                             "unavailable": target}
