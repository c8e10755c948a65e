"""Frozen records passed between pipeline stages.

Every stage boundary hands one of these to the next stage; no stage passes a
library's own objects (a feedparser dict, an httpx response) onwards. Every
datetime is timezone-aware UTC.

    FeedConfig ─fetch─▶ FetchResult ─parse─▶ FeedEntry ─fetch─▶ FetchResult
        ─extract─▶ ExtractedArticle ─fingerprint/match─▶ MatchDecision ─▶ store
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ingestd.match.features import PreparedText


class OutletRole(enum.StrEnum):
    """What an outlet usually does with the stories it carries.

    The role is evidence for origin choice: a wire agency's text is the
    source of the copies that other outlets print, an aggregator reposts.
    """

    ORIGINAL = "original"
    WIRE = "wire"
    AGGREGATOR = "aggregator"


class MemberRole(enum.StrEnum):
    """An article's place in its story."""

    ORIGIN = "origin"
    COPY = "copy"


@dataclass(frozen=True, slots=True)
class FetchResult:
    """One HTTP response as the fetcher saw it after redirects.

    ``body`` is the decoded (decompressed) payload, already capped in size.
    ``not_modified`` is true for a 304 answer to a conditional GET; then
    ``body`` is empty.
    """

    requested_url: str
    url: str
    status: int
    body: bytes
    content_type: str
    etag: str | None
    last_modified: str | None
    elapsed_ms: float
    headers: dict[str, str] = field(default_factory=dict)
    permanent_redirect: bool = False

    @property
    def not_modified(self) -> bool:
        """Whether the server answered 304 Not Modified."""
        return self.status == 304


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One item of a parsed feed.

    ``url`` is normalised (tracking parameters and fragment dropped);
    ``raw_url`` is the link as the feed gave it. ``guid`` falls back to the
    raw link when the feed gives none, so it is never empty.
    """

    url: str
    raw_url: str
    guid: str
    title: str | None
    published_at: datetime | None
    updated_at: datetime | None
    summary: str | None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """A feed document reduced to what ingestd uses.

    ``ttl_minutes`` is the feed's own minimum polling interval when it gives
    one: RSS ``<ttl>`` or the syndication module's ``sy:updatePeriod`` /
    ``sy:updateFrequency`` (the longer of the two when both are present).
    """

    title: str | None
    link: str | None
    entries: tuple[FeedEntry, ...]
    ttl_minutes: int | None = None


@dataclass(frozen=True, slots=True)
class ExtractedArticle:
    """Clean text and metadata extracted from one article page.

    ``text`` holds one paragraph per line, as the extractor produced it,
    before any matching normalisation.
    """

    url: str
    text: str
    title: str | None
    author: str | None
    published_at: datetime | None
    site_name: str | None
    language: str | None
    canonical_url: str | None
    description: str | None = None
    # The text's paragraphs normalised, shingled and keyed by the extraction
    # worker (see ingestd.match.features.prepare_text), so the main process
    # does not redo it; None when the text was not prepared there.
    prepared: PreparedText | None = None
