"""The SQLite store: the embedded default.

Kept for the name: ``SqliteStore(path)`` is :class:`ingestd.store.sql.Store`
over an SQLite file (WAL journal, busy timeout, foreign keys on). New code
types against ``ingestd.store.Store`` and opens stores with
:func:`ingestd.store.open_store`.
"""

from __future__ import annotations

from ingestd.store.sql import Store

SqliteStore = Store

__all__ = ["SqliteStore"]
