"""aolab's devices, one module per device, like HyperBEAM's ``dev_*.erl``.

``DEVICES`` is the preloaded device table (HyperBEAM ``hb_opts``
``preloaded_devices``): ``name@version -> module``.  Modules are imported only
when a message first names their device.  Adding a device is a module in this
folder and one row here.
"""

DEVICES = {
    "message@1.0": "devices.message",
}
