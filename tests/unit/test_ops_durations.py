"""Durations and moments as operators type them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ingestd.durations import parse_age, parse_since

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24h", timedelta(hours=24)),
        ("7d", timedelta(days=7)),
        ("90d", timedelta(days=90)),
        ("2w", timedelta(weeks=2)),
        ("30m", timedelta(minutes=30)),
        ("45s", timedelta(seconds=45)),
        (" 12 H ", timedelta(hours=12)),
    ],
)
def test_ages(text: str, expected: timedelta) -> None:
    assert parse_age(text) == expected


@pytest.mark.parametrize("text", ["", "d", "7", "7y", "-3d", "0d", "1.5d", "seven days", "7d ago"])
def test_bad_ages_name_an_accepted_form(text: str) -> None:
    with pytest.raises(ValueError, match=r"duration|positive"):
        parse_age(text)


def test_huge_age_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="too large"):
        parse_age("99999999999999d")
    with pytest.raises(ValueError, match="too large"):
        parse_since("99999999d", NOW)


def test_since_a_duration_counts_back_from_now() -> None:
    assert parse_since("24h", NOW) == datetime(2026, 3, 9, 12, 0, tzinfo=UTC)
    assert parse_since("7d", NOW) == datetime(2026, 3, 3, 12, 0, tzinfo=UTC)


def test_since_a_date_is_midnight_utc() -> None:
    assert parse_since("2026-01-12", NOW) == datetime(2026, 1, 12, tzinfo=UTC)


def test_since_a_datetime_with_zone_is_converted_to_utc() -> None:
    moment = parse_since("2026-01-12T10:00:00+02:00", NOW)
    assert moment == datetime(2026, 1, 12, 8, 0, tzinfo=UTC)
    assert moment.tzinfo == UTC


def test_since_nonsense_shows_both_forms() -> None:
    with pytest.raises(ValueError) as caught:
        parse_since("yesterday", NOW)
    assert "24h" in str(caught.value) and "2026-01-12" in str(caught.value)
