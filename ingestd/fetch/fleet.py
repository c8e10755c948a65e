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

from dataclasses import dataclass
from typing import Protocol

from ingestd.types import HostTurn, RobotsRecord, RobotsState

__all__ = ["Admission", "Fleet"]


@dataclass(frozen=True, slots=True)
class Admission:
    """A request let in by the fleet: its concurrency slot and its turn.

    ``slot`` is None when the turn was not granted (the host is paused
    for longer than the caller waits): the slot was given back at once.
    ``holder`` names this request's hold of the slot.
    """

    slot: int | None
    holder: str
    turn: HostTurn


class Fleet(Protocol):
    """Politeness state shared by every process on one store."""

    async def admit(
        self, host: str, limit: int, hold: float, spacing: float, max_wait: float
    ) -> Admission | None:
        """One of ``limit`` slots of ``host`` (held ``hold`` seconds at most) and,
        with it, the host's next turn (``spacing`` after the previous); None
        while every slot is held."""
        ...

    async def take_turn(self, host: str, spacing: float, max_wait: float) -> HostTurn:
        """Reserve the next start of a request to ``host`` (``spacing`` after the previous)."""
        ...

    async def pause(self, host: str, seconds: float) -> None:
        """Pause ``host`` for every process (a Retry-After answer)."""
        ...

    async def paused_for(self, host: str) -> float:
        """Seconds left in ``host``'s pause."""
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
