"""Per-feed due times on APScheduler's AsyncIOScheduler (the one module importing it).

Usage::

    scheduler = FeedScheduler(poll)        # poll: async fn(feed_id)
    scheduler.start()                      # inside the running event loop
    scheduler.plan(feed_id, due_time)      # one date job per feed, replaced on re-plan
    scheduler.forget(feed_id)
    scheduler.shutdown()

The due times themselves live in the store (``store_feeds.next_poll_at``);
this only wakes the daemon at the right moment. A job late by any amount
still runs (``misfire_grace_time=None``): after a pause a feed is polled
late, never skipped.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

__all__ = ["FeedScheduler"]


def _job_id(feed_id: int) -> str:
    return f"feed:{feed_id}"


class FeedScheduler:
    """One APScheduler date job per feed."""

    def __init__(self, poll: Callable[[int], Awaitable[None]]):
        self._poll = poll
        self._scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )

    def start(self) -> None:
        """Start waking jobs (call from inside the running loop)."""
        self._scheduler.start()

    def plan(self, feed_id: int, at: datetime) -> None:
        """Poll ``feed_id`` at ``at`` (replacing any earlier plan)."""
        self._scheduler.add_job(
            self._poll,
            DateTrigger(run_date=at, timezone=UTC),
            args=[feed_id],
            id=_job_id(feed_id),
            name=_job_id(feed_id),
            replace_existing=True,
        )

    def forget(self, feed_id: int) -> None:
        """Drop the feed's planned poll, if any."""
        with contextlib.suppress(JobLookupError):
            self._scheduler.remove_job(_job_id(feed_id))

    def planned(self) -> dict[int, datetime]:
        """Feed id → planned poll time."""
        found: dict[int, datetime] = {}
        for job in self._scheduler.get_jobs():
            if job.id.startswith("feed:") and job.next_run_time is not None:
                found[int(job.id.removeprefix("feed:"))] = job.next_run_time
        return found

    def shutdown(self) -> None:
        """Stop waking jobs; running polls are the daemon's to wait for."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
