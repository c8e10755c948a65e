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
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from ingestd.errors import HostPausedError

__all__ = ["HostGate"]

# Host records are swept after this many acquisitions, so a daemon that
# meets thousands of hosts over months keeps only the recently used ones.
_SWEEP_EVERY = 512


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
    ):
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
        """Let no request start to ``host`` for ``seconds`` from now."""
        record = self._host(host.lower())
        record.paused_until = max(record.paused_until, self._clock() + seconds)

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
                if self._total is None:
                    yield
                else:
                    async with self._total:
                        yield
        finally:
            record.users -= 1

    async def _wait_turn(self, record: _Host, key: str, url: str) -> None:
        while True:
            self._refuse_long_pause(record, key, url)
            now = self._clock()
            start = max(now, record.next_start, record.paused_until)
            # Reserve the turn before sleeping, so concurrent holders of the
            # other slots line up behind it instead of starting together.
            record.next_start = start + max(self._delay, record.min_delay)
            if start <= now:
                return
            await asyncio.sleep(start - now)
            if record.paused_until <= self._clock():
                return

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
