"""A store with KNOWN content for the report tests, written through the store's methods.

Every figure the report should show follows from the table below; the
expected values are spelled out in tests/integration/test_report.py.

Now is 2026-03-10 12:00 UTC; ``--since 24h`` starts 2026-03-09 12:00.

story  article  outlet  first seen        published         role / from           in 24h
S1     wire1    Wire    03-10 09:05       03-10 09:00       origin                yes
S1     alpha1   Alpha   03-10 10:02       03-10 10:00       copy of wire1 (exact) yes
S1     beta1    Beta    03-10 11:30       -                 copy of alpha1        yes
S2     alpha2   Alpha   03-10 01:00       03-10 01:00       origin                yes
S2     gamma2   Gamma   03-10 04:00       03-10 05:00 (!)   copy of alpha2        yes
S3     beta3    Beta    03-10 02:00       03-10 02:00       copy; AFP named, absent  yes
S4     wire4    Wire    03-07 08:00       03-07 08:00       origin                no
S4     beta4    Beta    03-10 06:00       03-10 06:00       copy of wire4 (exact) yes
S5     alpha5   Alpha   03-10 07:00       03-10 07:00       only member           yes
S6     gamma6   Gamma   03-05 10:00       03-05 10:00       only member           no

Gamma's name, S1's title, an error message and alpha5's URL are hostile.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingestd.store import Store, open_store
from ingestd.store.records import EdgeRecord, NewArticle
from ingestd.store.sqlite import SqliteStore
from ingestd.types import FeedEntry

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
GAMMA = "Gamma <script>alert('g')</script> \"Q\""
S1_TITLE = "<script>alert('x')</script> Wire & \"quotes\" \x1b[31mred"
HOSTILE_ERROR = "HTTP 503 <b>down</b> \x1b[2J"
ALPHA5_URL = "javascript:alert(5)//alpha.example/5"

OUTLETS: list[dict[str, Any]] = [
    {
        "name": "Wire",
        "domain": "wire.example",
        "role": "wire",
        "feeds": ["https://wire.example/feed"],
    },
    {
        "name": "Alpha",
        "domain": "alpha.example",
        "role": "original",
        "feeds": ["https://alpha.example/feed"],
    },
    {
        "name": "Beta",
        "domain": "beta.example",
        "role": "aggregator",
        "feeds": ["https://beta.example/feed", "https://beta.example/broken"],
    },
    {
        "name": GAMMA,
        "domain": "gamma.example",
        "role": None,
        "feeds": ["https://gamma.example/feed", "https://gamma.example/silent"],
    },
    {
        "name": "Delta",
        "domain": "delta.example",
        "role": None,
        "feeds": ["https://delta.example/feed"],
    },
]


def t(day: int, hour: int, minute: int = 0) -> datetime:
    """A time in March 2026, UTC."""
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


@dataclass(frozen=True)
class Spec:
    key: str
    feed: str
    url: str
    title: str
    first_seen: datetime
    published: datetime | None


ARTICLES = [
    Spec(
        "wire1",
        "https://wire.example/feed",
        "https://wire.example/1",
        S1_TITLE,
        t(10, 9, 5),
        t(10, 9),
    ),
    Spec(
        "alpha1",
        "https://alpha.example/feed",
        "https://alpha.example/1",
        "Alpha one",
        t(10, 10, 2),
        t(10, 10),
    ),
    Spec(
        "beta1",
        "https://beta.example/feed",
        "https://beta.example/1",
        "Beta one",
        t(10, 11, 30),
        None,
    ),
    Spec(
        "alpha2",
        "https://alpha.example/feed",
        "https://alpha.example/2",
        "Alpha two",
        t(10, 1),
        t(10, 1),
    ),
    Spec(
        "gamma2",
        "https://gamma.example/feed",
        "https://gamma.example/2",
        "Gamma two",
        t(10, 4),
        t(10, 5),
    ),
    Spec(
        "beta3",
        "https://beta.example/broken",
        "https://beta.example/3",
        "From AFP",
        t(10, 2),
        t(10, 2),
    ),
    Spec(
        "wire4",
        "https://wire.example/feed",
        "https://wire.example/4",
        "Wire four",
        t(7, 8),
        t(7, 8),
    ),
    Spec(
        "beta4",
        "https://beta.example/feed",
        "https://beta.example/4",
        "Beta four",
        t(10, 6),
        t(10, 6),
    ),
    Spec("alpha5", "https://alpha.example/feed", ALPHA5_URL, "Alpha five", t(10, 7), t(10, 7)),
    Spec(
        "gamma6",
        "https://gamma.example/feed",
        "https://gamma.example/6",
        "Gamma six",
        t(5, 10),
        t(5, 10),
    ),
]


def build_known_store(path: Path) -> dict[str, int]:
    """Write the known content into a new SQLite store at ``path``; returns article ids."""
    store = SqliteStore(path)
    store.migrate()
    try:
        return _fill(store)
    finally:
        store.close()


def build_known_store_at(url: str) -> dict[str, int]:
    """The same known content in the store at ``url`` (any dialect)."""
    with open_store(url) as store:
        store.migrate()
        return _fill(store)


def _fill(store: Store) -> dict[str, int]:
    store.sync_outlets(OUTLETS, t(1, 0))
    feeds = {f.url: f for f in store.active_feeds()}
    outlet_of = {f.url: f.outlet_id for f in feeds.values()}
    for url, feed in feeds.items():
        specs = [a for a in ARTICLES if a.feed == url]
        entries = [FeedEntry(a.url, a.url, a.url, a.title, a.published, None, None) for a in specs]
        if url == "https://gamma.example/silent":
            entries = [
                FeedEntry(
                    f"https://gamma.example/s{i}",
                    f"https://gamma.example/s{i}",
                    f"s{i}",
                    "never fetched",
                    None,
                    None,
                    None,
                )
                for i in (1, 2)
            ]
        if url == "https://delta.example/feed":
            continue  # never polled
        store.record_feed_entries(
            feed, entries, etag=None, last_modified=None, content_hash=None, now=t(10, 11)
        )
    entry_of = {e.url: e.id for e in store.pending_entries()}
    ids: dict[str, int] = {}
    story_of: dict[str, int] = {}
    groups = {
        "S1": ["wire1", "alpha1", "beta1"],
        "S2": ["alpha2", "gamma2"],
        "S3": ["beta3"],
        "S4": ["wire4", "beta4"],
        "S5": ["alpha5"],
        "S6": ["gamma6"],
    }
    by_key = {a.key: a for a in ARTICLES}
    for story, keys in groups.items():
        story_id: int | None = None
        for key in keys:
            a = by_key[key]
            record = NewArticle(
                entry_id=entry_of[a.url],
                outlet_id=outlet_of[a.feed],
                url=a.url,
                guid=a.url,
                title=a.title,
                author=None,
                published_at=a.published,
                first_seen_at=a.first_seen,
                site_name=None,
                language="en",
                canonical_url=None,
                description=None,
                text=f"text of {key}",
                word_count=100,
                content_hash=f"v1:{key}",
                credits=[
                    {
                        "kind": "source",
                        "phrase": "Source: AFP",
                        "domain": "afp.com",
                        "outlet": "AFP",
                        "named": "AFP",
                    }
                ]
                if key == "beta3"
                else [],
                signature=b"",
                signature_params="test",
                paragraph_keys=(),
            )
            ids[key] = store.insert_article(record, story_id, a.first_seen)
            story_id = store.story_of(ids[key])
        story_of[story] = story_id or 0

    def origin(
        story: str, key: str, reason: str, members: list[tuple[str, str | None, float, str]]
    ) -> None:
        a = by_key[key]
        store.update_story(
            story_of[story],
            origin_article_id=ids[key],
            origin_outlet=next(o["name"] for o in OUTLETS if a.feed in o["feeds"]),
            origin_domain=None,
            attributed=False,
            reason=reason,
            evidence=[{"kind": reason, "time": (a.published or a.first_seen).isoformat()}],
            canonical_url=a.url,
            title=a.title,
            members=[
                (
                    ids[m],
                    "origin" if m == key else "copy",
                    ids[d] if d else None,
                    sim,
                    {"via": via} if via else {},
                )
                for m, d, sim, via in members
            ],
            now=NOW,
        )

    origin(
        "S1",
        "wire1",
        "role",
        [
            ("wire1", None, 1.0, ""),
            ("alpha1", "wire1", 1.0, "similarity"),
            ("beta1", "alpha1", 0.75, "similarity"),
        ],
    )
    origin(
        "S2",
        "alpha2",
        "earliest",
        [("alpha2", None, 1.0, ""), ("gamma2", "alpha2", 0.789, "similarity")],
    )
    origin("S4", "wire4", "role", [("wire4", None, 1.0, ""), ("beta4", "wire4", 1.0, "credit")])
    origin("S5", "alpha5", "only_member", [("alpha5", None, 1.0, "")])
    origin("S6", "gamma6", "only_member", [("gamma6", None, 1.0, "")])
    store.update_story(
        story_of["S3"],
        origin_article_id=None,
        origin_outlet="AFP",
        origin_domain="afp.com",
        attributed=True,
        reason="attribution",
        evidence=[
            {"kind": "source", "phrase": "Source: AFP", "domain": "afp.com", "outlet": "AFP"}
        ],
        canonical_url=by_key["beta3"].url,
        title="From AFP",
        members=[(ids["beta3"], "copy", None, 1.0, {"attributed_origin": "AFP"})],
        now=NOW,
    )

    def edge(
        x: str,
        y: str,
        shared: int,
        size_x: int,
        size_y: int,
        jaccard: float,
        rule: str,
        linked: bool,
    ) -> EdgeRecord:
        if ids[x] > ids[y]:
            x, y, size_x, size_y = y, x, size_y, size_x
        return EdgeRecord(ids[x], ids[y], shared, size_x, size_y, jaccard, rule, linked)

    store.add_edges(
        [
            edge("wire1", "alpha1", 200, 200, 200, 1.0, "exact", True),
            edge("alpha1", "beta1", 120, 300, 160, 0.45, "contained", True),
            edge("wire1", "beta1", 84, 300, 160, 0.22, "contained", True),  # containment 0.525
            edge("alpha2", "gamma2", 150, 200, 190, 0.62, "near_duplicate", True),
            edge("wire4", "beta4", 180, 180, 180, 1.0, "exact", True),
            edge("alpha5", "gamma2", 96, 200, 200, 0.3, "low_overlap", False),  # containment 0.48
            edge("beta3", "alpha5", 17, 100, 200, 0.06, "too_little_shared", False),
            edge("wire4", "gamma6", 98, 200, 200, 0.32, "low_overlap", False),  # both before 24h
        ],
        NOW,
    )
    broken = feeds["https://beta.example/broken"]
    store.record_feed_error(broken, "http_status", "HTTP 500", t(10, 10))
    store.record_feed_error(broken, "http_status", HOSTILE_ERROR, t(10, 11, 45))
    return ids
