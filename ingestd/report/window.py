"""The report window: ``--since 24h``, ``7d``, ``90m``, ``2w``, or an ISO date/time.

A pure parser (the operator commands have their own in ingestd/ops/; the two
are to be merged). Durations count back from ``now``; a date means midnight
UTC of that day; a date-time without a zone is taken as UTC.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
_DURATION = re.compile(r"(\d+)\s*([mhdw])")


def parse_since(text: str, now: datetime) -> datetime:
    """The start of the window named by ``text``, as an aware UTC datetime.

    Raises ValueError with a message a person can act on.
    """
    value = text.strip().lower()
    match = _DURATION.fullmatch(value)
    if match:
        amount = int(match.group(1))
        if amount == 0:
            raise ValueError(f"{text!r}: a duration must be longer than zero")
        return now - timedelta(**{_UNITS[match.group(2)]: amount})
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day, tzinfo=UTC)
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is neither a duration (90m, 24h, 7d, 2w) nor an ISO date "
            "(2026-01-31) or date-time (2026-01-31T08:00:00+00:00)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
