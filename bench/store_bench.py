"""The store at scale: insert, size, `stories show` latency and export, per backend.

    python bench/store_bench.py [--articles 200000] [--backend sqlite|postgresql|both]
                                [--batch 500] [--postgres postgresql://postgres@127.0.0.1:5432]

Fills a fresh store with synthetic articles of realistic size (4-8
paragraphs of 40-110 words, ~3.5 KB of text; a 512-byte signature; credits
and evidence JSON) spread over 40 outlets, through the store's own insert
path: feed entries recorded as pending, then for each article the calls the
linker makes (look-ups, ``insert_article``, ``add_edges``, ``story_members``,
``edges_among``, ``update_story``) under ``match_lock``, ``--batch`` articles
per transaction. 30% of the articles are copies filed into an earlier story.

After filling, statistics are refreshed (ANALYZE; VACUUM ANALYZE on
PostgreSQL) before the read timings. Prints, per backend:
- insert throughput (articles/s), and beside it the baseline measured in the
  same run on the same database: a bare ``executemany`` of the same article
  rows into an unindexed table (the ratio is what the store's bookkeeping costs);
- database size per 1,000 articles (growth over the empty, migrated store);
- `stories show` latency: the ``stories`` row and the ``story_members`` rows
  of one story, p50/p95 over random stories;
- export throughput: ``export_rows()`` (the store's streaming read of every member) and a
  plain ``select * from story_members``, in rows/s.

PostgreSQL runs in a uniquely named database created and dropped by the run.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from tempfile import TemporaryDirectory

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psycopg
from psycopg import sql

from ingestd.store import Store, open_store
from ingestd.store.records import EdgeRecord, NewArticle
from ingestd.types import FeedEntry

OUTLETS = 40
COPY_SHARE = 0.3
T0 = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass
class Figures:
    backend: str
    articles: int
    insert_s: float
    baseline_per_s: float
    size_per_1000: float
    show_p50_ms: float
    show_p95_ms: float
    export_rows_per_s: float
    export_stories_per_s: float
    view_rows_per_s: float


class Corpus:
    """Deterministic synthetic texts: paragraphs drawn from a pool of random ones."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        words = [
            "".join(self.rng.choices("abcdefghijklmnopqrstuvwxyzéè", k=self.rng.randint(2, 11)))
            for _ in range(20_000)
        ]
        self.paragraphs = [
            " ".join(self.rng.choices(words, k=self.rng.randint(40, 110))).capitalize() + "."
            for _ in range(8_000)
        ]

    def text(self) -> tuple[str, tuple[int, ...]]:
        chosen = self.rng.sample(range(len(self.paragraphs)), self.rng.randint(4, 8))
        # Most paragraph keys are unique per article, as in real news.
        keys = tuple(self.rng.getrandbits(63) for _ in chosen)
        return "\n".join(self.paragraphs[i] for i in chosen), keys


def new_article(corpus: Corpus, n: int, entry_id: int, outlet_id: int, url: str) -> NewArticle:
    text, keys = corpus.text()
    seen = T0 + timedelta(seconds=n * 13)
    return NewArticle(
        entry_id=entry_id,
        outlet_id=outlet_id,
        url=url,
        guid=url,
        title=f"Synthetic story number {n}: a headline of ordinary length for a news site",
        author="Desk reporter",
        published_at=seen - timedelta(minutes=30),
        first_seen_at=seen,
        site_name=f"Outlet {outlet_id}",
        language="fr",
        canonical_url=url,
        description="A one-sentence summary of the article, as pages give in their meta tags.",
        text=text,
        word_count=text.count(" ") + 1,
        content_hash=f"v1:{corpus.rng.getrandbits(64):016x}",
        credits=[{"kind": "line", "phrase": "outlet0.example", "domain": "outlet0.example"}]
        if n % 5 == 0
        else [],
        signature=corpus.rng.randbytes(512),
        signature_params="v1:128:5:1",
        paragraph_keys=keys,
    )


def fill(store: Store, count: int, batch: int, corpus: Corpus) -> float:
    """Insert ``count`` articles; returns the seconds taken."""
    now = T0
    store.sync_outlets(
        [
            {
                "name": f"Outlet {i}",
                "domain": f"outlet{i}.example",
                "role": "wire" if i == 0 else "original",
                "aliases": [],
                "feeds": [f"https://outlet{i}.example/rss.xml"],
            }
            for i in range(OUTLETS)
        ],
        now,
    )
    feeds = store.active_feeds()
    recent: list[int] = []  # article ids of the originals, the last ones get copied
    started = time.perf_counter()
    for start in range(0, count, batch):
        size = min(batch, count - start)
        feed = feeds[(start // batch) % len(feeds)]
        with store.transaction():
            entries = [
                FeedEntry(
                    url=f"https://outlet{feed.outlet_id}.example/a/{start + i}.html",
                    raw_url=f"https://outlet{feed.outlet_id}.example/a/{start + i}.html?utm=rss",
                    guid=f"{start + i}",
                    title="Synthetic",
                    published_at=now,
                    updated_at=None,
                    summary=None,
                )
                for i in range(size)
            ]
            store.record_feed_entries(
                feed, entries, etag='"x"', last_modified=None, content_hash=None, now=now
            )
            for pending in store.pending_entries(limit=size):
                record = new_article(
                    corpus, int(pending.guid), pending.id, pending.outlet_id, pending.url
                )
                now = record.first_seen_at
                with store.match_lock():
                    _link_like(store, record, recent, corpus, now)
    return time.perf_counter() - started


def _link_like(
    store: Store, record: NewArticle, recent: list[int], corpus: Corpus, now: datetime
) -> None:
    """The store calls the linker makes for one new article (see match/linker.py)."""
    store.article_id_for(record.url, record.outlet_id, record.guid)
    store.paragraph_counts(record.outlet_id, record.paragraph_keys)
    store.article_ids_with_hash(record.content_hash)
    target = None
    if recent and corpus.rng.random() < COPY_SHARE:
        target = corpus.rng.choice(recent[-5000:])
    story = store.story_of(target) if target is not None else None
    article_id = store.insert_article(record, story, now)
    if target is not None:
        store.add_edges([EdgeRecord(target, article_id, 90, 100, 95, 0.86, "near_copy", True)], now)
    else:
        recent.append(article_id)
    story_id = store.story_of(article_id)
    members = store.story_members(story_id)
    store.edges_among([m.article_id for m in members])
    origin = members[0]
    store.update_story(
        story_id,
        origin_article_id=origin.article_id,
        origin_outlet=origin.outlet_name,
        origin_domain=origin.outlet_domain,
        attributed=False,
        reason="earliest" if len(members) > 1 else "only_member",
        evidence=[{"kind": "earliest", "time": now.isoformat(), "words": origin.word_count}],
        canonical_url=origin.canonical_url or origin.url,
        title=origin.title,
        members=[
            (
                m.article_id,
                "origin" if m is origin else "copy",
                None if m is origin else origin.article_id,
                1.0 if m is origin else 0.9,
                {"origin": []}
                if m is origin
                else {"via": "similarity", "containment": 0.9, "jaccard": 0.86},
            )
            for m in members
        ],
        now=now,
    )


def baseline(store: Store, count: int, corpus: Corpus, batch: int) -> float:
    """Articles/s of a bare executemany of similar rows into an unindexed table."""
    rows = []
    for n in range(count):
        text, _ = corpus.text()
        rows.append((f"https://base.example/{n}", text, corpus.rng.randbytes(512)))
    store.execute(
        "CREATE TABLE bench_baseline (url TEXT NOT NULL, text TEXT, signature "
        + ("BLOB" if store.dialect == "sqlite" else "BYTEA")
        + ")"
    )
    driver = store._driver  # the bare driver is the point of the baseline
    started = time.perf_counter()
    for start in range(0, count, batch):
        with store.transaction():
            driver.executemany(
                "INSERT INTO bench_baseline (url, text, signature) VALUES (?, ?, ?)",
                rows[start : start + batch],
            )
    seconds = time.perf_counter() - started
    store.execute("DROP TABLE bench_baseline")
    return count / seconds


def show_latency(store: Store, samples: int) -> tuple[float, float]:
    """p50/p95 milliseconds of reading one story and its members through the views."""
    rng = random.Random(7)
    story_ids = [r[0] for r in store.query("SELECT story_id FROM stories WHERE member_count > 1")]
    if not story_ids:
        story_ids = [r[0] for r in store.query("SELECT story_id FROM stories")]
    times = []
    for _ in range(samples):
        story_id = rng.choice(story_ids)
        started = time.perf_counter()
        store.query_one("SELECT * FROM stories WHERE story_id = ?", (story_id,))
        store.query(
            "SELECT * FROM story_members WHERE story_id = ?"
            " ORDER BY member_role != 'origin', first_seen_at, article_id",
            (story_id,),
        )
        times.append((time.perf_counter() - started) * 1000)
    quantiles = statistics.quantiles(times, n=20)
    return statistics.median(times), quantiles[18]


def export_rates(store: Store) -> tuple[float, float, float]:
    """(member rows/s, stories/s) of export_rows(), and rows/s of select * from story_members."""
    started = time.perf_counter()
    stories = members = 0
    for row in store.export_rows():
        stories += 1
        members += len(row["members"])
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    view_rows = len(store.query("SELECT * FROM story_members"))
    view_seconds = time.perf_counter() - started
    return members / seconds, stories / seconds, view_rows / view_seconds


@contextmanager
def database(backend: str, server: str) -> Iterator[str]:
    """A fresh database URL for the backend, removed afterwards."""
    if backend == "sqlite":
        with TemporaryDirectory(prefix="ingestd-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
        return
    name = f"ingestd_bench_{uuid.uuid4().hex[:10]}"
    try:
        yield f"{server}/{name}"
    finally:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def run(backend: str, count: int, batch: int, server: str, echo: Callable[[str], None]) -> Figures:
    with database(backend, server) as url, open_store(url) as store:
        store.migrate()
        empty = store.size_bytes()
        echo(f"[{backend}] filling {count} articles, {batch} per transaction...")
        seconds = fill(store, count, batch, Corpus(1))
        size = store.size_bytes() - empty
        # Settle, as a running system would be by the time someone reads it:
        # fresh planner statistics (and on PostgreSQL a vacuumed table, so an
        # autovacuum of the bulk load does not run under the timings below).
        store._driver.script("VACUUM ANALYZE" if backend == "postgresql" else "ANALYZE")
        stories = store.query_one("SELECT count(*) FROM stories")
        echo(f"[{backend}] {count} articles in {stories[0] if stories else 0} stories")
        p50, p95 = show_latency(store, 2000)
        rows_s, stories_s, view_s = export_rates(store)
        # Last, so its table never counts in the size above.
        echo(f"[{backend}] baseline: bare executemany of {min(count, 20_000)} rows...")
        base = baseline(store, min(count, 20_000), Corpus(2), batch)
    return Figures(
        backend, count, seconds, base, size / count * 1000, p50, p95, rows_s, stories_s, view_s
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=500, help="articles per transaction")
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument(
        "--postgres",
        default="postgresql://postgres@127.0.0.1:5432",
        help="PostgreSQL server URL without a database",
    )
    args = parser.parse_args()
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    results = [
        run(b, args.articles, args.batch, args.postgres, lambda s: print(s, file=sys.stderr))
        for b in backends
    ]
    print(f"store benchmark: {args.articles} synthetic articles, {args.batch} per transaction")
    for f in results:
        rate = f.articles / f.insert_s
        print(f"\n{f.backend}")
        print(
            f"  insert:       {rate:,.0f} articles/s ({f.insert_s:.1f} s); bare executemany"
            f" baseline {f.baseline_per_s:,.0f} rows/s; ratio {f.baseline_per_s / rate:.1f}x"
        )
        print(f"  size:         {f.size_per_1000 / 1e6:.2f} MB per 1,000 articles")
        print(f"  stories show: p50 {f.show_p50_ms:.2f} ms, p95 {f.show_p95_ms:.2f} ms")
        print(
            f"  export:       export_rows {f.export_rows_per_s:,.0f} member rows/s"
            f" ({f.export_stories_per_s:,.0f} stories/s);"
            f" select * from story_members {f.view_rows_per_s:,.0f} rows/s"
        )


if __name__ == "__main__":
    main()
