"""Number, time and duration formats shared by the text and HTML renderers.

One place, so both formats show a figure in the same words.
"""

from __future__ import annotations

from datetime import datetime


def percent(fraction: float) -> str:
    """0.25 -> ``25.0%``."""
    return f"{fraction * 100:.1f}%"


def duration(seconds: int | None) -> str:
    """Signed and compact: ``+45s``, ``+12m``, ``+2h05m``, ``+3d04h``, ``-5m``; ``-`` if unknown."""
    if seconds is None:
        return "-"
    sign = "-" if seconds < 0 else "+"
    left = abs(seconds)
    days, left = divmod(left, 86400)
    hours, left = divmod(left, 3600)
    minutes, secs = divmod(left, 60)
    if days:
        return f"{sign}{days}d{hours:02d}h"
    if hours:
        return f"{sign}{hours}h{minutes:02d}m"
    if minutes:
        return f"{sign}{minutes}m"
    return f"{sign}{secs}s"


def moment(value: datetime | None) -> str:
    """``2026-01-31 08:00 UTC``; ``-`` when unknown."""
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def number(value: float) -> str:
    """A measure such as a Jaccard: two decimals."""
    return f"{value:.2f}"
