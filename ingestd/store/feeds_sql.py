"""The store's outlets and feeds: the configuration, polls, schedule state, moves, edits.

Part of :class:`~ingestd.store.Store` (see :class:`ingestd.store.protocol.FeedsAndEntries`):
the configured outlets and feeds (``sync_outlets``) and each poll's result,
new entries included (:mod:`ingestd.pipeline`); what the scheduler
(:mod:`ingestd.schedule.state`), the fetch stage (:mod:`ingestd.feeds.state`)
and ``ingestd feeds`` (:mod:`ingestd.ops.feedstore`) change in
``store_feeds``, ``store_outlets``, ``store_feed_moves`` and
``store_entries``. Every write joins an open transaction. The entry queue
is in :mod:`ingestd.store.entries_sql`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from ingestd.errors import StoreError
from ingestd.store.base import StoreBase
from ingestd.store.records import FeedRow, MovedFeed, OutletRow
from ingestd.store.rows import _role
from ingestd.store.values import db_json, db_time, py_json, py_time
from ingestd.types import FeedEntry

# SQLite allows a limited number of parameters per statement.
_CHUNK = 200


class FeedsSql(StoreBase):
    """Outlets and feeds: config sync, polls, schedule state, moved and operator-managed feeds."""

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

    # -- outlets and feeds -------------------------------------------------

    def sync_outlets(
        self, outlets: Sequence[dict[str, Any]], now: datetime, *, owner: str = ""
    ) -> None:
        """Make stored outlets and feeds match one configuration file, ``owner``.

        Each item has ``name``, ``domain``, ``role``, ``aliases``, ``feeds``.
        Feeds the file lists become active and owned by it; feeds it owned
        and no longer lists are deactivated, never deleted (their entries and
        articles stay). Feeds owned by another file, or added with
        `ingestd feeds add`, are left alone. A listed URL that has moved
        (permanent redirect) is synced onto the feed that now carries it.
        Every write is an upsert, so processes syncing the same file at the
        same moment agree instead of failing on a unique key.
        """
        with self.transaction():
            configured: set[int] = set()
            for outlet in outlets:
                outlet_id = self._upsert_outlet(outlet, now)
                for url in outlet.get("feeds", []):
                    configured.add(self._sync_feed(outlet_id, url, owner, now))
            for row in self._driver.execute(
                "SELECT id FROM store_feeds WHERE active = 1 AND added_by = 'config'"
                " AND config_owner = ?",
                (owner,),
            ).fetchall():
                if int(row["id"]) not in configured:
                    self._driver.execute(
                        "UPDATE store_feeds SET active = 0 WHERE id = ?", (row["id"],)
                    )

    def _upsert_outlet(self, outlet: dict[str, Any], now: datetime) -> int:
        values = (
            outlet["name"],
            outlet["domain"],
            outlet.get("role"),
            db_json(list(outlet.get("aliases", []))),
        )
        find = "SELECT id FROM store_outlets WHERE name = ? OR domain = ? ORDER BY id"
        row = self._driver.execute(find, (outlet["name"], outlet["domain"])).fetchone()
        if row is None:
            # Another process may insert the same outlet meanwhile: DO NOTHING,
            # then read the row it made.
            row = self._driver.execute(
                "INSERT INTO store_outlets (name, domain, role, aliases, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
                (*values, db_time(now)),
            ).fetchone()
            if row is None:
                row = self._driver.execute(find, (outlet["name"], outlet["domain"])).fetchone()
            if row is None:
                raise StoreError(f"outlet {outlet['name']!r} could not be stored")
            return int(row["id"])
        outlet_id = int(row["id"])
        self._driver.execute(
            "UPDATE store_outlets SET name = ?, domain = ?, role = ?, aliases = ? WHERE id = ?",
            (*values, outlet_id),
        )
        return outlet_id

    def _sync_feed(self, outlet_id: int, url: str, owner: str, now: datetime) -> int:
        """Make one listed feed active and owned by ``owner``; returns its id."""
        moved = self._driver.execute(
            "SELECT feed_id FROM store_feed_moves WHERE old_url = ?", (url,)
        ).fetchone()
        if moved is not None:
            feed_id = int(moved["feed_id"])
            self._driver.execute(
                "UPDATE store_feeds SET outlet_id = ?, active = 1, added_by = 'config',"
                " config_owner = ? WHERE id = ?",
                (outlet_id, owner, feed_id),
            )
            return feed_id
        row = self._driver.execute(
            "INSERT INTO store_feeds (outlet_id, url, created_at, config_owner)"
            " VALUES (?, ?, ?, ?)"
            " ON CONFLICT (url) DO UPDATE SET outlet_id = excluded.outlet_id,"
            " active = 1, added_by = 'config', config_owner = excluded.config_owner"
            " RETURNING id",
            (outlet_id, url, db_time(now), owner),
        ).fetchone()
        return int(row["id"])

    def outlets(self) -> list[OutletRow]:
        """All outlets."""
        return [
            OutletRow(
                r["id"], r["name"], r["domain"], _role(r["role"]), tuple(py_json(r["aliases"]))
            )
            for r in self._driver.execute("SELECT * FROM store_outlets ORDER BY id")
        ]

    def active_feeds(self) -> list[FeedRow]:
        """Feeds to poll, in id order."""
        return [
            FeedRow(
                r["id"], r["outlet_id"], r["url"], r["etag"], r["last_modified"], r["content_hash"]
            )
            for r in self._driver.execute("SELECT * FROM store_feeds WHERE active = 1 ORDER BY id")
        ]

    def record_feed_entries(
        self,
        feed: FeedRow,
        entries: Iterable[FeedEntry],
        *,
        etag: str | None,
        last_modified: str | None,
        content_hash: str | None,
        now: datetime,
    ) -> int:
        """Save a successful poll: new entries as pending AND the validators, atomically.

        The validators are only ever saved together with the entries they
        revealed, so a crash can never leave a 304 hiding unseen entries.
        Returns the number of new entries.
        """
        added = 0
        with self.transaction():
            for entry in entries:
                cursor = self._driver.execute(
                    "INSERT INTO store_entries (feed_id, guid, url, raw_url, title, published_at,"
                    " updated_at, state, first_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)"
                    # A known GUID whose link or update time changed is an
                    # updated article: fetch it again (it keeps its story).
                    " ON CONFLICT (feed_id, guid) DO UPDATE SET url = excluded.url,"
                    " raw_url = excluded.raw_url, title = excluded.title,"
                    " updated_at = excluded.updated_at, state = 'pending', attempts = 0"
                    " WHERE store_entries.state != 'pending'"
                    " AND (store_entries.url != excluded.url"
                    " OR store_entries.updated_at IS DISTINCT FROM excluded.updated_at)",
                    (
                        feed.id,
                        entry.guid,
                        entry.url,
                        entry.raw_url,
                        entry.title,
                        db_time(entry.published_at),
                        db_time(entry.updated_at),
                        db_time(now),
                    ),
                )
                added += cursor.rowcount
            self._driver.execute(
                "UPDATE store_feeds SET etag = ?, last_modified = ?, content_hash = ?,"
                " last_polled_at = ?, last_success_at = ?, error_count = 0 WHERE id = ?",
                (etag, last_modified, content_hash, db_time(now), db_time(now), feed.id),
            )
        return added

    def record_feed_unchanged(self, feed: FeedRow, now: datetime) -> None:
        """A poll that found nothing new (304 or same body)."""
        with self.transaction():
            self._driver.execute(
                "UPDATE store_feeds SET last_polled_at = ?, last_success_at = ?, error_count = 0"
                " WHERE id = ?",
                (db_time(now), db_time(now), feed.id),
            )

    def record_feed_error(self, feed: FeedRow, kind: str, message: str, now: datetime) -> None:
        """A failed poll: the error is kept with the feed, counted, never fatal."""
        with self.transaction():
            self._driver.execute(
                "UPDATE store_feeds SET last_polled_at = ?, last_error = ?, last_error_kind = ?,"
                " last_error_at = ?, error_count = error_count + 1 WHERE id = ?",
                (db_time(now), message, kind, db_time(now), feed.id),
            )
