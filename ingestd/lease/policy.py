"""The lease policy, a pure function of its inputs (no clock, no store).

policy = LeasePolicy(lease_seconds=120)
policy.expiry(now)                  when a lease taken or renewed now runs out
policy.renew_every                  seconds between heartbeats
replan_at(policy, claim, now)       when to look again at a feed whose claim was refused
is_live(row, now)                   whether a worker row is a running worker
pages_rate(before, after)           pages/s between two heartbeats
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from ingestd.store.records import FeedClaim, WorkerInfo, WorkerRow

__all__ = [
    "DUE_TOLERANCE",
    "LeasePolicy",
    "RateSample",
    "dead_here",
    "is_live",
    "pages_rate",
    "replan_at",
]

# Heartbeats per lease: a worker renews three times per lease period, so two
# heartbeats can be lost (a slow store, a loaded machine) before it loses a
# lease it is still working on.
RENEWALS_PER_LEASE = 3
# A timer may wake a little before the due time it was planned for (clock
# granularity); a feed due within this long counts as due.
DUE_TOLERANCE = timedelta(seconds=1)
# A feed found mid-claim by another worker (its row locked this instant) is
# looked at again this soon.
BUSY_RECHECK = timedelta(seconds=1)
# Rows of workers silent this long (or ten leases, if longer) are deleted by
# the next worker to start: they are long dead, their leases long expired.
PRUNE_AFTER = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class LeasePolicy:
    """How long leases last and how often they are renewed (``[service] lease_seconds``)."""

    lease_seconds: float = 120.0

    @property
    def renew_every(self) -> float:
        """Seconds between a worker's heartbeats."""
        return self.lease_seconds / RENEWALS_PER_LEASE

    def expiry(self, now: datetime) -> datetime:
        """When a lease taken or renewed at ``now`` runs out."""
        return now + timedelta(seconds=self.lease_seconds)

    def prune_before(self, now: datetime) -> datetime:
        """Worker rows whose last heartbeat is older than this are dead for good."""
        return now - max(PRUNE_AFTER, timedelta(seconds=10 * self.lease_seconds))


def replan_at(policy: LeasePolicy, claim: FeedClaim, now: datetime) -> datetime | None:
    """When a worker whose claim on a feed was refused should try again (None: never).

    * ``not_due``: another worker polled it for this due time; its next
      due time is in the store.
    * ``held``: another worker is polling it. It saves the next due time when
      done, but this worker cannot see when that is: look again after a
      heartbeat period, or at the lease's expiry if sooner (a dead holder's
      feed is taken over then).
    * ``gone``: removed or deactivated.
    """
    if claim.result == "not_due":
        return claim.until
    if claim.result == "held":
        if claim.until is None:
            return now + BUSY_RECHECK
        return min(claim.until, now + timedelta(seconds=policy.renew_every))
    return None


def is_live(row: WorkerRow, now: datetime) -> bool:
    """A worker is alive while its last heartbeat is younger than its lease."""
    return row.heartbeat_at + timedelta(seconds=row.info.lease_seconds) > now


def dead_here(other: WorkerInfo, me: WorkerInfo, alive: Callable[[int], bool]) -> bool:
    """Whether ``other`` ran on this machine and its process no longer exists.

    Its leases can be freed at once instead of at expiry: a single worker
    restarted by systemd after a crash (SIGKILL, OOM) goes on with its own
    pending entries straight away. Only a missing process counts, so a
    reused pid errs the safe way (waiting for the lease to expire). It
    assumes one host name per pid namespace (the default for containers):
    workers in two containers that share a host name but not their pids
    would free each other's live leases, and a page could then be fetched
    twice (never lost).
    """
    return other.host == me.host and other.id != me.id and not alive(other.pid)


@dataclass(frozen=True, slots=True)
class RateSample:
    """A counter's value at a moment."""

    at: datetime
    count: int


def pages_rate(before: RateSample, after: RateSample) -> float:
    """Pages per second between two samples (0 for no time elapsed)."""
    seconds = (after.at - before.at).total_seconds()
    if seconds <= 0:
        return 0.0
    return max(0, after.count - before.count) / seconds
