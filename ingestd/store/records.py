"""Records the store hands out and the intents it receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ingestd.types import OutletRole


@dataclass(frozen=True, slots=True)
class OutletRow:
    """A stored outlet."""

    id: int
    name: str
    domain: str
    role: OutletRole | None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FeedRow:
    """A stored feed with its HTTP validators."""

    id: int
    outlet_id: int
    url: str
    etag: str | None
    last_modified: str | None
    content_hash: str | None


@dataclass(frozen=True, slots=True)
class PendingEntry:
    """A feed entry whose page is still to be fetched and stored."""

    id: int
    feed_id: int
    outlet_id: int
    guid: str
    url: str
    raw_url: str
    title: str | None
    published_at: datetime | None
    attempts: int
    # Set when the entry was seen before and changed since: an update of
    # this stored article, which keeps its story.
    article_id: int | None = None


@dataclass(frozen=True, slots=True)
class StoredText:
    """An indexed article as verification needs it."""

    article_id: int
    outlet_id: int
    story_id: int
    text: str
    credits: list[dict[str, Any]]
    first_seen_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """An article's row in the store-held candidate index (written with the article).

    ``keys`` are the band and lead-sentence keys as little-endian int64
    bytes (``key_list`` the same as ints), so the store can delete them
    again without knowing how they were made; ``features`` is the compact
    verification blob of :func:`ingestd.match.index.encode_features`.
    ``first_seen_at`` is the window's clock.
    """

    first_seen_at: datetime
    params: int
    size: int
    text_hash: int
    signature: bytes
    keys: bytes
    key_list: tuple[int, ...]
    features: bytes


@dataclass(frozen=True, slots=True)
class IndexCandidate:
    """One row of an index look-up: a stored article sharing ``key`` with the probe.

    ``key`` is None for an exact-text twin (found by its text hash).
    """

    key: int | None
    article_id: int
    size: int
    signature: bytes


@dataclass(frozen=True, slots=True)
class NewArticle:
    """Everything needed to store one article (intent record)."""

    entry_id: int
    outlet_id: int
    url: str
    guid: str | None
    title: str | None
    author: str | None
    published_at: datetime | None
    first_seen_at: datetime
    site_name: str | None
    language: str | None
    canonical_url: str | None
    description: str | None
    text: str
    word_count: int
    content_hash: str
    credits: list[dict[str, Any]]
    signature: bytes
    signature_params: str
    paragraph_keys: tuple[int, ...]
    # The article's candidate-index row; None stores the article unindexed
    # (never matched against).
    index: IndexEntry | None = None


@dataclass(frozen=True, slots=True)
class EdgeRecord:
    """A verified comparison between two articles."""

    article_a: int
    article_b: int
    shared: int
    size_a: int
    size_b: int
    jaccard: float
    rule: str
    linked: bool


@dataclass(frozen=True, slots=True)
class MemberRow:
    """A story member as origin choice needs it."""

    article_id: int
    url: str
    outlet_name: str
    outlet_domain: str
    outlet_role: OutletRole | None
    published_at: datetime | None
    first_seen_at: datetime
    word_count: int
    canonical_url: str | None
    title: str | None
    credits: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class WorkerInfo:
    """A worker as it records itself in ``store_workers`` (migration 0009).

    ``id`` names the worker in every lease it holds (``host:pid:random``);
    ``kind`` is ``run`` (a daemon) or ``poll`` (a one-off ``poll --once``).
    """

    id: str
    host: str
    pid: int
    kind: str
    config_owner: str
    lease_seconds: float
    started_at: datetime


@dataclass(frozen=True, slots=True)
class WorkerCounters:
    """What a worker has done since it started, written with each heartbeat."""

    feeds_polled: int = 0
    pages_fetched: int = 0
    pages_per_s: float = 0.0


@dataclass(frozen=True, slots=True)
class WorkerRow:
    """A worker as ``ingestd workers`` shows it: its row and the leases it holds now."""

    info: WorkerInfo
    heartbeat_at: datetime
    counters: WorkerCounters
    feeds_held: int
    entries_held: int


@dataclass(frozen=True, slots=True)
class FeedClaim:
    """The answer to a claim on one feed.

    ``result``: ``claimed`` (``feed`` is set: poll it, then release it),
    ``held`` (another worker has it until ``until``), ``not_due`` (polled
    already for this due time; next due at ``until``) or ``gone`` (removed
    or inactive).
    """

    result: str
    feed: FeedRow | None = None
    until: datetime | None = None


@dataclass(frozen=True, slots=True)
class MatchContext:
    """What the match step reads of the store before deciding, in one round trip.

    ``existing``: the article already stored under the entry's URL (or its
    GUID at its outlet), if any; ``counts``: in how many of the outlet's
    articles each of the new text's paragraphs appears (boilerplate);
    ``high_water``: the newest first-seen time in the candidate index.
    """

    existing: int | None
    counts: dict[int, int]
    high_water: datetime | None


@dataclass(frozen=True, slots=True)
class MovedFeed:
    """What the store did when a feed's URL moved (:meth:`Store.move_feed`).

    ``outcome``: ``moved`` (the feed took the new URL), ``merged`` (another
    feed already had it: that one, ``feed_id``, is kept and active, the
    moved one deactivated) or ``unchanged`` (the feed already had it).
    ``old_url`` and ``added_by`` are the moved feed's before the move.
    """

    outcome: str
    feed_id: int
    old_url: str
    added_by: str


@dataclass(frozen=True, slots=True)
class PrunePlan:
    """What a prune at ``cutoff`` removes (or removed)."""

    cutoff: datetime
    articles: int
    text_bytes: int
    signature_bytes: int
    versions: int
    version_bytes: int

    @property
    def total_bytes(self) -> int:
        """Bytes of text and signatures dropped, all told."""
        return self.text_bytes + self.signature_bytes + self.version_bytes


@dataclass(frozen=True, slots=True)
class StoryHead:
    """A story's own facts without its members (the export pages through these)."""

    story_id: int
    canonical_url: str
    title: str | None
    origin_outlet: str
    origin_article_id: int | None
    origin_attributed: bool
    origin_reason: str
    origin_evidence: Any
