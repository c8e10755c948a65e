"""When to poll a feed next: a pure function of its history, its hints and ``now``.

Usage::

    decision = next_poll(config, FeedHistory(entry_times, errors=0), hints, now, rng)
    decision.at, decision.reason

The normal interval follows how often the feed really publishes: with the
``n`` most recent entry times, the typical gap is ``(now - oldest) / n`` and
the feed is polled about twice per gap, within ``min_interval`` ..
``max_interval``. Measuring to ``now`` (not to the newest entry) lets a feed
that went quiet drift towards ``max_interval`` by itself, and a feed that
wakes up come back as soon as new entries shorten the gap.

After ``N`` consecutive errors the delay is ``backoff_base * 2**(N-1)``,
capped at ``backoff_max``: a feed is never disabled, and its first success
(errors back to 0) restores the normal interval.

Server hints (Retry-After, Cache-Control max-age, Expires, RSS ttl) are
floors: the next poll is never sooner than the largest, but no hint can
push it past ``max_interval`` (a server cannot silence a feed for a year).
Jitter spreads the normal and backoff delays so feeds do not move in lockstep.

At start (and when a reload adds feeds), :func:`start_times` keeps every
stored due time still ahead and spreads the overdue and never-polled feeds
over a window that grows with their number, so a daemon that was down for a
day does not fire every feed in the same second.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from ingestd.schedule.hints import Hints

__all__ = [
    "Decision",
    "FeedHistory",
    "PolicyConfig",
    "Uniform",
    "next_poll",
    "normal_interval",
    "retry_delay",
    "start_times",
]

# How many recent entries estimate the publishing rate: enough to smooth a
# burst, few enough to follow a feed that changes pace within days.
HISTORY_ENTRIES = 20
# Polls per typical gap between entries: two keeps the delay between
# publication and ingestion near a quarter of the gap on average.
POLLS_PER_GAP = 2.0
# A feed with no entry yet (new, or empty): poll hourly, within the bounds,
# until it shows a pace.
NO_HISTORY_INTERVAL = 3600.0
# Overdue feeds start at this rate after a restart: a few feeds start within
# a fraction of a second, thousands over minutes (never beyond min_interval).
START_POLLS_PER_SECOND = 20.0


class Uniform(Protocol):
    """Where jitter comes from (``random.Random`` fits; tests pass a fixed one)."""

    def uniform(self, a: float, b: float) -> float:
        """A number between a and b."""
        ...


@dataclass(frozen=True, slots=True)
class PolicyConfig:
    """The bounds of the policy, in seconds (``[schedule]`` settings).

    Usage: ``PolicyConfig(min_interval=300, max_interval=86400)``.
    """

    min_interval: float = 300.0
    max_interval: float = 86400.0
    jitter: float = 0.1
    backoff_base: float = 300.0
    backoff_max: float = 21600.0
    max_retry_after: float = 21600.0  # ``[fetch] max_retry_after``: a page's Retry-After cap


@dataclass(frozen=True, slots=True)
class FeedHistory:
    """What the policy knows of a feed.

    ``entry_times``: publication times (discovery time when the feed gives
    none) of its recent entries, any order, aware UTC. ``errors``:
    consecutive failed polls up to and including the one just made.
    """

    entry_times: Sequence[datetime] = ()
    errors: int = 0


@dataclass(frozen=True, slots=True)
class Decision:
    """The next poll of a feed.

    ``at``: when; ``interval``: the feed's normal interval (seconds, kept
    for operators); ``reason``: adaptive, backoff, or the name of the hint
    that set the floor (retry_after, max_age, expires, ttl).
    """

    at: datetime
    interval: float
    reason: str

    def delay(self, now: datetime) -> float:
        """Seconds from ``now`` to the poll."""
        return (self.at - now).total_seconds()


def normal_interval(config: PolicyConfig, entry_times: Sequence[datetime], now: datetime) -> float:
    """The interval a healthy feed gets from its publishing pace (no jitter)."""
    # A publication date in the future (a wrong clock, a scheduled post)
    # counts as now: it must not make the pace look infinitely fast or slow.
    recent = sorted((min(t, now) for t in entry_times), reverse=True)[:HISTORY_ENTRIES]
    if not recent:
        return _clamp(NO_HISTORY_INTERVAL, config.min_interval, config.max_interval)
    span = (now - recent[-1]).total_seconds()
    gap = span / len(recent)
    return _clamp(gap / POLLS_PER_GAP, config.min_interval, config.max_interval)


def next_poll(
    config: PolicyConfig,
    history: FeedHistory,
    hints: Hints,
    now: datetime,
    rng: Uniform,
) -> Decision:
    """When to poll next, and why."""
    interval = normal_interval(config, history.entry_times, now)
    spread = 1.0 + rng.uniform(-config.jitter, config.jitter)
    if history.errors > 0:
        # 2**(N-1) grows past any cap quickly; stop the exponent early so a
        # feed failing for months never overflows.
        exponent = min(history.errors - 1, 60)
        base = min(config.backoff_max, config.backoff_base * 2.0**exponent)
        delay = min(config.backoff_max, base * spread)
        reason = "backoff"
    else:
        delay = _clamp(interval * spread, config.min_interval, config.max_interval)
        reason = "adaptive"
    for name, seconds in hints.floors():
        floor = min(seconds, config.max_interval)
        if floor > delay:
            delay, reason = floor, name
    return Decision(at=now + timedelta(seconds=delay), interval=interval, reason=reason)


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _backoff(config: PolicyConfig, attempts: int) -> float:
    exponent = min(max(attempts, 1) - 1, 60)
    return min(config.backoff_max, config.backoff_base * 2.0**exponent)


def retry_delay(config: PolicyConfig, attempts: int, retry_after: float | None = None) -> float:
    """Seconds before a failed page is tried again after ``attempts`` failures.

    Without a hint: ``backoff_base * 2**(attempts-1)``, at most
    ``backoff_max``. ``retry_after`` is the server's Retry-After (a 429 or
    503 answer, or the pause its host is under): the server said when to
    come back, so the page is retried then, at most ``max_retry_after``
    later, instead of after the generic backoff. When a hinted retry fails
    again the wait is never shorter than the backoff of one failure fewer
    (none after the first): a server that keeps answering "in a second"
    does not use up a page's few attempts within seconds.
    """
    if retry_after is None:
        return _backoff(config, attempts)
    hinted = min(max(retry_after, 0.0), config.max_retry_after)
    earlier = _backoff(config, attempts - 1) if attempts > 1 else 0.0
    return max(hinted, earlier)


def start_times(
    config: PolicyConfig,
    due: Mapping[int, datetime | None],
    now: datetime,
    rng: Uniform,
) -> dict[int, datetime]:
    """When each feed is first polled after a (re)start.

    A due time still ahead is kept (a restart resumes, it does not poll a
    feed polled a minute ago). Overdue and never-polled feeds are spread
    uniformly over ``count / START_POLLS_PER_SECOND`` seconds, at most
    ``min_interval``.
    """
    overdue = sorted(feed for feed, at in due.items() if at is None or at <= now)
    window = min(config.min_interval, len(overdue) / START_POLLS_PER_SECOND)
    times = {feed: at for feed, at in due.items() if at is not None and at > now}
    for feed in overdue:
        times[feed] = now + timedelta(seconds=rng.uniform(0.0, window))
    return times
