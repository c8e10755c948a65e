"""Fleet-wide politeness backed by the store: the :class:`~ingestd.fetch.fleet.Fleet`
the daemon and ``poll --once`` give their fetcher.

    fleet = StoreFleet(lambda: open_store(url, create=False))
    await fleet.start()
    async with Fetcher(limits, fleet=fleet) as fetcher: ...
    await fleet.close()

Its store calls run on a connection of their own, in a thread of their own
(a :class:`~ingestd.service.writer.WriterThread`), never on the event loop
and never queued behind the daemon's writer (a match step, a batch of
commits): a request waits for its own round trip only. Each call is one
statement (:mod:`ingestd.store.hosts`).
"""

from __future__ import annotations

import itertools
import logging
import os
import socket
import time
import uuid
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from ingestd.fetch.fleet import Admission
from ingestd.service.writer import WriterThread
from ingestd.store import Store
from ingestd.types import HostTurn, RobotsRecord, RobotsState

__all__ = ["StoreFleet"]

T = TypeVar("T")

log = logging.getLogger(__name__)


def worker_name(machine: str) -> str:
    """This process's name in slot and claim holders: machine, pid and a random tag."""
    return f"{machine}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


# How often, at most, a worker waiting for a host's slot looks for dead
# holders on its machine (two statements; rare: only when all slots are held).
DEAD_SWEEP_SECONDS = 5.0


def _admit(
    store: Store, host: str, limit: int, holder: str, hold: float, spacing: float, max_wait: float
) -> Admission | None:
    slot = store.take_host_slot(host, limit, holder, hold)
    if slot is None:
        return None
    turn = store.take_host_turn(host, spacing, max_wait)
    if not turn.granted:
        store.release_host_slot(host, slot, holder)
        return Admission(None, holder, turn)
    return Admission(slot, holder, turn)


def _free(store: Store, worker: str) -> int:
    return store.free_worker(worker)


def pid_alive(pid: int) -> bool:
    """Whether a process of this id runs on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def dead_workers(
    names: set[str], machine: str, alive: Callable[[int], bool] = pid_alive
) -> list[str]:
    """The workers of this machine among ``names`` whose process is gone."""
    dead = []
    for name in sorted(names):
        host, _, rest = name.partition(":")
        pid = rest.partition(":")[0]
        if host == machine and pid.isdigit() and int(pid) != os.getpid() and not alive(int(pid)):
            dead.append(name)
    return dead


class StoreFleet:
    """The store's politeness rows, reached from the event loop without blocking it."""

    def __init__(self, opener: Callable[[], Store]):
        self._opener = opener
        self._store: Store | None = None
        self._thread = WriterThread(self._open, max_batch=1)
        self.machine = socket.gethostname()
        self.name = worker_name(self.machine)
        self._serial = itertools.count(1)
        self.calls = 0  # calls to the store's thread (for figures and tests)
        self._swept_at = time.monotonic()

    def _open(self) -> Store:
        store = self._opener()
        try:
            store.relax_commits()
        except BaseException:
            store.close()
            raise
        self._store = store
        return store

    @property
    def statements(self) -> int:
        """Statements sent by the politeness connection (round trips on PostgreSQL)."""
        return 0 if self._store is None else self._store.round_trips

    async def start(self) -> None:
        """Open the connection (in its thread), and free what dead workers of this machine held.

        A worker killed mid-request (SIGKILL, a forced exit) leaves its slots
        held until they expire, which would hold up its own restart by a
        minute or more; on the same machine its process id tells it is gone.
        Workers of other machines' slots lapse at their expiry.
        """
        await self._thread.start()
        await self._free_dead_workers()

    async def _free_dead_workers(self) -> None:
        held = await self._call(lambda store: store.slot_and_claim_workers(self.machine))
        for worker in dead_workers(held, self.machine):
            freed = await self._call(partial(_free, worker=worker))
            log.info(
                "freed %d host slots and claims of dead worker %s",
                freed,
                worker,
                extra={"event": "fleet_freed", "worker": worker, "count": freed},
            )

    async def close(self) -> None:
        """Close the connection."""
        await self._thread.close()

    async def _call(self, fn: Callable[[Store], T]) -> T:
        self.calls += 1
        return await self._thread.call(fn)

    def _holder(self) -> str:
        return f"{self.name}#{next(self._serial)}"

    async def take_turn(self, host: str, spacing: float, max_wait: float) -> HostTurn:
        """See :meth:`ingestd.fetch.fleet.Fleet.take_turn`."""
        return await self._call(lambda store: store.take_host_turn(host, spacing, max_wait))

    async def pause(self, host: str, seconds: float) -> None:
        """See :meth:`ingestd.fetch.fleet.Fleet.pause`."""
        await self._call(lambda store: store.pause_host(host, seconds))

    async def paused_for(self, host: str) -> float:
        """See :meth:`ingestd.fetch.fleet.Fleet.paused_for`."""
        return await self._call(lambda store: store.host_paused_for(host))

    async def admit(
        self, host: str, limit: int, hold: float, spacing: float, max_wait: float
    ) -> Admission | None:
        """See :meth:`ingestd.fetch.fleet.Fleet.admit` (one trip to the thread).

        When every slot of the host is held, now and then (every
        ``DEAD_SWEEP_SECONDS`` at most) look for holders of this machine whose
        process is gone: a worker SIGKILLed mid-request would otherwise keep
        the host's slots from the whole fleet until they expire (minutes),
        long after its leases have passed to the others.
        """
        holder = self._holder()
        admission = await self._call(
            partial(
                _admit,
                host=host,
                limit=limit,
                holder=holder,
                hold=hold,
                spacing=spacing,
                max_wait=max_wait,
            )
        )
        if admission is None and time.monotonic() - self._swept_at >= DEAD_SWEEP_SECONDS:
            self._swept_at = time.monotonic()
            await self._free_dead_workers()
        return admission

    async def release_slot(self, host: str, slot: int, holder: str) -> None:
        """See :meth:`ingestd.fetch.fleet.Fleet.release_slot`."""
        await self._call(lambda store: store.release_host_slot(host, slot, holder))

    async def robots_state(self, url: str) -> RobotsState:
        """See :meth:`ingestd.fetch.fleet.Fleet.robots_state`."""
        return await self._call(lambda store: store.robots_state(url))

    async def claim_robots(self, url: str, hold: float) -> str | None:
        """See :meth:`ingestd.fetch.fleet.Fleet.claim_robots`."""
        holder = self._holder()
        claimed = await self._call(lambda store: store.claim_robots(url, holder, hold))
        return holder if claimed else None

    async def save_robots(self, url: str, record: RobotsRecord) -> None:
        """See :meth:`ingestd.fetch.fleet.Fleet.save_robots`."""
        await self._call(lambda store: store.save_robots(url, record))

    async def release_robots(self, url: str, holder: str) -> None:
        """See :meth:`ingestd.fetch.fleet.Fleet.release_robots`."""
        await self._call(lambda store: store.release_robots(url, holder))


if TYPE_CHECKING:
    from ingestd.fetch.fleet import Fleet

if TYPE_CHECKING:  # mypy checks the class against the Protocol here

    def _is_a_fleet(fleet: StoreFleet) -> Fleet:
        return fleet
