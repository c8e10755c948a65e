"""HTTP caching hints → seconds the server asks us to wait (pure).

Usage::

    hints = parse_hints(response.headers, now, ttl_minutes=parsed.ttl_minutes)

Each hint is a *floor* for the next poll, never a reason to poll sooner.
``Cache-Control: max-age`` wins over ``Expires`` (as in HTTP caching);
``Expires`` is measured against the server's own ``Date`` header when it
sends one, so a server whose clock is off still gets the delay it meant.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = ["Hints", "parse_hints"]

_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*\"?(\d+)\"?\s*(?:,|$)", re.IGNORECASE)
_NO_CACHE = re.compile(r"(?:^|,)\s*(no-cache|no-store)\s*(?:,|=|$)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Hints:
    """What one answer said about when to come back, in seconds from now.

    ``max_age``: Cache-Control max-age; ``expires``: Expires (when no
    max-age); ``ttl``: the feed's RSS ``<ttl>``; ``retry_after``: Retry-After
    of a 429/503 answer. None means the server said nothing.
    """

    max_age: float | None = None
    expires: float | None = None
    ttl: float | None = None
    retry_after: float | None = None

    def floors(self) -> list[tuple[str, float]]:
        """(name, seconds) of every hint given, in a fixed order."""
        named = (
            ("retry_after", self.retry_after),
            ("max_age", self.max_age),
            ("expires", self.expires),
            ("ttl", self.ttl),
        )
        return [(name, value) for name, value in named if value is not None and value > 0]


def parse_hints(
    headers: Mapping[str, str],
    now: datetime,
    *,
    ttl_minutes: int | None = None,
    retry_after: float | None = None,
) -> Hints:
    """Hints from response headers (names lower-cased), an RSS ttl and a Retry-After."""
    max_age = _max_age(headers.get("cache-control"))
    expires = None if max_age is not None else _expires(headers, now)
    ttl = float(ttl_minutes) * 60.0 if ttl_minutes and ttl_minutes > 0 else None
    return Hints(max_age=max_age, expires=expires, ttl=ttl, retry_after=retry_after)


def _max_age(value: str | None) -> float | None:
    if not value or _NO_CACHE.search(value):
        # no-cache/no-store: the server wants revalidation, which is no floor.
        return None
    match = _MAX_AGE.search(value)
    return float(match.group(1)) if match else None


def _expires(headers: Mapping[str, str], now: datetime) -> float | None:
    expires = _http_date(headers.get("expires"))
    if expires is None:
        return None
    reference = _http_date(headers.get("date")) or now
    seconds = (expires - reference).total_seconds()
    return seconds if seconds > 0 else None


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if parsed.tzinfo is None:  # "-0000" parses naive; HTTP dates are GMT
        parsed = parsed.replace(tzinfo=UTC)
    return parsed
