lab.register_device("upper@1.0", {"info": lambda: {"default": lambda key, base: str(base[key]).upper()}})
