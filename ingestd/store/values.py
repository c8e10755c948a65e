"""Converting values between Python and the database, for every dialect.

SQLite stores times as ISO 8601 text in UTC and JSON as text; PostgreSQL
may hand back ``datetime`` and parsed JSON. Code outside the store reads
columns through these helpers so it works on both.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any


def db_time(value: datetime | None) -> str | None:
    """A timezone-aware datetime as the ISO text every dialect accepts."""
    return None if value is None else value.astimezone(UTC).isoformat()


def py_time(value: str | datetime | None) -> datetime | None:
    """A stored time (ISO text or a driver's datetime) as an aware UTC datetime."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def db_json(value: Any) -> str:
    """A JSON-able value as compact JSON text."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def py_json(value: str | bytes | Any) -> Any:
    """A stored JSON column (text, or already parsed by the driver) as Python."""
    if isinstance(value, str | bytes | bytearray):
        return json.loads(value)
    return value
