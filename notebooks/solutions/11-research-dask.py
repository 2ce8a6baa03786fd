specs = [({"execution-device": "counter@1.0", "owner": f"me-{k}"},
          [{"action": "add", "amount": k}] * 10) for k in range(5)]
mine_runs = dist.compute_many(None, specs, client=client)
mine = dist.verify_many(mine_runs, client=client)
mine
