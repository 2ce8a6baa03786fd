mine = {"B": "hello", "A": "1"}
aolab.id(mine)
