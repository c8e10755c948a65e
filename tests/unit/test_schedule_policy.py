"""The scheduling policy and HTTP hints: pure functions of history, hints and now."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from ingestd.schedule.hints import Hints, parse_hints
from ingestd.schedule.policy import (
    NO_HISTORY_INTERVAL,
    FeedHistory,
    PolicyConfig,
    next_poll,
    normal_interval,
    retry_delay,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CONFIG = PolicyConfig(
    min_interval=300, max_interval=86400, jitter=0.1, backoff_base=300, backoff_max=21600
)


class Fixed:
    """A jitter source that always returns the same point of the range."""

    def __init__(self, where: float):
        self.where = where  # 0.0 = low end, 0.5 = middle, 1.0 = high end

    def uniform(self, a: float, b: float) -> float:
        return a + (b - a) * self.where


MIDDLE = Fixed(0.5)


def every(minutes: float, count: int) -> list[datetime]:
    return [NOW - timedelta(minutes=minutes * i) for i in range(1, count + 1)]


def test_busy_feed_polls_about_twice_per_gap() -> None:
    # One entry every 60 minutes → poll every 30 minutes or so.
    interval = normal_interval(CONFIG, every(60, 20), NOW)
    assert interval == pytest.approx(30 * 60)


def test_interval_stays_within_bounds() -> None:
    assert normal_interval(CONFIG, every(1, 20), NOW) == CONFIG.min_interval
    assert normal_interval(CONFIG, every(60 * 24 * 30, 20), NOW) == CONFIG.max_interval


def test_quiet_feed_drifts_to_longer_intervals() -> None:
    recent = every(60, 20)
    later = NOW + timedelta(days=3)
    assert normal_interval(CONFIG, recent, later) > 4 * normal_interval(CONFIG, recent, NOW)


def test_no_history_uses_the_default_within_bounds() -> None:
    assert normal_interval(CONFIG, [], NOW) == NO_HISTORY_INTERVAL
    tight = PolicyConfig(min_interval=1, max_interval=2)
    assert normal_interval(tight, [], NOW) == 2


def test_future_dates_count_as_now() -> None:
    future = [NOW + timedelta(days=400)] * 3
    assert normal_interval(CONFIG, future, NOW) == CONFIG.min_interval


def test_only_recent_entries_count() -> None:
    # 20 hourly entries then an ancient archive: the archive changes nothing.
    archive = every(60, 20) + [NOW - timedelta(days=3000)] * 50
    assert normal_interval(CONFIG, archive, NOW) == normal_interval(CONFIG, every(60, 20), NOW)


def test_jitter_spreads_within_the_configured_fraction() -> None:
    history = FeedHistory(every(60, 20))
    low = next_poll(CONFIG, history, Hints(), NOW, Fixed(0.0)).delay(NOW)
    high = next_poll(CONFIG, history, Hints(), NOW, Fixed(1.0)).delay(NOW)
    assert low == pytest.approx(1800 * 0.9)
    assert high == pytest.approx(1800 * 1.1)
    seen = {
        round(next_poll(CONFIG, history, Hints(), NOW, random.Random(s)).delay(NOW))
        for s in range(20)
    }
    assert len(seen) > 10
    assert all(1620 <= d <= 1980 for d in seen)


def test_jitter_never_goes_below_the_minimum() -> None:
    decision = next_poll(CONFIG, FeedHistory(every(1, 20)), Hints(), NOW, Fixed(0.0))
    assert decision.delay(NOW) == CONFIG.min_interval
    assert decision.reason == "adaptive"


def test_errors_back_off_exponentially_and_cap() -> None:
    delays = [
        next_poll(CONFIG, FeedHistory(every(60, 20), errors=n), Hints(), NOW, MIDDLE).delay(NOW)
        for n in range(1, 10)
    ]
    assert delays[:4] == [300, 600, 1200, 2400]
    assert delays[-1] == CONFIG.backoff_max
    assert delays == sorted(delays)


def test_a_failed_page_backs_off_exponentially_without_a_hint() -> None:
    delays = [retry_delay(CONFIG, attempts) for attempts in range(1, 10)]
    assert delays[:4] == [300, 600, 1200, 2400] and delays[-1] == CONFIG.backoff_max
    assert retry_delay(CONFIG, 10**6) == CONFIG.backoff_max


def test_a_page_with_retry_after_is_retried_when_the_server_asked() -> None:
    assert retry_delay(CONFIG, 1, retry_after=1.0) == 1.0
    assert retry_delay(CONFIG, 1, retry_after=0.0) == 0.0
    assert retry_delay(CONFIG, 1, retry_after=1800.0) == 1800.0  # longer than the backoff too
    # Never sooner than the server asked, even on a later attempt.
    assert retry_delay(CONFIG, 3, retry_after=5000.0) == 5000.0


def test_a_repeated_retry_after_falls_back_to_the_backoff_one_failure_earlier() -> None:
    # "Retry in a second" five times must not burn a page's attempts in seconds.
    delays = [retry_delay(CONFIG, attempts, retry_after=1.0) for attempts in range(1, 6)]
    assert delays == [1.0, 300, 600, 1200, 2400]
    assert retry_delay(CONFIG, 100, retry_after=1.0) == CONFIG.backoff_max


def test_retry_after_is_bounded_by_max_retry_after() -> None:
    capped = PolicyConfig(backoff_base=300, backoff_max=21600, max_retry_after=60)
    assert retry_delay(capped, 1, retry_after=86400.0 * 365) == 60
    assert retry_delay(capped, 1, retry_after=30.0) == 30.0
    assert retry_delay(capped, 2, retry_after=86400.0) == 300  # the backoff, not the hint
    assert retry_delay(PolicyConfig(), 1, retry_after=10**9) == PolicyConfig().max_retry_after
    assert retry_delay(capped, 1, retry_after=-5.0) == 0.0


def test_error_streak_of_years_never_overflows_or_disables() -> None:
    decision = next_poll(CONFIG, FeedHistory((), errors=100_000), Hints(), NOW, MIDDLE)
    assert decision.delay(NOW) == CONFIG.backoff_max
    assert decision.reason == "backoff"


def test_recovered_feed_returns_to_its_normal_interval() -> None:
    history = every(60, 20)
    failing = next_poll(CONFIG, FeedHistory(history, errors=6), Hints(), NOW, MIDDLE)
    recovered = next_poll(CONFIG, FeedHistory(history, errors=0), Hints(), NOW, MIDDLE)
    assert failing.delay(NOW) > recovered.delay(NOW)
    assert recovered.delay(NOW) == pytest.approx(1800)
    assert recovered.reason == "adaptive"


@pytest.mark.parametrize(
    ("hints", "reason", "seconds"),
    [
        (Hints(max_age=7200), "max_age", 7200),
        (Hints(expires=5000), "expires", 5000),
        (Hints(ttl=3600), "ttl", 3600),
        (Hints(retry_after=4000), "retry_after", 4000),
        (Hints(max_age=60, ttl=2400), "ttl", 2400),
    ],
)
def test_hints_are_floors(hints: Hints, reason: str, seconds: float) -> None:
    decision = next_poll(CONFIG, FeedHistory(every(60, 20)), hints, NOW, MIDDLE)
    assert decision.reason == reason
    assert decision.delay(NOW) == seconds


def test_short_hints_never_poll_sooner() -> None:
    decision = next_poll(CONFIG, FeedHistory(every(60, 20)), Hints(max_age=10), NOW, MIDDLE)
    assert decision.reason == "adaptive"
    assert decision.delay(NOW) == pytest.approx(1800)


def test_hints_cannot_silence_a_feed_past_max_interval() -> None:
    hints = Hints(max_age=10**9, retry_after=10**9)
    decision = next_poll(CONFIG, FeedHistory(every(60, 20)), hints, NOW, MIDDLE)
    assert decision.delay(NOW) == CONFIG.max_interval


def test_retry_after_floors_a_backoff() -> None:
    decision = next_poll(CONFIG, FeedHistory((), errors=1), Hints(retry_after=3000), NOW, MIDDLE)
    assert (decision.reason, decision.delay(NOW)) == ("retry_after", 3000)


# -- hints from headers -------------------------------------------------------


def test_cache_control_max_age() -> None:
    hints = parse_hints({"cache-control": "public, max-age=600"}, NOW)
    assert hints.max_age == 600
    assert parse_hints({"cache-control": 'max-age="90"'}, NOW).max_age == 90


def test_no_cache_and_no_store_give_no_floor() -> None:
    assert parse_hints({"cache-control": "no-cache, max-age=600"}, NOW).max_age is None
    assert parse_hints({"cache-control": "no-store"}, NOW).floors() == []


def test_s_maxage_is_not_max_age() -> None:
    assert parse_hints({"cache-control": "s-maxage=600"}, NOW).max_age is None


def test_expires_is_measured_against_the_server_date() -> None:
    headers = {
        # The server's clock is an hour behind ours: it still means 10 minutes.
        "date": "Sun, 01 Mar 2026 11:00:00 GMT",
        "expires": "Sun, 01 Mar 2026 11:10:00 GMT",
    }
    assert parse_hints(headers, NOW).expires == 600
    assert parse_hints({"expires": "Sun, 01 Mar 2026 12:05:00 GMT"}, NOW).expires == 300


def test_max_age_wins_over_expires_and_bad_dates_are_ignored() -> None:
    both = {"cache-control": "max-age=60", "expires": "Sun, 01 Mar 2026 18:00:00 GMT"}
    assert parse_hints(both, NOW) == Hints(max_age=60)
    assert parse_hints({"expires": "0"}, NOW).expires is None
    assert parse_hints({"expires": "Sun, 01 Mar 2026 11:00:00 GMT"}, NOW).expires is None


def test_ttl_and_retry_after_pass_through() -> None:
    hints = parse_hints({}, NOW, ttl_minutes=30, retry_after=120.0)
    assert hints.floors() == [("retry_after", 120.0), ("ttl", 1800.0)]
    assert parse_hints({}, NOW, ttl_minutes=0).ttl is None


def test_start_keeps_future_due_times_and_spreads_overdue_feeds() -> None:
    from ingestd.schedule.policy import START_POLLS_PER_SECOND, start_times

    ahead = NOW + timedelta(minutes=3)
    due: dict[int, datetime | None] = {1: ahead, 2: None, 3: NOW - timedelta(days=1)}
    due.update({100 + i: NOW - timedelta(hours=5) for i in range(1997)})
    times = start_times(CONFIG, due, NOW, random.Random(7))
    assert set(times) == set(due)
    assert times[1] == ahead  # a restart resumes: not polled again right away
    overdue = [times[f] for f in due if f != 1]
    assert all(NOW <= at <= NOW + timedelta(seconds=CONFIG.min_interval) for at in overdue)
    # 1,999 overdue feeds start over about 100 s, not in one second.
    window = len(overdue) / START_POLLS_PER_SECOND
    first_second = sum(at < NOW + timedelta(seconds=1) for at in overdue)
    assert first_second < 3 * START_POLLS_PER_SECOND
    assert max(overdue) - min(overdue) > timedelta(seconds=window * 0.9)


def test_start_of_a_few_overdue_feeds_is_almost_immediate() -> None:
    from ingestd.schedule.policy import start_times

    times = start_times(CONFIG, {1: None, 2: NOW}, NOW, Fixed(1.0))
    assert all(at - NOW <= timedelta(seconds=0.1) for at in times.values())


def test_start_window_never_exceeds_min_interval() -> None:
    from ingestd.schedule.policy import start_times

    due: dict[int, datetime | None] = dict.fromkeys(range(100000))
    times = start_times(CONFIG, due, NOW, Fixed(1.0))
    assert max(times.values()) == NOW + timedelta(seconds=CONFIG.min_interval)
