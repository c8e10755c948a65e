"""store stage: the database behind ingestd and the read contract in storage/.

``Store`` is the store class other modules type against; ``SqliteStore`` is
the embedded default.
"""

from ingestd.store.sqlite import SqliteStore

Store = SqliteStore

__all__ = ["SqliteStore", "Store"]
