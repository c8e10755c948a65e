"""Numbered SQL migrations, found in ``storage/<dialect>/NNNN_name.sql``.

The files live at the repository's ``storage/`` folder (the contract other
tools read) and are copied into the wheel as ``ingestd/_storage``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered schema step."""

    version: int
    name: str
    sql: str


def storage_dir() -> Path:
    """The folder of SQL migrations, installed or in a source checkout."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_storage", package.parent / "storage"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("ingestd's storage/ migrations are missing from this installation")


def migrations(dialect: str) -> list[Migration]:
    """All migrations of a dialect, in order."""
    found = []
    for path in sorted((storage_dir() / dialect).glob("*.sql")):
        match = _NAME.match(path.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), path.read_text("utf-8")))
    versions = [m.version for m in found]
    # Numbers only have to increase: branches developed side by side take
    # their numbers in advance, so one may land before the one numbered
    # below it (a database then gets the lower one on its next migrate,
    # since pending means "not applied", not "above the current version").
    if not versions or versions[0] != 1 or len(set(versions)) != len(versions):
        raise RuntimeError(f"migrations of {dialect} must start at 1, once each: {versions}")
    return found


def latest_version(dialect: str) -> int:
    """The schema version this ingestd writes (its highest migration number)."""
    return migrations(dialect)[-1].version
