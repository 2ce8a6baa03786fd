mine = lab.resolve(base, "a")
aolab.hashpath(mine)
