"""What every part of the store is written against: one driver and its transactions.

:class:`~ingestd.store.Store` is composed of one mixin per aggregate (feeds
and entries, articles and index, stories, read-side queries); each mixin
inherits :class:`StoreBase` so its methods can use ``self._driver`` and
``self.transaction()``, which :class:`~ingestd.store.Store` provides, and
the few methods one mixin calls on another (declared here, defined there).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

from ingestd.store.drivers import Driver
from ingestd.store.records import IndexEntry


class StoreBase:
    """The connection the store's mixins share (set by ``Store.__init__``)."""

    _driver: Driver
    # Articles written to or dropped from the candidate index since the last
    # statistics check (``Store`` keeps it; ``IndexSql`` counts).
    _index_changes: int

    def transaction(self) -> AbstractContextManager[None]:
        """One write transaction; nested calls join the outer one (``Store`` defines it)."""
        raise NotImplementedError

    # What one aggregate's mixin calls on another's (each defined there).

    def entry_done(self, entry_id: int, article_id: int) -> None:
        """Link an entry to its article (``EntriesSql`` defines it)."""
        raise NotImplementedError

    def _write_index(self, article_id: int, entry: IndexEntry) -> None:
        """Add an article to the candidate index (``IndexSql`` defines it)."""
        raise NotImplementedError

    def _drop_index(self, article_ids: Sequence[int]) -> int:
        """Remove articles from the candidate index (``IndexSql`` defines it)."""
        raise NotImplementedError

    def _defer_values(
        self, head: str, row: str, rows: Sequence[tuple[Any, ...]], tail: str
    ) -> None:
        """Defer one multi-row ``VALUES`` statement (``IndexSql`` defines it)."""
        raise NotImplementedError
