P, Q = aolab.hashpath(h1).split("/")
mine = human(hashlib.sha256(native(P) + native(Q)).digest()) + "/" + aolab.id({"path": "mul", "x": 4})
