"""wasi@1.0: a virtual file system in the message, and the WASI calls that use it.

WebAssembly modules built for WASI (``wasi_snapshot_preview1``) print and
read through imported functions.  This device answers them from the message
itself: files are values under ``vfs`` (``vfs/dev/stdout`` is the file
``/dev/stdout``), open files are ``file-descriptors`` (``0``, ``1``, ``2``:
stdin, stdout, stderr, each with a ``filename`` and an ``offset``).  Nothing
touches the host: no real files, no clock, no randomness.  (wasmtime's own WASI
could not serve these modules anyway: it cannot link memory64 ones.)

``init``
    put ``vfs`` and ``file-descriptors`` in the state (files the base already
    has in ``vfs`` are kept, so a process can be given a ``vfs/dev/stdin``) and
    register this device as ``<prefix>/stdlib/wasi_snapshot_preview1``, where
    wasm64@1.0 sends the module's WASI imports.
``stdout``
    the whole of ``vfs/dev/stdout``.
``fd_write`` / ``fd_read``
    write/read through the iovecs the module passes (16 bytes each, two u64,
    in a memory64 module; 8 bytes, two u32, in a 32-bit one), move the file's
    offset, and store the byte count at the module's pointer.  Bytes written to
    stdout or stderr also go to ``results/<prefix>/stdout`` (``stderr``): what
    this call printed.
    Host work is metered: a call takes at most :data:`MAX_IOVECS` iovecs
    (``EINVAL`` beyond, as POSIX's ``IOV_MAX``), pays :data:`FUEL_PER_IOVEC`
    per iovec and :data:`FUEL_PER_BYTE` per byte moved out of the call's fuel
    (a ``fuel`` error when it cannot), and a file grows to
    :data:`MAX_FILE_BYTES` at most (``EFBIG`` beyond).
``clock_time_get``
    the constant time 0 (HyperBEAM answers 1 without writing a time).
``environ_sizes_get`` / ``args_sizes_get`` / ``environ_get`` / ``args_get``
    an empty environment and no arguments.
``proc_exit``
    stops the call with an ``exit`` error naming the exit code.

Each answers wasm64@1.0's import request (``args``, ``func-sig``) on a base
whose ``state`` is the process state, with ``{"state": ..., "results": [...]}``.
WASI calls not listed here answer 0 through wasm64@1.0 and are logged.

>>> import aolab, aolab.data
>>> base = {"device": "stack@1.0", "device-stack": ["wasi@1.0", "wasm64@1.0"],
...         "image": aolab.data.wasm("wasi-print")}
>>> printed = aolab.resolve(aolab.resolve(base, "init"), {"path": "compute", "function": "hello"})
>>> printed["results"]["stdout"], printed["vfs"]["dev"]["stdout"]
(b'Hello, World!\\n', b'Hello, World!\\n')

Reference: HyperBEAM src/dev_wasi.erl at b2743e4a.
"""
from __future__ import annotations

from aolab import wasm_runtime as runtime
from aolab.errors import DeviceError
from aolab.wasm_runtime import WasmError

NAME = "wasi@1.0"
MODULE = "wasi_snapshot_preview1"
CLOCK_TIME_NS = 0
ERRNO_SUCCESS, ERRNO_BADF, ERRNO_FBIG, ERRNO_INVAL = 0, 8, 22, 28
#: The most iovecs one fd_read/fd_write takes (POSIX IOV_MAX).
MAX_IOVECS = 1024
#: Fuel each iovec and each byte moved costs (host work paid like instructions).
FUEL_PER_IOVEC, FUEL_PER_BYTE = 100, 4
#: The largest a file of the virtual file system may grow (bytes).
MAX_FILE_BYTES = 64 << 20
STDIO = {"0": "/dev/stdin", "1": "/dev/stdout", "2": "/dev/stderr"}


def init(base):
    """Empty stdio files, their descriptors, and this device as the WASI library."""
    prefix = runtime.parts(runtime.prefix_of(base))
    files = {"dev": {"stdin": b"", "stdout": b"", "stderr": b""}}
    given = base.get("vfs")
    if isinstance(given, dict):
        files = _merged(files, given)
    state = runtime.with_value(base, [*prefix, "stdlib", MODULE], {"device": NAME})
    descriptors = {fd: {"filename": name, "offset": 0} for fd, name in STDIO.items()}
    return {**state, "vfs": files, "file-descriptors": descriptors}


def stdout(base):
    """Everything written to stdout so far."""
    return runtime.value_at(base, ["vfs", "dev", "stdout"], b"")


def _open_call(base, request):
    """``(state, instance, (fd, iovs, iovs_len, out pointer), descriptor, file name)``
    of an fd_read/fd_write call; descriptor None when the fd is not open."""
    state, instance = _state_and_instance(base)
    args = _args(request, 4)
    descriptor, name = _descriptor(state, args[0])
    return state, instance, args, descriptor, name


def fd_write(base, request):
    """``fd_write(fd, iovs, iovs_len, nwritten)``: write the iovecs' bytes."""
    state, instance, (fd, iovs, count, written_at), descriptor, name = _open_call(base, request)
    if descriptor is None:
        return {"state": state, "results": [ERRNO_BADF]}
    vectors = _metered_iovecs(instance, iovs, count, "fd_write")
    if vectors is None:
        return {"state": state, "results": [ERRNO_INVAL]}
    content = _file(state, name)
    offset = int(descriptor.get("offset", len(content)))
    if max(offset, 0) + sum(length for _, length in vectors) > MAX_FILE_BYTES:
        return {"state": state, "results": [ERRNO_FBIG]}
    data = b"".join(instance.read(pointer, length) for pointer, length in vectors)
    content = content[:offset] + data + content[offset + len(data):]
    state = _with_file(state, name, content)
    state = runtime.with_value(state, ["file-descriptors", str(fd), "offset"], offset + len(data))
    if name in ("/dev/stdout", "/dev/stderr"):
        where = ["results", *runtime.parts(runtime.prefix_of(state)), name.rsplit("/", 1)[1]]
        state = runtime.with_value(state, where, runtime.value_at(state, where, b"") + data)
    instance.write_int(instance.pointer(written_at), len(data), _size_t(instance))
    return {"state": state, "results": [ERRNO_SUCCESS]}


def fd_read(base, request):
    """``fd_read(fd, iovs, iovs_len, nread)``: fill the iovecs from the file."""
    state, instance, (fd, iovs, count, read_at), descriptor, name = _open_call(base, request)
    if descriptor is None:
        return {"state": state, "results": [ERRNO_BADF]}
    vectors = _metered_iovecs(instance, iovs, count, "fd_read")
    if vectors is None:
        return {"state": state, "results": [ERRNO_INVAL]}
    content = _file(state, name)
    offset = start = int(descriptor.get("offset", 0))
    for pointer, length in vectors:
        piece = content[offset:offset + length]
        instance.write(pointer, piece)
        offset += len(piece)
    state = runtime.with_value(state, ["file-descriptors", str(fd), "offset"], offset)
    instance.write_int(instance.pointer(read_at), offset - start, _size_t(instance))
    return {"state": state, "results": [ERRNO_SUCCESS]}


def clock_time_get(base, request):
    """``clock_time_get(id, precision, time)``: always :data:`CLOCK_TIME_NS`."""
    state, instance = _state_and_instance(base)
    _clock, _precision, time_at = _args(request, 3)
    instance.write_int(instance.pointer(time_at), CLOCK_TIME_NS, 8)
    return {"state": state, "results": [ERRNO_SUCCESS]}


def environ_sizes_get(base, request):
    """No environment variables."""
    return _two_zeros(base, request)


def args_sizes_get(base, request):
    """No command-line arguments."""
    return _two_zeros(base, request)


def environ_get(base):
    """WASI ``environ_get``: no environment variables."""
    return {"state": base.get("state"), "results": [ERRNO_SUCCESS]}


def args_get(base):
    """WASI ``args_get``: no arguments."""
    return {"state": base.get("state"), "results": [ERRNO_SUCCESS]}


def proc_exit(base, request):
    """The module asked to exit: stop the call with the exit code."""
    code = _args(request, 1)[0]
    raise WasmError(f"the module called proc_exit({code})", kind="exit")


# -- helpers -----------------------------------------------------------------------

def _two_zeros(base, request):
    state, instance = _state_and_instance(base)
    first, second = _args(request, 2)
    size = _size_t(instance)
    instance.write_int(instance.pointer(first), 0, size)
    instance.write_int(instance.pointer(second), 0, size)
    return {"state": state, "results": [ERRNO_SUCCESS]}


def _state_and_instance(base):
    state = base.get("state")
    if not isinstance(state, dict):
        raise DeviceError(f"{NAME}: WASI calls come from wasm64@1.0 with the process state under "
                          "'state'", key="state", device=NAME)
    instance = runtime.instance_of(state, runtime.prefix_of(state))
    if instance is None:
        raise DeviceError(f"{NAME}: the state holds no live wasm64@1.0 instance", key="state",
                          device=NAME)
    return state, instance


def _args(request, count: int) -> list:
    args = list(request.get("args") or [])
    if len(args) < count:
        raise DeviceError(f"{NAME}: {request.get('path')} takes {count} arguments; got {args!r}",
                          key="args", device=NAME)
    return args[:count]


def _iovecs(instance, address: int, count: int):
    """``(pointer, length)`` of each iovec: two u64 in memory64, two u32 otherwise."""
    size = _size_t(instance)
    address = instance.pointer(address)
    for index in range(count):
        at = address + index * 2 * size
        yield instance.read_int(at, size), instance.read_int(at + size, size)


def _metered_iovecs(instance, address: int, count: int, call: str):
    """The iovecs of a call, paid for in fuel; None when there are more than
    :data:`MAX_IOVECS` (the call answers ``EINVAL``)."""
    count = int(count)
    if count < 0 or count > MAX_IOVECS:
        return None
    instance.charge(FUEL_PER_IOVEC * count, f"{MODULE}.{call} of {count} iovecs")
    vectors = list(_iovecs(instance, address, count))
    moved = sum(length for _, length in vectors)
    instance.charge(FUEL_PER_BYTE * moved, f"{MODULE}.{call} of {moved:,} bytes")
    return vectors


def _size_t(instance) -> int:
    return 8 if instance.memory64 else 4


def _descriptor(state, fd):
    descriptor = runtime.value_at(state, ["file-descriptors", str(fd)])
    if not isinstance(descriptor, dict):
        return None, None
    return descriptor, str(descriptor.get("filename", STDIO.get(str(fd), "")))


def _file(state, name: str) -> bytes:
    content = runtime.value_at(state, ["vfs", *[p for p in name.split("/") if p]], b"")
    return content.encode("utf-8") if isinstance(content, str) else bytes(content)


def _with_file(state, name: str, content: bytes) -> dict:
    return runtime.with_value(state, ["vfs", *[p for p in name.split("/") if p]], content)


def _merged(defaults: dict, given: dict) -> dict:
    merged = dict(defaults)
    for key, value in given.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merged(merged[key], value)
        else:
            merged[key] = value
    return merged
