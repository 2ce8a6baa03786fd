mine = lab.resolve(started, {"path": "compute", "function": "fac", "parameters": [7.0]})["results"]["output"][0]
mine
