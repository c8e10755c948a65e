"""Fleet-wide politeness without a database: the turn rule, the robots.txt
record rule, and gates and robots caches sharing one in-memory fleet the
way processes share one store."""

from __future__ import annotations

import asyncio
import itertools
import os
import time

import pytest

from ingestd.errors import FetchError, HostPausedError
from ingestd.fetch.hosts import RECHECK_AFTER, HostGate, plan_turn
from ingestd.fetch.robots import (
    UNAVAILABLE_RETRY,
    UNREACHABLE_ASSUME_UNAVAILABLE,
    RobotsCache,
    record_after,
    rules_of,
)
from ingestd.service.politeness import dead_workers
from ingestd.types import FetchResult, RobotsRecord
from tests.support.fleet import MemoryFleet

HOST = "news.example"
DAY = 86400.0


# -- the turn rule -------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "next_at", "paused_until", "start", "next_after"),
    [
        (100.0, 0.0, 0.0, 100.0, 101.0),  # idle host: now
        (100.0, 100.4, 0.0, 100.4, 101.4),  # inside the spacing: behind the last turn
        (100.0, 100.4, 105.0, 105.0, 106.0),  # paused: at the end of the pause
        (100.0, 107.0, 105.0, 107.0, 108.0),  # a queue longer than the pause
    ],
)
def test_plan_turn_starts_at_the_latest_of_now_spacing_and_pause(
    now: float, next_at: float, paused_until: float, start: float, next_after: float
) -> None:
    turn = plan_turn(now, next_at, paused_until, 1.0, 30.0)
    assert turn.granted
    assert (turn.start, turn.next_at) == (start, next_after)
    assert turn.wait == start - now


def test_plan_turn_refuses_a_pause_longer_than_the_wait() -> None:
    turn = plan_turn(100.0, 100.5, 200.0, 1.0, 30.0)
    assert not turn.granted
    assert turn.next_at == 100.5  # nothing reserved
    assert turn.paused_for == 100.0
    assert plan_turn(100.0, 100.5, 130.0, 1.0, 30.0).granted  # exactly the wait: waited out


# -- the robots.txt record rule ---------------------------------------------------

ROBOTS = "https://news.example/robots.txt"


def answer(body: bytes | None, status: int = 503) -> FetchResult | FetchError:
    if body is None:
        return FetchError(ROBOTS, "http_status", f"HTTP {status}", status=status)
    return FetchResult(ROBOTS, ROBOTS, 200, body, "text/plain", None, None, 1.0)


def test_record_after_a_readable_answer() -> None:
    record = record_after(answer(b"User-agent: *\nDisallow: /x\n"), None, 10.0, ttl=60, error_ttl=5)
    assert (record.outcome, record.from_file, record.expires_at) == ("rules", True, 70.0)
    assert record.unreachable_since is None
    rules = rules_of(record)
    assert rules.allows("https://news.example/a") and not rules.allows("https://news.example/x")
    gone = record_after(answer(None, 404), None, 10.0, ttl=60, error_ttl=5)
    assert gone.outcome == "none" and rules_of(gone).allows("https://news.example/x")


def test_record_after_unreachable_keeps_the_copy_and_counts_from_the_first_failure() -> None:
    copy = record_after(answer(b"User-agent: *\nDisallow: /x\n"), None, 0.0, ttl=60, error_ttl=5)
    first = record_after(answer(None), copy, 100.0, ttl=60, error_ttl=5)
    assert first.outcome == "rules" and first.body == copy.body  # the earlier copy obeyed
    assert (first.expires_at, first.unreachable_since) == (105.0, 100.0)
    later = record_after(answer(None), first, 40 * DAY, ttl=60, error_ttl=5)
    assert later.outcome == "rules" and later.unreachable_since == 100.0  # RFC: keep the copy
    back = record_after(answer(b""), later, 40 * DAY + 1, ttl=60, error_ttl=5)
    assert back.unreachable_since is None


def test_record_after_unreachable_without_a_copy_waits_then_allows_after_30_days() -> None:
    first = record_after(answer(None), None, 100.0, ttl=7200, error_ttl=5)
    assert first.outcome == "unreachable" and not rules_of(first).reachable
    assert first.unreachable_since == 100.0 and not first.from_file
    still = record_after(answer(None), first, 100.0 + 29 * DAY, ttl=7200, error_ttl=5)
    assert still.outcome == "unreachable" and still.unreachable_since == 100.0
    now = 100.0 + UNREACHABLE_ASSUME_UNAVAILABLE
    assumed = record_after(answer(None), still, now, ttl=7200, error_ttl=5)
    assert assumed.outcome == "none" and rules_of(assumed).allows("https://news.example/x")
    assert assumed.expires_at == now + UNAVAILABLE_RETRY and not assumed.from_file
    assert "assumed unavailable" in assumed.detail
    # Still not a copy of the file: the next failure keeps counting, and allowing.
    again = record_after(answer(None), assumed, now + 10, ttl=7200, error_ttl=5)
    assert again.outcome == "none" and again.unreachable_since == 100.0


# -- gates sharing a fleet ---------------------------------------------------------


async def _hold_times(gate: HostGate, count: int, log: list[float]) -> None:
    for n in range(count):
        async with gate.hold(HOST, f"https://{HOST}/{n}"):
            log.append(time.monotonic())


def test_two_gates_on_one_fleet_space_their_requests_together() -> None:
    fleet = MemoryFleet()
    delay = 0.1
    starts: list[float] = []

    async def main() -> None:
        gates = [HostGate(2, delay, fleet=fleet) for _ in range(2)]
        await asyncio.gather(*(_hold_times(gate, 4, starts) for gate in gates))
        for gate in gates:
            await gate.drain()

    asyncio.run(main())
    starts.sort()
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert len(starts) == 8 and min(gaps) >= delay - 0.02, gaps
    # One call per request (more while the other gate held both slots).
    assert fleet.calls["admit"] >= 8 and fleet.calls["take_turn"] == 0
    assert fleet.held(HOST) == 0  # every slot given back


def test_gates_without_a_fleet_do_not_see_each_other() -> None:
    starts: list[float] = []

    async def main() -> None:
        gates = [HostGate(2, 0.2) for _ in range(2)]
        await asyncio.gather(*(_hold_times(gate, 1, starts) for gate in gates))

    asyncio.run(main())
    assert abs(starts[1] - starts[0]) < 0.1  # the reason for the fleet


def test_a_pause_from_another_process_stops_the_request() -> None:
    fleet = MemoryFleet()

    async def main() -> None:
        await fleet.pause(HOST, 120.0)  # another worker met a 429
        gate = HostGate(1, 0.0, fleet=fleet, max_wait=30.0)
        with pytest.raises(HostPausedError) as raised:
            async with gate.hold(HOST, "https://news.example/a"):
                pass
        assert 100 < (raised.value.retry_after or 0) <= 120
        asked = fleet.calls["admit"]
        # Now known in this process: refused without asking the store again.
        with pytest.raises(HostPausedError):
            async with gate.hold(HOST, "https://news.example/b"):
                pass
        assert fleet.calls["admit"] == asked
        assert gate.paused_for(HOST) > 100
        await gate.drain()  # slots go back in the background
        assert fleet.held(HOST) == 0

    asyncio.run(main())


def test_a_pause_written_while_waiting_for_the_turn_is_obeyed() -> None:
    fleet = MemoryFleet()
    spacing, pause = 0.3, 0.4
    entered: list[float] = []

    async def main() -> None:
        gate = HostGate(2, spacing, fleet=fleet)
        async with gate.hold(HOST, "https://news.example/a"):
            pass
        waiting = asyncio.ensure_future(_hold_times(gate, 1, entered))
        await asyncio.sleep(spacing / 3)  # the second request sleeps for its turn
        paused_at = time.monotonic()
        await fleet.pause(HOST, pause)  # written by another worker meanwhile
        await waiting
        assert entered[0] >= paused_at + pause - 0.01

    assert spacing > RECHECK_AFTER
    asyncio.run(main())
    assert fleet.calls["paused_for"] >= 1


def test_fleet_slots_bound_concurrency_across_gates() -> None:
    fleet = MemoryFleet()
    inside, most = [0], [0]

    async def request(gate: HostGate, n: int) -> None:
        async with gate.hold(HOST, f"https://news.example/{n}"):
            inside[0] += 1
            most[0] = max(most[0], inside[0])
            await asyncio.sleep(0.02)
            inside[0] -= 1

    async def main() -> None:
        gates = [HostGate(2, 0.0, fleet=fleet) for _ in range(3)]  # 2 slots each, 2 in all
        await asyncio.gather(*(request(gates[n % 3], n) for n in range(12)))
        for gate in gates:
            await gate.drain()

    asyncio.run(main())
    assert most[0] == 2
    assert fleet.held(HOST) == 0


# -- robots caches sharing a fleet ---------------------------------------------------


def test_robots_txt_is_fetched_once_for_every_cache_on_a_fleet() -> None:
    fleet = MemoryFleet()
    fetched: list[str] = []

    async def fetch(url: str) -> FetchResult:
        fetched.append(url)
        await asyncio.sleep(0.05)  # slow: the others wait for its record
        return FetchResult(
            url, url, 200, b"User-agent: *\nDisallow: /x\n", "text/plain", None, None, 1.0
        )

    async def main() -> list[bool]:
        caches = [RobotsCache(fetch, ttl=60, error_ttl=5, fleet=fleet) for _ in range(3)]
        rules = await asyncio.gather(*(c.rules_for("https://news.example/a") for c in caches))
        return [r.allows("https://news.example/x") for r in rules]

    assert asyncio.run(main()) == [False, False, False]
    assert fetched == [ROBOTS]
    assert fleet.robots[ROBOTS].outcome == "rules"


def test_a_failed_robots_fetch_gives_the_claim_back() -> None:
    fleet = MemoryFleet()

    async def blocked(url: str) -> FetchResult:
        raise HostPausedError(url, HOST, 60.0)

    async def main() -> None:
        cache = RobotsCache(blocked, ttl=60, error_ttl=5, fleet=fleet)
        with pytest.raises(HostPausedError):
            await cache.check("https://news.example/a")

    asyncio.run(main())
    assert fleet.claims == {} and fleet.robots == {}  # nothing decided, nobody blocked


def test_dead_workers_are_this_machines_workers_whose_process_is_gone() -> None:
    names = {"box:41:aa", "box:42:bb", "other:41:cc", f"box:{os.getpid()}:me", "box:x:bad"}
    alive = {42}
    assert dead_workers(names, "box", lambda pid: pid in alive) == ["box:41:aa"]


def test_the_30_days_are_counted_in_the_store_across_processes() -> None:
    fleet = MemoryFleet()
    now = fleet.now()
    # Another process (or an earlier run) has found robots.txt unreachable
    # for 31 days, with no copy; its record has just expired.
    fleet.robots[ROBOTS] = RobotsRecord(
        "unreachable", "", "unreachable: HTTP 503", False, now - 1.0, now - 31 * DAY
    )

    async def down(url: str) -> FetchResult:
        raise FetchError(url, "http_status", "HTTP 503", status=503)

    async def main() -> None:
        cache = RobotsCache(down, ttl=7200, error_ttl=5, fleet=fleet)
        await cache.check("https://news.example/a")  # allowed: assumed unavailable

    asyncio.run(main())
    shared = fleet.robots[ROBOTS]
    assert shared.outcome == "none" and shared.unreachable_since == now - 31 * DAY
