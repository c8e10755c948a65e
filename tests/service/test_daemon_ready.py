"""READY=1 comes before any per-article work: with 50,000 stored articles, in seconds.

The store is filled with plain SQL (the daemon's start is what is measured,
not the filling): 50,000 articles in the dedup window with their
candidate-index rows, and the same 50,000 queued in the upgrade backlog, so
a start that indexed, warmed up or re-read anything per article before
READY=1 would take minutes (the former warm-up cost about 6 ms per article).
"""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from ingestd.store import Store
from ingestd.store.values import db_time
from tests.service.daemonproc import DaemonProcess, config_text
from tests.service.test_daemon_lifecycle import FakeSystemd

STORED = 50_000
TEXT = (
    "Le conseil municipal a adopté mardi soir un budget en hausse de douze pour cent.\n"
    "Les travaux doivent commencer en mars et durer deux ans selon le calendrier présenté."
)


def fill(db: Path, now: datetime) -> None:
    store = Store(db)
    store.migrate()
    store.sync_outlets(
        [{"name": "Alpha", "domain": "alpha.example", "role": None, "aliases": [], "feeds": []}],
        now,
    )
    store.close()
    rng = np.random.default_rng(1)
    signature = rng.integers(0, 2**32, 128, dtype=np.uint32).astype("<u4").tobytes()
    connection = sqlite3.connect(db)
    with connection:
        connection.executemany(
            "INSERT INTO store_stories (id, origin_outlet, origin_reason, canonical_url,"
            " created_at, updated_at) VALUES (?, 'Alpha', 'earliest', ?, ?, ?)",
            [
                (n, f"https://alpha.example/{n}", db_time(now), db_time(now))
                for n in range(1, STORED + 1)
            ],
        )
        rows = []
        for n in range(1, STORED + 1):
            seen = db_time(now - timedelta(seconds=n))
            rows.append(
                (
                    n,
                    n,
                    f"https://alpha.example/{n}",
                    seen,
                    seen,
                    TEXT,
                    30,
                    f"v1:{n:016x}",
                    signature,
                )
            )
        connection.executemany(
            "INSERT INTO store_articles (id, outlet_id, story_id, url, first_seen_at, updated_at,"
            " text, word_count, content_hash, signature, signature_params, member_role,"
            " similarity) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, ?, 'p', 'origin', 1.0)",
            rows,
        )
        keys = rng.integers(0, 2**62, (STORED, 8), dtype=np.int64)
        connection.executemany(
            "INSERT INTO store_index_articles (article_id, first_seen_at, params, size,"
            " text_hash, signature, keys, features) VALUES (?, ?, 1, 40, ?, ?, ?, x'00')",
            [
                (n, rows[n - 1][3], n, signature, keys[n - 1].astype("<i8").tobytes())
                for n in range(1, STORED + 1)
            ],
        )
        connection.executemany(
            "INSERT INTO store_index_keys (key, article_id) VALUES (?, ?)",
            [(int(key), n) for n in range(1, STORED + 1) for key in keys[n - 1]],
        )
        connection.executemany(
            "INSERT INTO store_index_backlog (article_id) VALUES (?)",
            [(n,) for n in range(1, STORED + 1)],
        )
    connection.close()


def test_ready_in_seconds_with_50000_stored_articles(tmp_path: Path) -> None:
    db = tmp_path / "ingestd.db"
    fill(db, datetime.now(UTC))
    systemd = FakeSystemd(tmp_path / "notify.sock")
    proc = DaemonProcess(tmp_path, config_text(db, [{"name": "Alpha", "domain": "alpha.example"}]))
    started = time.monotonic()
    proc.start(env={"NOTIFY_SOCKET": str(systemd.path)})
    try:
        deadline = started + 60
        while not any(m.startswith("READY=1") for m in systemd.messages):
            assert time.monotonic() < deadline, "no READY=1 within 60 s"
            assert proc.running(), "the daemon exited before READY=1"
            time.sleep(0.02)
        ready = time.monotonic() - started
        assert proc.stop() == 0
    finally:
        proc.close()
        systemd.close()
    # Python start-up and imports are most of it; 50,000 articles at the
    # former warm-up's 6 ms each would be 300 s.
    assert ready < 10, f"READY=1 after {ready:.1f} s"
