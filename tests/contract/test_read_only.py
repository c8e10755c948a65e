"""Read-only commands never write: not a byte of an SQLite store, nothing on PostgreSQL.

Reading a production database must never upgrade it (after which an older
daemon refuses it) nor change it in any other way. Only `run`, `poll`,
`import`, `db migrate` and the feed-editing commands migrate.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import pytest

from ingestd import cli
from ingestd.app import open_read_store
from ingestd.errors import StoreError
from ingestd.store import open_store
from ingestd.store.migrate import latest_version
from tests.support.reportstore import build_known_store, build_known_store_at

# Every command that only reads, with its arguments.
READ_COMMANDS: list[list[str]] = [
    ["report"],
    ["report", "--format", "json"],
    ["export", "--format", "jsonl"],
    ["export", "--format", "csv"],
    ["stories", "list"],
    ["stories", "show", "1"],
    ["feeds", "list", "--all"],
    ["feeds", "export-opml"],
    ["prune", "--older-than", "400d"],
    ["db", "status"],
    ["workers"],
    ["workers", "--all", "--format", "json"],
]


def run_main(args: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(sys, "argv", ["ingestd", *args])
    try:
        cli.main()
    except SystemExit as done:
        return int(done.code or 0)
    return 0


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def config_for(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "ingestd.toml"
    path.write_text(f'[storage]\nurl = "{url}"\n', "utf-8")
    return path


@pytest.mark.parametrize("args", READ_COMMANDS, ids=" ".join)
def test_read_command_on_an_older_schema_changes_nothing(
    args: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = tmp_path / "old.db"
    with open_store(f"sqlite:///{db}") as store:
        store.migrate(up_to=latest_version("sqlite") - 1)
    before = digest(db)
    config = config_for(tmp_path, f"sqlite:///{db}")
    status = run_main(["-c", str(config), *args], monkeypatch)
    captured = capsys.readouterr()
    assert digest(db) == before
    if args[0] == "db":
        # `db status` reports the pending migration instead of refusing.
        assert status == 0
        assert "pending migrations: " in captured.out
        assert "none" not in captured.out
        return
    assert status == 1
    [line] = captured.err.strip().splitlines()
    assert "run `ingestd db migrate`" in line


@pytest.mark.parametrize("args", READ_COMMANDS, ids=" ".join)
def test_read_command_on_a_current_store_changes_nothing(
    args: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = tmp_path / "known.db"
    build_known_store(db)
    before = digest(db)
    config = config_for(tmp_path, f"sqlite:///{db}")
    status = run_main(["-c", str(config), *args], monkeypatch)
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert digest(db) == before


def test_report_db_on_an_older_store_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "old.db"
    with open_store(f"sqlite:///{db}") as store:
        store.migrate(up_to=latest_version("sqlite") - 1)
    before = digest(db)
    assert run_main(["report", "--db", str(db)], monkeypatch) == 1
    assert "run `ingestd db migrate`" in capsys.readouterr().err
    assert digest(db) == before


def test_a_read_only_store_refuses_writes_on_every_dialect(store_url: str) -> None:
    build_known_store_at(store_url)
    store = open_read_store(store_url)
    try:
        before = store.counts()
        with pytest.raises(StoreError):
            store.execute("UPDATE store_outlets SET name = 'changed'")
        with pytest.raises(StoreError, match="read-only"):
            store.migrate()
        assert store.counts() == before
        assert store.query_one("SELECT count(*) AS n FROM outlets WHERE name = 'changed'")[0] == 0
    finally:
        store.close()
