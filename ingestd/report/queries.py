"""Reads what the report needs from the store.

Everything comes from the public read views (outlets, feeds, stories,
story_members, articles) except the verified comparisons, which no view
holds: those come from :meth:`ingestd.store.Store.edges_touching`. No
figure is computed here.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ingestd.report.rows import (
    ArticleRef,
    FeedIn,
    MemberIn,
    OutletIn,
    ReportInput,
    StoryIn,
)
from ingestd.store import Store
from ingestd.store.records import EdgeRecord
from ingestd.store.values import db_time, py_json, py_time

# Stories with at least one article first seen in the window; `{since}` is
# either a condition with one parameter or always true.
_WINDOW_STORIES = "SELECT story_id FROM articles WHERE {since}"


def _since_clause(column: str, since: datetime | None) -> tuple[str, list[Any]]:
    if since is None:
        return "1 = 1", []
    return f"{column} >= ?", [db_time(since)]


def read_report_input(store: Store, now: datetime, since: datetime | None) -> ReportInput:
    """Read outlets, feeds, the window's stories with all their members, and edges."""
    where, params = _since_clause("first_seen_at", since)
    window = _WINDOW_STORIES.format(since=where)
    outlets = tuple(
        OutletIn(r["name"], r["domain"], r["role"])
        for r in store.query("SELECT name, domain, role FROM outlets ORDER BY outlet_id")
    )
    stories = tuple(
        _story(r)
        for r in store.query(
            "SELECT story_id, title, canonical_url, origin_outlet, origin_domain,"
            " origin_article_id, origin_attributed, origin_reason, origin_evidence"
            f" FROM stories WHERE story_id IN ({window}) ORDER BY story_id",
            params,
        )
    )
    members = tuple(
        _member(r)
        for r in store.query(
            "SELECT story_id, article_id, outlet, url, title, member_role, similarity,"
            " derived_from, derived_from_outlet, published_at, first_seen_at, evidence, credits,"
            f" language FROM story_members WHERE story_id IN ({window})"
            " ORDER BY story_id, article_id",
            params,
        )
    )
    feeds = tuple(
        _feed(r)
        for r in store.query(
            "SELECT url, outlet, last_error, last_error_kind, last_error_at, error_count,"
            " last_success_at, last_polled_at, entry_count, pending_count, article_count"
            " FROM feeds WHERE active = 1 ORDER BY outlet, url"
        )
    )
    edges, articles = _edges(store, since)
    return ReportInput(
        now=now,
        since=since,
        outlets=outlets,
        stories=stories,
        members=members,
        feeds=feeds,
        edges=edges,
        articles=articles,
    )


def _edges(
    store: Store, since: datetime | None
) -> tuple[tuple[EdgeRecord, ...], tuple[ArticleRef, ...]]:
    """Comparisons touching an article of the window, and both sides' names."""
    edges = tuple(store.edges_touching(since))
    ids = sorted({e.article_a for e in edges} | {e.article_b for e in edges})
    return edges, tuple(_article_refs(store, ids))


def _article_refs(store: Store, ids: Sequence[int]) -> list[ArticleRef]:
    refs: list[ArticleRef] = []
    # Chunked: SQLite allows a limited number of parameters per statement.
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for r in store.query(
            "SELECT article_id, story_id, outlet, url, title, first_seen_at FROM articles"
            f" WHERE article_id IN ({marks}) ORDER BY article_id",
            chunk,
        ):
            refs.append(
                ArticleRef(
                    int(r["article_id"]),
                    int(r["story_id"]),
                    r["outlet"],
                    r["url"],
                    r["title"],
                    _time(r["first_seen_at"]),
                )
            )
    return refs


def _time(value: Any) -> datetime:
    parsed = py_time(value)
    if parsed is None:
        raise ValueError("a required time column is NULL")
    return parsed


def _story(r: Any) -> StoryIn:
    return StoryIn(
        story_id=int(r["story_id"]),
        title=r["title"],
        canonical_url=r["canonical_url"],
        origin_outlet=r["origin_outlet"],
        origin_domain=r["origin_domain"],
        origin_article_id=r["origin_article_id"],
        origin_attributed=bool(r["origin_attributed"]),
        origin_reason=r["origin_reason"],
        origin_evidence=list(py_json(r["origin_evidence"]) or []),
    )


def _member(r: Any) -> MemberIn:
    evidence = py_json(r["evidence"])
    return MemberIn(
        story_id=int(r["story_id"]),
        article_id=int(r["article_id"]),
        outlet=r["outlet"],
        url=r["url"],
        title=r["title"],
        role=r["member_role"],
        similarity=float(r["similarity"]),
        derived_from=r["derived_from"],
        derived_from_outlet=r["derived_from_outlet"],
        published_at=py_time(r["published_at"]),
        first_seen_at=_time(r["first_seen_at"]),
        evidence=evidence if isinstance(evidence, dict) else {},
        credits=list(py_json(r["credits"]) or []),
        language=r["language"],
    )


def _feed(r: Any) -> FeedIn:
    return FeedIn(
        url=r["url"],
        outlet=r["outlet"],
        last_error=r["last_error"],
        last_error_kind=r["last_error_kind"],
        last_error_at=py_time(r["last_error_at"]),
        error_count=int(r["error_count"]),
        last_success_at=py_time(r["last_success_at"]),
        last_polled_at=py_time(r["last_polled_at"]),
        entry_count=int(r["entry_count"]),
        pending_count=int(r["pending_count"]),
        article_count=int(r["article_count"]),
    )
