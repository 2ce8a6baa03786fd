"""The device registry: which ``name@version`` names which Python device.

A device is a Python module, class, object or dict whose handlers are named
after the keys they answer (``set-path`` -> ``set_path``).  Optional ``info``
returns HyperBEAM's device info map: ``exports``, ``excludes``, ``handler``
(one function for every key), ``default`` (a function, or the name of a
device, for keys the device does not implement).

The table of known devices lives in ``devices/__init__.py`` (``DEVICES``:
name -> module path, imported only when first used).  Each :class:`Registry`
holds its own copy, so registering a device in one node never changes another.
A message can only name devices that are in its node's registry: nothing in a
message makes aolab import a module by path.
"""
from __future__ import annotations

import importlib
import importlib.util
import inspect
import pathlib
import types

from .errors import DeviceError, DeviceNotAllowed, DeviceNotFound

DEFAULT_DEVICE = "message@1.0"
DEVICE_TABLE_MODULE = "devices"


class Device:
    """A loaded device: its implementation, its info and its handler lookup."""

    __slots__ = ("name", "impl", "_info", "_info_fn", "_info_arity", "_functions", "_is_module")

    def __init__(self, name: str, impl):
        self.name = name
        self.impl = impl
        self._is_module = isinstance(impl, types.ModuleType)
        self._functions: dict[str, tuple | None] = {}
        info = self._lookup_attr("info")
        if info is None:
            self._info, self._info_fn, self._info_arity = {}, None, 0
        elif callable(info):
            arity = arity_of(info)
            self._info_fn, self._info_arity = info, arity
            self._info = info() if arity == 0 else None
        elif isinstance(info, dict):
            self._info, self._info_fn, self._info_arity = dict(info), None, 0
        else:
            raise DeviceError(f"device {name}: 'info' must be a function or a message, not "
                              f"{type(info).__name__}", device=name, key="info")
        if self._info is not None and not isinstance(self._info, dict):
            raise DeviceError(f"device {name}: info() returned a {type(self._info).__name__}; "
                              "expected a message", device=name, key="info")

    def __repr__(self) -> str:
        return f"<device {self.name}>"

    def info(self, base, opts) -> dict:
        """The device's info map, computed for *base* when ``info`` takes it."""
        if self._info is not None:
            return self._info
        return self._info_fn(*(base, opts)[: self._info_arity]) or {}

    def function(self, key: str):
        """``(handler, arity)`` of the function named after *key*, or None."""
        try:
            return self._functions[key]
        except KeyError:
            pass
        fn = None if key == "info" else self._lookup_attr(key)
        found = (fn, arity_of(fn)) if callable(fn) else None
        self._functions[key] = found
        return found

    def _lookup_attr(self, key: str):
        if not key or key.startswith("_"):
            return None
        if isinstance(self.impl, dict):
            return self.impl.get(key, self.impl.get(key.replace("-", "_")))
        name = key.replace("-", "_")
        if not name.isidentifier():
            return None
        fn = getattr(self.impl, name, None)
        if fn is None and name in ("pass", "import", "from", "global", "class", "def", "in", "is"):
            fn = getattr(self.impl, name + "_", None)
        if fn is not None and self._is_module and getattr(fn, "__module__", None) != self.impl.__name__:
            return None  # only the module's own functions are handlers, never its imports
        if isinstance(fn, _BUILTIN_METHODS):
            return None  # an object's inherited builtin methods (list.pop, int.bit_length) are no handlers
        return fn


_BUILTIN_METHODS = (types.BuiltinFunctionType, types.BuiltinMethodType, types.MethodWrapperType,
                    types.WrapperDescriptorType, types.MethodDescriptorType)


def arity_of(fn) -> int:
    """How many positional arguments *fn* accepts (a ``*args`` counts as 4)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 3
    count = 0
    for p in params:
        if p.kind is p.VAR_POSITIONAL:
            return 4
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            count += 1
    return count


def default_table() -> dict:
    """The preloaded device table from ``devices/__init__.py`` (a fresh copy)."""
    module = importlib.import_module(DEVICE_TABLE_MODULE)
    return dict(module.DEVICES)


class Registry:
    """Devices by ``name@version``, with the node's allow/deny rules.

    Parameters
    ----------
    table : dict, optional
        ``name -> module path, module, class, object or dict``; defaults to the
        preloaded table of ``devices/__init__.py``.
    allowed : iterable of str, optional
        When given, only these devices may be resolved (HyperBEAM's
        ``preloaded_devices`` / meta@1.0 ``allowed-devices``).
    deny : iterable of str
        Devices that may never be resolved.
    device_path : iterable of paths
        Folders whose ``*.py`` modules are devices, each registered under its
        ``NAME`` attribute.
    """

    def __init__(self, table=None, *, allowed=None, deny=(), device_path=()):
        self._table = {normalize_name(k): v for k, v in (default_table() if table is None else table).items()}
        self._loaded: dict[str, Device] = {}
        self.allowed = None if allowed is None else {normalize_name(n) for n in allowed}
        self.deny = {normalize_name(n) for n in deny}
        for folder in device_path:
            self.add_path(folder)

    def copy(self) -> "Registry":
        """A registry with the same devices, permissions and loaded devices."""
        new = Registry(self._table, allowed=self.allowed, deny=self.deny)
        new._loaded = dict(self._loaded)
        return new

    def names(self) -> list[str]:
        """Every registered device name, sorted."""
        return sorted(self._table)

    def register(self, name: str, impl) -> str:
        """Register *impl* (module, class, object, dict or module path) as *name*."""
        name = normalize_name(name)
        if "@" not in name:
            raise DeviceError(f"device name {name!r} must be 'name@version'", device=name)
        self._table[name] = impl
        self._loaded.pop(name, None)
        return name

    def add_path(self, folder) -> list[str]:
        """Register every device module (a ``*.py`` with ``NAME``) in *folder*."""
        added = []
        for file in sorted(pathlib.Path(folder).glob("*.py")):
            spec = importlib.util.spec_from_file_location(f"aolab_user_devices.{file.stem}", file)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            name = getattr(module, "NAME", None)
            if name:
                self.register(name, module)
                added.append(normalize_name(name))
        return added

    def load(self, device) -> Device:
        """The :class:`Device` a message's ``device`` value names."""
        if isinstance(device, Device):
            return device
        if not isinstance(device, (str, bytes)):
            return self._inline(device)
        name = normalize_name(device)
        if self.deny or self.allowed is not None:
            self.check_allowed(name)
        loaded = self._loaded.get(name)
        if loaded is not None:
            return loaded
        if name not in self._table:
            raise DeviceNotFound(
                f"device {name!r} is not registered on this node; known devices: "
                f"{', '.join(self.names())}",
                device=name,
            )
        impl = self._table[name]
        if isinstance(impl, str):
            try:
                impl = importlib.import_module(impl)
            except ImportError as exc:
                raise DeviceNotFound(f"device {name!r}: cannot import {impl!r}: {exc}", device=name) from exc
        dev = Device(name, impl() if inspect.isclass(impl) else impl)
        self._loaded[name] = dev
        return dev

    def check_allowed(self, name: str) -> None:
        """Raise :class:`DeviceNotAllowed` unless this node allows device *name*."""
        if name in self.deny or (self.allowed is not None and name not in self.allowed):
            raise DeviceNotAllowed(f"device {name!r} is not allowed on this node", device=name)

    def _inline(self, impl) -> Device:
        """An inline device: a dict or object of handlers inside the message."""
        if isinstance(impl, dict) and not impl:
            raise DeviceError("an inline device must hold at least one handler", device="<inline>")
        if not isinstance(impl, (dict, types.ModuleType)) and type(impl).__module__ == "builtins":
            raise DeviceError(f"a message's 'device' is a device name (text), or an inline device "
                              f"(a message of handlers, or an object made for it); not a "
                              f"{type(impl).__name__}", device="<inline>", key="device")
        if self.allowed is not None and "inline" not in self.allowed:
            raise DeviceNotAllowed("inline devices are not allowed on this node", device="<inline>")
        return Device(getattr(impl, "NAME", None) or "<inline>", impl)


def normalize_name(name) -> str:
    """A device name as text (bytes decoded as UTF-8; a clear error otherwise)."""
    if isinstance(name, bytes):
        try:
            name = name.decode("utf-8")
        except UnicodeDecodeError:
            raise DeviceError(f"device name {name!r} is not valid UTF-8", device=repr(name)) from None
    if not isinstance(name, str):
        raise DeviceError(f"device name {name!r} must be a string", device=repr(name))
    return name.strip().lower()
