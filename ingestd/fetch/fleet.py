"""What the fetcher needs to be polite across processes: the ``Fleet`` seam.

A :class:`~ingestd.fetch.client.Fetcher` alone is polite within its own
process. Given a ``Fleet`` (the daemon and ``poll --once`` pass one backed
by the store, :class:`ingestd.service.politeness.StoreFleet`), its host gate
and robots.txt cache also ask the store, so every process sharing it keeps
``per_host_delay``, ``per_host_concurrency``, Retry-After pauses and
robots.txt decisions together::

    in-process gate (slots, spacing, known pauses)  ─▶  Fleet (the store)
    robots.txt cache (per process)                  ─▶  Fleet (one fetch per site)

The methods are coroutines that never block the event loop. Times in what
they return are the store's clock; waits are durations, so the clocks of
the machines never need to agree.
"""

from __future__ import annotations

from typing import Protocol

from ingestd.types import HostTurn, RobotsRecord, RobotsState

__all__ = ["Fleet"]


class Fleet(Protocol):
    """Politeness state shared by every process on one store."""

    async def take_turn(self, host: str, spacing: float, max_wait: float) -> HostTurn:
        """Reserve the next start of a request to ``host`` (``spacing`` after the previous)."""
        ...

    async def pause(self, host: str, seconds: float) -> None:
        """Pause ``host`` for every process (a Retry-After answer)."""
        ...

    async def paused_for(self, host: str) -> float:
        """Seconds left in ``host``'s pause."""
        ...

    async def take_slot(self, host: str, limit: int, hold: float) -> tuple[int, str] | None:
        """One of ``limit`` concurrency slots of ``host`` as (slot, holder), or None."""
        ...

    async def release_slot(self, host: str, slot: int, holder: str) -> None:
        """Give a slot back."""
        ...

    async def robots_state(self, url: str) -> RobotsState:
        """The shared robots.txt record of the site of robots.txt ``url``."""
        ...

    async def claim_robots(self, url: str, hold: float) -> str | None:
        """Claim the fetch of a stale robots.txt; the holder, or None."""
        ...

    async def save_robots(self, url: str, record: RobotsRecord) -> None:
        """Share a fresh robots.txt decision (ends the claim)."""
        ...

    async def release_robots(self, url: str, holder: str) -> None:
        """Drop a claim without a decision."""
        ...
