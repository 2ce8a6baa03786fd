mine = lab.resolve({"device": "stack@1.0", "count": 1,
                    "device-stack": ["counter@1.0"] * 3}, {"path": "add", "amount": 2})
