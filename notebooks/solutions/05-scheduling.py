mine = scheduler.check_chain([assignments[0], *assignments[2:]])
mine
