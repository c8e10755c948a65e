"""Per-host politeness: concurrency slots, a minimum delay, and pauses.

One ``HostGate`` is shared by every fetch of one Fetcher, feeds and article
pages alike, so a host sees at most ``concurrency`` requests at a time, each
started at least ``delay`` seconds after the previous one, and none while it
is paused (after a 429 or 503 with Retry-After). ``total`` bounds the
requests in flight to all hosts together; a request takes one of those slots
only once its host's turn has come, so requests queued behind a slow or
spaced-out host never hold up the others.

    async with gate.hold(host):   # waits for a slot, the delay, a short pause
        ...one request...

A pause longer than ``max_wait`` is not waited out: ``hold`` raises
HostPausedError at once, so a daemon does not park hundreds of coroutines
for an hour; the caller retries after ``error.retry_after`` seconds.

Given a :class:`~ingestd.fetch.fleet.Fleet` (the store), the gate is the
fast local layer in front of the fleet-wide one: after its own slot and
spacing, a request also takes one of the host's slots in the store and a
turn from the host's row there (one round trip), so every process sharing
the store together keeps the delay, the concurrency and the pauses::

    local slot ─▶ fleet slot ─▶ local turn ─▶ fleet turn (sleep its wait) ─▶ request

Both layers decide turns with :func:`plan_turn`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from ingestd.errors import HostPausedError
from ingestd.fetch.fleet import Fleet
from ingestd.types import HostTurn

__all__ = ["HostGate", "plan_turn"]

# Host records are swept after this many acquisitions, so a daemon that
# meets thousands of hosts over months keeps only the recently used ones.
_SWEEP_EVERY = 512
# A fleet turn that made us wait longer than this is checked once more for
# a pause another worker wrote meanwhile (one more round trip); a pause
# written during a shorter wait is concurrent with the request anyway.
RECHECK_AFTER = 0.05
# ...and it is re-read this long before the turn, so the round trip is over
# by the time the request starts.
RECHECK_LEAD = 0.02
# Waiting for a fleet slot held by other workers: poll the store no faster
# than this at first, and back off to the longest.
_SLOT_POLL_FIRST, _SLOT_POLL_LONGEST = 0.02, 0.5


def plan_turn(
    now: float, next_at: float, paused_until: float, spacing: float, max_wait: float
) -> HostTurn:
    """The turn a host's state gives a request asking at ``now`` (pure).

    The request may start at the latest of ``now``, ``next_at`` (the end of
    the previous turn's spacing) and ``paused_until``; the next turn is
    ``spacing`` after that start. A pause longer than ``max_wait`` grants no
    turn and leaves ``next_at`` as it was. The store's turn
    (:meth:`ingestd.store.hosts.HostGateStore.take_host_turn`) is this same
    rule in one SQL statement.
    """
    if paused_until - now > max_wait:
        return HostTurn(False, now, next_at, next_at, paused_until)
    start = max(now, next_at, paused_until)
    return HostTurn(True, now, start, start + spacing, paused_until)


@dataclass(slots=True)
class _Host:
    semaphore: asyncio.Semaphore
    users: int = 0
    next_start: float = 0.0  # monotonic time before which no request may start
    paused_until: float = 0.0  # monotonic end of a Retry-After pause
    min_delay: float = 0.0  # the host's own wish (robots.txt Crawl-delay)


class HostGate:
    """Concurrency slots, spacing and pauses per host name."""

    def __init__(
        self,
        concurrency: int,
        delay: float,
        *,
        total: int | None = None,
        max_wait: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        fleet: Fleet | None = None,
        slot_hold: float = 120.0,
    ):
        self._fleet = fleet
        # A fleet slot lapses after this long even if its holder never gives
        # it back (the process died): longer than any wait plus request.
        self._slot_hold = slot_hold
        self._releases: set[asyncio.Task[None]] = set()
        self._total = asyncio.Semaphore(total) if total else None
        self._concurrency = concurrency
        self._delay = delay
        self._max_wait = max_wait
        self._clock = clock
        self._hosts: dict[str, _Host] = {}
        self._acquired = 0

    def _host(self, host: str) -> _Host:
        record = self._hosts.get(host)
        if record is None:
            record = self._hosts[host] = _Host(asyncio.Semaphore(self._concurrency))
        return record

    def pause(self, host: str, seconds: float) -> None:
        """Let no request start to ``host`` for ``seconds`` from now (in this process)."""
        record = self._host(host.lower())
        record.paused_until = max(record.paused_until, self._clock() + seconds)

    async def pause_everywhere(self, host: str, seconds: float) -> None:
        """Pause ``host`` here and, with a fleet, for every process on the store."""
        self.pause(host, seconds)
        if self._fleet is not None:
            await self._fleet.pause(host.lower(), seconds)

    def set_min_delay(self, host: str, seconds: float) -> None:
        """The host's own minimum spacing, when larger than the default."""
        self._host(host.lower()).min_delay = seconds

    def paused_for(self, host: str) -> float:
        """Seconds left in ``host``'s pause (0.0 when not paused)."""
        record = self._hosts.get(host.lower())
        return max(0.0, record.paused_until - self._clock()) if record else 0.0

    @contextlib.asynccontextmanager
    async def hold(self, host: str, url: str) -> AsyncIterator[None]:
        """A slot for one request to ``host``, started when politeness allows.

        Raises HostPausedError (``url`` names the fetch) when the host is
        paused for longer than ``max_wait``.
        """
        key = host.lower()
        self._acquired += 1
        if self._acquired % _SWEEP_EVERY == 0:
            self._sweep()
        record = self._host(key)
        record.users += 1
        try:
            self._refuse_long_pause(record, key, url)
            async with record.semaphore:
                await self._wait_turn(record, key, url)
                slot = None
                if self._fleet is not None:
                    slot = await self._fleet_admit(self._fleet, record, key, url)
                try:
                    if self._total is None:
                        yield
                    else:
                        async with self._total:
                            yield
                finally:
                    if slot is not None:
                        self._release_later(key, *slot)
        finally:
            record.users -= 1

    def _spacing(self, record: _Host) -> float:
        return max(self._delay, record.min_delay)

    async def _wait_turn(self, record: _Host, key: str, url: str) -> None:
        while True:
            self._refuse_long_pause(record, key, url)
            turn = plan_turn(
                self._clock(),
                record.next_start,
                record.paused_until,
                self._spacing(record),
                self._max_wait,
            )
            # Reserve the turn before sleeping, so concurrent holders of the
            # other slots line up behind it instead of starting together.
            record.next_start = turn.next_at
            if turn.wait <= 0:
                return
            await asyncio.sleep(turn.wait)
            if record.paused_until <= self._clock():
                return

    async def _fleet_admit(
        self, fleet: Fleet, record: _Host, key: str, url: str
    ) -> tuple[int, str]:
        """A slot of the host in the store with the host's next turn, waited for.

        Returns the (slot, holder) to give back after the request; polls,
        backing off, while every slot is held by other requests.
        """
        poll = _SLOT_POLL_FIRST
        while True:
            admission = await fleet.admit(
                key, self._concurrency, self._slot_hold, self._spacing(record), self._max_wait
            )
            if admission is not None:
                break
            self._refuse_long_pause(record, key, url)
            await asyncio.sleep(poll)
            poll = min(poll * 2, _SLOT_POLL_LONGEST)
        if admission.slot is None:  # paused too long: no turn, the slot already back
            self._learn_pause(record, admission.turn.paused_for)
            raise HostPausedError(url, key, admission.turn.paused_for)
        slot = (admission.slot, admission.holder)
        try:
            await self._wait_fleet_turn(fleet, record, key, url, admission.turn)
        except BaseException:
            self._release_later(key, *slot)
            raise
        return slot

    async def _wait_fleet_turn(
        self, fleet: Fleet, record: _Host, key: str, url: str, turn: HostTurn
    ) -> None:
        """Sleep until the fleet turn; after a long wait, obey a pause written meanwhile.

        The pause is re-read ``RECHECK_LEAD`` before the turn, not at it, so
        the round trip does not make this request start late (and the next
        one, from another worker, start closer than the delay behind it).
        """
        deadline = self._clock() + turn.wait
        while True:
            left = deadline - self._clock()
            if left <= RECHECK_AFTER:
                if left > 0:
                    await asyncio.sleep(left)
                return
            await asyncio.sleep(left - RECHECK_LEAD)
            # Another worker may have met a 429 while this one waited.
            paused = await fleet.paused_for(key)
            if paused <= 0:
                left = deadline - self._clock()
                if left > 0:
                    await asyncio.sleep(left)
                return
            self._learn_pause(record, paused)
            self._refuse_long_pause(record, key, url)
            turn = await fleet.take_turn(key, self._spacing(record), self._max_wait)
            if not turn.granted:
                self._learn_pause(record, turn.paused_for)
                raise HostPausedError(url, key, turn.paused_for)
            deadline = self._clock() + turn.wait

    def _learn_pause(self, record: _Host, seconds: float) -> None:
        # Known here too, so the next requests to the host wait (or fail)
        # without asking the store.
        record.paused_until = max(record.paused_until, self._clock() + seconds)

    def _release_later(self, key: str, slot: int, holder: str) -> None:
        """Give a fleet slot back without making the request wait for it."""
        assert self._fleet is not None
        release: Coroutine[Any, Any, None] = self._fleet.release_slot(key, slot, holder)
        task = asyncio.get_running_loop().create_task(release)
        self._releases.add(task)
        task.add_done_callback(self._releases.discard)

    async def drain(self) -> None:
        """Wait until every fleet slot given back has reached the store."""
        if self._releases:
            await asyncio.gather(*self._releases, return_exceptions=True)

    def _refuse_long_pause(self, record: _Host, key: str, url: str) -> None:
        remaining = record.paused_until - self._clock()
        if remaining > self._max_wait:
            raise HostPausedError(url, key, remaining)

    def _sweep(self) -> None:
        now = self._clock()
        stale = [
            key
            for key, record in self._hosts.items()
            if record.users == 0
            and record.next_start <= now
            and record.paused_until <= now
            and record.min_delay == 0.0
        ]
        for key in stale:
            del self._hosts[key]
