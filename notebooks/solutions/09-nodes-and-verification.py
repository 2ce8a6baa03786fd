third = alice.resolve(second, {"path": "add", "amount": 1})
copy = httpsig.sign({k: v for k, v in third.items() if k != "commitments"} | {"count": 1000},
                    keys["mallory"])
mine = bob.verify(copy)
mine
