"""A node: a device registry, a store and a recorder, and nothing more.

``Node.resolve`` is ``aolab.resolve`` with the node's registry, store and
recorder in the options; every convenience method is one call of it.

>>> import aolab
>>> lab = aolab.Node()
>>> lab.resolve({"a": {"b": "RESULT"}}, "a/b")
'RESULT'
>>> len(lab.trace)
2
"""
from __future__ import annotations

from . import resolve as _resolve
from .store import DiskStore, MemoryStore
from .trace import Trace


class Node:
    """An in-process AO-Core node.

    Parameters
    ----------
    name : str
        A label for notebooks and multi-node demos.
    store : MemoryStore, DiskStore, path or None
        Where results are kept; a path makes a :class:`DiskStore`.  Defaults to
        a fresh :class:`MemoryStore`.
    devices : dict, optional
        Extra devices, ``name@version -> implementation``.
    allowed, deny : iterables of device names
        Only ``allowed`` devices (when given), never ``deny`` ones, resolve here.
    device_path : iterable of folders
        Folders of device modules (each with a ``NAME``) to register.
    record : bool
        Record every step into :attr:`trace` (switch with :attr:`recording`).
    """

    def __init__(self, name: str = "node", *, store=None, devices=None, allowed=None,
                 deny=(), device_path=(), record: bool = True):
        self.name = name
        base = _resolve.default_registry().copy()
        base.allowed = None if allowed is None else {n.lower() for n in allowed}
        base.deny = {n.lower() for n in deny}
        self.registry = base
        for folder in device_path:
            self.registry.add_path(folder)
        for device_name, impl in (devices or {}).items():
            self.registry.register(device_name, impl)
        if store is None:
            store = MemoryStore()
        elif not hasattr(store, "read"):
            store = DiskStore(store)
        self.store = store
        self.trace = Trace()
        self.recording = record

    def __repr__(self) -> str:
        return f"<Node {self.name}: {len(self.trace)} steps recorded>"

    def opts(self, **extra) -> dict:
        """The options this node passes to every handler."""
        opts = {"registry": self.registry, "store": self.store, "node": self,
                "listener": self.trace if self.recording else None}
        opts.update(extra)
        return opts

    def resolve(self, base, request=None, **opts):
        """Resolve on this node; ``resolve("/ID/key")`` starts from a stored message."""
        if request is None:
            base, request = None, base
        return _resolve.resolve(base, request, self.opts(**opts))

    def resolve_status(self, base, request=None, **opts):
        """Like :meth:`resolve`, returning ``(status, value)``."""
        if request is None:
            base, request = None, base
        return _resolve.resolve_status(base, request, self.opts(**opts))

    # -- processes: each helper is one resolve ------------------------------
    def spawn(self, process: dict) -> dict:
        """Store a process message (``device`` defaults to ``process@1.0``); return it.

        Its ID (``aolab.id(process)``) names the process in paths such as
        ``/ID~process@1.0/compute&slot=1``.
        """
        process = {"device": "process@1.0", **process}
        self.store.write(process)
        return process

    def schedule(self, process: dict, message: dict, **opts) -> dict:
        """Assign *message* to the process's next slot; return the assignment."""
        return self.resolve(process, {"path": "schedule", "method": "POST", "body": message}, **opts)

    def compute(self, process: dict, slot=None, **opts) -> dict:
        """The process's state after *slot* (the latest known state when None)."""
        request = {"path": "compute"} if slot is None else {"path": "compute", "slot": slot}
        return self.resolve(process, request, **opts)

    def register_device(self, name: str, impl):
        """Add a device to this node only."""
        return self.registry.register(name, impl)

    def write(self, message: dict) -> str:
        """Store *message*; return its ID."""
        return self.store.write(message)

    def read(self, key: str) -> dict:
        """A stored message, by ID or hashpath."""
        return self.store.read(key)
