"""Stories for other tools: JSON Lines (one story per line) or CSV (one row per member).

Both read the public ``story_members`` view; stories are paged by id
through :meth:`ingestd.store.Store.story_heads`, because the ``stories``
view aggregates every member on each query, which would make a paged export
quadratic. ``since`` keeps the stories with a member first seen at or after it.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any, TextIO

from ingestd.store import Store
from ingestd.store.records import StoryHead
from ingestd.store.values import py_json, py_time

_PAGE = 500

CSV_COLUMNS = (
    "story_id",
    "canonical_url",
    "story_title",
    "origin_outlet",
    "origin_url",
    "origin_attributed",
    "origin_reason",
    "origin_evidence",
    "member_count",
    "article_id",
    "outlet",
    "url",
    "title",
    "role",
    "similarity",
    "derived_from",
    "published_at",
    "first_seen_at",
    "credits",
    "evidence",
    "language",
)


def _iso(value: Any) -> str | None:
    moment = py_time(value)
    return None if moment is None else moment.isoformat()


def story_objects(store: Store, since: datetime | None = None) -> Iterator[dict[str, Any]]:
    """Every story in the export shape (see README, "export"), in story id order."""
    last = 0
    while True:
        stories = store.story_heads(last, since, _PAGE)
        if not stories:
            return
        first, last = stories[0].story_id, stories[-1].story_id
        members: dict[int, list[Any]] = {}
        for row in store.query(
            "SELECT story_id, article_id, url, outlet, title, member_role, similarity,"
            " published_at, first_seen_at, derived_from_url, credits, evidence, language"
            " FROM story_members WHERE story_id BETWEEN ? AND ?"
            " ORDER BY story_id, CASE WHEN member_role = 'origin' THEN 0 ELSE 1 END,"
            " first_seen_at, article_id",
            (first, last),
        ):
            members.setdefault(int(row["story_id"]), []).append(row)
        for story in stories:
            rows = members.get(story.story_id, [])
            if not rows:
                continue  # a story without members is not visible in the views
            yield _story_object(story, rows)


def _story_object(story: StoryHead, rows: list[Any]) -> dict[str, Any]:
    origin_id = story.origin_article_id
    origin_url = next((r["url"] for r in rows if r["article_id"] == origin_id), None)
    return {
        "story_id": story.story_id,
        "canonical_url": story.canonical_url,
        "title": story.title,
        "origin_outlet": story.origin_outlet,
        "origin_url": origin_url,
        "origin_attributed": story.origin_attributed,
        "origin_reason": story.origin_reason,
        "origin_evidence": story.origin_evidence,
        "members": [
            {
                "url": member["url"],
                "outlet": member["outlet"],
                "title": member["title"],
                "language": member["language"],
                "role": member["member_role"],
                "similarity": member["similarity"],
                "published_at": _iso(member["published_at"]),
                "first_seen_at": _iso(member["first_seen_at"]),
                "derived_from": member["derived_from_url"],
                "credits": py_json(member["credits"]),
                "evidence": py_json(member["evidence"]),
                "article_id": int(member["article_id"]),
            }
            for member in rows
        ],
    }


def write_jsonl(
    store: Store,
    out: TextIO,
    since: datetime | None = None,
    on_story: Callable[[int], None] | None = None,
) -> int:
    """Write every story as one JSON line; returns the number written.

    ``on_story(count)`` is called after each story (progress display).
    """

    def emit(story: dict[str, Any]) -> None:
        out.write(json.dumps(story, ensure_ascii=False, sort_keys=False))
        out.write("\n")

    return _each_story(store, since, emit, on_story)


def _each_story(
    store: Store,
    since: datetime | None,
    emit: Callable[[dict[str, Any]], None],
    on_story: Callable[[int], None] | None,
) -> int:
    count = 0
    for story in story_objects(store, since):
        emit(story)
        count += 1
        if on_story is not None:
            on_story(count)
    return count


def csv_rows(story: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One flat row per member of a story object, story columns repeated."""
    for member in story["members"]:
        yield {
            "story_id": story["story_id"],
            "canonical_url": story["canonical_url"],
            "story_title": story["title"],
            "origin_outlet": story["origin_outlet"],
            "origin_url": story["origin_url"],
            "origin_attributed": int(story["origin_attributed"]),
            "origin_reason": story["origin_reason"],
            "origin_evidence": json.dumps(story["origin_evidence"], ensure_ascii=False),
            "member_count": len(story["members"]),
            "article_id": member["article_id"],
            "outlet": member["outlet"],
            "url": member["url"],
            "title": member["title"],
            "role": member["role"],
            "similarity": member["similarity"],
            "derived_from": member["derived_from"],
            "published_at": member["published_at"],
            "first_seen_at": member["first_seen_at"],
            "credits": json.dumps(member["credits"], ensure_ascii=False),
            "evidence": json.dumps(member["evidence"], ensure_ascii=False),
            "language": member["language"],
        }


def write_csv(
    store: Store,
    out: TextIO,
    since: datetime | None = None,
    on_story: Callable[[int], None] | None = None,
) -> int:
    """Write one CSV row per story member (header first); returns the number of stories."""
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    return _each_story(store, since, lambda story: writer.writerows(csv_rows(story)), on_story)
