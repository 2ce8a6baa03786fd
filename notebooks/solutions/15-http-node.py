slot = remote.schedule(process, {"action": "add", "amount": 10})["slot"]
mine = remote.compute(process, slot)
mine["count"]
