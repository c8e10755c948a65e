"""Workers and their leases in the store (migration 0009), mixed into :class:`Store`.

    register_worker(info, counters, now)      the worker's row (an upsert: also the heartbeat)
    renew_leases(worker_id, expires)          push back the expiry of everything it holds
    claim_feed(feed_id, worker_id, now, ...)  one due feed, or why not (held, not due, gone)
    claim_entries(ids, worker_id, now, ...)   the pending entries of ``ids`` nobody else holds
    release_feed / release_entries            work done: the rows are free again
    retire_worker(worker_id)                  a clean stop: release everything, drop the row
    workers(now)                              every worker row with the leases it holds now

A lease is two columns on the row it guards (``lease_owner``,
``lease_expires_at``), so it outlives the short transaction that took it:
no connection or row lock is held while a page is fetched. Claims read
the rows with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (the driver's
:attr:`~ingestd.store.drivers.Driver.skip_locked` suffix; nothing on
SQLite, whose ``BEGIN IMMEDIATE`` already lets one writer in at a time),
so two workers claiming at the same moment never wait for each other and
never both win. An expired lease is free to claim: that is how a killed
worker's feeds and entries reach the others.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from ingestd.store.drivers import Driver
from ingestd.store.records import FeedClaim, FeedRow, WorkerCounters, WorkerInfo, WorkerRow
from ingestd.store.values import db_time, py_time

__all__ = ["LeaseStore", "decide_feed_claim"]

# Entry ids per claim statement (well under either dialect's parameter limit).
_CLAIM_CHUNK = 500


def decide_feed_claim(
    *,
    active: bool,
    owner: str | None,
    expires: datetime | None,
    next_poll_at: datetime | None,
    worker_id: str,
    now: datetime,
    due_by: datetime | None,
) -> tuple[str, datetime | None]:
    """Whether ``worker_id`` may take a feed whose row reads so; ``(result, until)``.

    ``due_by``: the feed must be due by then (the daemon's timer; None for
    a one-off poll that polls every feed now). A lease of the worker itself
    is taken again (a restart under the same id, or a renewal).
    """
    if not active:
        return "gone", None
    if owner is not None and owner != worker_id and expires is not None and expires > now:
        return "held", expires
    if due_by is not None and next_poll_at is not None and next_poll_at > due_by:
        return "not_due", next_poll_at
    return "claimed", None


class LeaseStore:
    """The lease and worker methods of :class:`~ingestd.store.Store`."""

    _driver: Driver

    def transaction(self) -> AbstractContextManager[None]:  # pragma: no cover - Store's
        raise NotImplementedError

    # -- workers -----------------------------------------------------------

    def register_worker(self, info: WorkerInfo, counters: WorkerCounters, now: datetime) -> None:
        """Write the worker's row: at start, and again at every heartbeat (an upsert)."""
        with self.transaction():
            self._driver.execute(
                "INSERT INTO store_workers (id, host, pid, kind, config_owner, lease_seconds,"
                " started_at, heartbeat_at, feeds_polled, pages_fetched, pages_per_s)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
                " heartbeat_at = excluded.heartbeat_at, lease_seconds = excluded.lease_seconds,"
                " feeds_polled = excluded.feeds_polled, pages_fetched = excluded.pages_fetched,"
                " pages_per_s = excluded.pages_per_s",
                (
                    info.id,
                    info.host,
                    info.pid,
                    info.kind,
                    info.config_owner,
                    info.lease_seconds,
                    db_time(info.started_at),
                    db_time(now),
                    counters.feeds_polled,
                    counters.pages_fetched,
                    counters.pages_per_s,
                ),
            )

    def prune_workers(self, heartbeat_before: datetime) -> int:
        """Drop the rows of workers silent since before ``heartbeat_before`` (long dead)."""
        with self.transaction():
            return self._driver.execute(
                "DELETE FROM store_workers WHERE heartbeat_at < ?", (db_time(heartbeat_before),)
            ).rowcount

    def renew_leases(self, worker_id: str, expires: datetime) -> tuple[int, int]:
        """Extend every lease the worker holds to ``expires``; (feeds, entries) renewed.

        A lease another worker took over after it expired names that worker
        now, so it is not renewed: once lost, a lease stays lost.
        """
        with self.transaction():
            feeds = self._driver.execute(
                "UPDATE store_feeds SET lease_expires_at = ? WHERE lease_owner = ?",
                (db_time(expires), worker_id),
            ).rowcount
            entries = self._driver.execute(
                "UPDATE store_entries SET lease_expires_at = ? WHERE lease_owner = ?",
                (db_time(expires), worker_id),
            ).rowcount
        return feeds, entries

    def retire_worker(self, worker_id: str) -> None:
        """A clean stop: release everything the worker holds and drop its row."""
        with self.transaction():
            for table in ("store_feeds", "store_entries"):
                self._driver.execute(
                    f"UPDATE {table} SET lease_owner = NULL, lease_expires_at = NULL"
                    " WHERE lease_owner = ?",
                    (worker_id,),
                )
            self._driver.execute("DELETE FROM store_workers WHERE id = ?", (worker_id,))

    def workers(self, now: datetime) -> list[WorkerRow]:
        """Every worker row, oldest first, with the unexpired leases it holds at ``now``."""
        at = db_time(now)
        rows = self._driver.execute(
            "SELECT w.*,"
            " (SELECT count(*) FROM store_feeds f WHERE f.lease_owner = w.id"
            "  AND f.lease_expires_at > ?) AS feeds_held,"
            " (SELECT count(*) FROM store_entries e WHERE e.lease_owner = w.id"
            "  AND e.lease_expires_at > ?) AS entries_held"
            " FROM store_workers w ORDER BY w.started_at, w.id",
            (at, at),
        ).fetchall()
        return [_worker_row(row) for row in rows]

    # -- feeds -------------------------------------------------------------

    def claim_feed(
        self,
        feed_id: int,
        worker_id: str,
        now: datetime,
        expires: datetime,
        *,
        due_by: datetime | None,
    ) -> FeedClaim:
        """Lease one feed to poll it, if it is active, free and (with ``due_by``) due."""
        with self.transaction():
            row = self._driver.execute(
                "SELECT id, outlet_id, url, etag, last_modified, content_hash, active,"
                " next_poll_at, lease_owner, lease_expires_at FROM store_feeds WHERE id = ?"
                + self._driver.skip_locked,
                (feed_id,),
            ).fetchone()
            if row is None:
                # Skipped (another worker is claiming it this instant) or gone.
                exists = self._driver.execute(
                    "SELECT 1 FROM store_feeds WHERE id = ?", (feed_id,)
                ).fetchone()
                return FeedClaim("held" if exists else "gone")
            result, until = decide_feed_claim(
                active=bool(row["active"]),
                owner=row["lease_owner"],
                expires=py_time(row["lease_expires_at"]),
                next_poll_at=py_time(row["next_poll_at"]),
                worker_id=worker_id,
                now=now,
                due_by=due_by,
            )
            if result != "claimed":
                return FeedClaim(result, until=until)
            self._driver.execute(
                "UPDATE store_feeds SET lease_owner = ?, lease_expires_at = ? WHERE id = ?",
                (worker_id, db_time(expires), feed_id),
            )
        feed = FeedRow(
            int(row["id"]),
            int(row["outlet_id"]),
            row["url"],
            row["etag"],
            row["last_modified"],
            row["content_hash"],
        )
        return FeedClaim("claimed", feed=feed)

    def release_feed(self, feed_id: int, worker_id: str) -> None:
        """The poll is saved: free the feed (only if this worker still holds it)."""
        with self.transaction():
            self._driver.execute(
                "UPDATE store_feeds SET lease_owner = NULL, lease_expires_at = NULL"
                " WHERE id = ? AND lease_owner = ?",
                (feed_id, worker_id),
            )

    # -- entries -----------------------------------------------------------

    def claim_entries(
        self, entry_ids: Sequence[int], worker_id: str, now: datetime, expires: datetime
    ) -> list[int]:
        """Lease the still-pending entries of ``entry_ids`` that nobody else holds.

        Returns the ids now held by ``worker_id``, in the order asked; the
        others (done meanwhile, or held by a live worker) are left alone.
        """
        claimed: set[int] = set()
        with self.transaction():
            for start in range(0, len(entry_ids), _CLAIM_CHUNK):
                chunk = list(entry_ids[start : start + _CLAIM_CHUNK])
                marks = ",".join("?" * len(chunk))
                rows = self._driver.execute(
                    f"SELECT id FROM store_entries WHERE id IN ({marks}) AND state = 'pending'"
                    " AND (lease_owner IS NULL OR lease_owner = ? OR lease_expires_at <= ?)"
                    + self._driver.skip_locked,
                    (*chunk, worker_id, db_time(now)),
                ).fetchall()
                ids = [int(r["id"]) for r in rows]
                if not ids:
                    continue
                marks = ",".join("?" * len(ids))
                self._driver.execute(
                    "UPDATE store_entries SET lease_owner = ?, lease_expires_at = ?"
                    f" WHERE id IN ({marks})",
                    (worker_id, db_time(expires), *ids),
                )
                claimed.update(ids)
        return [entry_id for entry_id in entry_ids if entry_id in claimed]

    def release_entries(self, entry_ids: Sequence[int], worker_id: str) -> None:
        """The entries are done (or given back): free those this worker still holds."""
        if not entry_ids:
            return
        with self.transaction():
            for start in range(0, len(entry_ids), _CLAIM_CHUNK):
                chunk = list(entry_ids[start : start + _CLAIM_CHUNK])
                marks = ",".join("?" * len(chunk))
                self._driver.execute(
                    "UPDATE store_entries SET lease_owner = NULL, lease_expires_at = NULL"
                    f" WHERE id IN ({marks}) AND lease_owner = ?",
                    (*chunk, worker_id),
                )


def _worker_row(row: Any) -> WorkerRow:
    started = py_time(row["started_at"])
    heartbeat = py_time(row["heartbeat_at"])
    assert started is not None and heartbeat is not None  # NOT NULL columns
    return WorkerRow(
        WorkerInfo(
            row["id"],
            row["host"],
            int(row["pid"]),
            row["kind"],
            row["config_owner"] or "",
            float(row["lease_seconds"]),
            started,
        ),
        heartbeat,
        WorkerCounters(
            int(row["feeds_polled"]), int(row["pages_fetched"]), float(row["pages_per_s"])
        ),
        int(row["feeds_held"]),
        int(row["entries_held"]),
    )
