"""Real-browser tests of the lab (run with ``make browser-test``)."""
