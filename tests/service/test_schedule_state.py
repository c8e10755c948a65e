"""Schedule state in the store: due times, history, decisions, page retries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from ingestd.app import open_store
from ingestd.pipeline import outlet_table
from ingestd.schedule import state
from ingestd.schedule.policy import Decision
from ingestd.settings import Settings
from ingestd.store import Store
from ingestd.types import FeedEntry

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def make_store(tmp_path: Path, feeds: list[str]) -> tuple[Store, Settings]:
    settings = Settings.model_validate(
        {
            "storage": {"url": f"sqlite:///{tmp_path / 'x.db'}"},
            "outlets": [{"name": "A", "domain": "a.example", "feeds": feeds}],
        }
    )
    store = open_store(settings)
    store.sync_outlets(outlet_table(settings), NOW)
    return store, settings


def entry(n: int, published: datetime | None) -> FeedEntry:
    url = f"https://a.example/{n}"
    return FeedEntry(url, url, f"g{n}", f"t{n}", published, None, None)


def test_new_feeds_are_due_and_decisions_are_saved(tmp_path: Path) -> None:
    store, _ = make_store(tmp_path, ["https://a.example/1.xml", "https://a.example/2.xml"])
    times = state.due_times(store)
    assert list(times.values()) == [None, None]
    first = next(iter(times))
    at = NOW + timedelta(minutes=7)
    state.record_decision(
        store, first, Decision(at, 420.0, "adaptive"), ttl_minutes=15, update_ttl=True
    )
    assert state.due_times(store)[first] == at
    assert state.stored_ttl(store, first) == 15
    state.record_decision(store, first, Decision(at, 420.0, "ttl"))
    assert state.stored_ttl(store, first) == 15  # kept when not updated
    row = store.query_one(
        "SELECT poll_interval, schedule_reason FROM store_feeds WHERE id = ?", (first,)
    )
    assert (row["poll_interval"], row["schedule_reason"]) == (420.0, "ttl")
    store.close()


def test_history_reads_entry_times_and_error_streak(tmp_path: Path) -> None:
    store, _ = make_store(tmp_path, ["https://a.example/1.xml"])
    [feed] = store.active_feeds()
    entries = [entry(1, NOW - timedelta(hours=2)), entry(2, None)]
    store.record_feed_entries(
        feed, entries, etag=None, last_modified=None, content_hash=None, now=NOW
    )
    store.record_feed_error(feed, "timeout", "slow", NOW)
    store.record_feed_error(feed, "timeout", "slow", NOW)
    history = state.feed_history(store, feed.id)
    assert sorted(history.entry_times) == [NOW - timedelta(hours=2), NOW]
    assert history.errors == 2
    assert state.feed_to_poll(store, feed.id) == feed
    store.close()


def test_inactive_feed_is_not_polled(tmp_path: Path) -> None:
    store, _ = make_store(tmp_path, ["https://a.example/1.xml"])
    [feed] = store.active_feeds()
    store.sync_outlets([{"name": "A", "domain": "a.example", "feeds": []}], NOW)
    assert state.feed_to_poll(store, feed.id) is None
    assert state.due_times(store) == {}
    store.close()


def test_delayed_entries_wait_and_excluded_ones_are_skipped(tmp_path: Path) -> None:
    store, _ = make_store(tmp_path, ["https://a.example/1.xml"])
    [feed] = store.active_feeds()
    entries = [entry(n, NOW) for n in range(5)]
    store.record_feed_entries(
        feed, entries, etag=None, last_modified=None, content_hash=None, now=NOW
    )
    ids = [e.id for e in state.ready_entries(store, NOW, 10)]
    assert len(ids) == 5
    state.delay_entry(store, ids[0], NOW + timedelta(minutes=5))
    assert [e.id for e in state.ready_entries(store, NOW, 10)] == ids[1:]
    assert [e.id for e in state.ready_entries(store, NOW + timedelta(minutes=6), 10)] == ids
    # In-flight entries are left out without shrinking the batch.
    later = NOW + timedelta(minutes=6)
    assert [e.id for e in state.ready_entries(store, later, 2, exclude=frozenset(ids[:2]))] == ids[
        2:4
    ]
    assert state.pending_count(store) == 5
    store.close()
