"""Candidate-index layouts compared on SQLite: insert cost, look-up latency, bytes per article.

    python bench/index_bench.py [--articles 200000] [--probes 2000]

Each article has 37 band keys (datasketch's 37 bands x 3 rows at the 0.3
threshold) and 8 lead-sentence keys, as 63-bit hashes, and a 512-byte
signature. A probe is a new article's 45 keys; a quarter of the probes share
keys with an indexed article (a copy), the rest hit nothing, as in a news
stream. Layouts:

  kept     store_index_keys(key, article_id) WITHOUT ROWID, primary key only;
           ONE query per article for all keys, joined to the per-article
           row (signature, size) -- what migration 0006 creates;
  per-key  the same tables, one query per key (45 round trips);
  banded   the obvious (band, key) -> article rowid table with an index on
           (band, key) and one on article_id (for eviction), keys folded to
           32 bits, then a second query for the signatures;
  memory   an in-process compact cache: sorted numpy arrays of keys and
           article ids (what a process would hold and catch up from the
           store), looked up with searchsorted.

Prints per layout: articles/s inserted (one transaction per 100 articles),
probe p50/p95 in ms, and bytes per article (database growth, or the arrays'
memory). The baseline is the `kept` layout measured in the same run.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

BANDS, LEADS = 37, 8


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def make_keys(rng: np.random.Generator, count: int) -> np.ndarray:
    return rng.integers(0, 2**63 - 1, (count, BANDS + LEADS), dtype=np.int64)


def probes(rng: np.random.Generator, keys: np.ndarray, count: int) -> list[list[int]]:
    found = []
    for number in range(count):
        fresh = rng.integers(0, 2**63 - 1, BANDS + LEADS, dtype=np.int64)
        if number % 4 == 0:  # a copy: shares a third of the bands and its lead
            source = keys[int(rng.integers(0, len(keys)))]
            fresh[:12] = source[:12]
            fresh[BANDS:] = source[BANDS:]
        found.append([int(k) for k in fresh])
    return found


def connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("PRAGMA cache_size=-32768")
    return db


def size_of(path: Path, db: sqlite3.Connection) -> int:
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.stat().st_size


def fill(db: sqlite3.Connection, keys: np.ndarray, signature: bytes, banded: bool) -> float:
    started = time.perf_counter()
    for start in range(0, len(keys), 100):
        db.execute("BEGIN")
        for article_id in range(start, min(start + 100, len(keys))):
            row = keys[article_id]
            db.execute(
                "INSERT INTO arts (article_id, size, signature, keys) VALUES (?, 300, ?, ?)",
                (article_id, signature, row.astype("<i8").tobytes()),
            )
            if banded:
                db.executemany(
                    "INSERT INTO bands (band, key, article_id) VALUES (?, ?, ?)",
                    [(band, int(k) & 0xFFFFFFFF, article_id) for band, k in enumerate(row)],
                )
            else:
                db.executemany(
                    "INSERT INTO keys (key, article_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                    [(int(k), article_id) for k in row],
                )
        db.execute("COMMIT")
    return len(keys) / (time.perf_counter() - started)


def timed(probe_list: list[list[int]], look: Callable[[list[int]], object]) -> tuple[float, float]:
    times = []
    for probe in probe_list:
        began = time.perf_counter()
        look(probe)
        times.append((time.perf_counter() - began) * 1000)
    return percentile(times, 0.5), percentile(times, 0.95)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=200_000)
    parser.add_argument("--probes", type=int, default=2000)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    keys = make_keys(rng, args.articles)
    signature = rng.integers(0, 2**32, 128, dtype=np.uint32).astype("<u4").tobytes()
    probe_list = probes(rng, keys, args.probes)
    folder = Path(tempfile.mkdtemp(prefix="index-bench-"))
    results = []

    path = folder / "kept.db"
    db = connect(path)
    db.execute(
        "CREATE TABLE arts (article_id INTEGER PRIMARY KEY, size INTEGER,"
        " signature BLOB, keys BLOB)"
    )
    db.execute(
        "CREATE TABLE keys (key INTEGER NOT NULL, article_id INTEGER NOT NULL,"
        " PRIMARY KEY (key, article_id)) WITHOUT ROWID"
    )
    empty = size_of(path, db)
    rate = fill(db, keys, signature, banded=False)
    per_article = (size_of(path, db) - empty) / args.articles

    def one_query(probe: list[int]) -> object:
        marks = ",".join("?" * len(probe))
        return db.execute(
            "SELECT k.key, a.article_id, a.size, a.signature FROM keys k"
            f" JOIN arts a ON a.article_id = k.article_id WHERE k.key IN ({marks})",
            probe,
        ).fetchall()

    def per_key(probe: list[int]) -> object:
        rows = []
        for key in probe:
            rows += db.execute(
                "SELECT k.key, a.article_id, a.size, a.signature FROM keys k"
                " JOIN arts a ON a.article_id = k.article_id WHERE k.key = ?",
                (key,),
            ).fetchall()
        return rows

    results.append(("kept (one query)", rate, *timed(probe_list, one_query), per_article))
    results.append(("per-key queries", rate, *timed(probe_list, per_key), per_article))
    db.close()

    path = folder / "banded.db"
    db = connect(path)
    db.execute(
        "CREATE TABLE arts (article_id INTEGER PRIMARY KEY, size INTEGER,"
        " signature BLOB, keys BLOB)"
    )
    db.execute("CREATE TABLE bands (band INTEGER, key INTEGER, article_id INTEGER)")
    db.execute("CREATE INDEX bands_key ON bands (band, key)")
    db.execute("CREATE INDEX bands_article ON bands (article_id)")
    empty = size_of(path, db)
    rate = fill(db, keys, signature, banded=True)
    per_article = (size_of(path, db) - empty) / args.articles

    def banded(probe: list[int]) -> object:
        pairs = [(band, k & 0xFFFFFFFF) for band, k in enumerate(probe)]
        values = ",".join("(?, ?)" for _ in pairs)
        flat = [v for pair in pairs for v in pair]
        ids = [
            r[0]
            for r in db.execute(
                f"WITH p(band, key) AS (VALUES {values}) SELECT DISTINCT b.article_id"
                " FROM p JOIN bands b ON b.band = p.band AND b.key = p.key",
                flat,
            )
        ]
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        return db.execute(
            f"SELECT article_id, size, signature FROM arts WHERE article_id IN ({marks})", ids
        ).fetchall()

    results.append(("banded (band,key) + index", rate, *timed(probe_list, banded), per_article))
    db.close()

    started = time.perf_counter()
    flat_keys = keys.reshape(-1)
    owners = np.repeat(np.arange(args.articles, dtype=np.int32), BANDS + LEADS)
    order = np.argsort(flat_keys, kind="stable")
    sorted_keys, sorted_owners = flat_keys[order], owners[order]
    rate = args.articles / (time.perf_counter() - started)
    memory = (sorted_keys.nbytes + sorted_owners.nbytes) / args.articles + len(signature)

    def in_memory(probe: list[int]) -> object:
        wanted = np.asarray(probe, dtype=np.int64)
        left = np.searchsorted(sorted_keys, wanted, "left")
        right = np.searchsorted(sorted_keys, wanted, "right")
        return [sorted_owners[a:b] for a, b in zip(left, right, strict=True) if b > a]

    results.append(("memory arrays (+signature)", rate, *timed(probe_list, in_memory), memory))

    base = results[0]
    print(f"{args.articles:,} indexed articles, {args.probes:,} probes of {BANDS + LEADS} keys")
    print(
        f"{'layout':30} {'insert/s':>9} {'p50 ms':>8} {'p95 ms':>8} {'bytes/art':>10}"
        f" {'p50 vs kept':>12}"
    )
    for name, rate, p50, p95, size in results:
        print(f"{name:30} {rate:9.0f} {p50:8.3f} {p95:8.3f} {size:10.0f} {p50 / base[2]:12.2f}")


if __name__ == "__main__":
    main()
