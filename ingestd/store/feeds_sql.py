"""The store's feeds and entries: schedule state, moves and the operator's edits.

Part of :class:`~ingestd.store.Store` (see :class:`ingestd.store.protocol.FeedsAndEntries`):
what the scheduler (:mod:`ingestd.schedule.state`), the fetch stage
(:mod:`ingestd.feeds.state`) and ``ingestd feeds`` (:mod:`ingestd.ops.feedstore`)
change in ``store_feeds``, ``store_outlets``, ``store_feed_moves`` and
``store_entries``. Every write joins an open transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ingestd.store.base import StoreBase
from ingestd.store.records import FeedRow, MovedFeed
from ingestd.store.values import db_json, db_time, py_time

# SQLite allows a limited number of parameters per statement.
_CHUNK = 200


class FeedsSql(StoreBase):
    """Feeds and entries: schedule state, moved feeds, operator-managed outlets and feeds."""

    # -- schedule state ------------------------------------------------------

    def due_times(self) -> dict[int, datetime | None]:
        """Every active feed's due time (None: never scheduled, due now)."""
        rows = self._driver.execute(
            "SELECT id, next_poll_at FROM store_feeds WHERE active = 1 ORDER BY id"
        ).fetchall()
        return {int(r["id"]): py_time(r["next_poll_at"]) for r in rows}

    def feed_to_poll(self, feed_id: int) -> FeedRow | None:
        """The feed with its current validators, or None if it is gone or inactive."""
        row = self._driver.execute(
            "SELECT id, outlet_id, url, etag, last_modified, content_hash FROM store_feeds"
            " WHERE id = ? AND active = 1",
            (feed_id,),
        ).fetchone()
        if row is None:
            return None
        return FeedRow(
            int(row["id"]),
            int(row["outlet_id"]),
            row["url"],
            row["etag"],
            row["last_modified"],
            row["content_hash"],
        )

    def feed_history(self, feed_id: int, limit: int) -> tuple[tuple[datetime, ...], int]:
        """The feed's latest ``limit`` entry times (publication, else discovery), newest
        first, and its consecutive failed polls."""
        rows = self._driver.execute(
            "SELECT coalesce(published_at, first_seen_at) AS seen FROM store_entries"
            " WHERE feed_id = ? ORDER BY coalesce(published_at, first_seen_at) DESC LIMIT ?",
            (feed_id, limit),
        ).fetchall()
        times = tuple(t for t in (py_time(r["seen"]) for r in rows) if t is not None)
        errors = self._driver.execute(
            "SELECT error_count FROM store_feeds WHERE id = ?", (feed_id,)
        ).fetchone()
        return times, int(errors["error_count"]) if errors else 0

    def feed_ttl(self, feed_id: int) -> int | None:
        """The RSS ttl (minutes) remembered from the feed's last full answer."""
        row = self._driver.execute(
            "SELECT ttl_minutes FROM store_feeds WHERE id = ?", (feed_id,)
        ).fetchone()
        return None if row is None or row["ttl_minutes"] is None else int(row["ttl_minutes"])

    def schedule_feed(
        self,
        feed_id: int,
        at: datetime,
        interval: float,
        reason: str,
        *,
        ttl_minutes: int | None = None,
        update_ttl: bool = False,
    ) -> None:
        """Save the feed's next due time; ``update_ttl`` also saves ``ttl_minutes``."""
        with self.transaction():
            if update_ttl:
                self._driver.execute(
                    "UPDATE store_feeds SET next_poll_at = ?, poll_interval = ?,"
                    " schedule_reason = ?, ttl_minutes = ? WHERE id = ?",
                    (db_time(at), interval, reason, ttl_minutes, feed_id),
                )
            else:
                self._driver.execute(
                    "UPDATE store_feeds SET next_poll_at = ?, poll_interval = ?,"
                    " schedule_reason = ? WHERE id = ?",
                    (db_time(at), interval, reason, feed_id),
                )

    def delay_entry(self, entry_id: int, at: datetime) -> None:
        """Keep a failed entry pending but untouched until ``at``."""
        with self.transaction():
            self._driver.execute(
                "UPDATE store_entries SET retry_at = ? WHERE id = ?", (db_time(at), entry_id)
            )

    # -- a feed that moved ---------------------------------------------------

    def move_feed(self, feed_id: int, new_url: str, now: datetime) -> MovedFeed:
        """Point feed ``feed_id`` at ``new_url`` (its permanent redirect's target).

        Never breaks the UNIQUE constraint on feed URLs: when another feed
        already has ``new_url``, that feed is kept (and re-activated) and this
        one deactivated. The old URL is remembered in ``store_feed_moves`` so
        a configuration still listing it syncs onto the feed that carries it.
        Raises LookupError for an unknown feed.
        """
        with self.transaction():
            row = self._driver.execute(
                "SELECT url, added_by FROM store_feeds WHERE id = ?", (feed_id,)
            ).fetchone()
            if row is None:
                raise LookupError(f"no feed with id {feed_id}")
            old_url, added_by = str(row["url"]), str(row["added_by"])
            existing = self._driver.execute(
                "SELECT id FROM store_feeds WHERE url = ?", (new_url,)
            ).fetchone()
            if existing is None:
                self._driver.execute(
                    "UPDATE store_feeds SET url = ? WHERE id = ?", (new_url, feed_id)
                )
                moved = MovedFeed("moved", feed_id, old_url, added_by)
            elif int(existing["id"]) == feed_id:
                return MovedFeed("unchanged", feed_id, old_url, added_by)
            else:
                target = int(existing["id"])
                self._driver.execute("UPDATE store_feeds SET active = 0 WHERE id = ?", (feed_id,))
                self._driver.execute("UPDATE store_feeds SET active = 1 WHERE id = ?", (target,))
                moved = MovedFeed("merged", target, old_url, added_by)
            self._driver.execute(
                "INSERT INTO store_feed_moves (old_url, feed_id, moved_at) VALUES (?, ?, ?)"
                " ON CONFLICT (old_url) DO UPDATE SET feed_id = excluded.feed_id,"
                " moved_at = excluded.moved_at",
                (old_url, moved.feed_id, db_time(now)),
            )
        return moved

    # -- the operator's outlets and feeds (`ingestd feeds`) ------------------

    def add_outlet(
        self,
        name: str,
        domain: str,
        now: datetime,
        *,
        role: str | None = None,
        aliases: Sequence[str] = (),
    ) -> int:
        """Store a new outlet; returns its id (a taken name or domain raises StoreError)."""
        with self.transaction():
            row = self._driver.execute(
                "INSERT INTO store_outlets (name, domain, role, aliases, created_at)"
                " VALUES (?, ?, ?, ?, ?) RETURNING id",
                (name, domain, role, db_json(list(aliases)), db_time(now)),
            ).fetchone()
        return int(row[0])

    def add_feed(self, outlet_id: int, url: str, now: datetime) -> int:
        """Store an active feed added by the operator (``added_by = 'cli'``); returns its id."""
        with self.transaction():
            row = self._driver.execute(
                "INSERT INTO store_feeds (outlet_id, url, active, added_by, created_at)"
                " VALUES (?, ?, 1, 'cli', ?) RETURNING id",
                (outlet_id, url, db_time(now)),
            ).fetchone()
        return int(row[0])

    def reactivate_feed(self, feed_id: int, outlet_id: int) -> None:
        """Switch a removed feed on again, handed to the operator and to ``outlet_id``."""
        with self.transaction():
            self._driver.execute(
                "UPDATE store_feeds SET active = 1, added_by = 'cli', outlet_id = ? WHERE id = ?",
                (outlet_id, feed_id),
            )

    def deactivate_feed(self, feed_id: int) -> None:
        """Stop polling a feed; its entries and articles stay."""
        with self.transaction():
            self._driver.execute("UPDATE store_feeds SET active = 0 WHERE id = ?", (feed_id,))

    def entry_states(self, urls: Sequence[str]) -> dict[str, str]:
        """The state (``pending``, ``done``, ``failed``) of the entries with these URLs."""
        found: dict[str, str] = {}
        unique = list(dict.fromkeys(urls))
        for start in range(0, len(unique), _CHUNK):
            chunk = unique[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for row in self._driver.execute(
                f"SELECT url, state FROM store_entries WHERE url IN ({marks})", chunk
            ):
                found.setdefault(row["url"], row["state"])
        return found
