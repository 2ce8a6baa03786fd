# Notebook 13, "On your own": a receipt whose prompt was changed.
forged = {**receipt, "request": {**receipt["request"], "prompt": "a device is"}}
mine = bob.resolve(forged, "verify")
mine["differences"]
