net = aolab.Network()
first_node = aolab.Node(name="first", device_path=["my_devices"], network=net)
second_node = aolab.Node(name="second", device_path=["my_devices"], network=net)
remainder = first_node.resolve({"device": "my-calculator@1.0"},
                               {"path": "calculate", "operation": "modulo", "operand1": "7", "operand2": "3"})
mine = second_node.verify(remainder, source=first_node)
remainder["result"], mine
