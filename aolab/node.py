"""A node: a device registry, a store, a recorder, and its configuration.

``Node.resolve`` is ``aolab.resolve`` with the node's context
(:meth:`Node.opts`: its registry, store, wallet and recorder, and its
configuration for options), wrapped the way HyperBEAM's meta@1.0 wraps every
request: the node's ``on/request`` hook first (payments, for example), then
the resolution, then the ``on/response`` hook, then the node's signature on
the result when it has a wallet and ``force-signed`` is set.  Every
convenience method is one call of it.

>>> import aolab
>>> lab = aolab.Node()
>>> lab.resolve({"a": {"b": "RESULT"}}, "a/b")
'RESULT'
>>> len(lab.trace)
2
>>> lab.resolve("/~meta@1.0/info")["node-name"]
'node'
"""
from __future__ import annotations

import weakref

from . import resolver as _resolve
from .context import RESOLVER_OPTIONS, Context, as_context, made, option_spellings
from .errors import AolabError, ResolutionError, StoreError
from .store import DiskStore, MemoryStore, StoreChain
from .trace import Trace

#: Keys of the node configuration that hold no secrets but are not shown by ``info``.
_HIDDEN_CONFIG = ("priv",)


class Network:
    """Nodes that can reach each other (in-process transport).

    A node joins its network when it is made; ``fetch`` asks the others for a
    message by ID or hashpath, ``find`` looks a node up by name or wallet
    address.  Nodes are held weakly: a node nobody uses leaves by itself (so
    :data:`DEFAULT_NETWORK` keeps no node alive).  Two nodes may share a name:
    both stay reachable by ``fetch``; ``find`` gives the one that joined last.
    """

    def __init__(self):
        #: ``(name, joined) -> node``, weakly: ``joined`` counts joins, so names may repeat.
        self._nodes: "weakref.WeakValueDictionary[tuple, Node]" = weakref.WeakValueDictionary()
        self._joined = 0

    def join(self, node: "Node") -> None:
        """Add *node* to this network (held weakly: a node no one uses leaves it)."""
        self._joined += 1
        self._nodes[(node.name, self._joined)] = node

    def nodes(self) -> list:
        """The nodes alive, by name, then in the order they joined."""
        return [node for _key, node in sorted(self._nodes.items(), key=lambda item: item[0])]

    def find(self, name_or_address: str):
        """The node with this name (the last to join) or operator address, or None."""
        alive = self.nodes()
        for candidate in reversed(alive):
            if candidate.name == name_or_address:
                return candidate
        for candidate in alive:
            if candidate.address == name_or_address:
                return candidate
        return None

    def fetch(self, key: str, exclude=None) -> dict:
        """A message by ID or hashpath, from the first node that has it."""
        for node in self.nodes():
            if node is exclude:
                continue
            try:
                return node.fetch(key)
            except StoreError:
                continue
        raise StoreError(f"no node of the network holds {key!r}", key=key)


DEFAULT_NETWORK = Network()


class Node:
    """An in-process AO-Core node.

    Parameters
    ----------
    name : str
        A label for notebooks and multi-node demos; unique in its network.
    store : MemoryStore, DiskStore, path, list of stores, or None
        Where results are kept; a path makes a :class:`DiskStore`, a list a
        :class:`~aolab.store.StoreChain` (written to its first store, read
        through the others on a miss: ``[MemoryStore(), GatewayStore(...)]``).
        Defaults to a fresh :class:`MemoryStore`.
    devices : dict, optional
        Extra devices, ``name@version -> implementation``.
    allowed, deny : iterables of device names
        Only ``allowed`` devices (when given), never ``deny`` ones, resolve here.
    device_path : iterable of folders
        Folders of device modules (each with a ``NAME``) to register.
    record : bool
        Record every step into :attr:`trace` (switch with :attr:`recording`).
    operator_key : aolab.wallet.Wallet, optional
        The node's wallet: it signs results (``force-signed``) and is the
        operator unless ``config`` names another ``operator`` address.
    config : dict, optional
        The node message (HyperBEAM's node options, hyphenated): ``operator``,
        ``force-signed``, ``on`` (``request``/``response`` hooks),
        ``simple-pay-price``, ``simple-pay-ledger``, ``allowed-devices``, ...
        Readable at ``/~meta@1.0/info``.
    network : Network, optional
        The nodes this one can fetch from (default: every node of the process).
    """

    def __init__(self, name: str = "node", *, store=None, devices=None, allowed=None,
                 deny=(), device_path=(), record: bool = True, operator_key=None, config=None,
                 network: Network | None = None):
        self.name = name
        registry = _resolve.default_registry().copy()
        registry.allowed = None if allowed is None else {n.lower() for n in allowed}
        registry.deny = {n.lower() for n in deny}
        self.registry = registry
        for folder in device_path:
            self.registry.add_path(folder)
        for device_name, impl in (devices or {}).items():
            self.registry.register(device_name, impl)
        if store is None:
            store = MemoryStore()
        elif isinstance(store, (list, tuple)):
            store = StoreChain(store)
        elif not hasattr(store, "read"):
            store = DiskStore(store)
        self.store = store
        self.trace = Trace()
        self.recording = record
        self.wallet = operator_key
        self.config: dict = {}
        self.history: list = []
        self.update_config({
            "node-name": name,
            "operator": operator_key.address if operator_key is not None else "unclaimed",
            "force-signed": operator_key is not None,
            **(config or {}),
        })
        self.network = DEFAULT_NETWORK if network is None else network
        self.network.join(self)

    def __repr__(self) -> str:
        return f"<Node {self.name}: {len(self.trace)} steps recorded>"

    @property
    def address(self) -> str | None:
        """The node wallet's address (None without a wallet)."""
        return None if self.wallet is None else self.wallet.address

    # -- configuration (meta@1.0 reads and writes it through these) -------------
    def update_config(self, values: dict) -> dict:
        """Apply *values* to the node message (``allowed-devices`` takes effect at once)."""
        new = {**self.config, **values}
        allowed = values.get("allowed-devices")
        if allowed is not None:
            self.registry.allowed = {str(n).lower() for n in allowed}
        self.config = new
        # The options the resolver reads at every step, as this configuration sets them:
        # every context of this node carries them (so none looks them up per resolution).
        self._resolver_options = {k: v for k, v in new.items() if k in RESOLVER_OPTIONS}
        self.history.append(values)
        return new

    def info(self) -> dict:
        """The node message as ``/~meta@1.0/info`` shows it."""
        shown = {k: v for k, v in self.config.items() if k not in _HIDDEN_CONFIG}
        shown["preloaded-devices"] = sorted(self.registry.names())
        if self.registry.allowed is not None:
            shown["allowed-devices"] = sorted(self.registry.allowed)
        if self.wallet is not None:
            shown["address"] = self.wallet.address
        return shown

    def opts(self, **overrides) -> Context:
        """The :class:`~aolab.context.Context` this node passes to every handler:
        its registry, store, wallet, itself, and its trace as the listener
        while :attr:`recording`; *overrides* are options (or services) for
        one resolution.  Options not overridden are read from :attr:`config`.

        >>> lab = Node(name="ctx", config={"max-passes": 5})
        >>> ctx = lab.opts(process_snapshot_lag=0)
        >>> ctx.store is lab.store, ctx.option("max_passes"), ctx.option("process-snapshot-lag")
        (True, 5, 0)
        """
        return made(self._services(overrides))

    def _services(self, overrides: dict) -> dict:
        """The mapping this node's contexts are made from: its services, then *overrides*."""
        services = {"registry": self.registry, "store": self.store, "node": self,
                    "listener": self.trace if self.recording else None}
        if self.wallet is not None:
            services["wallet"] = self.wallet
        if self._resolver_options:
            services.update(self._resolver_options)
            for key in RESOLVER_OPTIONS.intersection(overrides or ()):
                for spelling in option_spellings(key):  # the caller's override wins
                    services.pop(spelling, None)
        if overrides:
            services.update(overrides)
        return services

    # -- resolving -----------------------------------------------------------
    def resolve(self, base, request=None, **opts):
        """Resolve on this node; ``resolve("/ID/key")`` starts from a stored message.

        Raises :class:`~aolab.errors.ResolutionError` when the result's status
        is not ``ok`` (a hook refused the request, a device failed softly).
        """
        status, value = self.resolve_status(base, request, **opts)
        if status != "ok":
            raise ResolutionError(f"node {self.name}: request ended with status {status!r}: "
                                  f"{_resolve._preview(value)}").with_status(status, value)
        return value

    def resolve_status(self, base, request=None, **opts):
        """Like :meth:`resolve`, returning ``(status, value)``."""
        if request is None:
            base, request = None, base
        options = self._services(opts)  # the resolver makes the context, once
        hooks = self.config.get("on") or {}
        request = _resolve.as_request(request)
        if request.get("commitments"):
            from . import signing
            try:
                found = signing.verified_signers(request)
            except (AolabError, TypeError, ValueError, AttributeError, KeyError, IndexError,
                    RecursionError):  # commitments that are not commitments verify nothing
                found = None
            if found is None:
                return "error", {"status": 400, "body": "the request's commitments do not verify"}
            # A signature vouches only for the keys it covers: act on those alone.
            request = signing.only_signed(request)
            if opts.get("signers") is None:  # the caller's own signers= stand
                options.update(signers=found, **{"signed-keys": signing.signed_keys(request)})
        if hooks.get("request"):
            status, hooked = self._hook("request", hooks["request"], base, request, options)
            if status != "ok":
                return status, hooked
        status, value = _resolve.resolve_status(base, request, options)
        if status == "ok" and hooks.get("response"):
            status, value = self._hook("response", hooks["response"], base, request, options,
                                       value)
        if status == "ok" and isinstance(value, dict) and self.config.get("force-signed") \
                and self.wallet is not None:
            value = self.sign(value)
        return status, value

    def _hook(self, name: str, hook: dict, base, request: dict, options, body=None):
        """Run an ``on/<name>`` hook message (dev_meta's pre/post-processing) with
        *options* (a context, or the mapping one is made from)."""
        messages = [base if base is not None else {}, request] if body is None else body
        hook_request = {"path": name, "request": request, "body": messages}
        # ``ctx.hook`` tells a device it runs as this node's hook (p4@1.0 and the ledger
        # act only then): a service of the context, which no message can set.
        status, answer = _resolve.resolve_status(hook, hook_request,
                                                 as_context(options).derive(hook=name))
        if status != "ok":
            return status, answer
        if isinstance(answer, dict) and "body" in answer and body is not None:
            return "ok", answer["body"]
        return "ok", answer

    def sign(self, message: dict) -> dict:
        """*message* signed by this node's wallet; a result this node computed
        (its store holds it under its hashpath) is kept there signed.  A hashpath
        the message merely claims is never written to."""
        from . import signing

        signed = signing.sign(message, self.wallet)
        priv = message.get("priv")
        hashpath = priv.get("hashpath") if isinstance(priv, dict) else None
        if isinstance(hashpath, str) and _resolve.holds_result(self.store, hashpath, message):
            self.store.write_result(hashpath, signed)
        return signed

    # -- over HTTP ------------------------------------------------------------
    def serve(self, port: int = 8734, host: str = "127.0.0.1", **limits):
        """Serve this node over HTTP in the background, as HyperBEAM does;
        return the :class:`aolab.http_server.Server` (``.url``, ``.stop()``).

        ``port=0`` picks a free port; ``max_body`` (bytes) and ``timeout``
        (seconds; None: no limit) bound each request.
        """
        from .http_server import serve
        return serve(self, port=port, host=host, **limits)

    # -- fetching and verifying ------------------------------------------------
    def fetch(self, key: str) -> dict:
        """A message this node holds, by ID or hashpath (what peers ask for)."""
        return self.store.read(key)

    def verify(self, result, source=None):
        """Re-execute *result* from its hashpath's inputs; see :func:`aolab.verify.verify`."""
        from .verify import verify
        return verify(self, result, source)

    def prove(self, result):
        """A proof of *result* holding only its branch; see :func:`aolab.verify.prove`."""
        from .verify import prove
        return prove(self, result)

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
