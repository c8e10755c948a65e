"""An in-memory :class:`~ingestd.fetch.fleet.Fleet` for tests without a database.

Several gates or robots caches given the same ``MemoryFleet`` behave like
processes sharing one store: the turns follow the same rule
(:func:`~ingestd.fetch.hosts.plan_turn`), on ``time.monotonic``.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter
from dataclasses import dataclass, field

from ingestd.fetch.fleet import Admission
from ingestd.fetch.hosts import plan_turn
from ingestd.types import HostTurn, RobotsRecord, RobotsState


@dataclass
class MemoryFleet:
    """Host rows, slots and robots records in dicts; ``calls`` counts round trips."""

    next_at: dict[str, float] = field(default_factory=dict)
    paused_until: dict[str, float] = field(default_factory=dict)
    slots: dict[tuple[str, int], tuple[str, float]] = field(default_factory=dict)
    robots: dict[str, RobotsRecord] = field(default_factory=dict)
    claims: dict[str, tuple[str, float]] = field(default_factory=dict)
    calls: Counter[str] = field(default_factory=Counter)
    _serial: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @staticmethod
    def now() -> float:
        return time.monotonic()

    async def take_turn(self, host: str, spacing: float, max_wait: float) -> HostTurn:
        self.calls["take_turn"] += 1
        return self._turn(host, spacing, max_wait)

    def _turn(self, host: str, spacing: float, max_wait: float) -> HostTurn:
        turn = plan_turn(
            self.now(),
            self.next_at.get(host, 0.0),
            self.paused_until.get(host, 0.0),
            spacing,
            max_wait,
        )
        self.next_at[host] = turn.next_at
        return turn

    async def pause(self, host: str, seconds: float) -> None:
        self.calls["pause"] += 1
        self.paused_until[host] = max(self.paused_until.get(host, 0.0), self.now() + seconds)

    async def paused_for(self, host: str) -> float:
        self.calls["paused_for"] += 1
        return max(0.0, self.paused_until.get(host, 0.0) - self.now())

    async def admit(
        self, host: str, limit: int, hold: float, spacing: float, max_wait: float
    ) -> Admission | None:
        self.calls["admit"] += 1
        now = self.now()
        for slot in range(limit):
            held = self.slots.get((host, slot))
            if held is None or held[1] <= now:
                break
        else:
            return None
        holder = f"h{next(self._serial)}"
        turn = self._turn(host, spacing, max_wait)
        if not turn.granted:
            return Admission(None, holder, turn)
        self.slots[(host, slot)] = (holder, now + hold)
        return Admission(slot, holder, turn)

    async def release_slot(self, host: str, slot: int, holder: str) -> None:
        self.calls["release_slot"] += 1
        if self.slots.get((host, slot), ("", 0.0))[0] == holder:
            del self.slots[(host, slot)]

    def held(self, host: str) -> int:
        now = self.now()
        return sum(1 for (h, _), (_, until) in self.slots.items() if h == host and until > now)

    async def robots_state(self, url: str) -> RobotsState:
        self.calls["robots_state"] += 1
        return RobotsState(self.robots.get(url), self.now(), self.claims.get(url, ("", 0.0))[1])

    async def claim_robots(self, url: str, hold: float) -> str | None:
        self.calls["claim_robots"] += 1
        now = self.now()
        record = self.robots.get(url)
        if (record is not None and record.expires_at > now) or self.claims.get(url, ("", 0.0))[
            1
        ] > now:
            return None
        holder = f"r{next(self._serial)}"
        self.claims[url] = (holder, now + hold)
        return holder

    async def save_robots(self, url: str, record: RobotsRecord) -> None:
        self.calls["save_robots"] += 1
        self.robots[url] = record
        self.claims.pop(url, None)

    async def release_robots(self, url: str, holder: str) -> None:
        self.calls["release_robots"] += 1
        if self.claims.get(url, ("", 0.0))[0] == holder:
            del self.claims[url]
