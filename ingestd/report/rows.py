"""Plain records the report is computed from, as read from the store's views.

:mod:`ingestd.report.queries` fills them; :mod:`ingestd.report.model`
computes every figure from them without touching the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ingestd.store.records import EdgeRecord


@dataclass(frozen=True, slots=True)
class OutletIn:
    """A configured outlet."""

    name: str
    domain: str
    role: str | None


@dataclass(frozen=True, slots=True)
class MemberIn:
    """One article of a story (a row of the ``story_members`` view)."""

    story_id: int
    article_id: int
    outlet: str
    url: str
    title: str | None
    role: str  # "origin" | "copy"
    similarity: float
    derived_from: int | None
    derived_from_outlet: str | None
    published_at: datetime | None
    first_seen_at: datetime
    evidence: dict[str, Any] = field(default_factory=dict)
    credits: list[dict[str, Any]] = field(default_factory=list)
    language: str | None = None

    @property
    def effective_time(self) -> datetime:
        """Publication time when plausible (not after first seen), else first seen.

        The same rule origin choice uses (ingestd.match.origin.MemberFacts).
        """
        if self.published_at is not None and self.published_at <= self.first_seen_at:
            return self.published_at
        return self.first_seen_at


@dataclass(frozen=True, slots=True)
class StoryIn:
    """A story (a row of the ``stories`` view)."""

    story_id: int
    title: str | None
    canonical_url: str
    origin_outlet: str
    origin_domain: str | None
    origin_article_id: int | None
    origin_attributed: bool
    origin_reason: str
    origin_evidence: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class FeedIn:
    """An active feed (a row of the ``feeds`` view)."""

    url: str
    outlet: str
    last_error: str | None
    last_error_kind: str | None
    last_error_at: datetime | None
    error_count: int
    last_success_at: datetime | None
    last_polled_at: datetime | None
    entry_count: int
    pending_count: int
    article_count: int


@dataclass(frozen=True, slots=True)
class ArticleRef:
    """Enough of an article to name it in the report."""

    article_id: int
    story_id: int
    outlet: str
    url: str
    title: str | None
    first_seen_at: datetime


@dataclass(frozen=True, slots=True)
class ReportInput:
    """Everything the report is computed from.

    ``members`` holds every member of every story that has at least one
    article first seen in the window (earlier members included, so chains
    are whole); ``articles`` names both sides of every edge in ``edges``.
    """

    now: datetime
    since: datetime | None
    outlets: tuple[OutletIn, ...]
    stories: tuple[StoryIn, ...]
    members: tuple[MemberIn, ...]
    feeds: tuple[FeedIn, ...]
    edges: tuple[EdgeRecord, ...]  # verified comparisons (store_match_edges)
    articles: tuple[ArticleRef, ...]
