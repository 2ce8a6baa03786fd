reset = lab.schedule(proc, {"action": "reset", "amount": 100})
mine = lab.compute(proc, slot=reset["slot"])
