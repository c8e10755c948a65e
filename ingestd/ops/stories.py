"""Stories and their members read through the public ``stories`` and ``story_members`` views."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ingestd.errors import OperatorError
from ingestd.ops.feedstore import find_outlet, outlet_names
from ingestd.ops.tree import ChainMember, StoryDetail
from ingestd.store import Store
from ingestd.store.values import db_time, py_json, py_time

_LIST_COLUMNS = (
    "story_id",
    "title",
    "canonical_url",
    "origin_outlet",
    "origin_domain",
    "origin_attributed",
    "origin_reason",
    "first_seen_at",
    "last_seen_at",
    "member_count",
    "outlet_count",
    "copy_count",
)


def list_stories(
    store: Store, *, since: datetime | None = None, outlet: str | None = None, limit: int = 20
) -> list[dict[str, Any]]:
    """The most recently active stories, newest first.

    ``since``: stories with a member first seen at or after it. ``outlet``: a
    name or domain; stories with a member from it. An unknown outlet raises
    OperatorError naming the known ones.
    """
    where: list[str] = []
    params: list[Any] = []
    if since is not None:
        # Same as last_seen_at >= since, but answered from the articles'
        # first_seen index instead of aggregating every story.
        where.append("s.story_id IN (SELECT story_id FROM articles WHERE first_seen_at >= ?)")
        params.append(db_time(since))
    if outlet is not None:
        found = find_outlet(store, outlet)
        if found is None:
            known = ", ".join(outlet_names(store)) or "none"
            raise OperatorError(f"unknown outlet {outlet!r} (known outlets: {known})")
        where.append("s.story_id IN (SELECT story_id FROM articles WHERE outlet = ?)")
        params.append(found.name)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    rows = store.query(
        f"SELECT {', '.join('s.' + c for c in _LIST_COLUMNS)} FROM stories s{clause}"
        " ORDER BY s.last_seen_at DESC, s.story_id DESC LIMIT ?",
        (*params, limit),
    )
    stories = []
    for row in rows:
        item = {key: row[key] for key in _LIST_COLUMNS}
        item["origin_attributed"] = bool(item["origin_attributed"])
        item["first_seen_at"] = py_time(item["first_seen_at"])
        item["last_seen_at"] = py_time(item["last_seen_at"])
        stories.append(item)
    return stories


def story_detail(store: Store, story_id: int) -> StoryDetail:
    """One story with its members; OperatorError when there is no such story."""
    story = store.query_one(
        "SELECT story_id, title, canonical_url, origin_outlet, origin_domain, origin_article_id,"
        " origin_attributed, origin_reason, origin_evidence, first_seen_at, last_seen_at,"
        " member_count, outlet_count FROM stories WHERE story_id = ?",
        (story_id,),
    )
    if story is None:
        raise OperatorError(f"no story with id {story_id} (see `ingestd stories list`)")
    members = store.query(
        "SELECT article_id, outlet, outlet_domain, url, title, member_role, similarity,"
        " derived_from, evidence, credits, published_at, first_seen_at FROM story_members"
        " WHERE story_id = ? ORDER BY first_seen_at, article_id",
        (story_id,),
    )
    return StoryDetail(
        story_id=int(story["story_id"]),
        title=story["title"],
        canonical_url=story["canonical_url"],
        origin_outlet=story["origin_outlet"],
        origin_domain=story["origin_domain"],
        origin_article_id=story["origin_article_id"],
        origin_attributed=bool(story["origin_attributed"]),
        origin_reason=story["origin_reason"],
        origin_evidence=py_json(story["origin_evidence"]),
        first_seen_at=py_time(story["first_seen_at"]),
        last_seen_at=py_time(story["last_seen_at"]),
        member_count=int(story["member_count"]),
        outlet_count=int(story["outlet_count"]),
        members=tuple(_member(row) for row in members),
    )


def _member(row: Any) -> ChainMember:
    return ChainMember(
        article_id=int(row["article_id"]),
        outlet=row["outlet"],
        outlet_domain=row["outlet_domain"],
        url=row["url"],
        title=row["title"],
        role=row["member_role"],
        similarity=float(row["similarity"]),
        derived_from=row["derived_from"],
        evidence=py_json(row["evidence"]),
        credits=py_json(row["credits"]),
        published_at=py_time(row["published_at"]),
        first_seen_at=py_time(row["first_seen_at"]),
    )


def story_ids_since(store: Store, since: datetime) -> Sequence[int]:
    """Ids of stories with a member first seen at or after ``since``, ascending."""
    rows = store.query(
        "SELECT DISTINCT story_id FROM articles WHERE first_seen_at >= ? ORDER BY story_id",
        (db_time(since),),
    )
    return [int(row["story_id"]) for row in rows]
