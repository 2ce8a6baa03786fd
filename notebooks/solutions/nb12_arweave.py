# Solution to notebook 12's "On your own" (run after the notebook's cells, before "Stop the gateway").
store.publish_result(aolab.hashpath(slot1), slot1)
reader_node = aolab.Node(name="slot1-reader", network=aolab.Network(),
                         store=[aolab.MemoryStore(), GatewayStore(local.gateway(), trusted=[alice.address])])
mine_slot1 = reader_node.fetch(aolab.hashpath(slot1))
