"""The store's stories: their members, the comparisons among them, their origin.

Part of :class:`~ingestd.store.Store` (see :class:`ingestd.store.protocol.Stories`):
what the attribution step reads of a story (its members with their outlet
facts, the linked comparisons between them) and writes back (the origin,
each member's role) in ``store_stories`` and ``store_articles``. Every
write joins an open transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from ingestd.store.base import StoreBase
from ingestd.store.records import EdgeRecord, MemberRow
from ingestd.store.rows import _role
from ingestd.store.values import db_json, db_time, py_json, py_time


class StoriesSql(StoreBase):
    """Stories: members, the comparisons among them, and the origin update."""

    # -- stories -----------------------------------------------------------

    def story_members(self, story_id: int) -> list[MemberRow]:
        """Members of a story with their outlet facts."""
        return [_member(r) for r in self._driver.execute(_STORY_MEMBERS, (story_id,))]

    def edges_among(self, article_ids: Sequence[int]) -> list[EdgeRecord]:
        """Recorded comparisons between the given articles."""
        if len(article_ids) < 2:
            return []
        marks = ",".join("?" * len(article_ids))
        rows = self._driver.execute(
            f"SELECT * FROM store_match_edges WHERE linked = 1 AND article_a IN ({marks})"
            f" AND article_b IN ({marks})",
            (*article_ids, *article_ids),
        )
        return [_edge(r) for r in rows]

    def update_story(
        self,
        story_id: int,
        *,
        origin_article_id: int | None,
        origin_outlet: str,
        origin_domain: str | None,
        attributed: bool,
        reason: str,
        evidence: list[dict[str, Any]],
        canonical_url: str,
        title: str | None,
        members: Sequence[tuple[int, str, int | None, float, dict[str, Any]]],
        now: datetime,
    ) -> None:
        """Write a story's origin and each member's (role, derived_from, similarity, evidence)."""
        with self.transaction():
            self._driver.defer(
                "UPDATE store_stories SET origin_article_id = ?, origin_outlet = ?,"
                " origin_domain = ?, origin_attributed = ?, origin_reason = ?, origin_evidence = ?,"
                " canonical_url = ?, title = ?, updated_at = ? WHERE id = ?",
                [
                    (
                        origin_article_id,
                        origin_outlet,
                        origin_domain,
                        attributed,
                        reason,
                        db_json(evidence),
                        canonical_url,
                        title,
                        db_time(now),
                        story_id,
                    )
                ],
            )
            self._driver.defer(
                "UPDATE store_articles SET member_role = ?, derived_from = ?, similarity = ?,"
                " evidence = ? WHERE id = ? AND story_id = ?",
                [
                    (
                        role,
                        derived,
                        similarity,
                        db_json(ev),
                        article_id,
                        story_id,
                    )
                    for article_id, role, derived, similarity, ev in members
                ],
            )


_STORY_MEMBERS = (
    "SELECT a.id, a.url, a.published_at, a.first_seen_at, a.word_count,"
    " a.canonical_url, a.title, a.credits, o.name, o.domain, o.role"
    " FROM store_articles a JOIN store_outlets o ON o.id = a.outlet_id WHERE a.story_id = ?"
    " ORDER BY a.id"
)


def _member(r: Any) -> MemberRow:
    return MemberRow(
        article_id=r["id"],
        url=r["url"],
        outlet_name=r["name"],
        outlet_domain=r["domain"],
        outlet_role=_role(r["role"]),
        published_at=py_time(r["published_at"]),
        first_seen_at=py_time(r["first_seen_at"]) or datetime.now(UTC),
        word_count=r["word_count"],
        canonical_url=r["canonical_url"],
        title=r["title"],
        credits=py_json(r["credits"]),
    )


def _edge(r: Any) -> EdgeRecord:
    return EdgeRecord(
        r["article_a"],
        r["article_b"],
        r["shared"],
        r["size_a"],
        r["size_b"],
        r["jaccard"],
        r["rule"],
        bool(r["linked"]),
    )
