"""Bounded, read-only queries for ``ingestd serve``, over the documented views.

The store is opened read-only (:func:`ingestd.store.budget.open_read_only`):
SQLite through a ``mode=ro`` URI with ``query_only`` on, PostgreSQL with
every transaction read-only. Every query has a LIMIT, and every request a
time budget (:class:`StorePool`): SQLite aborts a statement from its
progress handler, PostgreSQL by ``statement_timeout``. Nothing here can be made to scan the
whole store: lists walk an index from a keyset cursor and stop after
:data:`SCAN_LIMIT` rows, whatever the filters, and say where they stopped.

Reads go through the views of storage/README.md (``stories``,
``story_members``, ``articles``, ``outlets``, ``feeds``), except what the
views cannot answer, or not cheaply, which the store's read-side methods do
(``Reads`` in :mod:`ingestd.store.protocol`): the title search, the walk
down the articles' first-seen index, the verified comparisons (as the
report reads them) and the boilerplate counts (``Store.paragraph_counts``)
the copy view needs to rebuild the matcher's features.
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ingestd.errors import OperatorError, QueryTooCostly, StoreError
from ingestd.ops.stories import story_detail
from ingestd.ops.tree import StoryDetail
from ingestd.store import Store
from ingestd.store.budget import DEFAULT_BUDGET_S, BudgetedStore, open_read_only
from ingestd.store.records import EdgeRecord, OutletRow
from ingestd.store.values import db_time, py_json, py_time

PAGE_SIZE = 50
"""Stories per page unless asked otherwise."""
MAX_PAGE_SIZE = 200
"""The most rows any page or API call returns."""
SCAN_LIMIT = 5_000
"""The most index rows one list request walks; a filtered page that has not
filled by then ends there, with a cursor to go on from."""
_CHUNK = 250
SEARCH_TERMS = 8
"""Words of a title search kept (each at most :data:`SEARCH_TERM_CHARS`)."""
SEARCH_TERM_CHARS = 40
OUTLET_WINDOW = 2_000
"""An outlet page describes the outlet's latest this-many articles."""
REVIEW_WINDOW = 5_000
"""The review page looks at the comparisons of the latest this-many articles."""
MAX_TEXT_CHARS = 200_000
"""Longer article texts are cut for the copy view (a page size, not a store size)."""

_SEARCH_WORD = re.compile(r"\w+", re.UNICODE)


class StorePool:
    """A few read-only connections shared by the request threads.

    ``with pool.session() as store:`` lends one connection for one request
    and arms its time budget; a statement still running when the budget is
    spent is stopped and the request gets :class:`QueryTooCostly`.
    """

    def __init__(self, url: str, *, size: int = 4, budget_s: float = DEFAULT_BUDGET_S):
        self.url = url
        self.budget_s = budget_s
        self._idle: queue.LifoQueue[BudgetedStore] = queue.LifoQueue()
        self._all: list[BudgetedStore] = []
        self._lock = threading.Lock()
        self._size = size
        self._idle.put(self._open())  # fail at start-up, not at the first request

    def _open(self) -> BudgetedStore:
        store = open_read_only(self.url, self.budget_s)
        with self._lock:
            self._all.append(store)
        return store

    @property
    def dialect(self) -> str:
        """The store's SQL dialect."""
        return self._all[0].dialect

    @contextmanager
    def session(self) -> Iterator[Store]:
        """One connection for one request, with the request's time budget."""
        try:
            store = self._idle.get_nowait()
        except queue.Empty:
            with self._lock:
                room = len(self._all) < self._size
            store = self._open() if room else self._idle.get()
        store.set_deadline(time.monotonic() + self.budget_s)
        try:
            yield store
        except StoreError as error:
            if store.interrupted or "statement timeout" in str(error):
                raise QueryTooCostly(
                    f"the query took more than {self.budget_s:g} s and was stopped"
                ) from None
            raise
        finally:
            store.set_deadline(None)
            self._idle.put(store)

    def close(self) -> None:
        """Close every connection."""
        with self._lock:
            for store in self._all:
                store.close()
            self._all.clear()


# -- outlets ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OutletInfo:
    """One row of the ``outlets`` view."""

    outlet_id: int
    name: str
    domain: str
    role: str | None
    feed_count: int
    article_count: int


def outlets(store: Store) -> list[OutletInfo]:
    """Every outlet, by name (outlets are configured: a few thousand at most)."""
    rows = store.query(
        "SELECT outlet_id, name, domain, role, feed_count, article_count FROM outlets"
        " ORDER BY name LIMIT 10000"
    )
    return [_outlet(r) for r in rows]


def _outlet(r: Any) -> OutletInfo:
    return OutletInfo(
        int(r["outlet_id"]),
        r["name"],
        r["domain"],
        r["role"],
        int(r["feed_count"]),
        int(r["article_count"]),
    )


def outlet_names(store: Store, limit: int = 1000) -> list[tuple[int, str]]:
    """(id, name) of the outlets, by name: the filter's choices (no per-outlet counts)."""
    rows = store.query("SELECT outlet_id, name FROM outlets ORDER BY name LIMIT ?", (limit,))
    return [(int(r["outlet_id"]), str(r["name"])) for r in rows]


def find_outlet(store: Store, wanted: str) -> OutletInfo | None:
    """The outlet named ``wanted``: its id, name or domain (any case).

    The counts of the ``outlets`` view are computed for the outlet found only.
    """
    wanted = wanted.strip()
    columns = "outlet_id, name, domain, role, feed_count, article_count"
    if wanted.isdigit():
        row = store.query_one(f"SELECT {columns} FROM outlets WHERE outlet_id = ?", (int(wanted),))
        return _outlet(row) if row is not None else None
    row = store.query_one(
        f"SELECT {columns} FROM outlets WHERE name = ? OR domain = ?"
        " OR lower(name) = lower(?) OR lower(domain) = lower(?)"
        " ORDER BY CASE WHEN name = ? OR domain = ? THEN 0 ELSE 1 END LIMIT 1",
        (wanted, wanted, wanted, wanted, wanted, wanted),
    )
    if row is not None:
        return _outlet(row)
    folded = wanted.casefold()  # non-ASCII case: lower() is ASCII-only on SQLite
    for outlet_id, name in outlet_names(store, 10_000):
        if name.casefold() == folded:
            return find_outlet(store, str(outlet_id))
    return None


# -- the story list -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoryFilter:
    """What the story list is restricted to; every field optional."""

    since: datetime | None = None
    outlet: str | None = None  # an outlet's stored name (resolved by the caller)
    language: str | None = None
    copies_only: bool = False
    min_members: int = 1
    query: str | None = None


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where a page ends: the last story's ``last_seen_at`` (time walk) and id.

    A search orders by story id alone and leaves ``last_seen`` empty.
    """

    last_seen: str | None
    story_id: int

    def token(self) -> str:
        """The cursor as a query-string value (URL-safe: UTC written ``Z``)."""
        if not self.last_seen:
            return str(self.story_id)
        moment = self.last_seen.replace("+00:00", "Z")
        return f"{moment}~{self.story_id}"

    @classmethod
    def parse(cls, text: str) -> Cursor:
        """Read :meth:`token`'s form back; ValueError when it is not one."""
        if len(text) > 64:
            raise ValueError("cursor too long")
        head, _, tail = text.rpartition("~")
        if not head:
            return cls(None, _positive(tail))
        moment = py_time(head)
        return cls(db_time(moment), _positive(tail))


def _positive(text: str) -> int:
    if not text.isdigit():
        raise ValueError(f"not a story id: {text!r}")
    return int(text)


@dataclass(frozen=True, slots=True)
class StoryRow:
    """One story of the list."""

    story_id: int
    title: str | None
    canonical_url: str
    origin_outlet: str
    origin_domain: str | None
    origin_attributed: bool
    origin_reason: str
    origin_time: datetime | None
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    member_count: int
    outlet_count: int
    copy_count: int


@dataclass(frozen=True, slots=True)
class StoryPage:
    """A page of stories, and where the next one starts.

    ``complete``: the walk found every matching story up to the page's end
    (False when it stopped at :data:`SCAN_LIMIT`, so the next page may hold
    older matches). ``scanned`` rows were walked for this page.
    """

    rows: tuple[StoryRow, ...]
    next_cursor: Cursor | None
    complete: bool
    scanned: int
    search: bool
    terms: tuple[str, ...] = field(default=())


def search_terms(text: str | None) -> tuple[str, ...]:
    """The words of a title search, at most :data:`SEARCH_TERMS`, each cut short."""
    if not text:
        return ()
    found = [w[:SEARCH_TERM_CHARS] for w in _SEARCH_WORD.findall(text) if w != "_"]
    return tuple(dict.fromkeys(w.replace("_", "") for w in found if w.replace("_", "")))[
        :SEARCH_TERMS
    ]


_STORY_COLUMNS = (
    "s.story_id, s.title, s.canonical_url, s.origin_outlet, s.origin_domain,"
    " s.origin_attributed, s.origin_reason, s.first_seen_at, s.last_seen_at,"
    " s.member_count, s.outlet_count, s.copy_count, s.origin_article_id"
)


def list_stories(
    store: Store,
    where: StoryFilter,
    cursor: Cursor | None = None,
    limit: int = PAGE_SIZE,
) -> StoryPage:
    """Stories matching ``where``, newest activity first (a search: newest story first).

    Walks the candidates in order from ``cursor`` in chunks (articles by
    first seen, newest first; or title-search hits by story id), keeps the
    stories that match, and stops when the page is full or
    :data:`SCAN_LIMIT` candidates were walked.
    """
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    terms = search_terms(where.query)
    search = bool(terms)
    found: list[StoryRow] = []
    scanned = 0
    position = cursor
    exhausted = False
    while len(found) <= limit and scanned < SCAN_LIMIT:
        chunk = min(_CHUNK, SCAN_LIMIT - scanned)
        if search:
            batch = _search_batch(store, terms, position, chunk)
        else:
            batch = _walk_batch(store, where.since, position, chunk)
        scanned += len(batch)
        if batch:
            found.extend(_matching(store, where, batch, search, limit + 1 - len(found)))
            last_id, last_time = batch[-1]
            position = Cursor(None if search else last_time, last_id)
        if len(batch) < chunk:
            exhausted = True
            break
    more = len(found) > limit
    rows = tuple(found[:limit])
    if more:
        last = rows[-1]
        next_cursor: Cursor | None = Cursor(
            None if search else db_time(last.last_seen_at), last.story_id
        )
    elif not exhausted:
        next_cursor = position  # stopped at the scan limit: go on from where it stopped
    else:
        next_cursor = None
    return StoryPage(rows, next_cursor, exhausted or more, scanned, search, terms)


def _walk_batch(
    store: Store, since: datetime | None, after: Cursor | None, size: int
) -> list[tuple[int, str]]:
    """(story_id, first_seen_at) of the next articles, newest first (an index walk)."""
    last = None
    if after is not None and after.last_seen is not None:
        last = (after.story_id, after.last_seen)
    return store.article_walk(since, last, size)


def _search_batch(
    store: Store, terms: Sequence[str], after: Cursor | None, size: int
) -> list[tuple[int, str]]:
    """Story ids whose title has every term, newest story first."""
    below = after.story_id if after is not None else None
    return [(story_id, "") for story_id in store.search_story_titles(terms, below, size)]


def _matching(
    store: Store,
    where: StoryFilter,
    batch: Sequence[tuple[int, str]],
    search: bool,
    room: int,
) -> list[StoryRow]:
    """The batch's stories that match the filter, in the batch's order.

    The figures are aggregated from the ``articles`` view by story id (an
    index range each); the ``stories`` view would aggregate every story for
    an IN list, so it is read one story at a time, for the page's rows only.
    In a time walk a story is listed at its latest article only (where its
    last first-seen time equals that article's), so it appears once.
    """
    ids = list(dict.fromkeys(story_id for story_id, _ in batch))
    marks = ",".join("?" * len(ids))
    columns = [
        "story_id",
        "max(first_seen_at) AS last_seen",
        "count(*) AS members",
        "sum(CASE WHEN member_role = 'copy' THEN 1 ELSE 0 END) AS copies",
    ]
    params: list[Any] = []
    if where.outlet is not None:
        columns.append("sum(CASE WHEN outlet = ? THEN 1 ELSE 0 END) AS from_outlet")
        params.append(where.outlet)
    if where.language is not None:
        columns.append("sum(CASE WHEN language = ? THEN 1 ELSE 0 END) AS in_language")
        params.append(where.language)
    rows = store.query(
        f"SELECT {', '.join(columns)} FROM articles WHERE story_id IN ({marks}) GROUP BY story_id",
        [*params, *ids],
    )
    figures = {int(r["story_id"]): r for r in rows}
    since = db_time(where.since) if where.since is not None else None
    chosen: list[int] = []
    for story_id, moment in batch:
        row = figures.get(story_id)
        if row is None or story_id in chosen:
            continue
        last = db_time(py_time(row["last_seen"]))
        if not search and last != moment:
            continue  # listed at its latest article, which came earlier in the walk
        if (
            (where.copies_only and not row["copies"])
            or int(row["members"]) < where.min_members
            or (since is not None and str(last) < since)
            or (where.outlet is not None and not row["from_outlet"])
            or (where.language is not None and not row["in_language"])
        ):
            continue
        chosen.append(story_id)
        if len(chosen) >= room:
            break
    return [_story_row(r) for r in (_story_facts(store, i) for i in chosen) if r is not None]


def _story_facts(store: Store, story_id: int) -> dict[str, Any] | None:
    # Two lookups by key: joined, SQLite materialises the whole articles view.
    row = store.query_one(
        f"SELECT {_STORY_COLUMNS} FROM stories s WHERE s.story_id = ?", (story_id,)
    )
    if row is None:
        return None
    facts = dict(row)
    origin = None
    if row["origin_article_id"] is not None:
        origin = store.query_one(
            "SELECT published_at, first_seen_at FROM articles WHERE article_id = ?",
            (row["origin_article_id"],),
        )
    facts["origin_published"] = origin["published_at"] if origin is not None else None
    facts["origin_seen"] = origin["first_seen_at"] if origin is not None else None
    return facts


def _story_row(r: Any) -> StoryRow:
    return StoryRow(
        story_id=int(r["story_id"]),
        title=r["title"],
        canonical_url=r["canonical_url"],
        origin_outlet=r["origin_outlet"],
        origin_domain=r["origin_domain"],
        origin_attributed=bool(r["origin_attributed"]),
        origin_reason=r["origin_reason"],
        origin_time=py_time(r["origin_published"]) or py_time(r["origin_seen"]),
        first_seen_at=py_time(r["first_seen_at"]),
        last_seen_at=py_time(r["last_seen_at"]),
        member_count=int(r["member_count"]),
        outlet_count=int(r["outlet_count"]),
        copy_count=int(r["copy_count"] or 0),
    )


def languages(store: Store) -> list[str]:
    """Languages of the latest articles (for the filter's choices), at most 50."""
    return store.recent_languages(2000, 50)


# -- one story ---------------------------------------------------------------

MAX_MEMBERS = 500
"""A story page shows at most this many members (a story is one piece: a few dozen)."""


def story(store: Store, story_id: int) -> StoryDetail | None:
    """One story with its members, or None."""
    try:
        return story_detail(store, story_id)
    except OperatorError:
        return None


@dataclass(frozen=True, slots=True)
class ArticleText:
    """What the copy view needs of one article."""

    article_id: int
    story_id: int
    outlet_id: int
    outlet: str
    outlet_domain: str
    url: str
    title: str | None
    text: str | None
    truncated: bool
    published_at: datetime | None
    first_seen_at: datetime | None
    role: str


def article_text(store: Store, article_id: int) -> ArticleText | None:
    """An article's text and facts, from the ``articles`` and ``outlets`` views."""
    row = store.query_one(
        "SELECT a.article_id, a.story_id, o.outlet_id, a.outlet, a.outlet_domain, a.url,"
        " a.title, a.text, a.published_at, a.first_seen_at, a.member_role"
        " FROM articles a JOIN outlets o ON o.name = a.outlet WHERE a.article_id = ?",
        (article_id,),
    )
    if row is None:
        return None
    text = row["text"]
    truncated = text is not None and len(text) > MAX_TEXT_CHARS
    return ArticleText(
        article_id=int(row["article_id"]),
        story_id=int(row["story_id"]),
        outlet_id=int(row["outlet_id"]),
        outlet=row["outlet"],
        outlet_domain=row["outlet_domain"],
        url=row["url"],
        title=row["title"],
        text=text[:MAX_TEXT_CHARS] if truncated else text,
        truncated=truncated,
        published_at=py_time(row["published_at"]),
        first_seen_at=py_time(row["first_seen_at"]),
        role=row["member_role"],
    )


def known_outlets(store: Store) -> list[OutletRow]:
    """Every outlet with its aliases, as the matcher reads credits against them."""
    return store.outlets()


def paragraph_counts(store: Store, outlet_id: int, keys: Sequence[int]) -> dict[int, int]:
    """How many of the outlet's articles carry each paragraph (its boilerplate counts)."""
    return store.paragraph_counts(outlet_id, keys)


def stored_edge(store: Store, a: int, b: int) -> EdgeRecord | None:
    """The matcher's stored comparison of two articles, if it made one."""
    return store.edge(a, b)


# -- an outlet -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecentArticle:
    """One of an outlet's latest articles."""

    article_id: int
    story_id: int
    title: str | None
    url: str
    role: str
    derived_from_outlet: str | None
    first_seen_at: datetime | None


@dataclass(frozen=True, slots=True)
class OutletActivity:
    """An outlet's latest articles (at most :data:`OUTLET_WINDOW`) and who copies whom."""

    outlet: OutletInfo
    window: int
    articles: tuple[tuple[datetime, str], ...]  # (first seen, role) of each, oldest first
    copies_from: tuple[tuple[str, int], ...]
    copied_by: tuple[tuple[str, int], ...]
    recent_copies: tuple[RecentArticle, ...]
    recently_copied: tuple[RecentArticle, ...]


def outlet_activity(store: Store, outlet: OutletInfo, recent: int = 20) -> OutletActivity:
    """What the outlet page shows, all of it from the outlet's latest articles."""
    latest = "SELECT article_id FROM articles WHERE outlet = ? ORDER BY first_seen_at DESC LIMIT ?"
    rows = store.query(
        "SELECT m.article_id, m.story_id, m.title, m.url, m.member_role, m.derived_from_outlet,"
        f" m.first_seen_at FROM story_members m WHERE m.article_id IN ({latest})"
        " ORDER BY m.first_seen_at DESC, m.article_id DESC",
        (outlet.name, OUTLET_WINDOW),
    )
    mine = [_recent(r) for r in rows]
    copies_from: dict[str, int] = {}
    for article in mine:
        if article.role == "copy" and article.derived_from_outlet:
            name = article.derived_from_outlet
            copies_from[name] = copies_from.get(name, 0) + 1
    copiers = store.query(
        "SELECT m.article_id, m.story_id, m.title, m.url, m.member_role, m.outlet AS copier,"
        " m.first_seen_at FROM story_members m"
        " WHERE m.story_id IN (SELECT story_id FROM articles WHERE outlet = ?"
        " ORDER BY first_seen_at DESC LIMIT ?)"
        " AND m.derived_from_outlet = ? AND m.outlet <> ?"
        " ORDER BY m.first_seen_at DESC, m.article_id DESC LIMIT ?",
        (outlet.name, OUTLET_WINDOW, outlet.name, outlet.name, OUTLET_WINDOW),
    )
    copied_by: dict[str, int] = {}
    for r in copiers:
        copied_by[r["copier"]] = copied_by.get(r["copier"], 0) + 1
    recently_copied = tuple(
        RecentArticle(
            int(r["article_id"]),
            int(r["story_id"]),
            r["title"],
            r["url"],
            r["member_role"],
            r["copier"],
            py_time(r["first_seen_at"]),
        )
        for r in copiers[:recent]
    )
    return OutletActivity(
        outlet=outlet,
        window=OUTLET_WINDOW,
        articles=tuple(
            (a.first_seen_at, a.role) for a in reversed(mine) if a.first_seen_at is not None
        ),
        copies_from=_ranked(copies_from),
        copied_by=_ranked(copied_by),
        recent_copies=tuple(a for a in mine if a.role == "copy")[:recent],
        recently_copied=recently_copied,
    )


def _ranked(counts: dict[str, int]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0].casefold(), kv[0])))


def _recent(r: Any) -> RecentArticle:
    return RecentArticle(
        int(r["article_id"]),
        int(r["story_id"]),
        r["title"],
        r["url"],
        r["member_role"],
        r["derived_from_outlet"],
        py_time(r["first_seen_at"]),
    )


# -- feeds ---------------------------------------------------------------------

MAX_FEED_OFFSET = 100_000


@dataclass(frozen=True, slots=True)
class FeedHealth:
    """One row of the ``feeds`` view."""

    feed_id: int
    url: str
    outlet: str
    active: bool
    last_polled_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    last_error_kind: str | None
    last_error_at: datetime | None
    error_count: int
    next_poll_at: datetime | None
    entry_count: int
    pending_count: int
    article_count: int


def feed_health(store: Store, offset: int, limit: int) -> tuple[list[FeedHealth], bool]:
    """Active feeds, failing first (most errors, latest error), then by outlet and URL.

    Returns the page and whether more follow. The ids are chosen first, so
    the per-feed counts are computed for the page's feeds only.
    """
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    offset = max(0, min(offset, MAX_FEED_OFFSET))
    order = " ORDER BY error_count DESC, last_error_at DESC NULLS LAST, outlet, url, feed_id"
    ids = [
        int(r["feed_id"])
        for r in store.query(
            f"SELECT feed_id, error_count, last_error_at, outlet, url FROM feeds WHERE active = 1"
            f"{order} LIMIT ? OFFSET ?",
            (limit + 1, offset),
        )
    ]
    more = len(ids) > limit
    ids = ids[:limit]
    if not ids:
        return [], False
    marks = ",".join("?" * len(ids))
    rows = store.query(
        "SELECT feed_id, url, outlet, active, last_polled_at, last_success_at, last_error,"
        " last_error_kind, last_error_at, error_count, next_poll_at, entry_count,"
        f" pending_count, article_count FROM feeds WHERE feed_id IN ({marks}){order}",
        ids,
    )
    return [
        FeedHealth(
            feed_id=int(r["feed_id"]),
            url=r["url"],
            outlet=r["outlet"],
            active=bool(r["active"]),
            last_polled_at=py_time(r["last_polled_at"]),
            last_success_at=py_time(r["last_success_at"]),
            last_error=r["last_error"],
            last_error_kind=r["last_error_kind"],
            last_error_at=py_time(r["last_error_at"]),
            error_count=int(r["error_count"]),
            next_poll_at=py_time(r["next_poll_at"]),
            entry_count=int(r["entry_count"]),
            pending_count=int(r["pending_count"]),
            article_count=int(r["article_count"]),
        )
        for r in rows
    ], more


# -- review ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArticleLabel:
    """Enough of an article to name it on the review page."""

    article_id: int
    story_id: int
    outlet: str
    url: str
    title: str | None
    first_seen_at: datetime


def recent_edges(store: Store) -> tuple[list[EdgeRecord], list[ArticleLabel]]:
    """The verified comparisons of the latest :data:`REVIEW_WINDOW` articles, and their sides."""
    edges = store.latest_edges(REVIEW_WINDOW)
    ids = sorted({e.article_a for e in edges} | {e.article_b for e in edges})
    labels: list[ArticleLabel] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for r in store.query(
            "SELECT article_id, story_id, outlet, url, title, first_seen_at FROM articles"
            f" WHERE article_id IN ({marks})",
            chunk,
        ):
            seen = py_time(r["first_seen_at"])
            assert seen is not None  # NOT NULL in the view
            labels.append(
                ArticleLabel(
                    int(r["article_id"]),
                    int(r["story_id"]),
                    r["outlet"],
                    r["url"],
                    r["title"],
                    seen,
                )
            )
    return edges, labels


def member_evidence(store: Store, article_id: int) -> dict[str, Any]:
    """The stored evidence of one member (``story_members.evidence``)."""
    row = store.query_one("SELECT evidence FROM story_members WHERE article_id = ?", (article_id,))
    value = py_json(row["evidence"]) if row is not None else None
    return value if isinstance(value, dict) else {}
