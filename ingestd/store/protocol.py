"""The store's interface, split by aggregate (as lemon24/reader's ``StorageType``).

:class:`~ingestd.store.Store` is the one implementation (SQLite and
PostgreSQL alike); code outside ``ingestd/store/`` should depend on the
narrowest of these Protocols it needs, so what it reads and writes is
documented here rather than in SQL against the ``store_*`` tables:

* :class:`FeedsAndEntries` -- outlets, feeds, their poll results and
  schedule state, moved feeds, the operator's outlets and feeds, and the
  entries waiting for their page;
* :class:`ArticlesAndIndex` -- stored articles, their versions and match
  edges, the candidate index held beside them (migration 0006), and
  retention (``ingestd prune``);
* :class:`Stories` -- stories, their members and source chains;
* :class:`Reads` -- the read-side queries of reports, export, ``ingestd
  serve`` and the backtest that the public views cannot answer, or not
  cheaply (verified comparisons, title search, index walks);
* :class:`HostGates` -- fleet-wide politeness: per-host turns, pauses and
  concurrency slots, and shared robots.txt decisions (migration 0010);
* :class:`Leases` -- the workers sharing the store and the leases they
  hold on feeds and pending entries (migration 0009,
  :mod:`ingestd.store.leases`).

:class:`MatchStore` is what the match step (:class:`ingestd.match.linker.Linker`)
uses: articles and index, stories, the outlet directory and the matching
lock. Every method is covered by ``tests/contract`` on both dialects.

Nothing outside ``ingestd/store/`` names a ``store_*`` table or writes
through ``Store.execute``/``Store.insert``
(``tests/unit/test_store_boundary.py``): it calls these methods, or reads
the documented public views (``stories``, ``story_members``, ``articles``,
``outlets``, ``feeds``; storage/README.md) through ``Store.query``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from ingestd.store.records import (
    EdgeRecord,
    FeedClaim,
    FeedRow,
    IndexCandidate,
    IndexEntry,
    MatchContext,
    MemberRow,
    MovedFeed,
    NewArticle,
    OutletRow,
    PendingEntry,
    PrunePlan,
    StoredText,
    StoryHead,
    WorkerCounters,
    WorkerInfo,
    WorkerRow,
)
from ingestd.types import FeedEntry, HostTurn, RobotsRecord, RobotsState


@runtime_checkable
class Transactions(Protocol):
    """Write transactions and the per-store matching lock (invariant 4)."""

    def transaction(self) -> AbstractContextManager[None]:
        """One write transaction; nested calls join the outer one."""
        ...

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction is open on this connection."""
        ...

    def on_commit(self, effect: Callable[[], None]) -> None:
        """Run ``effect`` once the open transaction commits (dropped on rollback)."""
        ...

    def match_lock(self) -> AbstractContextManager[None]:
        """A transaction holding the store's matching lock, across processes."""
        ...


@runtime_checkable
class FeedsAndEntries(Protocol):
    """Outlets, feeds and their entries."""

    def sync_outlets(self, outlets: Sequence[dict[str, Any]], now: datetime) -> None:
        """Make stored outlets and feeds match the configuration."""
        ...

    def outlets(self) -> list[OutletRow]:
        """All outlets."""
        ...

    def active_feeds(self) -> list[FeedRow]:
        """Feeds to poll."""
        ...

    def record_feed_entries(
        self,
        feed: FeedRow,
        entries: Iterable[FeedEntry],
        *,
        etag: str | None,
        last_modified: str | None,
        content_hash: str | None,
        now: datetime,
    ) -> int:
        """A successful poll: new entries as pending and the validators, atomically."""
        ...

    def record_feed_unchanged(self, feed: FeedRow, now: datetime) -> None:
        """A poll that found nothing new."""
        ...

    def record_feed_error(self, feed: FeedRow, kind: str, message: str, now: datetime) -> None:
        """A failed poll."""
        ...

    def pending_entries(
        self,
        limit: int = 10_000,
        *,
        per_feed: int | None = None,
        ready_at: datetime | None = None,
        exclude: Collection[int] = (),
        unleased_at: datetime | None = None,
    ) -> list[PendingEntry]:
        """Entries still to fetch, in turns across feeds, newest first in each.

        ``unleased_at``: leave out entries another worker's lease holds then.
        """
        ...

    def pending_count(self) -> int:
        """How many entries wait for their page."""
        ...

    def delay_entry(self, entry_id: int, at: datetime) -> None:
        """Keep a failed entry pending but untouched until ``at``."""
        ...

    def entry_states(self, urls: Sequence[str]) -> dict[str, str]:
        """The state of the entries with these URLs."""
        ...

    def entry_failed(self, entry_id: int, error: str, *, give_up: bool) -> None:
        """Count a failed attempt."""
        ...

    def entry_done(self, entry_id: int, article_id: int) -> None:
        """Link an entry to its article."""
        ...

    def import_feed(self, outlet_id: int, domain: str, now: datetime) -> int:
        """The outlet's never-polled import feed (``ingestd import``)."""
        ...

    def import_entry(
        self,
        feed_id: int,
        outlet_id: int,
        *,
        guid: str,
        url: str,
        title: str | None,
        published_at: datetime | None,
        now: datetime,
    ) -> PendingEntry:
        """An imported item's entry."""
        ...

    # -- schedule state --

    def due_times(self) -> dict[int, datetime | None]:
        """Every active feed's due time (None: due now)."""
        ...

    def feed_to_poll(self, feed_id: int) -> FeedRow | None:
        """The feed with its validators, if it is still active."""
        ...

    def feed_history(self, feed_id: int, limit: int) -> tuple[tuple[datetime, ...], int]:
        """The feed's latest entry times and its consecutive failed polls."""
        ...

    def feed_ttl(self, feed_id: int) -> int | None:
        """The RSS ttl (minutes) of the feed's last full answer."""
        ...

    def schedule_feed(
        self,
        feed_id: int,
        at: datetime,
        interval: float,
        reason: str,
        *,
        ttl_minutes: int | None = None,
        update_ttl: bool = False,
    ) -> None:
        """Save the feed's next due time (and, with ``update_ttl``, its ttl)."""
        ...

    # -- moves and the operator's edits --

    def move_feed(self, feed_id: int, new_url: str, now: datetime) -> MovedFeed:
        """Point a feed at the target of its permanent redirect (or merge it)."""
        ...

    def add_outlet(
        self,
        name: str,
        domain: str,
        now: datetime,
        *,
        role: str | None = None,
        aliases: Sequence[str] = (),
    ) -> int:
        """Store a new outlet."""
        ...

    def add_feed(self, outlet_id: int, url: str, now: datetime) -> int:
        """Store a feed added by the operator."""
        ...

    def reactivate_feed(self, feed_id: int, outlet_id: int) -> None:
        """Switch a removed feed on again, for the operator."""
        ...

    def deactivate_feed(self, feed_id: int) -> None:
        """Stop polling a feed (its entries stay)."""
        ...


@runtime_checkable
class ArticlesAndIndex(Protocol):
    """Articles, their versions and edges, and the candidate index beside them."""

    def article_id_for(self, url: str, outlet_id: int, guid: str | None) -> int | None:
        """The article stored under this URL, or this GUID at this outlet."""
        ...

    def paragraph_counts(self, outlet_id: int, keys: Sequence[int]) -> dict[int, int]:
        """The outlet's boilerplate statistics for these paragraph keys."""
        ...

    def match_context(
        self, url: str, outlet_id: int, guid: str | None, keys: Sequence[int], *, look_up: bool
    ) -> MatchContext:
        """The stored article of a URL/GUID, paragraph counts and index clock (one batch)."""
        ...

    def insert_article(self, article: NewArticle, story_id: int | None, now: datetime) -> int:
        """Store a new article (and its index rows) in a story."""
        ...

    def file_article(
        self, article: NewArticle, now: datetime, *, with_article: int | None
    ) -> tuple[int, int]:
        """Store a new article in another's story (or a new one): (article id, story id)."""
        ...

    def update_article(self, article_id: int, article: NewArticle, now: datetime) -> bool:
        """Store a new version of an article (its index rows replaced)."""
        ...

    def add_edges(self, edges: Iterable[EdgeRecord], now: datetime) -> None:
        """Record verified comparisons."""
        ...

    def story_of(self, article_id: int) -> int:
        """The story an article belongs to."""
        ...

    def index_candidates(
        self, keys: Sequence[int], text_hash: int, params: int, since: datetime
    ) -> list[IndexCandidate]:
        """Indexed articles since ``since`` sharing a key or the text hash (one query)."""
        ...

    def index_features(self, article_ids: Sequence[int]) -> dict[int, tuple[bytes, int]]:
        """Stored verification features of indexed articles."""
        ...

    def index_high_water(self) -> datetime | None:
        """The newest first-seen time in the index."""
        ...

    def index_size(self) -> int:
        """Articles in the index."""
        ...

    def trim_index(self, before: datetime, limit: int) -> int:
        """Drop up to ``limit`` articles first seen before ``before`` from the index."""
        ...

    def unindex_pruned(self, limit: int) -> int:
        """Drop pruned articles from the index."""
        ...

    def index_backlog(self, limit: int) -> list[StoredText]:
        """Articles stored before the index existed, still to index."""
        ...

    def index_from_backlog(self, entries: Sequence[tuple[int, IndexEntry | None]]) -> None:
        """Index backlog articles and take them off the backlog."""
        ...

    # -- retention --

    def plan_prune(self, cutoff: datetime) -> PrunePlan:
        """What a prune at ``cutoff`` would drop."""
        ...

    def prune_articles(self, cutoff: datetime, after_id: int, limit: int) -> list[int]:
        """Drop one batch of old articles' text and signature; their ids."""
        ...

    def prune_versions(self, cutoff: datetime, after_id: int, limit: int) -> list[int]:
        """Empty one batch of old article versions' text; their ids."""
        ...


@runtime_checkable
class Stories(Protocol):
    """Stories, their members and source chains."""

    def story_members(self, story_id: int) -> list[MemberRow]:
        """Members of a story with their outlet facts."""
        ...

    def edges_among(self, article_ids: Sequence[int]) -> list[EdgeRecord]:
        """Recorded linked comparisons between the given articles."""
        ...

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
        """Write a story's origin and its members' chain."""
        ...

    def export_rows(self) -> Iterator[dict[str, Any]]:
        """Stories with their members, in story id order."""
        ...


@runtime_checkable
class HostGates(Protocol):
    """Per-host politeness shared by every process on the store.

    Each call is one statement, atomic by itself; times are the store's
    clock in epoch seconds (see :mod:`ingestd.store.hosts`).
    """

    def take_host_turn(self, host: str, spacing: float, max_wait: float) -> HostTurn:
        """Reserve the next start for a request to ``host``."""
        ...

    def pause_host(self, host: str, seconds: float) -> None:
        """Pause ``host`` for every worker (Retry-After)."""
        ...

    def host_paused_for(self, host: str) -> float:
        """Seconds left in ``host``'s pause."""
        ...

    def take_host_slot(self, host: str, limit: int, holder: str, hold: float) -> int | None:
        """One of ``host``'s ``limit`` concurrency slots, or None when all are held."""
        ...

    def release_host_slot(self, host: str, slot: int, holder: str) -> None:
        """Give a slot back."""
        ...

    def slot_and_claim_workers(self, machine: str) -> set[str]:
        """Workers of ``machine`` holding unexpired slots or claims."""
        ...

    def free_worker(self, worker: str) -> int:
        """Release a dead worker's slots and claims."""
        ...

    def robots_state(self, url: str) -> RobotsState:
        """A site's shared robots.txt record and claim."""
        ...

    def claim_robots(self, url: str, holder: str, hold: float) -> bool:
        """Claim the fetch of a stale robots.txt; True when claimed."""
        ...

    def save_robots(self, url: str, record: RobotsRecord) -> None:
        """Store a robots.txt decision, ending the claim."""
        ...

    def release_robots(self, url: str, holder: str) -> None:
        """Drop a claim without a decision."""
        ...


@runtime_checkable
class Leases(Protocol):
    """Workers and their leases: who polls which feed, who fetches which entry."""

    def register_worker(self, info: WorkerInfo, counters: WorkerCounters, now: datetime) -> None:
        """Write the worker's row (at start and at every heartbeat)."""
        ...

    def prune_workers(self, heartbeat_before: datetime) -> int:
        """Drop the rows of workers silent since before ``heartbeat_before``."""
        ...

    def renew_leases(self, worker_id: str, expires: datetime) -> tuple[int, int]:
        """Extend every lease the worker still holds; (feeds, entries) renewed."""
        ...

    def retire_worker(self, worker_id: str) -> None:
        """Release everything the worker holds and drop its row."""
        ...

    def workers(self, now: datetime) -> list[WorkerRow]:
        """Every worker row with the unexpired leases it holds."""
        ...

    def claim_feed(
        self,
        feed_id: int,
        worker_id: str,
        now: datetime,
        expires: datetime,
        *,
        due_by: datetime | None,
    ) -> FeedClaim:
        """Lease one feed to poll it, or say why not."""
        ...

    def release_feed(self, feed_id: int, worker_id: str) -> None:
        """Free a polled feed."""
        ...

    def claim_entries(
        self, entry_ids: Sequence[int], worker_id: str, now: datetime, expires: datetime
    ) -> list[int]:
        """Lease the pending entries of ``entry_ids`` nobody else holds."""
        ...

    def release_entries(self, entry_ids: Sequence[int], worker_id: str) -> None:
        """Free entries this worker holds."""
        ...


@runtime_checkable
class Reads(Protocol):
    """Read-side queries the public views cannot answer, or not cheaply."""

    def edges_touching(self, since: datetime | None) -> list[EdgeRecord]:
        """Comparisons with a side first seen since ``since`` (all when None)."""
        ...

    def edge(self, a: int, b: int) -> EdgeRecord | None:
        """The recorded comparison of two articles."""
        ...

    def latest_edges(self, limit: int) -> list[EdgeRecord]:
        """The comparisons of the latest articles."""
        ...

    def story_heads(self, after_id: int, since: datetime | None, limit: int) -> list[StoryHead]:
        """A page of stories (without members) by id."""
        ...

    def article_walk(
        self, since: datetime | None, after: tuple[int, str] | None, limit: int
    ) -> list[tuple[int, str]]:
        """(story_id, first seen) of the next articles down the first-seen index."""
        ...

    def search_story_titles(self, terms: Sequence[str], below: int | None, limit: int) -> list[int]:
        """Stories whose title has every term, newest first."""
        ...

    def recent_languages(self, sample: int, limit: int) -> list[str]:
        """The languages of the latest articles."""
        ...

    def replay_articles(self) -> list[dict[str, Any]]:
        """Every article as the backtest replays it, in first-seen order."""
        ...

    def counts(self) -> dict[str, int]:
        """Row counts of the main tables (and entries by state)."""
        ...


@runtime_checkable
class MatchStore(Transactions, ArticlesAndIndex, Stories, Protocol):
    """What the match step needs of a store."""

    def outlets(self) -> list[OutletRow]:
        """All outlets (the matcher's directory for credits and roles)."""
        ...


if TYPE_CHECKING:
    from ingestd.store.sql import Store

    def _store_implements_every_protocol(store: Store) -> None:
        # mypy checks each signature here: the Protocols cannot drift from Store.
        feeds: FeedsAndEntries = store
        articles: ArticlesAndIndex = store
        stories: Stories = store
        reads: Reads = store
        match: MatchStore = store
        hosts: HostGates = store
        leases: Leases = store
        del feeds, articles, stories, reads, match, hosts, leases
