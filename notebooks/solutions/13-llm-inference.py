forged = {**receipt, "request": {**receipt["request"], "prompt": "a device is"}}
mine = bob.resolve(forged, "verify")
mine["differences"]
