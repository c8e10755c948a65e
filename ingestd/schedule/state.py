"""The schedule's state in the store, through the portable SQL surface only.

    due_times(store)                 feed id → next_poll_at, for every active feed
    feed_to_poll(store, feed_id)     the feed with its validators, if still active
    feed_history(store, feed_id)     recent entry times + consecutive errors
    record_decision(store, ...)      next_poll_at, interval, reason (+ RSS ttl)
    ready_entries(store, now, ...)   pending entries whose retry time has come
    delay_entry(store, entry_id, at) a failed page waits before its next try

Every function takes the store first and joins an open transaction, so a
caller can save a poll's entries, validators and next due time atomically.
"""

from __future__ import annotations

from datetime import datetime

from ingestd.schedule.policy import HISTORY_ENTRIES, Decision, FeedHistory
from ingestd.store import Store
from ingestd.store.records import FeedRow, PendingEntry
from ingestd.store.values import db_time, py_time

__all__ = [
    "delay_entry",
    "due_times",
    "feed_history",
    "feed_to_poll",
    "pending_count",
    "ready_entries",
    "record_decision",
    "stored_ttl",
]


def due_times(store: Store) -> dict[int, datetime | None]:
    """Every active feed's due time (None: never scheduled, due now)."""
    rows = store.query("SELECT id, next_poll_at FROM store_feeds WHERE active = 1 ORDER BY id")
    return {int(r["id"]): py_time(r["next_poll_at"]) for r in rows}


def feed_to_poll(store: Store, feed_id: int) -> FeedRow | None:
    """The feed with its current validators, or None if it is gone or inactive."""
    row = store.query_one(
        "SELECT id, outlet_id, url, etag, last_modified, content_hash FROM store_feeds"
        " WHERE id = ? AND active = 1",
        (feed_id,),
    )
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


def feed_history(store: Store, feed_id: int) -> FeedHistory:
    """The feed's recent entry times (publication, else discovery) and error streak."""
    rows = store.query(
        "SELECT coalesce(published_at, first_seen_at) AS seen FROM store_entries"
        " WHERE feed_id = ? ORDER BY coalesce(published_at, first_seen_at) DESC LIMIT ?",
        (feed_id, HISTORY_ENTRIES),
    )
    times = [t for t in (py_time(r["seen"]) for r in rows) if t is not None]
    errors = store.query_one("SELECT error_count FROM store_feeds WHERE id = ?", (feed_id,))
    return FeedHistory(tuple(times), int(errors["error_count"]) if errors else 0)


def stored_ttl(store: Store, feed_id: int) -> int | None:
    """The RSS ttl (minutes) remembered from the feed's last full answer."""
    row = store.query_one("SELECT ttl_minutes FROM store_feeds WHERE id = ?", (feed_id,))
    return None if row is None or row["ttl_minutes"] is None else int(row["ttl_minutes"])


def record_decision(
    store: Store,
    feed_id: int,
    decision: Decision,
    *,
    ttl_minutes: int | None = None,
    update_ttl: bool = False,
) -> None:
    """Save the feed's next due time; ``update_ttl`` also saves a new RSS ttl."""
    if update_ttl:
        store.execute(
            "UPDATE store_feeds SET next_poll_at = ?, poll_interval = ?, schedule_reason = ?,"
            " ttl_minutes = ? WHERE id = ?",
            (db_time(decision.at), decision.interval, decision.reason, ttl_minutes, feed_id),
        )
    else:
        store.execute(
            "UPDATE store_feeds SET next_poll_at = ?, poll_interval = ?, schedule_reason = ?"
            " WHERE id = ?",
            (db_time(decision.at), decision.interval, decision.reason, feed_id),
        )


def ready_entries(
    store: Store, now: datetime, limit: int, *, exclude: frozenset[int] = frozenset()
) -> list[PendingEntry]:
    """Pending entries due for a (re)try and leased to nobody, in turns across feeds.

    ``exclude``: entries already in hand. An entry another worker holds a
    lease on is left out (it would only fail to be claimed).
    """
    return store.pending_entries(limit, ready_at=now, exclude=exclude, unleased_at=now)


def pending_count(store: Store) -> int:
    """How many entries wait for their page (the queue depth)."""
    return store.pending_count()


def delay_entry(store: Store, entry_id: int, at: datetime) -> None:
    """Keep a failed entry pending but untouched until ``at``."""
    store.execute("UPDATE store_entries SET retry_at = ? WHERE id = ?", (db_time(at), entry_id))
