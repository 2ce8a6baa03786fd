"""aolab's devices, one module per device, like HyperBEAM's ``dev_*.erl``.

``DEVICES`` is the preloaded device table (HyperBEAM ``hb_opts``
``preloaded_devices``): ``name@version -> module``.  Modules are imported only
when a message first names their device.  Adding a device is a module in this
folder and one row here.
"""

DEVICES = {
    "message@1.0": "devices.message",
    "stack@1.0": "devices.stack",
    "scheduler@1.0": "devices.scheduler",
    "process@1.0": "devices.process",
    "dedup@1.0": "devices.dedup",
    "multipass@1.0": "devices.multipass",
    "counter@1.0": "devices.counter",
    "append@1.0": "devices.append",
    "test-device@1.0": "devices.testing",
    "calculator@1.0": "devices.calculator",
    "wasm64@1.0": "devices.wasm64",
    "wasm-64@1.0": "devices.wasm64",
    "wasi@1.0": "devices.wasi",
    "json-iface@1.0": "devices.json_iface",
    "meta@1.0": "devices.meta",
    "simple-pay@1.0": "devices.simple_pay",
    "p4@1.0": "devices.p4",
    "ans104@1.0": "devices.ans104",
    "inference@1.0": "devices.inference",
    "inference_receipt@1.0": "devices.inference_receipt",
    "cache@1.0": "devices.cache",
}
