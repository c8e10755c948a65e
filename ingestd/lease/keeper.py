"""A worker's leases, kept on its behalf: register, claim, renew, release, retire.

Usage (the daemon; ``poll --once`` alike)::

    keeper = LeaseKeeper(db, WorkerInfo(...) or new_worker("run", owner, 120.0))
    await keeper.register()
    task = asyncio.create_task(keeper.run_heartbeats())   # renews until cancelled
    claim = await keeper.claim_feed(feed_id, due=True)    # claim.feed: poll it
    await keeper.release_feed(feed_id)
    mine = await keeper.claim_entries(candidates)         # fetch only these
    await keeper.release_entry(entry.id)
    await keeper.retire()                                 # clean stop: free everything

Every store call goes through ``db`` (the daemon's writer thread, or inline
for a one-off command); the decisions are :mod:`ingestd.lease.policy`'s.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from ingestd.lease.policy import DUE_TOLERANCE, LeasePolicy, RateSample, dead_here, pages_rate
from ingestd.store import Store
from ingestd.store.records import FeedClaim, PendingEntry, WorkerCounters, WorkerInfo

if TYPE_CHECKING:
    from ingestd.pipeline import StoreAccess

__all__ = ["LeaseKeeper", "new_worker"]

log = logging.getLogger(__name__)


def new_worker(kind: str, owner: str, lease_seconds: float, now: datetime) -> WorkerInfo:
    """A fresh worker identity: ``host:pid:random`` (the random part survives pid reuse)."""
    host = socket.gethostname()
    pid = os.getpid()
    return WorkerInfo(
        id=f"{host}:{pid}:{secrets.token_hex(3)}",
        host=host,
        pid=pid,
        kind=kind,
        config_owner=owner,
        lease_seconds=lease_seconds,
        started_at=now,
    )


def pid_alive(pid: int) -> bool:
    """Whether a process of this id exists on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


class LeaseKeeper:
    """One worker's leases and counters, renewed by its heartbeat."""

    def __init__(self, db: StoreAccess, info: WorkerInfo, clock: Callable[[], datetime]):
        self.db = db
        self.info = info
        self.policy = LeasePolicy(info.lease_seconds)
        self.clock = clock
        self.feeds: set[int] = set()
        self.entries: set[int] = set()
        self.feeds_polled = 0
        self.pages_fetched = 0
        self._sample = RateSample(info.started_at, 0)
        self._rate = 0.0

    @property
    def worker_id(self) -> str:
        """The id the worker's leases carry."""
        return self.info.id

    def counters(self) -> WorkerCounters:
        """What the worker has done so far, as its heartbeat writes it."""
        return WorkerCounters(self.feeds_polled, self.pages_fetched, self._rate)

    async def register(self) -> list[str]:
        """Write the worker's row; drop the rows of workers long dead.

        Workers of this machine whose process is gone (this one's previous
        life, killed) are retired on the spot, their leases freed without
        waiting for expiry; returns their ids.
        """
        now = self.clock()

        def write(store: Store) -> list[str]:
            with store.transaction():
                store.prune_workers(self.policy.prune_before(now))
                gone = [
                    row.info.id
                    for row in store.workers(now)
                    if dead_here(row.info, self.info, pid_alive)
                ]
                for worker_id in gone:
                    store.retire_worker(worker_id)
                store.register_worker(self.info, self.counters(), now)
                return gone

        gone = await self.db.call(write)
        if gone:
            log.info(
                "freed the leases of dead workers of this machine",
                extra={"event": "dead_workers_retired", "workers": gone},
            )
        return gone

    async def heartbeat(self) -> tuple[int, int]:
        """Renew every lease held and refresh the worker's row; (feeds, entries) renewed."""
        now = self.clock()
        sample = RateSample(now, self.pages_fetched)
        self._rate = pages_rate(self._sample, sample)
        self._sample = sample
        counters = self.counters()
        expires = self.policy.expiry(now)

        def write(store: Store) -> tuple[int, int]:
            with store.transaction():
                store.register_worker(self.info, counters, now)
                return store.renew_leases(self.worker_id, expires)

        return await self.db.call(write)

    async def run_heartbeats(self) -> None:
        """Heartbeat every ``renew_every`` seconds until cancelled."""
        while True:
            await asyncio.sleep(self.policy.renew_every)
            feeds, entries = await self.heartbeat()
            log.debug(
                "leases renewed",
                extra={"event": "leases_renewed", "feeds": feeds, "entries": entries},
            )

    async def claim_feed(self, feed_id: int, *, due: bool) -> FeedClaim:
        """Lease a feed; ``due``: only if it is due now (the daemon's timer fired)."""
        now = self.clock()
        due_by = now + DUE_TOLERANCE if due else None
        expires = self.policy.expiry(now)
        claim = await self.db.call(
            lambda store: store.claim_feed(feed_id, self.worker_id, now, expires, due_by=due_by)
        )
        if claim.feed is not None:
            self.feeds.add(feed_id)
        return claim

    async def release_feed(self, feed_id: int, *, polled: bool = True) -> None:
        """The poll is saved (or was abandoned): free the feed."""
        self.feeds.discard(feed_id)
        self.feeds_polled += polled
        await self.db.call(lambda store: store.release_feed(feed_id, self.worker_id), batch=True)

    async def claim_entries(self, entries: Sequence[PendingEntry]) -> list[PendingEntry]:
        """Lease what can be leased of ``entries``; returns those now held, in order."""
        if not entries:
            return []
        now = self.clock()
        expires = self.policy.expiry(now)
        ids = [entry.id for entry in entries]
        held = set(
            await self.db.call(lambda store: store.claim_entries(ids, self.worker_id, now, expires))
        )
        self.entries.update(held)
        return [entry for entry in entries if entry.id in held]

    async def release_entry(self, entry_id: int, *, fetched: bool = True) -> None:
        """The entry's page is stored, known or counted as failed: free it."""
        self.entries.discard(entry_id)
        self.pages_fetched += fetched
        await self.db.call(
            lambda store: store.release_entries([entry_id], self.worker_id), batch=True
        )

    async def retire(self) -> None:
        """A clean stop: release everything held and drop the worker's row."""
        self.feeds.clear()
        self.entries.clear()
        await self.db.call(lambda store: store.retire_worker(self.worker_id))
