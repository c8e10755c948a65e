"""The schedule's state, kept in the store (``FeedsAndEntries`` of :mod:`ingestd.store.protocol`).

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
from ingestd.store.protocol import FeedsAndEntries
from ingestd.store.records import FeedRow, PendingEntry

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


def due_times(store: FeedsAndEntries) -> dict[int, datetime | None]:
    """Every active feed's due time (None: never scheduled, due now)."""
    return store.due_times()


def feed_to_poll(store: FeedsAndEntries, feed_id: int) -> FeedRow | None:
    """The feed with its current validators, or None if it is gone or inactive."""
    return store.feed_to_poll(feed_id)


def feed_history(store: FeedsAndEntries, feed_id: int) -> FeedHistory:
    """The feed's recent entry times (publication, else discovery) and error streak."""
    times, errors = store.feed_history(feed_id, HISTORY_ENTRIES)
    return FeedHistory(times, errors)


def stored_ttl(store: FeedsAndEntries, feed_id: int) -> int | None:
    """The RSS ttl (minutes) remembered from the feed's last full answer."""
    return store.feed_ttl(feed_id)


def record_decision(
    store: FeedsAndEntries,
    feed_id: int,
    decision: Decision,
    *,
    ttl_minutes: int | None = None,
    update_ttl: bool = False,
) -> None:
    """Save the feed's next due time; ``update_ttl`` also saves a new RSS ttl."""
    store.schedule_feed(
        feed_id,
        decision.at,
        decision.interval,
        decision.reason,
        ttl_minutes=ttl_minutes,
        update_ttl=update_ttl,
    )


def ready_entries(
    store: FeedsAndEntries, now: datetime, limit: int, *, exclude: frozenset[int] = frozenset()
) -> list[PendingEntry]:
    """Pending entries due for a (re)try and leased to nobody, in turns across feeds.

    ``exclude``: entries already in hand. An entry another worker holds a
    lease on is left out (it would only fail to be claimed).
    """
    return store.pending_entries(limit, ready_at=now, exclude=exclude, unleased_at=now)


def pending_count(store: FeedsAndEntries) -> int:
    """How many entries wait for their page (the queue depth)."""
    return store.pending_count()


def delay_entry(store: FeedsAndEntries, entry_id: int, at: datetime) -> None:
    """Keep a failed entry pending but untouched until ``at``."""
    store.delay_entry(entry_id, at)
