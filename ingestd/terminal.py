"""Printing store text on a terminal: control characters out, colour only when wanted.

Every string from the store (titles, outlet names, evidence phrases, error
messages) is hostile input: an escape sequence in a title must not move the
cursor or recolour the terminal of the person reading a report or a list.
"""

from __future__ import annotations

import os
import re
from typing import IO, Any

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean(value: object) -> str:
    """Text safe to print: control characters (escape sequences, newlines) become spaces."""
    return _CONTROL.sub(" ", "" if value is None else str(value))


def wants_colour(stream: IO[Any]) -> bool:
    """Colour for ``stream``: only a terminal, and never with ``NO_COLOR`` set."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
