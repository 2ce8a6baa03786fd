low, high = 0, SLOTS - 1
node, proc = nodes["unrecorded"], procs["unrecorded"]
while low < high:
    middle = (low + high) // 2
    if node.compute(proc, slot=middle)["count"] > 1_000_000:
        high = middle
    else:
        low = middle + 1
mine = low
mine
