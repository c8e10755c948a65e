"""Replay the current matcher over a stored database and list what would change.

Every stored article is re-filed, in the order it was first seen, by the
current code and thresholds into a scratch store; stories and origins are
then compared with the stored ones. The stored database is only read.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ingestd.fingerprint.params import DEFAULT_PARAMS, SignatureParams
from ingestd.match.linker import Linker
from ingestd.match.thresholds import DEFAULT_THRESHOLDS
from ingestd.store import Store
from ingestd.store.drivers import SqliteDriver
from ingestd.store.records import PendingEntry
from ingestd.store.sqlite import SqliteStore
from ingestd.store.values import py_time
from ingestd.types import ExtractedArticle


@dataclass(frozen=True, slots=True)
class Change:
    """One article whose filing would differ."""

    url: str
    kind: str  # "grouping" | "origin"
    before: str
    after: str


def _partition(groups: dict[str, int]) -> dict[str, frozenset[str]]:
    members: dict[int, set[str]] = {}
    for url, story in groups.items():
        members.setdefault(story, set()).add(url)
    return {url: frozenset(members[story]) for url, story in groups.items()}


def backtest(db: Path, echo: Callable[[str], None]) -> list[Change]:
    """Replay and compare; prints each change and returns them."""
    if not db.exists():
        raise FileNotFoundError(f"no database at {db}")
    with Store(SqliteDriver(db, create=False, read_only=True)) as source:
        outlets = source.outlets()
        rows = source.replay_articles()

    changes: list[Change] = []
    with tempfile.TemporaryDirectory(prefix="ingestd-backtest-") as folder:
        scratch = SqliteStore(Path(folder) / "replay.db")
        scratch.migrate()
        first = datetime.fromisoformat(rows[0]["first_seen_at"]) if rows else None
        scratch.sync_outlets(
            [
                {
                    "name": o.name,
                    "domain": o.domain,
                    "role": o.role.value if o.role is not None else None,
                    "aliases": [],
                    "feeds": [],
                }
                for o in outlets
            ],
            first or datetime.now().astimezone(),
        )
        outlet_ids = {o.name: o.id for o in scratch.outlets()}
        linker = Linker(
            scratch,
            params=DEFAULT_PARAMS,
            thresholds=DEFAULT_THRESHOLDS,
            window=timedelta(days=3650),
        )
        replayed: dict[str, int] = {}
        for row in rows:
            entry = PendingEntry(
                0,
                0,
                outlet_ids[row["outlet_name"]],
                row["guid"] or row["url"],
                row["url"],
                row["url"],
                row["title"],
                py_time(row["published_at"]),
                0,
            )
            article = ExtractedArticle(
                url=row["url"],
                text=row["text"] or "",
                title=row["title"],
                author=row["author"],
                published_at=py_time(row["published_at"]),
                site_name=row["site_name"],
                language=row["language"],
                canonical_url=row["canonical_url"],
                description=row["description"],
            )
            result = linker.link(entry, article, datetime.fromisoformat(row["first_seen_at"]))
            replayed[row["url"]] = result.story_id
        origins = {
            url: story["origin_outlet"] for story in _stories(scratch) for url in story["urls"]
        }
        scratch.close()

    echo(_signature_summary(rows))
    stored = _partition({row["url"]: row["story_id"] for row in rows})
    after = _partition(replayed)
    stored_origin = {row["url"]: row["origin_outlet"] for row in rows}
    for row in rows:
        url = row["url"]
        if stored[url] != after[url]:
            changes.append(
                Change(url, "grouping", _names(stored[url], url), _names(after[url], url))
            )
        elif stored_origin[url] != origins.get(url):
            changes.append(Change(url, "origin", stored_origin[url], origins.get(url, "")))
    for change in changes:
        echo(
            f"{change.kind}: {change.url}\n    stored:   {change.before}\n"
            f"    replayed: {change.after}"
        )
    echo(f"{len(rows)} articles replayed, {len(changes)} decisions would change")
    return changes


def _signature_summary(rows: list[dict[str, Any]]) -> str:
    """How many stored signatures the replay's parameters differ from, by version.

    Signatures of another parameter version are never compared with the
    current ones (the daemon indexes only its own version), so a version
    change is a re-filing of every older article: this line says how many.
    """
    versions: dict[str, int] = {}
    for row in rows:
        key = row["signature_params"]
        try:
            label = f"version {SignatureParams.from_key(key).version}" if key else "none"
        except (TypeError, ValueError):
            label = "unreadable"
        versions[label] = versions.get(label, 0) + 1
    current = f"version {DEFAULT_PARAMS.version}"
    older = sum(n for label, n in versions.items() if label != current)
    listed = ", ".join(f"{n} {label}" for label, n in sorted(versions.items()))
    return (
        f"stored signatures: {listed}; replayed with {current} ({older} made with other parameters)"
    )


def _names(group: frozenset[str], url: str) -> str:
    others = sorted(group - {url})
    return "alone" if not others else "with " + ", ".join(others)


def _stories(store: SqliteStore) -> list[dict[str, Any]]:
    return [
        {"origin_outlet": row["story"]["origin_outlet"], "urls": [m["url"] for m in row["members"]]}
        for row in store.export_rows()
    ]
