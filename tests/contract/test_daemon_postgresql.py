"""`ingestd run` on PostgreSQL: the daemon's path (writer thread, schedule
state, migration 0003) stores what an uninterrupted SQLite run stores, then
resumes after SIGKILL without duplicating anything."""

from __future__ import annotations

import signal
import sqlite3
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.service.daemonproc import DaemonProcess, config_text
from tests.service.demo_site import outcome, reference_run, serve_demo
from tests.support.httpserver import LocalServer
from tests.support.postgres import pg_database

pytestmark = pytest.mark.postgres

SCHEDULE = {"min_interval": 60.0, "max_interval": 60.0, "jitter": 0.0}


def _sqlite_outcome(db: Path) -> dict[str, Any]:
    connection = sqlite3.connect(db)
    connection.row_factory = sqlite3.Row
    try:
        return outcome(lambda sql: connection.execute(sql).fetchall())
    finally:
        connection.close()


@pytest.mark.timeout(180)
def test_daemon_on_postgresql_matches_an_sqlite_run(
    tmp_path: Path, local_server: LocalServer
) -> None:
    outlets = serve_demo(local_server)
    reference_run(tmp_path / "reference.db", outlets)
    expected = _sqlite_outcome(tmp_path / "reference.db")
    total = len(expected["articles"])
    with pg_database() as url:

        def query(sql: str) -> list[Any]:
            with psycopg.connect(url, row_factory=dict_row) as connection:
                return connection.execute(sql).fetchall()

        def count(sql: str) -> int:
            rows = query(sql)
            return int(next(iter(rows[0].values())))

        def done() -> bool:
            try:
                return (
                    count("SELECT count(*) FROM articles") == total
                    and count("SELECT count(*) FROM store_entries WHERE state = 'pending'") == 0
                )
            except psycopg.errors.UndefinedTable:  # not migrated yet
                return False

        # Slow pages first, and a SIGKILL while entries are pending.
        serve_demo(local_server, page_delay=0.5)
        config = config_text(
            tmp_path / "unused.db",
            outlets,
            storage={"url": url},
            schedule=SCHEDULE,
            fetch={"concurrency": 1},
        )
        proc = DaemonProcess(tmp_path, config)
        try:
            proc.start()
            proc.wait_for(
                lambda: (
                    count("SELECT count(*) FROM store_entries") > 0 if _migrated(query) else False
                ),
                timeout=60,
                what="entries stored as pending",
            )
            proc.kill()
            assert count("SELECT count(*) FROM store_entries WHERE state = 'pending'") > 0
            serve_demo(local_server)
            proc.start()
            proc.wait_for(done, timeout=90, what=f"{total} articles on PostgreSQL")
            assert proc.stop(signal.SIGTERM) == 0
        finally:
            proc.close()
        assert not (tmp_path / "unused.db").exists()
        got = outcome(query)
    assert got["articles"] == expected["articles"]
    assert got["stories"] == expected["stories"]


def _migrated(query: Any) -> bool:
    rows = query("SELECT to_regclass('store_entries') IS NOT NULL AS present")
    return bool(rows[0]["present"])
