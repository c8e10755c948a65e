"""The store's entries: the queue of pages to fetch, and imported items' entries.

Part of :class:`~ingestd.store.Store` (see :class:`ingestd.store.protocol.FeedsAndEntries`):
what the pipeline (:mod:`ingestd.pipeline`), the scheduler
(:mod:`ingestd.schedule.state`), the match step and ``ingestd import``
(:mod:`ingestd.ops.imports`) read and change in ``store_entries`` (and the
import feeds in ``store_feeds``): pending entries taken in turns across
feeds, failed attempts, entries linked to their article. Every write joins
an open transaction. Entry delays and states by URL are in
:mod:`ingestd.store.feeds_sql`.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from ingestd.store.base import StoreBase
from ingestd.store.records import PendingEntry
from ingestd.store.values import db_time, py_time


class EntriesSql(StoreBase):
    """Entries: pending pages in turns, attempts, links to articles, import entries."""

    # -- entries -----------------------------------------------------------

    def pending_entries(
        self,
        limit: int = 10_000,
        *,
        per_feed: int | None = None,
        ready_at: datetime | None = None,
        exclude: Collection[int] = (),
        unleased_at: datetime | None = None,
    ) -> list[PendingEntry]:
        """Entries still to fetch, taken in turns across feeds, newest first in each.

        The first turn holds every feed's newest pending entry, the second
        their next ones, and so on, so one feed's backlog of thousands never
        holds the other feeds' entries back (no head-of-line blocking).
        ``per_feed`` caps the turns (the pages one feed may have fetched in
        one cycle); ``ready_at`` leaves out entries whose retry time is later;
        ``exclude`` (entries already in hand) are skipped without hiding the
        ones behind them; ``unleased_at`` leaves out entries another worker
        holds a lease on at that time (they would only fail to be claimed).
        """
        where = "e.state = 'pending'"
        params: list[Any] = []
        if ready_at is not None:
            where += " AND (e.retry_at IS NULL OR e.retry_at <= ?)"
            params.append(db_time(ready_at))
        if unleased_at is not None:
            where += " AND (e.lease_expires_at IS NULL OR e.lease_expires_at <= ?)"
            params.append(db_time(unleased_at))
        turns = "" if per_feed is None else " WHERE turn <= ?"
        rows = self._driver.execute(
            "SELECT * FROM (SELECT e.id, e.feed_id, f.outlet_id, e.guid, e.url, e.raw_url,"
            " e.title, e.published_at, e.attempts, e.article_id, ROW_NUMBER() OVER ("
            "PARTITION BY e.feed_id ORDER BY coalesce(e.published_at, e.first_seen_at) DESC,"
            " e.id DESC) AS turn FROM store_entries e JOIN store_feeds f ON f.id = e.feed_id"
            f" WHERE {where}) ranked{turns} ORDER BY turn, id LIMIT ?",
            (*params, *([] if per_feed is None else [per_feed]), limit + len(exclude)),
        )
        skip = set(exclude)
        entries = [
            PendingEntry(
                r["id"],
                r["feed_id"],
                r["outlet_id"],
                r["guid"],
                r["url"],
                r["raw_url"],
                r["title"],
                py_time(r["published_at"]),
                r["attempts"],
                r["article_id"],
            )
            for r in rows
            if int(r["id"]) not in skip
        ]
        return entries[:limit]

    def pending_count(self) -> int:
        """How many entries wait for their page (the queue depth)."""
        row = self._driver.execute(
            "SELECT count(*) FROM store_entries WHERE state = 'pending'"
        ).fetchone()
        return int(row[0])

    def entry_failed(self, entry_id: int, error: str, *, give_up: bool) -> None:
        """Count a failed attempt; ``give_up`` marks the entry failed for good."""
        with self.transaction():
            self._driver.execute(
                "UPDATE store_entries SET attempts = attempts + 1, last_error = ?,"
                " state = CASE WHEN ? = 1 THEN 'failed' ELSE state END WHERE id = ?",
                (error, give_up, entry_id),
            )

    def entry_done(self, entry_id: int, article_id: int) -> None:
        """Link an entry to the article that already holds its page."""
        with self.transaction():
            self._driver.defer(
                "UPDATE store_entries SET state = 'done', article_id = ?, attempts = attempts + 1"
                " WHERE id = ?",
                [(article_id, entry_id)],
            )

    def import_feed(self, outlet_id: int, domain: str, now: datetime) -> int:
        """The outlet's import feed (``import:<domain>``, never polled), created if missing.

        ``ingestd import`` files its entries there, so imported articles have
        entries like polled ones.
        """
        with self.transaction():
            row = self._driver.execute(
                "INSERT INTO store_feeds (outlet_id, url, active, added_by, created_at)"
                " VALUES (?, ?, 0, 'cli', ?) ON CONFLICT (url) DO UPDATE"
                " SET outlet_id = excluded.outlet_id RETURNING id",
                (outlet_id, f"import:{domain}", db_time(now)),
            ).fetchone()
        return int(row[0])

    def import_entry(
        self,
        feed_id: int,
        outlet_id: int,
        *,
        guid: str,
        url: str,
        title: str | None,
        published_at: datetime | None,
        now: datetime,
    ) -> PendingEntry:
        """An imported item's entry (pending until the match step marks it done)."""
        with self.transaction():
            row = self._driver.execute(
                "INSERT INTO store_entries (feed_id, guid, url, raw_url, title, published_at,"
                " state, first_seen_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)"
                " ON CONFLICT (feed_id, guid) DO UPDATE SET url = excluded.url,"
                " raw_url = excluded.raw_url, title = excluded.title, state = 'pending'"
                " RETURNING id",
                (feed_id, guid, url, url, title, db_time(published_at), db_time(now)),
            ).fetchone()
        return PendingEntry(int(row[0]), feed_id, outlet_id, guid, url, url, title, published_at, 0)
