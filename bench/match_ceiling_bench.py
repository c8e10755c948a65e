"""The matching ceiling: how many articles per second the serialised match step admits.

    python bench/match_ceiling_bench.py [--backend both|sqlite|postgresql]
                                        [--fill 1000] [--articles 2000]
                                        [--postgres postgresql://postgres@127.0.0.1:5432]

Matching is one decision at a time per store (DESIGN.md invariant 4: the
step holds ``Store.match_lock``, ``pg_advisory_xact_lock`` on PostgreSQL),
so however many workers share a store, together they link at most
1 / (time the lock is held per article) articles a second. This measures
that ceiling through the REAL :class:`~ingestd.match.linker.Linker` and
store, on a synthetic stream (ingestd.evaluation.stream: 40 outlets, 20%
planted copies): ``--fill`` articles are linked first (a store with
content), then ``--articles`` more are measured, each through
``Linker.link`` exactly as the importer and the daemon call it, one
transaction per article.

Printed per backend:

- the ceiling: articles/s = articles / total seconds inside ``match_lock``,
  and the lock hold p50/p95 in ms;
- the whole ``link`` call in articles/s (work done before taking the lock
  included: it runs in parallel across workers, the lock does not);
- round trips per article, inside the lock and in all, counted by the
  driver (``Driver.round_trips``: one per statement, per ``executemany``
  and per pipeline sync);
- a digest of the decisions (each article's story partition and each
  story's origin), which must not change when the step gets faster;
- the load average (the machine is shared).

The PostgreSQL database is created with a unique name and dropped at the end.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

# --tree DIR measures another checkout (a `git worktree` of an older commit):
# the old path, with the same bench.
sys.path.insert(
    0,
    sys.argv[sys.argv.index("--tree") + 1]
    if "--tree" in sys.argv
    else str(Path(__file__).resolve().parents[1]),
)

from ingestd.evaluation.stream import SyntheticStream
from ingestd.fingerprint.params import DEFAULT_PARAMS
from ingestd.match.linker import Linker
from ingestd.match.thresholds import DEFAULT_THRESHOLDS
from ingestd.ops.imports import ImportItem, OutletDirectory, parse_line
from ingestd.pipeline import outlet_table
from ingestd.settings import load_settings
from ingestd.store import Store, open_store

# isort: split
# The scale bench's helpers, imported after ingestd so that --tree decides
# which ingestd they use.
from scale_bench import article_of, drop_database, percentile


def round_trips(store: Store) -> int:
    """The driver's count of requests waited on (see ``Driver.round_trips``)."""
    return int(store._driver.round_trips)


def count_round_trips(store: Store) -> None:
    """Give an older driver (one without ``round_trips``) the same count.

    There every statement, ``executemany`` and lock was its own request.
    """
    driver: Any = store._driver
    if hasattr(driver, "round_trips"):
        return
    driver.round_trips = 0
    for name in ("execute", "executemany", "script", "begin", "commit", "rollback", "lock"):
        inner = getattr(driver, name)

        def counted(*args: Any, _inner: Callable[..., Any] = inner) -> Any:
            driver.round_trips += 1
            return _inner(*args)

        setattr(driver, name, counted)


class LockMeter:
    """Wraps a store's ``match_lock``: seconds and round trips spent holding it."""

    def __init__(self, store: Store):
        self.store = store
        self.held: list[float] = []
        self.trips = 0
        self._inner: Callable[[], Any] = store.match_lock

    @contextmanager
    def __call__(self) -> Iterator[None]:
        trips = round_trips(self.store)
        began = time.perf_counter()
        with self._inner():
            yield
        # The commit (which releases the lock) is part of the hold.
        self.held.append(time.perf_counter() - began)
        self.trips += round_trips(self.store) - trips


def decisions_digest(store: Store) -> tuple[str, int, int]:
    """(digest, stories, articles in a story with others) of the store's decisions."""
    rows = store.query(
        "SELECT a.url, a.story_id, a.member_role, o.url AS origin FROM store_articles a"
        " JOIN store_stories s ON s.id = a.story_id"
        " LEFT JOIN store_articles o ON o.id = s.origin_article_id ORDER BY a.id"
    )
    stories: dict[int, list[str]] = {}
    origin: dict[int, str] = {}
    for row in rows:
        stories.setdefault(int(row["story_id"]), []).append(f"{row['url']}:{row['member_role']}")
        origin[int(row["story_id"])] = row["origin"] or ""
    parts = sorted(f"{origin[s]}<{','.join(sorted(m))}" for s, m in stories.items())
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]
    grouped = sum(len(m) for m in stories.values() if len(m) > 1)
    return digest, len(stories), grouped


def run(url: str, lines: list[str], config: Path, fill: int, analyze: bool) -> dict[str, Any]:
    """Link every line through the real Linker; measure the lines after ``fill``."""
    settings = load_settings(config)
    store = open_store(url)
    store.migrate()
    count_round_trips(store)
    store.sync_outlets(outlet_table(settings), start_of(lines))
    directory = OutletDirectory(store.outlets())
    items = [parse_line(n, line, directory) for n, line in enumerate(lines, 1)]
    linker = Linker(
        store,
        params=DEFAULT_PARAMS,
        thresholds=DEFAULT_THRESHOLDS,
        window=timedelta(days=settings.match.dedup_window_days),
    )
    meter = LockMeter(store)
    store.match_lock = meter  # type: ignore[method-assign]
    feeds: dict[int, int] = {}
    walls: list[float] = []
    trips_all = 0
    for number, item in enumerate(items):
        assert isinstance(item, ImportItem), item
        seen = item.published_at or start_of(lines)
        if item.outlet_id not in feeds:
            feeds[item.outlet_id] = store.import_feed(item.outlet_id, f"o{item.outlet_id}", seen)
        entry = store.import_entry(
            feeds[item.outlet_id],
            item.outlet_id,
            guid=item.guid,
            url=item.url,
            title=item.title,
            published_at=item.published_at,
            now=seen,
        )
        if number == fill:
            if analyze and store.dialect == "postgresql":
                store.execute("ANALYZE")
            meter.held.clear()
            meter.trips = 0
        trips = round_trips(store)
        began = time.perf_counter()
        linker.link(entry, article_of(item), seen)
        if number >= fill:
            walls.append(time.perf_counter() - began)
            trips_all += round_trips(store) - trips
    measured = len(walls)
    digest, stories, grouped = decisions_digest(store)
    store.close()
    return {
        "articles": measured,
        "ceiling": measured / sum(meter.held),
        "held_p50": percentile(meter.held, 0.5) * 1000,
        "held_p95": percentile(meter.held, 0.95) * 1000,
        "link_rate": measured / sum(walls),
        "trips_locked": meter.trips / measured,
        "trips_all": trips_all / measured,
        "digest": digest,
        "stories": stories,
        "grouped": grouped,
    }


def start_of(lines: list[str]) -> datetime:
    """The stream's first publication time (the clock of the first link)."""
    return datetime.fromisoformat(json.loads(lines[0])["published_at"])


@contextmanager
def pg_database(server: str) -> Iterator[str]:
    """A uniquely named database on ``server`` (the store creates it), dropped afterwards."""
    name = f"ingestd_ceiling_{uuid.uuid4().hex[:8]}"
    try:
        yield f"{server}/{name}"
    finally:
        drop_database(server, name)


def report(backend: str, r: dict[str, Any]) -> None:
    print(
        f"{backend}: ceiling {r['ceiling']:.0f} articles/s (lock held p50 {r['held_p50']:.2f} ms,"
        f" p95 {r['held_p95']:.2f} ms); whole link() {r['link_rate']:.0f} articles/s;"
        f" round trips per article {r['trips_locked']:.2f} under the lock,"
        f" {r['trips_all']:.2f} in all; {r['articles']:,} articles measured",
        flush=True,
    )
    print(
        f"{backend}: decisions digest {r['digest']} ({r['stories']:,} stories,"
        f" {r['grouped']:,} articles sharing a story)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=["both", "sqlite", "postgresql"], default="both")
    parser.add_argument("--fill", type=int, default=1000)
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--days", type=float, default=4.0)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument(
        "--tree", default=None, help="measure the ingestd of this checkout (an older commit)"
    )
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="ANALYZE the store's tables after the fill (statistics an older store lacked)",
    )
    args = parser.parse_args()
    stream = SyntheticStream(articles=args.fill + args.articles, days=args.days, seed=11)
    lines = list(stream.lines())
    load = os.getloadavg()
    print(
        f"match ceiling bench: {args.fill:,} + {args.articles:,} articles, "
        f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (2 cores, shared)",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="ceiling-bench-") as folder:
        backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
        for backend in backends:
            if backend == "sqlite":
                url = f"sqlite:///{Path(folder) / 'ceiling.db'}"
                config = Path(folder) / "sqlite.toml"
                config.write_text(stream.config_toml(url, 14))
                report(backend, run(url, lines, config, args.fill, args.analyze))
            else:
                with pg_database(args.postgres) as url:
                    config = Path(folder) / "pg.toml"
                    config.write_text(stream.config_toml(url, 14))
                    report(backend, run(url, lines, config, args.fill, args.analyze))
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
