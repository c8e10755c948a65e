"""Workers and leases (migration 0009) on SQLite and PostgreSQL alike: claim, renew,
release, expiry, retirement; and on PostgreSQL, claims that skip locked rows."""

from __future__ import annotations

import threading
from datetime import timedelta

from ingestd.store import Store, open_store
from ingestd.store.records import WorkerCounters, WorkerInfo
from ingestd.store.values import db_time
from tests.contract.factories import T0, entry, synced

LEASE = timedelta(seconds=120)


def worker(name: str, *, host: str = "host-a", pid: int = 1) -> WorkerInfo:
    return WorkerInfo(name, host, pid, "run", "/etc/ingestd.toml", LEASE.total_seconds(), T0)


def pending_ids(store: Store, count: int = 4) -> list[int]:
    _ids, feeds = synced(store)
    store.record_feed_entries(
        feeds[0],
        [entry(n) for n in range(1, count + 1)],
        etag=None,
        last_modified=None,
        content_hash=None,
        now=T0,
    )
    return sorted(e.id for e in store.pending_entries())


def test_a_feed_is_claimed_by_one_worker_until_released(store: Store) -> None:
    _ids, feeds = synced(store)
    feed = feeds[0]
    first = store.claim_feed(feed.id, "a", T0, T0 + LEASE, due_by=T0)
    assert first.result == "claimed" and first.feed == feed
    held = store.claim_feed(feed.id, "b", T0, T0 + LEASE, due_by=T0)
    assert (held.result, held.feed, held.until) == ("held", None, T0 + LEASE)
    # The holder may claim again (a renewal or a second timer of its own).
    assert store.claim_feed(feed.id, "a", T0, T0 + LEASE, due_by=T0).result == "claimed"
    store.release_feed(feed.id, "b")  # not b's to release: nothing changes
    assert store.claim_feed(feed.id, "b", T0, T0 + LEASE, due_by=T0).result == "held"
    store.release_feed(feed.id, "a")
    assert store.claim_feed(feed.id, "b", T0, T0 + LEASE, due_by=T0).result == "claimed"


def test_a_feed_polled_for_this_due_time_is_not_due_any_more(store: Store) -> None:
    _ids, feeds = synced(store)
    feed = feeds[0]
    store.execute(
        "UPDATE store_feeds SET next_poll_at = ? WHERE id = ?",
        (db_time(T0 + timedelta(minutes=10)), feed.id),
    )
    late = store.claim_feed(feed.id, "b", T0, T0 + LEASE, due_by=T0 + timedelta(seconds=1))
    assert (late.result, late.until) == ("not_due", T0 + timedelta(minutes=10))
    # A one-off poll (no due time) takes it anyway.
    assert store.claim_feed(feed.id, "b", T0, T0 + LEASE, due_by=None).result == "claimed"


def test_an_inactive_or_unknown_feed_is_gone(store: Store) -> None:
    _ids, feeds = synced(store)
    store.execute("UPDATE store_feeds SET active = 0 WHERE id = ?", (feeds[0].id,))
    assert store.claim_feed(feeds[0].id, "a", T0, T0 + LEASE, due_by=None).result == "gone"
    assert store.claim_feed(999_999, "a", T0, T0 + LEASE, due_by=None).result == "gone"


def test_an_expired_feed_lease_is_taken_over(store: Store) -> None:
    _ids, feeds = synced(store)
    feed = feeds[0]
    store.claim_feed(feed.id, "a", T0, T0 + LEASE, due_by=None)
    later = T0 + LEASE
    taken = store.claim_feed(feed.id, "b", later, later + LEASE, due_by=None)
    assert taken.result == "claimed"
    # The old holder's renewal no longer reaches it: once lost, it stays lost.
    assert store.renew_leases("a", later + 2 * LEASE) == (0, 0)
    assert store.claim_feed(feed.id, "a", later, later + LEASE, due_by=None).result == "held"


def test_entries_are_shared_out_never_twice(store: Store) -> None:
    ids = pending_ids(store)
    assert store.claim_entries(ids[:3], "a", T0, T0 + LEASE) == ids[:3]
    # b asks for all: it gets only the one a does not hold.
    assert store.claim_entries(ids, "b", T0, T0 + LEASE) == ids[3:]
    assert store.claim_entries(ids, "c", T0, T0 + LEASE) == []
    # The candidates a worker reads leave out what others hold.
    assert [e.id for e in store.pending_entries(unleased_at=T0)] == []
    assert {e.id for e in store.pending_entries()} == set(ids)


def test_done_entries_cannot_be_claimed_and_released_ones_can(store: Store) -> None:
    ids = pending_ids(store, 2)
    assert store.claim_entries(ids, "a", T0, T0 + LEASE) == ids
    store.execute("UPDATE store_entries SET state = 'done' WHERE id = ?", (ids[0],))
    store.release_entries(ids, "a")
    assert store.claim_entries(ids, "b", T0, T0 + LEASE) == ids[1:]


def test_renewal_keeps_entries_past_their_first_expiry(store: Store) -> None:
    ids = pending_ids(store, 2)
    store.claim_entries(ids, "a", T0, T0 + LEASE)
    assert store.renew_leases("a", T0 + 2 * LEASE) == (0, 2)
    assert store.claim_entries(ids, "b", T0 + LEASE, T0 + 2 * LEASE) == []
    # Past the renewed expiry, a dead worker's entries go to the next claimer.
    assert store.claim_entries(ids, "b", T0 + 2 * LEASE, T0 + 3 * LEASE) == ids
    assert [e.id for e in store.pending_entries(unleased_at=T0 + 2 * LEASE)] == []


def test_workers_are_listed_with_what_they_hold_and_retired(store: Store) -> None:
    ids = pending_ids(store, 3)
    _ids, feeds = synced(store)
    store.register_worker(worker("a"), WorkerCounters(), T0)
    store.register_worker(worker("b", pid=2), WorkerCounters(), T0)
    store.claim_feed(feeds[0].id, "a", T0, T0 + LEASE, due_by=None)
    store.claim_entries(ids[:2], "a", T0, T0 + LEASE)
    store.claim_entries(ids[2:], "b", T0, T0 + LEASE)
    beat = T0 + timedelta(seconds=40)
    store.register_worker(worker("a"), WorkerCounters(3, 7, 1.5), beat)
    rows = {row.info.id: row for row in store.workers(beat)}
    assert set(rows) == {"a", "b"}
    a = rows["a"]
    assert (a.feeds_held, a.entries_held) == (1, 2)
    assert a.heartbeat_at == beat and a.counters == WorkerCounters(3, 7, 1.5)
    assert a.info == worker("a")
    assert (rows["b"].feeds_held, rows["b"].entries_held) == (0, 1)
    # Leases past their expiry are not counted as held.
    assert store.workers(T0 + LEASE)[0].entries_held == 0

    store.retire_worker("a")
    assert [row.info.id for row in store.workers(beat)] == ["b"]
    assert store.claim_entries(ids, "c", beat, beat + LEASE) == ids[:2]
    assert store.claim_feed(feeds[0].id, "c", beat, beat + LEASE, due_by=None).result == "claimed"


def test_long_silent_workers_are_pruned(store: Store) -> None:
    store.register_worker(worker("old"), WorkerCounters(), T0)
    store.register_worker(worker("new"), WorkerCounters(), T0 + timedelta(days=2))
    assert store.prune_workers(T0 + timedelta(days=1)) == 1
    assert [row.info.id for row in store.workers(T0)] == ["new"]


def test_claims_skip_rows_another_claim_has_locked(store: Store, store_url: str) -> None:
    """While one worker's claim transaction is open, another's returns at once, empty-handed.

    On PostgreSQL that is ``FOR UPDATE SKIP LOCKED``; on SQLite the second
    claim waits for the single write lock instead, then finds the rows held.
    """
    ids = pending_ids(store, 3)
    _ids, feeds = synced(store)
    got: dict[str, object] = {}
    if store.dialect == "postgresql":
        with open_store(store_url) as other:
            with store.transaction():
                assert store.claim_entries(ids, "a", T0, T0 + LEASE) == ids
                assert store.claim_feed(feeds[0].id, "a", T0, T0 + LEASE, due_by=None).feed
                # Uncommitted: b sees the rows free, but locked, and skips them.
                entries = other.claim_entries(ids, "b", T0, T0 + LEASE)
                feed = other.claim_feed(feeds[0].id, "b", T0, T0 + LEASE, due_by=None)
            assert entries == []
            assert feed.result == "held"
            # Committed now: b sees them leased.
            assert other.claim_entries(ids, "b", T0, T0 + LEASE) == []
        return
    started = threading.Event()

    def claim_behind() -> None:
        with open_store(store_url) as other:
            started.set()
            got["entries"] = other.claim_entries(ids, "b", T0, T0 + LEASE)

    thread = threading.Thread(target=claim_behind)
    with store.transaction():
        assert store.claim_entries(ids, "a", T0, T0 + LEASE) == ids
        thread.start()
        assert started.wait(10)
    thread.join(30)
    assert got["entries"] == []
