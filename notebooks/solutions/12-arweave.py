store.publish_result(aolab.hashpath(slot1), slot1)
reader_node = aolab.Node(name="slot1-reader", network=aolab.Network(),
                         store=[aolab.MemoryStore(), GatewayStore(local.gateway(), trusted=[alice.address])])
mine = reader_node.fetch(aolab.hashpath(slot1))
