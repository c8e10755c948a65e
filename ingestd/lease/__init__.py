"""Leases: several workers sharing one store, each due feed and pending entry in one hand.

``policy`` decides from data alone (expiries, renewal cadence, when to look
at a refused feed again, who is alive); ``keeper`` talks to the store
(:mod:`ingestd.store.leases`) on a worker's behalf and renews what it holds.
"""
