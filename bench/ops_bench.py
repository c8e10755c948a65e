"""Operator commands on a large SQLite store: export, stories show/list, prune.

    python bench/ops_bench.py [--articles 200000]

Fills a fresh store (ingestd's own migrations) with synthetic stories of
two members each (an origin and a copy deriving from it, ~1.5 KB of text
and a 512-byte signature per article), then times, in the same run:

* the baseline: one raw ``SELECT * FROM story_members`` read of every
  member row, the least any export has to do;
* ``export`` as JSON Lines and as CSV (``write_jsonl`` / ``write_csv``),
  with their ratio to the baseline;
* ``stories show`` (read + tree rendering) and ``stories list``;
* ``prune`` planning and applying on every article.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingestd.ops.retention import apply_prune, plan_prune
from ingestd.ops.stories import list_stories, story_detail
from ingestd.ops.tree import render_story
from ingestd.report.export import write_csv, write_jsonl
from ingestd.store.sqlite import SqliteStore

WORDS = [
    "le",
    "la",
    "les",
    "un",
    "une",
    "des",
    "de",
    "du",
    "et",
    "en",
    "au",
    "aux",
    "pour",
    "par",
    "sur",
    "avec",
    "sans",
    "sous",
    "dans",
]
OUTLETS = 20


def fill(path: Path, articles: int) -> None:
    """Create the schema with ingestd, then bulk-insert synthetic stories."""
    store = SqliteStore(path)
    store.migrate()
    store.close()
    db = sqlite3.connect(path)
    rng = random.Random(7)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    text = " ".join(rng.choice(WORDS) for _ in range(300))
    with db:
        db.executemany(
            "INSERT INTO store_outlets (id, name, domain, aliases, created_at)"
            " VALUES (?, ?, ?, '[]', ?)",
            [(i, f"Outlet {i}", f"outlet{i}.example", start.isoformat()) for i in range(1, 21)],
        )
        for story in range(1, articles // 2 + 1):
            seen = (start + timedelta(seconds=story * 30)).isoformat()
            origin_id, copy_id = 2 * story - 1, 2 * story
            evidence = json.dumps([{"kind": "earliest", "time": seen, "words": 300}])
            db.execute(
                "INSERT INTO store_stories (id, origin_article_id, origin_outlet, origin_reason,"
                " origin_evidence, canonical_url, title, created_at, updated_at)"
                " VALUES (?, ?, ?, 'earliest', ?, ?, ?, ?, ?)",
                (
                    story,
                    origin_id,
                    f"Outlet {story % OUTLETS + 1}",
                    evidence,
                    f"https://outlet{story % OUTLETS + 1}.example/{story}",
                    f"Story {story}",
                    seen,
                    seen,
                ),
            )
            for article_id, outlet, role, derived in (
                (origin_id, story % OUTLETS + 1, "origin", None),
                (copy_id, (story + 1) % OUTLETS + 1, "copy", origin_id),
            ):
                db.execute(
                    "INSERT INTO store_articles (id, outlet_id, story_id, url, title,"
                    " published_at, first_seen_at, updated_at, text, word_count, content_hash,"
                    " credits, signature, signature_params, member_role, similarity,"
                    " derived_from, evidence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 300, ?, '[]',"
                    " randomblob(512), 'v1', ?, 0.97, ?, ?)",
                    (
                        article_id,
                        outlet,
                        story,
                        f"https://outlet{outlet}.example/a/{article_id}",
                        f"Story {story}",
                        seen,
                        seen,
                        seen,
                        text,
                        f"h{article_id}",
                        role,
                        derived,
                        json.dumps({"via": "similarity", "containment": 0.97, "jaccard": 0.95}),
                    ),
                )
    db.close()


def timed(label: str, seconds: float, extra: str = "") -> None:
    print(f"{label:<38} {seconds * 1000:10.3f} ms {extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ingestd-ops-bench-") as folder:
        path = Path(folder) / "bench.db"
        started = time.perf_counter()
        fill(path, args.articles)
        size = path.stat().st_size
        print(
            f"store: {args.articles} articles, {args.articles // 2} stories,"
            f" {size / 2**20:.0f} MiB, filled in {time.perf_counter() - started:.1f} s"
        )
        store = SqliteStore(path, create=False)
        stories = args.articles // 2

        started = time.perf_counter()
        rows = store.query("SELECT * FROM story_members")
        baseline = time.perf_counter() - started
        assert len(rows) == args.articles
        del rows
        timed("baseline: raw story_members read", baseline, f"{stories / baseline:,.0f} stories/s")

        for name, writer in (("export jsonl", write_jsonl), ("export csv", write_csv)):
            sink = io.StringIO()
            started = time.perf_counter()
            count = writer(store, sink)
            seconds = time.perf_counter() - started
            assert count == stories
            timed(
                name,
                seconds,
                f"{count / seconds:,.0f} stories/s, {seconds / baseline:.1f}x baseline,"
                f" {len(sink.getvalue()) / 2**20:.0f} MiB",
            )

        rng = random.Random(1)
        ids = [rng.randint(1, stories) for _ in range(200)]
        started = time.perf_counter()
        for story_id in ids:
            render_story(story_detail(store, story_id))
        timed("stories show (mean of 200)", (time.perf_counter() - started) / len(ids))

        started = time.perf_counter()
        listed = list_stories(store, limit=20)
        timed("stories list --limit 20", time.perf_counter() - started)
        assert len(listed) == 20
        last = datetime(2025, 1, 1, tzinfo=UTC) + timedelta(seconds=stories * 30)
        started = time.perf_counter()
        list_stories(store, since=last - timedelta(hours=24), limit=20)
        timed("stories list --since 24h", time.perf_counter() - started)

        cutoff = last + timedelta(days=1)
        started = time.perf_counter()
        plan = plan_prune(store, cutoff)
        timed("prune dry run (plan)", time.perf_counter() - started, f"{plan.articles} articles")
        started = time.perf_counter()
        pruned, _ = apply_prune(store, cutoff)
        seconds = time.perf_counter() - started
        assert pruned == args.articles
        timed("prune --apply", seconds, f"{pruned / seconds:,.0f} articles/s")
        store.close()


if __name__ == "__main__":
    main()
