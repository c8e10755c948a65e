"""What every part of the store is written against: one driver and its transactions.

:class:`~ingestd.store.Store` is composed of one mixin per aggregate (feeds
and entries, articles and index, stories, read-side queries); each mixin
inherits :class:`StoreBase` so its methods can use ``self._driver`` and
``self.transaction()``, which :class:`~ingestd.store.Store` provides.
"""

from __future__ import annotations

from contextlib import AbstractContextManager

from ingestd.store.drivers import Driver


class StoreBase:
    """The connection the store's mixins share (set by ``Store.__init__``)."""

    _driver: Driver
    # Articles written to or dropped from the candidate index since the last
    # statistics check (``Store`` keeps it; ``IndexSql`` counts).
    _index_changes: int

    def transaction(self) -> AbstractContextManager[None]:
        """One write transaction; nested calls join the outer one (``Store`` defines it)."""
        raise NotImplementedError
