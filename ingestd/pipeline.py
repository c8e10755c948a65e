"""One polling cycle: feeds → entries → pages → extraction → matching → store.

    for feed in feeds:  fetch(feed) | parse | store entries as pending (+ validators)
    for entry in pending: fetch(page) | extract (worker process) | link (serialised)

The pipeline calls its dependencies in order and decides nothing itself:
matching decisions live in :mod:`ingestd.match`, HTTP policy in
:mod:`ingestd.fetch`. Every failure of one feed or page is logged, counted
and left for the next cycle; it never stops the others.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ingestd.errors import ExtractionError, FeedParseError, FetchError
from ingestd.extract.pool import ExtractionPool
from ingestd.feeds.parse import parse_feed
from ingestd.fetch.client import Fetcher
from ingestd.fingerprint.params import DEFAULT_PARAMS
from ingestd.match.linker import Linker, utcnow
from ingestd.match.thresholds import DEFAULT_THRESHOLDS
from ingestd.settings import Settings
from ingestd.store import Store
from ingestd.store.records import FeedRow, PendingEntry

log = logging.getLogger(__name__)

# A page that failed this many times is given up (kept as 'failed' with
# its last error, visible to the operator), so a dead link does not cost a
# fetch every cycle for ever.
MAX_PAGE_ATTEMPTS = 5


@dataclass
class CycleStats:
    """What one polling cycle did."""

    feeds_polled: int = 0
    feeds_unchanged: int = 0
    feeds_failed: int = 0
    entries_new: int = 0
    pages_failed: int = 0
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
    """Runs polling cycles against one store."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        fetcher: Fetcher,
        pool: ExtractionPool,
        *,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.settings = settings
        self.store = store
        self.fetcher = fetcher
        self.pool = pool
        self.clock = clock
        store.sync_outlets(outlet_table(settings), clock())
        self.linker = Linker(
            store,
            params=DEFAULT_PARAMS,
            thresholds=DEFAULT_THRESHOLDS,
            window=timedelta(days=settings.match.dedup_window_days),
        )
        self.linker.warm_up(clock())
        self._link_lock = asyncio.Lock()
        self._requests = asyncio.Semaphore(settings.fetch.concurrency)

    async def poll_once(self) -> CycleStats:
        """Poll every active feed once, then ingest every pending entry."""
        stats = CycleStats()
        feeds = self.store.active_feeds()
        await asyncio.gather(*(self._poll_feed(feed, stats) for feed in feeds))
        pending = self.store.pending_entries()
        await asyncio.gather(*(self._ingest_entry(entry, stats) for entry in pending))
        return stats

    async def _poll_feed(self, feed: FeedRow, stats: CycleStats) -> None:
        stats.feeds_polled += 1
        try:
            async with self._requests:
                response = await self.fetcher.fetch(
                    feed.url, kind="feed", etag=feed.etag, last_modified=feed.last_modified
                )
            if response.not_modified:
                stats.feeds_unchanged += 1
                self.store.record_feed_unchanged(feed, self.clock())
                log.info("feed unchanged", extra={"event": "feed_304", "feed": feed.url})
                return
            body_hash = "sha256:" + hashlib.sha256(response.body).hexdigest()
            if body_hash == feed.content_hash:
                # Validators can lie (or be missing); an identical body is unchanged.
                stats.feeds_unchanged += 1
                self.store.record_feed_unchanged(feed, self.clock())
                return
            parsed = parse_feed(response.url, response.body)
            added = self.store.record_feed_entries(
                feed,
                parsed.entries,
                etag=response.etag,
                last_modified=response.last_modified,
                content_hash=body_hash,
                now=self.clock(),
            )
            stats.entries_new += added
            log.info(
                "feed polled",
                extra={
                    "event": "feed_polled",
                    "feed": feed.url,
                    "entries": len(parsed.entries),
                    "new": added,
                },
            )
        except (FetchError, FeedParseError) as error:
            kind = error.kind if isinstance(error, FetchError) else "malformed_feed"
            stats.feeds_failed += 1
            stats.errors[f"feed_{kind}"] += 1
            self.store.record_feed_error(feed, kind, str(error), self.clock())
            log.warning(
                "feed failed: %s",
                error,
                extra={"event": "feed_failed", "feed": feed.url, "kind": kind},
            )

    async def _ingest_entry(self, entry: PendingEntry, stats: CycleStats) -> None:
        known = self.store.article_id_for(entry.url, entry.outlet_id, entry.guid)
        if known is not None and entry.article_id is None:
            # Listed by another feed of the outlet, or seen before: no fetch.
            self.store.entry_done(entry.id, known)
            stats.articles_known += 1
            return
        try:
            async with self._requests:
                response = await self.fetcher.fetch(entry.raw_url, kind="page")
            article = await self.pool.extract(response.url, response.body)
        except (FetchError, ExtractionError) as error:
            kind = error.kind if isinstance(error, FetchError) else "extraction"
            stats.pages_failed += 1
            stats.errors[f"page_{kind}"] += 1
            give_up = entry.attempts + 1 >= MAX_PAGE_ATTEMPTS
            self.store.entry_failed(entry.id, str(error), give_up=give_up)
            log.warning(
                "page failed: %s",
                error,
                extra={"event": "page_failed", "article": entry.url, "kind": kind},
            )
            return
        async with self._link_lock:
            result = self.linker.link(entry, article, self.clock())
        if result.new:
            stats.articles_stored += 1
            if result.linked_to is not None:
                stats.copies_linked += 1
        elif result.rule == "updated":
            stats.articles_updated += 1
        else:
            stats.articles_known += 1
        log.info(
            "article stored",
            extra={
                "event": "article_stored",
                "article": entry.url,
                "story": result.story_id,
                "rule": result.rule,
            },
        )
