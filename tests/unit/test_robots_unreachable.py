"""robots.txt unreachable for 30 days is assumed unavailable (RFC 9309 §2.3.1.4).

A fake clock and a scripted robots.txt fetch: no waiting 30 days, no server.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from ingestd.errors import FetchError
from ingestd.fetch.robots import (
    UNAVAILABLE_RETRY,
    UNREACHABLE_ASSUME_UNAVAILABLE,
    RobotsCache,
    RobotsRules,
    rules_when_unreachable,
)
from ingestd.types import FetchResult

PAGE = "https://site.example/news/1"
PRIVATE = "https://site.example/private/2"
DAY = 86400.0
TTL, ERROR_TTL = 3600.0 * 24, 300.0  # a long ttl: the hourly retry must not follow it


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Robots:
    """A robots.txt that answers 503 until ``body`` is set."""

    def __init__(self) -> None:
        self.body: bytes | None = None
        self.fetches = 0

    async def __call__(self, url: str) -> FetchResult:
        self.fetches += 1
        if self.body is None:
            raise FetchError(url, "http_status", "HTTP 503", status=503)
        return FetchResult(url, url, 200, self.body, "text/plain", None, None, 1.0)


def checker(robots: Robots, clock: Clock) -> Callable[[str], str]:
    cache = RobotsCache(robots, ttl=TTL, error_ttl=ERROR_TTL, clock=clock)

    def check(url: str) -> str:
        try:
            asyncio.run(cache.check(url))
        except FetchError as error:
            return error.kind
        return "allowed"

    return check


def test_pages_wait_while_robots_is_unreachable_then_are_allowed_after_30_days() -> None:
    clock, robots = Clock(), Robots()
    check = checker(robots, clock)
    assert check(PAGE) == "robots_unavailable"
    # Retried every error_ttl for 30 days (here: once a day), still waiting.
    for _ in range(29):
        clock.now += DAY
        assert check(PAGE) == "robots_unavailable"
    clock.now += DAY - 1
    assert check(PAGE) == "robots_unavailable"  # 30 days less one second
    clock.now += ERROR_TTL
    fetches = robots.fetches
    assert check(PAGE) == "allowed"
    assert check(PRIVATE) == "allowed"  # no rules: everything
    assert robots.fetches == fetches + 1  # the verdict is cached, not re-fetched per page

    # Still re-read hourly, not after the day-long ttl: within the hour the
    # cached "unavailable" holds, after it the file is fetched again.
    clock.now += UNAVAILABLE_RETRY - 1
    assert check(PAGE) == "allowed" and robots.fetches == fetches + 1
    clock.now += 2
    assert check(PAGE) == "allowed" and robots.fetches == fetches + 2

    # The site answers again: its rules apply at the next hourly re-read.
    robots.body = b"User-agent: *\nDisallow: /private/\n"
    clock.now += UNAVAILABLE_RETRY + 1
    assert check(PAGE) == "allowed" and check(PRIVATE) == "robots"
    # ...and when it fails again, that copy is kept: "allow all" is not sticky.
    robots.body = None
    clock.now += TTL + 1
    assert check(PAGE) == "allowed" and check(PRIVATE) == "robots"


def test_after_30_days_an_earlier_copy_is_still_obeyed() -> None:
    # The RFC lets a crawler keep its cached copy: the site's last stated
    # wishes beat "allow all".
    clock, robots = Clock(), Robots()
    robots.body = b"User-agent: *\nDisallow: /private/\n"
    check = checker(robots, clock)
    assert check(PRIVATE) == "robots"
    robots.body = None
    for _ in range(40):
        clock.now += DAY
        assert check(PAGE) == "allowed"
        assert check(PRIVATE) == "robots"


@pytest.mark.parametrize(
    ("unreachable_for", "allowed"),
    [
        (0.0, False),
        (UNREACHABLE_ASSUME_UNAVAILABLE - 1, False),
        (UNREACHABLE_ASSUME_UNAVAILABLE, True),
    ],
)
def test_rules_when_unreachable_is_a_function_of_the_time(
    unreachable_for: float, allowed: bool
) -> None:
    failed = RobotsRules(False, None, "unreachable: http_status: HTTP 503")
    rules = rules_when_unreachable(failed, None, unreachable_for)
    assert rules.allows(PAGE) is allowed
    if allowed:
        assert "assumed unavailable" in rules.detail and "30 days" in rules.detail
    previous = RobotsRules(True, None, "HTTP 200")
    assert rules_when_unreachable(failed, previous, unreachable_for) is previous


def test_thirty_days() -> None:
    assert UNREACHABLE_ASSUME_UNAVAILABLE == 30 * DAY
