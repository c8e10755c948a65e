"""Polling and ingestion: feeds → entries → pages → extraction → matching → store.

    poll_feed(feed):     fetch(feed) | parse | store entries as pending (+ validators)
    ingest_entry(entry): fetch(page) | extract (worker process) | link (serialised)
    poll_once():         poll_feed for every active feed, then ingest_entry for every pending

``ingest poll --once`` runs :meth:`Ingestor.poll_once`; the daemon
(:mod:`ingestd.service`) calls :meth:`Ingestor.poll_feed` when a feed is due
and :meth:`Ingestor.ingest_entry` as pending entries appear.

The pipeline calls its dependencies in order and decides nothing itself:
matching decisions live in :mod:`ingestd.match`, HTTP policy in
:mod:`ingestd.fetch`, scheduling in :mod:`ingestd.schedule` (reached through
:class:`PipelineHooks`). Every failure of one feed or page is logged,
counted and left for later; it never stops the others.

Store access goes through a :class:`StoreAccess`: inline on the event loop
for one-shot commands, or a dedicated writer thread in the daemon, so the
loop never blocks on the database. Either way the calls run one at a time,
which also serialises the match step (invariant 4).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol, TypeVar, cast

from ingestd.errors import (
    ExtractionError,
    FeedParseError,
    FetchError,
    RobotsDisallowedError,
    StoreUnavailableError,
)
from ingestd.extract.pool import ExtractionPool
from ingestd.feeds.state import follow_permanent_redirect
from ingestd.fetch.client import Fetcher
from ingestd.fingerprint.params import DEFAULT_PARAMS
from ingestd.match.linker import TRIM_BATCH, Linker, LinkResult, utcnow
from ingestd.match.thresholds import DEFAULT_THRESHOLDS
from ingestd.settings import Settings
from ingestd.store import Store
from ingestd.store.records import FeedRow, PendingEntry

if TYPE_CHECKING:
    from ingestd.lease.keeper import LeaseKeeper

log = logging.getLogger(__name__)

T = TypeVar("T")

# A page that failed this many times is given up (kept as 'failed' with
# its last error, visible to the operator), so a dead link does not cost a
# fetch every cycle for ever.
MAX_PAGE_ATTEMPTS = 5
# The error kind of a failure nobody foresaw while handling one feed or one
# entry (a bug, a constraint one odd item breaks): logged with its
# traceback, counted, retried with backoff, and never fatal (invariant 6).
INTERNAL_ERROR = "internal"


def _log_unexpected(error: Exception, item: str, extra: dict[str, str]) -> None:
    """Log an unexpected error of one feed or entry once, with its traceback.

    Errors of the process itself (the store unusable, memory exhausted) do
    not belong to the item: they are raised again, to stop the process for
    its supervisor to restart it.
    """
    if isinstance(error, StoreUnavailableError | MemoryError):
        raise error
    log.error(
        "%s failed unexpectedly: %r",
        item,
        error,
        exc_info=error,
        extra={**extra, "kind": INTERNAL_ERROR},
    )


class StoreAccess(Protocol):
    """Runs store work where the store lives (one call at a time)."""

    async def call(self, fn: Callable[[Store], T], *, batch: bool = False) -> T:
        """Run ``fn(store)`` and return its result.

        ``batch``: ``fn`` only touches the store, so it may share a
        transaction with other such calls (group commit).
        """
        ...


class InlineStore:
    """Store calls made directly on the caller's thread (one-shot commands).

    A call runs at once, but for ``batch`` calls, which wait for the event
    loop's next turn: those queued in one turn (pages extracted while the
    previous article was being matched, polls answered together) share one
    transaction, up to ``max_batch``, as the daemon's writer thread groups
    them. An article's commit writes its ~80 dirty pages to the WAL; a
    group writes the pages its articles share once. If a grouped call
    raises, the group is rolled back and each call replayed alone, so only
    the faulty one fails. ``transactions``: groups and lone calls run.
    """

    def __init__(self, store: Store, *, max_batch: int = 32):
        self.store = store
        self.max_batch = max_batch
        self.transactions = 0
        self._queued: list[tuple[Callable[[Store], object], asyncio.Future[object]]] = []

    async def call(self, fn: Callable[[Store], T], *, batch: bool = False) -> T:
        """Run ``fn(store)`` (a ``batch`` call with its turn's others) and return its result."""
        if not batch:
            self._run_queued()  # calls keep their order
            return fn(self.store)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[object] = loop.create_future()
        if not self._queued:
            loop.call_soon(self._run_queued)
        self._queued.append((fn, future))
        return cast(T, await future)

    def _run_queued(self) -> None:
        while self._queued:
            group, self._queued = self._queued[: self.max_batch], self._queued[self.max_batch :]
            live = [(fn, future) for fn, future in group if not future.done()]
            if len(live) > 1:
                self.transactions += 1
                try:
                    with self.store.transaction():
                        results = [fn(self.store) for fn, _ in live]
                except Exception:
                    pass  # rolled back as a whole: each call is replayed alone
                else:
                    for (_, future), result in zip(live, results, strict=True):
                        future.set_result(result)
                    continue
            for fn, future in live:
                self.transactions += 1
                try:
                    future.set_result(fn(self.store))
                except Exception as error:
                    future.set_exception(error)


@dataclass(frozen=True, slots=True)
class PollOutcome:
    """What one poll of one feed did.

    ``result``: ``new`` (a full answer was parsed and saved), ``unchanged``
    (304, or a body identical to the last one) or ``error``. ``headers``:
    the final answer's headers (lower-cased), empty on error.
    ``ttl_minutes``: the RSS ttl when a body was parsed. ``next_poll_at``:
    set by the hooks when the daemon schedules the feed.
    """

    feed_id: int
    url: str
    result: str
    status: int | None = None
    entries: int = 0
    new_entries: int = 0
    error_kind: str | None = None
    retry_after: float | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    parsed: bool = False
    ttl_minutes: int | None = None
    next_poll_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class EntryOutcome:
    """What one pending entry became.

    ``result``: ``stored`` (a new article), ``updated``, ``known`` (already
    stored, nothing fetched or changed) or ``failed``. ``copy``: the new
    article joined an existing story (a syndicated duplicate).
    """

    entry_id: int
    result: str
    copy: bool = False
    error_kind: str | None = None
    extract_seconds: float | None = None
    link: LinkResult | None = None


class PipelineHooks:
    """Extension points run inside the pipeline's store transactions.

    The default does nothing (``poll --once``); the daemon's hooks save the
    next due time with the poll it follows, atomically.
    """

    def feed_polled(
        self, store: Store, feed: FeedRow, outcome: PollOutcome, now: datetime
    ) -> PollOutcome:
        """Called in the transaction that saved a poll; may return an amended outcome."""
        return outcome

    def entry_failed(
        self,
        store: Store,
        entry: PendingEntry,
        give_up: bool,
        now: datetime,
        retry_after: float | None = None,
    ) -> None:
        """Called in the transaction that counted a failed page.

        ``retry_after``: the server's Retry-After hint in seconds, if the
        failure carried one.
        """


@dataclass
class CycleStats:
    """What one polling cycle did."""

    feeds_polled: int = 0
    feeds_unchanged: int = 0
    feeds_failed: int = 0
    entries_new: int = 0
    pages_failed: int = 0
    entries_waiting: int = 0
    articles_stored: int = 0
    articles_known: int = 0
    articles_updated: int = 0
    copies_linked: int = 0
    errors: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        data = {k: v for k, v in self.__dict__.items() if k != "errors"}
        data["errors"] = dict(self.errors)
        return data

    def add_poll(self, outcome: PollOutcome) -> None:
        """Count one feed poll."""
        self.feeds_polled += 1
        if outcome.result == "unchanged":
            self.feeds_unchanged += 1
        elif outcome.result == "error":
            self.feeds_failed += 1
            self.errors[f"feed_{outcome.error_kind}"] += 1
        self.entries_new += outcome.new_entries

    def add_entry(self, outcome: EntryOutcome) -> None:
        """Count one pending entry's ingestion."""
        if outcome.result == "failed":
            self.pages_failed += 1
            self.errors[f"page_{outcome.error_kind}"] += 1
        elif outcome.result == "stored":
            self.articles_stored += 1
            self.copies_linked += outcome.copy
        elif outcome.result == "updated":
            self.articles_updated += 1
        else:
            self.articles_known += 1


def outlet_table(settings: Settings) -> list[dict[str, object]]:
    """The configured outlets in the form the store syncs."""
    return [
        {
            "name": o.name,
            "domain": o.domain,
            "role": o.role.value if o.role else None,
            "aliases": list(o.aliases),
            "feeds": list(o.feeds),
        }
        for o in settings.outlets
    ]


class Ingestor:
    """Polls feeds and ingests pending entries into one store.

    Constructing it syncs the configured outlets into the store (the
    matcher's candidate index is in the store: nothing to warm up), so
    construct it where the store lives (for the daemon: inside its writer
    thread, with ``db`` the writer).
    """

    def __init__(
        self,
        settings: Settings,
        store: Store,
        fetcher: Fetcher,
        pool: ExtractionPool,
        *,
        clock: Callable[[], datetime] = utcnow,
        db: StoreAccess | None = None,
        hooks: PipelineHooks | None = None,
        owner: str = "",
    ):
        self.settings = settings
        self.store = store
        self.fetcher = fetcher
        self.pool = pool
        self.clock = clock
        self.db: StoreAccess = db or InlineStore(store)
        self.hooks = hooks or PipelineHooks()
        self.owner = owner
        store.sync_outlets(outlet_table(settings), clock(), owner=owner)
        self.linker = Linker(
            store,
            params=DEFAULT_PARAMS,
            thresholds=DEFAULT_THRESHOLDS,
            window=timedelta(days=settings.match.dedup_window_days),
            cache_articles=settings.match.cache_articles,
        )

    async def maintain_index(self) -> int:
        """Trim the candidate index to the dedup window, and index any upgrade backlog.

        One store call per batch (each a short transaction), so other store
        work runs in between; returns how many articles left or joined it.
        """
        done = 0
        while True:
            removed = await self.db.call(lambda _store: self.linker.trim(self.clock()))
            done += removed
            if removed < TRIM_BATCH:
                break
        while True:
            indexed = await self.db.call(lambda _store: self.linker.index_backlog(self.clock()))
            if not indexed:
                break
            done += indexed
        return done

    async def poll_once(self, leases: LeaseKeeper | None = None) -> CycleStats:
        """Poll every active feed once, then ingest the pending entries.

        Each feed has at most ``[fetch] max_pages_per_feed`` pages fetched
        per cycle, its newest first, so one feed revealing thousands of
        entries cannot hold the cycle for hours; the rest stay pending for
        the following cycles (``entries_waiting``).

        ``leases``: claim each feed and entry first, so a one-off beside
        running workers skips what they hold (a feed being polled, a page
        being fetched) instead of doing it a second time. Feeds are claimed
        whether due or not: a one-off polls now.
        """
        stats = CycleStats()
        feeds = await self.db.call(lambda store: store.active_feeds())
        if leases is not None:
            claims = [await leases.claim_feed(feed.id, due=False) for feed in feeds]
            feeds = [claim.feed for claim in claims if claim.feed is not None]
        for outcome in await asyncio.gather(*(self._poll_held(feed, leases) for feed in feeds)):
            stats.add_poll(outcome)
        cap = self.settings.fetch.max_pages_per_feed
        now = self.clock()
        pending = await self.db.call(
            lambda store: store.pending_entries(
                limit=len(feeds) * cap + cap,
                per_feed=cap,
                unleased_at=None if leases is None else now,
            )
        )
        if leases is not None:
            pending = await leases.claim_entries(pending)
        for result in await asyncio.gather(*(self._ingest_held(e, leases) for e in pending)):
            stats.add_entry(result)
        # A store kept by `poll --once` from cron is trimmed to the window too.
        await self.maintain_index()
        stats.entries_waiting = await self.db.call(lambda store: store.pending_count())
        return stats

    async def _poll_held(self, feed: FeedRow, leases: LeaseKeeper | None) -> PollOutcome:
        outcome = await self.poll_feed(feed)
        if leases is not None:
            await leases.release_feed(feed.id)
        return outcome

    async def _ingest_held(self, entry: PendingEntry, leases: LeaseKeeper | None) -> EntryOutcome:
        outcome = await self.ingest_entry(entry)
        if leases is not None:
            await leases.release_entry(entry.id, fetched=outcome.result != "known")
        return outcome

    async def poll_feed(self, feed: FeedRow) -> PollOutcome:
        """Fetch one feed and save what it revealed (entries + validators, atomically).

        Never raises for a problem of this feed: fetch and parse errors, and
        any unexpected error, are recorded on the feed and returned as an
        ``error`` outcome. Only errors of the process itself propagate.
        """
        try:
            return await self._poll_feed(feed)
        except Exception as error:  # CancelledError is no Exception: it propagates
            _log_unexpected(error, "feed", {"event": "feed_failed", "feed": feed.url})
            return await self._feed_failed(feed, error)

    async def _poll_feed(self, feed: FeedRow) -> PollOutcome:
        try:
            # The fetcher bounds requests in flight ([fetch] concurrency),
            # taking a slot only once the host's turn has come.
            response = await self.fetcher.fetch(
                feed.url, kind="feed", etag=feed.etag, last_modified=feed.last_modified
            )
            base = PollOutcome(feed.id, feed.url, "unchanged", response.status)
            base = replace(base, headers=dict(response.headers))
            if response.permanent_redirect:  # 301/308 on every hop: the feed moved
                move = await self.db.call(
                    lambda store: follow_permanent_redirect(store, feed.id, response.url)
                )
                if move.outcome == "merged":
                    # Another feed already has the new URL and is polled in its own right.
                    return await self.db.call(
                        lambda store: self._save_unchanged(store, feed, base), batch=True
                    )
            body_hash = "sha256:" + hashlib.sha256(response.body).hexdigest()
            # Validators can lie (or be missing); an identical body is unchanged.
            if response.not_modified or body_hash == feed.content_hash:
                log.info("feed unchanged", extra={"event": "feed_304", "feed": feed.url})
                return await self.db.call(
                    lambda store: self._save_unchanged(store, feed, base), batch=True
                )
            parsed = await self.pool.parse_feed(response.url, response.body, response.content_type)
        except (FetchError, FeedParseError) as error:
            return await self._feed_failed(feed, error)
        outcome = replace(
            base,
            result="new",
            entries=len(parsed.entries),
            parsed=True,
            ttl_minutes=getattr(parsed, "ttl_minutes", None),
        )

        def save(store: Store) -> PollOutcome:
            now = self.clock()
            with store.transaction():
                added = store.record_feed_entries(
                    feed,
                    parsed.entries,
                    etag=response.etag,
                    last_modified=response.last_modified,
                    content_hash=body_hash,
                    now=now,
                )
                return self.hooks.feed_polled(store, feed, replace(outcome, new_entries=added), now)

        saved = await self.db.call(save, batch=True)
        log.info(
            "feed polled",
            extra={
                "event": "feed_polled",
                "feed": feed.url,
                "status": saved.status,
                "entries": saved.entries,
                "new": saved.new_entries,
            },
        )
        return saved

    def _save_unchanged(self, store: Store, feed: FeedRow, outcome: PollOutcome) -> PollOutcome:
        now = self.clock()
        with store.transaction():
            store.record_feed_unchanged(feed, now)
            return self.hooks.feed_polled(store, feed, outcome, now)

    async def _feed_failed(self, feed: FeedRow, error: Exception) -> PollOutcome:
        if isinstance(error, FetchError):
            outcome = PollOutcome(
                feed.id,
                feed.url,
                "error",
                status=error.status,
                error_kind=error.kind,
                retry_after=error.retry_after,
            )
        elif isinstance(error, FeedParseError):
            outcome = PollOutcome(feed.id, feed.url, "error", error_kind="malformed_feed")
        else:
            outcome = PollOutcome(feed.id, feed.url, "error", error_kind=INTERNAL_ERROR)
        kind = outcome.error_kind or "unknown"

        def save(store: Store) -> PollOutcome:
            now = self.clock()
            with store.transaction():
                store.record_feed_error(feed, kind, str(error), now)
                return self.hooks.feed_polled(store, feed, outcome, now)

        if kind != INTERNAL_ERROR:  # an internal error was logged with its traceback
            log.warning(
                "feed failed: %s",
                error,
                extra={"event": "feed_failed", "feed": feed.url, "kind": kind},
            )
        return await self.db.call(save, batch=True)

    async def ingest_entry(self, entry: PendingEntry) -> EntryOutcome:
        """Fetch, extract and store one pending entry's page.

        Never raises for a problem of this entry: fetch and extraction
        errors, and any unexpected error (in the match step too), are
        recorded on the entry, which is retried with backoff and given up
        after ``MAX_PAGE_ATTEMPTS``. Only errors of the process propagate.
        """
        try:
            return await self._ingest_entry(entry)
        except Exception as error:  # CancelledError is no Exception: it propagates
            _log_unexpected(error, "entry", {"event": "page_failed", "article": entry.url})
            return await self._entry_failed(entry, error)

    async def _ingest_entry(self, entry: PendingEntry) -> EntryOutcome:
        known = await self.db.call(lambda store: self._known_article(store, entry), batch=True)
        if known:
            # Listed by another feed of the outlet, or seen before: no fetch.
            return EntryOutcome(entry.id, "known")
        started: float | None = None
        try:
            response = await self.fetcher.fetch(entry.raw_url, kind="page")
            started = time.monotonic()
            article = await self.pool.extract(response.url, response.body)
        except (FetchError, ExtractionError) as error:
            return await self._entry_failed(entry, error)
        extract_seconds = time.monotonic() - started
        # A batch call: articles extracted together are linked in one
        # transaction (the linker's cache learns them when it commits).
        result = await self.db.call(
            lambda _store: self.linker.link(entry, article, self.clock()), batch=True
        )
        log.info(
            "article stored",
            extra={
                "event": "article_stored",
                "article": entry.url,
                "story": result.story_id,
                "rule": result.rule,
            },
        )
        if result.new:
            state = "stored"
        elif result.rule == "updated":
            state = "updated"
        else:
            state = "known"
        return EntryOutcome(
            entry.id,
            state,
            copy=result.new and result.linked_to is not None,
            extract_seconds=extract_seconds,
            link=result,
        )

    @staticmethod
    def _known_article(store: Store, entry: PendingEntry) -> bool:
        """Whether the entry's page is an article stored already (then no fetch)."""
        if entry.article_id is not None:
            # A revisit of its own article is fetched again (it may have
            # changed), unless the feed moved the entry's link onto ANOTHER
            # stored article's URL (a reused GUID): that page is stored, and
            # re-fetching it into this entry's article would give two
            # articles one URL.
            holder = store.article_id_for(entry.url, entry.outlet_id, None)
            if holder is None or holder == entry.article_id:
                return False
            store.entry_done(entry.id, holder)
            return True
        known = store.article_id_for(entry.url, entry.outlet_id, entry.guid)
        if known is None:
            return False
        store.entry_done(entry.id, known)
        return True

    async def _entry_failed(self, entry: PendingEntry, error: Exception) -> EntryOutcome:
        if isinstance(error, FetchError):
            kind = error.kind
        elif isinstance(error, ExtractionError):
            kind = "extraction"
        else:
            kind = INTERNAL_ERROR
        # robots.txt forbidding the page will not change by retrying.
        give_up = entry.attempts + 1 >= MAX_PAGE_ATTEMPTS or isinstance(
            error, RobotsDisallowedError
        )

        def save(store: Store) -> None:
            with store.transaction():
                store.entry_failed(entry.id, str(error), give_up=give_up)
                self.hooks.entry_failed(
                    store,
                    entry,
                    give_up,
                    self.clock(),
                    retry_after=error.retry_after if isinstance(error, FetchError) else None,
                )

        await self.db.call(save, batch=True)
        if kind != INTERNAL_ERROR:  # an internal error was logged with its traceback
            log.warning(
                "page failed: %s",
                error,
                extra={"event": "page_failed", "article": entry.url, "kind": kind},
            )
        return EntryOutcome(entry.id, "failed", error_kind=kind)
