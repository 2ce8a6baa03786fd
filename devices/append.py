"""append@1.0: appends the request's ``bin`` to the state's ``result``.

The device HyperBEAM's stack tests are written with (``generate_append_device``
in dev_stack.erl), as a real device: ``append`` sets ``result`` to
``result + separator + bin``, where the separator is the state's
``separators/<device-key>`` (each device of a stack can have its own), else
its ``separator``, else ``_``.  On the third pass of a stack it returns the state
unchanged, which ends a ``pass`` loop.  ``status`` in the state (``skip``,
``pass``) makes it return that status, to show how stacks react.

>>> import aolab
>>> base = {"device": "stack@1.0", "device-stack": ["append@1.0", "append@1.0"],
...         "separators": {"1": "+D1", "2": "+D2"}, "result": "INIT"}
>>> aolab.resolve(base, {"path": "append", "bin": "2"})["result"]
'INIT+D12+D22'
"""
from __future__ import annotations

NAME = "append@1.0"


def append(base, request):
    """``result + separator + bin`` (see the module doc)."""
    if base.get("pass") == 3:
        return base
    separators = base.get("separators")
    name = str(base.get("device-key", ""))
    if isinstance(separators, dict) and name in separators:
        separator = separators[name]
    else:
        separator = base.get("separator", "_")
    new = {**base, "result": f"{base.get('result', '')}{separator}{request.get('bin', '')}"}
    status = base.get("status", "ok")
    return (status, new) if status in ("skip", "pass") else new
