"""``ingestd import``: articles from a JSONL file or a WARC archive, matched like polled ones.

    read (jsonl_items | warc_items) | extract HTML (worker pool) | link (the match step)

Each input item becomes a feed entry of the outlet's import feed
(``import:<domain>``, never polled) and goes through the same
:class:`~ingestd.match.linker.Linker` step as a polled article, in input
order, so imported articles are indistinguishable from polled ones in the
views. An article's first-seen time is its publication time (never later
than the import), which keeps the dedup window meaningful for a backfill.
Re-importing a file stores nothing twice: an unchanged article is counted
``unchanged``, a changed one stores a new version in its story.

A bad line is a :class:`Rejected` with its line number and reason; the rest
goes on. WARC records that are not HTML pages of a configured outlet are
:class:`Skipped`, counted by reason.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingestd.errors import ExtractionError
from ingestd.extract.pool import ExtractionPool
from ingestd.extract.warc import WarcPage, read_warc
from ingestd.match.features import PreparedText
from ingestd.match.linker import Linker, PreparedArticle
from ingestd.store import Store
from ingestd.store.records import OutletRow
from ingestd.types import ExtractedArticle
from ingestd.urls import normalize_url

# Articles linked per transaction when they are ready one after the other:
# one commit per group instead of per article. An article dirties ~80 pages
# (its ~45 candidate-index keys land on random B-tree leaves); pages shared
# within a group are written to the WAL once. 64 articles hold the store's
# write lock for about a quarter of a second; measured on 100,000 stored,
# 16 -> 64 (with the look-ahead to fill them) gave 215 -> 235 articles/s.
GROUP = 64
# Linked articles between two trims of the candidate index.
TRIM_EVERY = 500

_OPTIONAL_TEXT = ("guid", "canonical_url", "author", "language", "title")


@dataclass(frozen=True, slots=True)
class ImportItem:
    """One article to import. ``where`` names it for messages ("line 12")."""

    where: str
    url: str
    outlet_id: int
    guid: str
    title: str | None
    published_at: datetime | None
    text: str | None
    html: bytes | None
    canonical_url: str | None = None
    author: str | None = None
    language: str | None = None
    # When the page gives no publication time (a WARC record's capture time).
    fallback_date: datetime | None = None


@dataclass(frozen=True, slots=True)
class Rejected:
    """An input item that cannot be imported, and why."""

    where: str
    reason: str


@dataclass(frozen=True, slots=True)
class Skipped:
    """A WARC record that is not an article page (counted, not an error)."""

    where: str
    reason: str


Item = ImportItem | Rejected | Skipped


@dataclass
class ImportSummary:
    """What an import did."""

    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    copies: int = 0
    rejected: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def articles(self) -> int:
        """Items that reached the match step."""
        return self.imported + self.updated + self.unchanged

    def line(self) -> str:
        """The one-line summary printed at the end."""
        rate = self.articles / self.seconds if self.seconds else 0.0
        skipped = sum(self.skipped.values())
        text = (
            f"imported {self.imported}, updated {self.updated}, unchanged {self.unchanged},"
            f" copies found {self.copies}, rejected {self.rejected}"
        )
        if skipped:
            reasons = ", ".join(f"{n} {r}" for r, n in self.skipped.most_common())
            text += f", skipped {skipped} ({reasons})"
        return text + f" in {self.seconds:.1f} s ({rate:.0f} articles/s)"


class OutletDirectory:
    """Configured outlets by name, by domain, and for a URL's host."""

    def __init__(self, outlets: Iterable[OutletRow]):
        self.outlets = list(outlets)
        self._by_name = {o.name: o for o in self.outlets}
        self._by_domain = {o.domain.lower(): o for o in self.outlets}

    def named(self, value: str) -> OutletRow | None:
        """The outlet with this name or domain."""
        return self._by_name.get(value) or self._by_domain.get(value.strip().lower())

    def for_url(self, url: str) -> OutletRow | None:
        """The outlet whose domain is the URL's host or one of its parents."""
        host = url.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0].lower().rstrip(".")
        labels = host.split(".")
        for start in range(len(labels) - 1):
            found = self._by_domain.get(".".join(labels[start:]))
            if found is not None:
                return found
        return None


def parse_time(value: Any) -> datetime:
    """An ISO 8601 time as aware UTC (a time without offset is taken as UTC)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be an ISO 8601 time")
    parsed = datetime.fromisoformat(value.strip())
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_line(number: int, line: str, outlets: OutletDirectory) -> ImportItem | Rejected:
    """One JSONL line into an item, or the reason it is rejected."""
    where = f"line {number}"
    try:
        data = json.loads(line)
    except json.JSONDecodeError as error:
        return Rejected(where, f"bad JSON: {error.msg} at column {error.colno}")
    if not isinstance(data, dict):
        return Rejected(where, "not a JSON object")
    url = data.get("url")
    if not isinstance(url, str) or not url.strip():
        return Rejected(where, "no url")
    try:
        normalised = normalize_url(url)
    except ValueError:
        return Rejected(where, f"url is not an http(s) URL: {url!r}")
    name = data.get("outlet")
    if not isinstance(name, str) or not name.strip():
        return Rejected(where, "no outlet")
    outlet = outlets.named(name)
    if outlet is None:
        return Rejected(where, f"unknown outlet {name!r}: not a configured outlet's name or domain")
    text, html = data.get("text"), data.get("html")
    if html is not None and not isinstance(html, str):
        return Rejected(where, "html must be a string")
    if html is None and (not isinstance(text, str) or not text.strip()):
        return Rejected(where, "no text")
    if "published_at" not in data:
        return Rejected(where, "bad date: no published_at")
    try:
        published = parse_time(data["published_at"])
    except ValueError as error:
        return Rejected(where, f"bad date: published_at {data['published_at']!r}: {error}")
    for key in _OPTIONAL_TEXT:
        if data.get(key) is not None and not isinstance(data[key], str):
            return Rejected(where, f"{key} must be a string")
    return ImportItem(
        where=where,
        url=normalised,
        outlet_id=outlet.id,
        guid=data.get("guid") or normalised,
        title=data.get("title"),
        published_at=published,
        text=text if html is None else None,
        html=html.encode("utf-8") if html is not None else None,
        canonical_url=data.get("canonical_url"),
        author=data.get("author"),
        language=data.get("language"),
    )


def jsonl_items(path: Path, outlets: OutletDirectory) -> Iterator[ImportItem | Rejected]:
    """The items of a JSONL file, one per non-blank line, in file order."""
    with path.open("rb") as stream:
        for number, raw in enumerate(stream, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                yield Rejected(f"line {number}", f"not UTF-8 ({error.reason})")
                continue
            if line.strip():
                yield parse_line(number, line, outlets)


def warc_items(path: Path, outlets: OutletDirectory, *, max_bytes: int) -> Iterator[Item]:
    """The HTML response records of a WARC file, each of a configured outlet."""
    for record in read_warc(path, max_bytes=max_bytes):
        where = f"record {record.number}"
        if not isinstance(record, WarcPage):
            yield Skipped(where, record.reason)
            continue
        try:
            url = normalize_url(record.url)
        except ValueError:
            yield Skipped(where, "not an http(s) URL")
            continue
        outlet = outlets.for_url(url)
        if outlet is None:
            yield Skipped(where, "not a configured outlet")
            continue
        yield ImportItem(
            where=where,
            url=url,
            outlet_id=outlet.id,
            guid=url,
            title=None,
            published_at=None,
            text=None,
            html=record.body,
            fallback_date=record.date,
        )


def count_items(path: Path, fmt: str) -> int:
    """How many items a file holds (for the progress bar): lines, or WARC records."""
    if fmt == "jsonl":
        with path.open("rb") as stream:
            return sum(1 for line in stream if line.strip())
    return sum(1 for _ in read_warc(path, max_bytes=0))


class Importer:
    """Runs items through extraction (HTML) and the match step, in input order.

    Usage::

        importer = Importer(store, linker, pool)
        summary = await importer.run(items, report=print, advance=bar)
    """

    def __init__(
        self,
        store: Store,
        linker: Linker,
        pool: ExtractionPool,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        lookahead: int = 0,
    ):
        self.store = store
        self.linker = linker
        self.pool = pool
        self.clock = clock
        # Items prepared ahead of the match step, so every worker stays busy
        # and a whole group is ready at once.
        self.lookahead = lookahead or max(4 * pool.workers, GROUP)
        self._feeds: dict[int, int] = {}
        self._since_trim = 0
        # The stream's clock: the first-seen time of the last linked article.
        self._stream_time: datetime | None = None
        self.link_seconds: list[float] = []

    async def run(
        self,
        items: Iterable[Item],
        *,
        report: Callable[[str], None],
        advance: Callable[[int], None] = lambda n: None,
    ) -> ImportSummary:
        """Import every item; ``report`` receives one line per rejected item."""
        summary = ImportSummary()
        started = time.monotonic()
        source = iter(items)
        # Each item's worker task: its page extracted, or its text prepared
        # for matching (off this process, which links and stores).
        queue: deque[tuple[ImportItem, asyncio.Task[ExtractedArticle | PreparedText]]] = deque()
        exhausted = False

        def fill() -> None:
            nonlocal exhausted
            while not exhausted and len(queue) < self.lookahead:
                item = next(source, None)
                if item is None:
                    exhausted = True
                    return
                if isinstance(item, Rejected):
                    summary.rejected += 1
                    report(f"{item.where}: {item.reason}")
                    advance(1)
                elif isinstance(item, Skipped):
                    summary.skipped[item.reason] += 1
                    advance(1)
                else:
                    work: Awaitable[ExtractedArticle | PreparedText]
                    if item.html is not None:
                        work = self.pool.extract(item.url, item.html)
                    else:
                        work = self.pool.prepare(item.text or "")
                    queue.append((item, asyncio.ensure_future(work)))

        fill()
        while queue:
            first_task = queue[0][1]
            if not first_task.done():
                # Wait outside any transaction: the store stays free meanwhile.
                await asyncio.wait({first_task})
            # The group's text work (paragraphs, normalisation, credits) is
            # done before its transaction, which holds the match lock.
            group: list[tuple[ImportItem, ExtractedArticle, PreparedArticle]] = []
            while queue and len(group) < GROUP:
                item, task = queue[0]
                if not task.done():
                    break
                queue.popleft()
                article = self._article(item, task, summary, report)
                if article is None:
                    advance(1)
                    continue
                group.append((item, article, self.linker.read_text(item.outlet_id, article)))
            with self.store.transaction():
                for item, article, text in group:
                    self._one(item, article, text, summary)
                    advance(1)
            self._maybe_trim()
            fill()
        if self._stream_time is not None:
            self.linker.trim(self._stream_time, max_batches=1_000_000)
        summary.seconds = time.monotonic() - started
        return summary

    def _article(
        self,
        item: ImportItem,
        task: asyncio.Task[ExtractedArticle | PreparedText],
        summary: ImportSummary,
        report: Callable[[str], None],
    ) -> ExtractedArticle | None:
        """The item's article (its text, or its page's extraction); None when that failed."""
        try:
            extracted = task.result()
        except ExtractionError as error:
            summary.rejected += 1
            report(f"{item.where}: {item.url}: extraction failed: {error.detail}")
            return None
        if isinstance(extracted, ExtractedArticle):
            return ExtractedArticle(
                url=item.url,
                text=extracted.text,
                title=item.title or extracted.title,
                author=item.author or extracted.author,
                published_at=item.published_at or extracted.published_at or item.fallback_date,
                site_name=extracted.site_name,
                language=item.language or extracted.language,
                canonical_url=item.canonical_url or extracted.canonical_url,
                description=extracted.description,
                prepared=extracted.prepared,
            )
        return ExtractedArticle(
            url=item.url,
            text=item.text or "",
            title=item.title,
            author=item.author,
            published_at=item.published_at,
            site_name=None,
            language=item.language,
            canonical_url=item.canonical_url,
            description=None,
            prepared=extracted,
        )

    def _one(
        self,
        item: ImportItem,
        article: ExtractedArticle,
        text: PreparedArticle,
        summary: ImportSummary,
    ) -> None:
        """Link one article (inside the group's transaction)."""
        wall = self.clock()
        seen = min(article.published_at, wall) if article.published_at else wall
        entry = self.store.import_entry(
            self._feed(item.outlet_id),
            item.outlet_id,
            guid=item.guid,
            url=item.url,
            title=article.title,
            published_at=article.published_at,
            now=seen,
        )
        self._stream_time = max(seen, self._stream_time or seen)
        began = time.perf_counter()
        result = self.linker.link(entry, article, seen, text=text)
        self.link_seconds.append(time.perf_counter() - began)
        if result.new:
            summary.imported += 1
            summary.copies += result.linked_to is not None
            self._since_trim += 1
        elif result.rule == "updated":
            summary.updated += 1
        else:
            summary.unchanged += 1

    def _feed(self, outlet_id: int) -> int:
        feed = self._feeds.get(outlet_id)
        if feed is None:
            outlet = self.linker.outlets[outlet_id]
            feed = self.store.import_feed(outlet.id, outlet.domain, self.clock())
            self._feeds[outlet_id] = feed
        return feed

    def _maybe_trim(self) -> None:
        if self._since_trim >= TRIM_EVERY and self._stream_time is not None:
            self._since_trim = 0
            self.linker.trim(self._stream_time, max_batches=50)
