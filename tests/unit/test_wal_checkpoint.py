"""SQLite WAL checkpoints run in a background thread, not in the writer's commits."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from ingestd.store.checkpoint import SAFETY_NET_PAGES, Checkpointer
from ingestd.store.drivers import SqliteDriver


def _writer(path: Path) -> SqliteDriver:
    driver = SqliteDriver(path)
    driver.script("CREATE TABLE IF NOT EXISTS t (k INTEGER PRIMARY KEY, v BLOB)")
    return driver


def _wal_frames(path: Path) -> int:
    wal = Path(f"{path}-wal")
    return (wal.stat().st_size - 32) // (24 + 4096) if wal.exists() else 0


def test_checkpoints_leave_the_writer_and_the_wal_stays_small(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    driver = _writer(path)
    assert driver.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == SAFETY_NET_PAGES
    checkpointer = driver._checkpointer
    assert checkpointer is not None
    # 800 transactions of 64 KiB each: 50 MiB through the WAL, more than
    # SQLite's own 1,000-page checkpoint would let it hold.
    for number in range(800):
        driver.begin()
        driver.execute("INSERT INTO t (k, v) VALUES (?, ?)", (number, b"x" * 65536))
        driver.commit()
        if number % 50 == 49:
            time.sleep(0.3)  # the thread's pace: it checkpoints at most every 0.25 s
    deadline = time.monotonic() + 10
    while checkpointer.checkpoints == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert checkpointer.checkpoints > 0
    # Checkpointed frames are reused from the start of the file: far less
    # than 800 x 17 pages, and under half the writer's safety net.
    assert _wal_frames(path) < SAFETY_NET_PAGES // 2
    driver.close()
    # The writer's connection closes last: it checkpoints the rest and the WAL goes.
    assert not Path(f"{path}-wal").exists()
    with sqlite3.connect(path) as check:
        assert check.execute("SELECT count(*) FROM t").fetchone()[0] == 800


def test_close_stops_the_thread(tmp_path: Path) -> None:
    before = {t.name for t in threading.enumerate()}
    driver = _writer(tmp_path / "s.db")
    assert any(t.name.startswith("wal-checkpoint") for t in threading.enumerate())
    driver.close()
    assert {t.name for t in threading.enumerate()} <= before


def test_read_only_connections_start_no_thread(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    _writer(path).close()
    reader = SqliteDriver(path, read_only=True)
    assert reader._checkpointer is None
    reader.close()


def test_a_checkpoint_that_fails_leaves_the_thread_running(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    driver = _writer(path)
    checkpointer = Checkpointer(path, interval=0.01)
    real = checkpointer._db
    failures = []

    class Failing:
        """The connection, failing its first checkpoint as a busy database would."""

        def execute(self, sql: str) -> sqlite3.Cursor:
            if not failures:
                failures.append(sql)
                raise sqlite3.OperationalError("database is locked")
            return real.execute(sql)

        def close(self) -> None:
            real.close()

    checkpointer._db = Failing()  # type: ignore[assignment]
    checkpointer.nudge()
    deadline = time.monotonic() + 5
    while not failures and time.monotonic() < deadline:
        time.sleep(0.01)
    assert failures and checkpointer.checkpoints == 0
    checkpointer.nudge()
    while checkpointer.checkpoints == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert checkpointer.checkpoints == 1
    checkpointer.close()
    driver.close()
