"""The context of a resolution: the services and options every handler is given.

HyperBEAM hands every device function an ``Opts`` map; aolab hands it a
:class:`Context`, the third argument of a handler ``(base, request, ctx)``.
It holds two kinds of thing.

**Services**, as typed attributes (None when absent):

============== ==============================================================
``registry``   the :class:`~aolab.registry.Registry` devices are found in
``store``      where linked results are kept (a store), or None
``node``       the :class:`~aolab.node.Node` resolving, or None
``listener``   who hears each step (e.g. an :class:`aolab.Trace`), or None
``wallet``     the node's :class:`~aolab.wallet.Wallet`, or None
``signers``    addresses whose signatures on the request the node verified
``signed_keys`` ``address -> keys`` each of those signatures covers
``hook``       the node hook this resolution runs as (``request`` or
               ``response``: p4@1.0 and simple-pay@1.0 act only then)
``caller_base`` the base the caller handed in (its claimed hashpath is
               checked before it is used, see :func:`aolab.linking.caller_base`)
============== ==============================================================

**Options**, through one lookup, :meth:`Context.option`.  A name is
normalised one way, hyphenated and lower case as HyperBEAM's node options
(``max_passes``, ``Max-Passes`` and ``max-passes`` are one name), then looked
up in order:

1. this resolution's overrides: the keyword options of ``aolab.resolve`` or
   ``Node.resolve``, and what :meth:`Context.derive` changed;
2. the node's configuration (its node message: ``Node(config=...)``, or
   meta@1.0's update), when a node resolves;
3. the default the caller of :meth:`option` gives.

An override or a configuration entry counts when present, even as None
(``wasm_fuel=None`` lifts the fuel cap).  Options come from the caller and
the node's operator only: no message sets one (a device that lets a message
ask for a limit only lowers the option, see stack@1.0's ``max-passes``).  The
resolver's own options, read at every step, are looked up once when the
context is made: :attr:`max_depth`, :attr:`max_path_segments` and
:attr:`hashpath` (``update``: results are linked and stored; ``ignore``); a
:class:`~aolab.node.Node` puts those its configuration sets into every
context it makes, so :func:`make_context` need not read the configuration.

A context is not changed once made: :meth:`derive` gives a changed copy
(``ctx.derive(hashpath="ignore")``), so the same context can be passed on to
nested resolutions as it is.

**Compatibility view.**  A context is also a read-only ``dict``, so handlers
written for the plain options dict of earlier aolab keep working: it maps
what the caller passed, under the keys it used, and the services under their
keys (``opts["store"]``, ``opts.get("node")``, ``"signed-keys"``,
``"caller-base"``, ``"node-hook"``).  ``dict(opts)`` or ``{**opts, "k": v}``
is a plain dict, which ``aolab.resolve`` turns back into a context.  Changing
it in place (``opts["k"] = v``) raises a :class:`TypeError` that names
:meth:`derive`.  aolab's own code reads the attributes and :meth:`option`.

>>> ctx = Context({"max_passes": 5, "store": None})
>>> ctx.option("max-passes"), ctx.option("Max_Passes"), ctx.option("fuel", 10)
(5, 5, 10)
>>> ctx.derive(max_passes=7).option("max-passes"), ctx["max_passes"]
(7, 5)
>>> ctx.max_depth, ctx.hashpath
(120, 'update')

Reference: HyperBEAM ``src/hb_opts.erl`` (``get/3``: the resolution's
``Opts``, then the node's, then the default) at b2743e4a.
"""
from __future__ import annotations

import functools
import operator

from .events import active_listener
from .path import MAX_PATH_SEGMENTS

#: Defaults of the resolver's own options (see :class:`Context`): how deep
#: steps may nest, and whether results are linked (``update``) or not (``ignore``).
MAX_DEPTH = 120
HASHPATH = "update"

#: Service attribute -> its key in the compatibility view.
SERVICES = {"registry": "registry", "store": "store", "node": "node", "listener": "listener",
            "wallet": "wallet", "signers": "signers", "signed_keys": "signed-keys",
            "hook": "node-hook", "caller_base": "caller-base"}
_SERVICE_OF_KEY = {**{key: attr for attr, key in SERVICES.items()},
                   **{attr: attr for attr in SERVICES}}
#: Every spelling of the resolver's own options (looked up when a context is made).
RESOLVER_OPTIONS = _OWN_OPTIONS = frozenset(("max-depth", "max_depth", "max-path-segments",
                                             "max_path_segments", "hashpath"))
_ABSENT = object()


@functools.lru_cache(maxsize=1024)
def option_name(name: str) -> str:
    """The one spelling of an option name: lower case, hyphenated (``max_passes`` -> ``max-passes``)."""
    return str(name).strip().lower().replace("_", "-")


@functools.lru_cache(maxsize=1024)
def option_spellings(name: str) -> tuple:
    """The keys an option may be written under: hyphenated, and as a Python keyword."""
    canonical = option_name(name)
    keyword = canonical.replace("-", "_")
    return (canonical,) if keyword == canonical else (canonical, keyword)


def _read_only(self, *args, **kwargs):
    raise TypeError("a Context does not change once made: use ctx.derive(name=value) for a "
                    "changed one, or dict(ctx) for a plain dict")


class Context(dict):
    """The services and options of one resolution (see the module docstring).

    ``Context(mapping, **options)`` takes the compatibility form: services
    under their keys, options under any spelling.  Use :func:`make_context`
    (or ``Node.opts()``) for one with the default registry and the recording
    listener filled in.
    """

    # What the resolver reads at every step is kept in slots (read as fast as
    # attributes go); the other services are read from the mapping.
    __slots__ = ("registry", "store", "listener", "caller_base", "max_depth",
                 "max_path_segments", "hashpath")

    def __init__(self, values=(), /, **options):
        dict.__init__(self, values, **options)
        _fill(self)

    node = property(operator.methodcaller("get", "node"),
                    doc="The :class:`~aolab.node.Node` resolving, or None.")
    wallet = property(operator.methodcaller("get", "wallet"), doc="The node's wallet, or None.")
    signers = property(operator.methodcaller("get", "signers"),
                       doc="Addresses whose signatures on the request the node verified, or None.")
    signed_keys = property(operator.methodcaller("get", "signed-keys"),
                           doc="``address -> keys`` each verified signature covers, or None.")
    hook = property(operator.methodcaller("get", "node-hook"),
                    doc="The node hook this resolution runs as (``request``, ``response``), or None.")

    # -- options ---------------------------------------------------------------
    def option(self, name: str, default=None):
        """The option *name*: this resolution's override, else the node's
        configuration, else *default* (the name normalised, see the module doc)."""
        node = self.node
        return self._lookup(getattr(node, "config", None) if node is not None else None,
                            option_spellings(name), default)

    def _lookup(self, config, spellings: tuple, default):
        for key in spellings:
            value = dict.get(self, key, _ABSENT)
            if value is not _ABSENT:
                return value
        if config:
            for key in spellings:
                value = config.get(key, _ABSENT)
                if value is not _ABSENT:
                    return value
        return default

    def derive(self, **changes) -> "Context":
        """A new context: this one with *changes* (services by attribute name,
        ``store=...``, ``caller_base=...``; options by any spelling, which
        replaces the option under every spelling).  This one is left as it is."""
        values = _copy(self)
        for name, value in changes.items():
            service = _SERVICE_OF_KEY.get(name)
            if service is not None:
                name = SERVICES[service]
            else:
                for spelling in option_spellings(name):
                    values.pop(spelling, None)
            values[name] = value
        return made(values)

    # -- what a device needs ---------------------------------------------------
    def store_for(self, device: str, why: str):
        """The store, or a :class:`~aolab.errors.DeviceError` saying that *device* needs one and *why*."""
        if self.store is None:
            raise _missing("store", device, why)
        return self.store

    def node_for(self, device: str, why: str):
        """The node, or a :class:`~aolab.errors.DeviceError` saying that *device* needs one and *why*."""
        if self.node is None:
            raise _missing("node", device, why)
        return self.node

    # -- the mapping view is read-only -----------------------------------------
    __setitem__ = __delitem__ = setdefault = update = pop = popitem = clear = _read_only
    __ior__ = _read_only

    def __reduce__(self):
        return (Context, (dict(self),))

    def __repr__(self) -> str:
        shown = [f"{attr}={getattr(self, attr)!r}" for attr in SERVICES
                 if attr != "caller_base" and getattr(self, attr) is not None]
        options = {k: v for k, v in self.items() if k not in _SERVICE_OF_KEY}
        if options:
            shown.append(f"options={options!r}")
        return f"Context({', '.join(shown)})"


class _Made(Context):
    """A context made by :func:`make_context`, :func:`made` or ``derive``:
    its mapping is copied by ``dict``'s own ``__init__`` (no Python call), and
    its maker fills the slots."""

    __slots__ = ()
    __init__ = dict.__init__


_copy = dict.copy
_default_registry = None


def default_registry():
    """The registry ``aolab.resolve`` uses when no node is given."""
    global _default_registry
    if _default_registry is None:
        from .registry import Registry
        _default_registry = Registry()
    return _default_registry


def reset_default_registry() -> None:
    """Forget devices registered with :func:`aolab.register_device`."""
    global _default_registry
    _default_registry = None


def make_context(opts=None, options=None, caller_base=None) -> Context:
    """The context a resolution runs with: *opts* (a context, a plain mapping
    of services and options, or None) with the keyword *options* as
    overrides; the :func:`default_registry` when none is named, and, when
    *opts* names no listener, the one of the innermost :func:`aolab.recording`
    block; *caller_base*, the base a caller handed in.  A context with
    nothing to add is used as it is: one is made per resolution, and passed
    on to the resolutions nested in it.  (``aolab.resolver.make_opts`` is
    its earlier name.)"""
    if isinstance(opts, Context):
        if options or caller_base is not None:
            changes = dict(options) if options else {}
            if caller_base is not None:
                changes["caller_base"] = caller_base
            opts = opts.derive(**changes)
        return opts if opts.registry is not None else opts.derive(registry=default_registry())
    # This runs for every resolution: the mapping is built as a plain dict, then copied once.
    if opts:
        values = dict(opts)
        if options:
            values.update(options)
    else:
        values = dict(options) if options else {}
    registry = values.get("registry")
    if registry is None:
        registry = values["registry"] = _default_registry or default_registry()
    if "listener" in values:
        listener = values["listener"]
    else:
        listener = values["listener"] = active_listener()
    if caller_base is None:
        caller_base = values.get("caller-base")
    else:
        values["caller-base"] = caller_base
    ctx = _Made(values)
    ctx.registry = registry
    ctx.store = values.get("store")
    ctx.listener = listener
    ctx.caller_base = caller_base
    if _OWN_OPTIONS.isdisjoint(values):  # a Node's mapping carries those its configuration sets
        ctx.max_depth = MAX_DEPTH
        ctx.max_path_segments = MAX_PATH_SEGMENTS
        ctx.hashpath = HASHPATH
    else:
        _own_options(ctx, values.get("node"))
    return ctx


def made(values: dict) -> Context:
    """A context holding the plain dict *values*, as they are (``Context(values)``, faster)."""
    ctx = _Made(values)
    _fill(ctx)
    return ctx


def _fill(ctx: Context) -> None:
    """Set the slots of *ctx* from its mapping."""
    get = ctx.get
    ctx.registry = get("registry")
    ctx.store = get("store")
    ctx.listener = get("listener")
    ctx.caller_base = get("caller-base")
    _own_options(ctx, get("node"))


def _own_options(ctx: Context, node) -> None:
    """Look up the resolver's own options once (they are read at every step)."""
    config = getattr(node, "config", None) if node is not None else None
    if _OWN_OPTIONS.isdisjoint(ctx) and (not config or _OWN_OPTIONS.isdisjoint(config)):
        ctx.max_depth, ctx.max_path_segments, ctx.hashpath = MAX_DEPTH, MAX_PATH_SEGMENTS, HASHPATH
    else:
        ctx.max_depth = ctx._lookup(config, option_spellings("max-depth"), MAX_DEPTH)
        ctx.max_path_segments = ctx._lookup(config, option_spellings("max-path-segments"),
                                            MAX_PATH_SEGMENTS)
        ctx.hashpath = ctx._lookup(config, option_spellings("hashpath"), HASHPATH)


def _missing(service: str, device: str, why: str):
    from .errors import DeviceError
    return DeviceError(f"{device} {why}: resolve through an aolab.Node()"
                       + (", or pass store=..." if service == "store" else ""), device=device)


#: A context with nothing in it (for device functions called without one).
EMPTY = Context()


def as_context(opts) -> Context:
    """*opts* as a :class:`Context`: a context as it is, a plain mapping (the
    form of earlier aolab) wrapped, None as :data:`EMPTY`.  No defaults are
    filled in (:func:`aolab.resolver.make_context` does that)."""
    if isinstance(opts, Context):
        return opts
    if opts is None:
        return EMPTY
    return made(dict(opts))
