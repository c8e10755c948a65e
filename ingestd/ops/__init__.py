"""Operator tools behind ``ingestd feeds|stories|prune|export``.

Pure helpers (durations, OPML, feed discovery, chain trees) sit beside thin
store functions written against the portable SQL surface and the public
read views, so they run on every store dialect.
"""
