"""The store's fleet-wide politeness rows (migration 0010), on both dialects:
host turns, pauses, concurrency slots and shared robots.txt records."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import TypeVar

from ingestd.fetch.hosts import plan_turn
from ingestd.store import Store, open_store
from ingestd.types import RobotsRecord

T = TypeVar("T")
HOST = "news.example"


def test_a_new_host_grants_at_once_and_spaces_the_next(store: Store) -> None:
    first = store.take_host_turn(HOST, 2.0, 30.0)
    assert first.granted and first.wait == 0.0 and first.paused_for == 0.0
    assert first.next_at == first.start + 2.0
    second = store.take_host_turn(HOST, 2.0, 30.0)
    assert second.granted
    assert second.start == first.next_at  # asked within the spacing: lined up behind it
    assert 1.5 < second.wait <= 2.0
    assert second.next_at == second.start + 2.0
    # Another host is not held up.
    assert store.take_host_turn("other.example", 2.0, 30.0).wait == 0.0


def test_the_store_turn_is_plan_turn(store: Store) -> None:
    before = store.take_host_turn(HOST, 1.0, 30.0)
    store.pause_host(HOST, 3.0)
    for spacing, max_wait in ((0.5, 30.0), (1.0, 1.0), (0.0, 10.0)):
        paused = store.host_paused_for(HOST)
        turn = store.take_host_turn(HOST, spacing, max_wait)
        expected = plan_turn(turn.now, before.next_at, turn.paused_until, spacing, max_wait)
        assert (turn.granted, turn.start, turn.next_at) == (
            expected.granted,
            expected.start,
            expected.next_at,
        ), (spacing, max_wait, paused)
        before = turn


def test_a_pause_longer_than_the_wait_grants_nothing(store: Store) -> None:
    turn = store.take_host_turn(HOST, 1.0, 30.0)
    store.pause_host(HOST, 60.0)
    assert 59.0 < store.host_paused_for(HOST) <= 60.0
    refused = store.take_host_turn(HOST, 1.0, 30.0)
    assert not refused.granted and 59.0 < refused.paused_for <= 60.0
    assert refused.next_at == turn.next_at  # nothing was reserved
    waited = store.take_host_turn(HOST, 1.0, 120.0)
    assert waited.granted and waited.start == waited.paused_until
    assert 59.0 < waited.wait <= 60.0


def test_pauses_only_ever_lengthen(store: Store) -> None:
    store.pause_host(HOST, 30.0)
    store.pause_host(HOST, 1.0)
    assert store.host_paused_for(HOST) > 29.0
    assert store.host_paused_for("never.example") == 0.0
    store.pause_host("fresh.example", 5.0)  # a pause may come first
    assert 4.0 < store.host_paused_for("fresh.example") <= 5.0


def _together(url: str, threads: int, work: Callable[[Store], T]) -> list[T]:
    """Run ``work`` in ``threads`` threads at once, each on its own connection."""
    barrier = threading.Barrier(threads)
    results: list[T] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            with open_store(url, create=False) as own:
                barrier.wait(10)
                result = work(own)
            with lock:
                results.append(result)
        except BaseException as error:
            errors.append(error)

    running = [threading.Thread(target=run) for _ in range(threads)]
    for thread in running:
        thread.start()
    for thread in running:
        thread.join(60)
    assert errors == []
    return results


def test_turns_asked_together_on_several_connections_never_overlap(
    store: Store, store_url: str
) -> None:
    spacing = 0.25

    def turns(own: Store) -> list[float]:
        return [own.take_host_turn(HOST, spacing, 30.0).start for _ in range(10)]

    starts = sorted(start for found in _together(store_url, 4, turns) for start in found)
    assert len(starts) == 40
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert min(gaps) >= spacing - 1e-6, gaps


def test_slots_are_limited_released_and_expire(store: Store) -> None:
    assert store.take_host_slot(HOST, 2, "a", 60.0) == 0
    assert store.take_host_slot(HOST, 2, "b", 60.0) == 1
    assert store.take_host_slot(HOST, 2, "c", 60.0) is None
    store.release_host_slot(HOST, 0, "not-a")  # only the holder gives a slot back
    assert store.take_host_slot(HOST, 2, "c", 60.0) is None
    store.release_host_slot(HOST, 0, "a")
    assert store.take_host_slot(HOST, 2, "c", 60.0) == 0
    # A raised limit adds slots; a holder that never gives back (a dead
    # worker) loses its slot when the hold lapses.
    assert store.take_host_slot(HOST, 3, "d", 0.0) == 2
    assert store.take_host_slot(HOST, 3, "e", 60.0) == 2
    store.release_host_slot(HOST, 2, "d")  # too late: "e" holds it now
    assert store.take_host_slot(HOST, 3, "f", 60.0) is None
    assert store.take_host_slot("other.example", 1, "g", 60.0) == 0


def test_slots_taken_together_never_exceed_the_limit(store: Store, store_url: str) -> None:
    def grab(own: Store) -> list[int]:
        name = threading.current_thread().name
        return [
            slot
            for n in range(5)
            if (slot := own.take_host_slot(HOST, 3, f"{name}-{n}", 60.0)) is not None
        ]

    taken = [slot for found in _together(store_url, 4, grab) for slot in found]
    assert sorted(taken) == [0, 1, 2]


def test_robots_records_are_claimed_once_shared_and_expire(store: Store) -> None:
    url = "https://news.example/robots.txt"
    state = store.robots_state(url)
    assert state.record is None and state.claim_until <= state.now
    assert store.claim_robots(url, "w1", 60.0)
    assert not store.claim_robots(url, "w2", 60.0)  # w1 is fetching it
    fetching = store.robots_state(url)
    assert fetching.record is None and fetching.claim_until > fetching.now
    record = RobotsRecord(
        "rules", "User-agent: *\nDisallow: /x\n", "HTTP 200", True, fetching.now + 3600.0
    )
    store.save_robots(url, record)
    shared = store.robots_state(url)
    assert shared.record == record and shared.claim_until <= shared.now
    assert not store.claim_robots(url, "w2", 60.0)  # fresh: nothing to fetch
    stale = RobotsRecord("unreachable", "", "HTTP 503", False, shared.now - 1.0, shared.now - 9.0)
    store.save_robots(url, stale)
    assert store.robots_state(url).record == stale
    assert store.claim_robots(url, "w2", 60.0)
    store.release_robots(url, "w1")  # not the holder: no effect
    assert not store.claim_robots(url, "w3", 60.0)
    store.release_robots(url, "w2")
    assert store.claim_robots(url, "w3", 60.0)
    # A lapsed claim (its holder died) can be taken over.
    other = "https://other.example/robots.txt"
    assert store.claim_robots(other, "dead", 0.0)
    assert store.claim_robots(other, "alive", 60.0)


def test_a_robots_claim_taken_together_goes_to_one(store: Store, store_url: str) -> None:
    url = "https://news.example/robots.txt"
    won = _together(
        store_url, 4, lambda own: own.claim_robots(url, threading.current_thread().name, 60.0)
    )
    assert sorted(won) == [False, False, False, True]


def test_a_dead_workers_slots_and_claims_can_be_freed(store: Store) -> None:
    assert store.take_host_slot(HOST, 2, "box:41:aa#1", 60.0) == 0
    assert store.take_host_slot(HOST, 2, "box:42:bb#1", 60.0) == 1
    assert store.claim_robots("https://news.example/robots.txt", "box:41:aa#2", 60.0)
    assert store.take_host_slot("other.example", 1, "elsewhere:41:cc#1", 60.0) == 0
    assert store.slot_and_claim_workers("box") == {"box:41:aa", "box:42:bb"}
    assert store.free_worker("box:41:aa") == 2
    assert store.slot_and_claim_workers("box") == {"box:42:bb"}
    assert store.take_host_slot(HOST, 2, "box:43:dd#1", 60.0) == 0
    assert store.claim_robots("https://news.example/robots.txt", "box:43:dd#2", 60.0)
