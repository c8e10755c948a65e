"""Durations and moments as operators type them: ``24h``, ``7d``, ``90d``, ``2026-01-12``.

Usage::

    age = parse_age("90d")                  # timedelta(days=90)
    since = parse_since("24h", now)         # now - 24 hours
    since = parse_since("2026-01-12", now)  # midnight UTC that day

Both raise ValueError with a message that shows an accepted form.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

_AGE = re.compile(r"^\s*(\d+)\s*([a-z]+)\s*$")
_UNITS = {
    "s": timedelta(seconds=1),
    "sec": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "min": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}
_EXAMPLES = "like 30m, 24h, 7d, 2w or 90d"


def parse_age(text: str) -> timedelta:
    """A positive duration such as ``24h``, ``7d``, ``2w`` or ``90d``."""
    match = _AGE.match(text.lower())
    if match is None or match.group(2) not in _UNITS:
        raise ValueError(f"not a duration: {text!r} (write a number and a unit, {_EXAMPLES})")
    count = int(match.group(1))
    if count <= 0:
        raise ValueError(f"duration must be positive: {text!r}")
    try:
        return count * _UNITS[match.group(2)]
    except OverflowError:
        raise ValueError(f"duration too large: {text!r}") from None


def parse_since(text: str, now: datetime) -> datetime:
    """A moment: ``now`` minus a duration, or an ISO date or date-time (UTC if no zone)."""
    stripped = text.strip()
    if _AGE.match(stripped.lower()):
        try:
            return now - parse_age(stripped)
        except OverflowError:
            raise ValueError(f"duration too large: {text!r}") from None
    try:
        moment = datetime.fromisoformat(stripped)
    except ValueError:
        raise ValueError(
            f"not a duration or date: {text!r} (use a duration {_EXAMPLES}, "
            "or an ISO date such as 2026-01-12 or 2026-01-12T08:00:00+00:00)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
