"""Migrations, `ingestd db migrate|status`, and refusing what cannot be used."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from ingestd import app, cli
from ingestd.errors import SchemaVersionError, StoreError
from ingestd.settings import Settings
from ingestd.store import Store, open_store, redact
from ingestd.store import migrate as migrate_module
from ingestd.store.migrate import Migration, latest_version, migrations
from tests.support.postgres import SERVER, database_exists, drop_database

# Every migration this ingestd ships (the same numbers on every dialect).
LATEST = latest_version("sqlite")
NAMES = [f"{m.version:04d}_{m.name}" for m in migrations("sqlite")]


def run_main(args: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    """Run the console entry point as a shell would; returns the exit status."""
    monkeypatch.setattr(sys, "argv", ["ingestd", *args])
    try:
        cli.main()
    except SystemExit as done:
        return int(done.code or 0)
    return 0


def config(tmp_path: Path, url: str) -> Path:
    path = tmp_path / "ingestd.toml"
    path.write_text(f'[storage]\nurl = "{url}"\n', "utf-8")
    return path


def make_newer(url: str) -> int:
    """Record a schema version this ingestd does not know; returns it."""
    with open_store(url) as store:
        store.migrate()
        newer = store.latest_version() + 1
        store.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future', ?)",
            (newer, "2030-01-01T00:00:00+00:00"),
        )
    return newer


def test_migrate_applies_every_migration_once(store_url: str) -> None:
    with open_store(store_url) as store:
        dialect = store.dialect
        assert store.schema_version() == 0
        assert store.pending_migrations() == [(m.version, m.name) for m in migrations(dialect)]
        with pytest.raises(StoreError, match="run `ingestd db migrate`"):
            store.check_schema()
        assert store.migrate() == latest_version(dialect) == store.latest_version() == LATEST
        assert store.pending_migrations() == []
        store.check_schema()
        assert store.migrate() == LATEST  # idempotent
        rows = store.query("SELECT version, name FROM schema_migrations ORDER BY version")
        assert [(r["version"], r["name"]) for r in rows] == [
            (m.version, m.name) for m in migrations(dialect)
        ]
        assert [(r["version"], r["name"]) for r in rows][:2] == [
            (1, "initial"),
            (2, "public_views"),
        ]


def test_both_dialects_have_the_same_migrations() -> None:
    lite = [(m.version, m.name) for m in migrations("sqlite")]
    pg = [(m.version, m.name) for m in migrations("postgresql")]
    assert lite == pg


def test_a_failing_migration_leaves_the_previous_version(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = migrations
    broken = Migration(
        LATEST + 1,
        "broken",
        "CREATE TABLE store_half_done (id INTEGER);\nSELECT * FROM store_no_such_table;",
    )
    monkeypatch.setattr(migrate_module, "migrations", lambda d: [*real(d), broken])
    monkeypatch.setattr("ingestd.store.sql.migrations", lambda d: [*real(d), broken])
    monkeypatch.setattr("ingestd.store.sql.latest_version", lambda d: LATEST + 1)
    with open_store(store_url) as store:
        with pytest.raises(StoreError, match="store_no_such_table"):
            store.migrate()
        # The real migrations committed; the broken one left nothing behind.
        assert store.schema_version() == LATEST
        assert store.pending_migrations() == [(LATEST + 1, "broken")]
        with pytest.raises(StoreError):
            store.query("SELECT * FROM store_half_done")


def test_a_newer_schema_is_refused(
    store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    newer = make_newer(store_url)
    with open_store(store_url, create=False) as store:
        with pytest.raises(
            SchemaVersionError, match=f"schema version {newer}, newer than the {LATEST}"
        ):
            store.migrate()
        with pytest.raises(SchemaVersionError, match="upgrade ingestd"):
            store.check_schema()
    # Every command that opens the store refuses it, with exit status 1.
    settings = Settings.model_validate({"storage": {"url": store_url}})
    with pytest.raises(SchemaVersionError):
        app.open_store(settings)
    path = config(tmp_path, store_url)
    assert run_main(["-c", str(path), "export"], monkeypatch) == 1
    assert f"newer than the {LATEST} this ingestd knows: upgrade ingestd" in capsys.readouterr().err
    assert run_main(["-c", str(path), "db", "migrate"], monkeypatch) == 1
    assert "upgrade ingestd" in capsys.readouterr().err
    assert run_main(["-c", str(path), "db", "status"], monkeypatch) == 1
    out = capsys.readouterr().out
    assert f"schema version: {newer}" in out
    assert "newer than this ingestd" in out


def test_db_migrate_then_status(
    store_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = config(tmp_path, store_url)
    dialect = store_url.split(":")[0]
    # An empty database: status shows both migrations pending.
    with open_store(store_url):
        pass
    assert run_main(["-c", str(path), "db", "status"], monkeypatch) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"dialect: {dialect}",
        f"url: {store_url}",
        "schema version: 0",
        f"latest version: {LATEST}",
        f"pending migrations: {', '.join(NAMES)}",
    ]
    assert run_main(["-c", str(path), "db", "migrate"], monkeypatch) == 0
    assert f"migrated schema from version 0 to {LATEST}" in capsys.readouterr().out
    assert run_main(["-c", str(path), "db", "migrate"], monkeypatch) == 0
    assert f"schema already at version {LATEST}" in capsys.readouterr().out
    assert run_main(["-c", str(path), "db", "status"], monkeypatch) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[2:] == [
        f"schema version: {LATEST}",
        f"latest version: {LATEST}",
        "pending migrations: none",
    ]


def test_missing_sqlite_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "none.db"
    with pytest.raises(StoreError, match=f"no ingestd database at {db}"):
        open_store(f"sqlite:///{db}", create=False)
    path = config(tmp_path, f"sqlite:///{db}")
    assert run_main(["-c", str(path), "db", "status"], monkeypatch) == 1
    assert f"no ingestd database at {db}" in capsys.readouterr().err
    assert not db.exists()
    assert run_main(["-c", str(path), "db", "migrate"], monkeypatch) == 0
    assert db.exists()


@pytest.mark.postgres
def test_missing_postgresql_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    name = f"ingestd_test_missing_{tmp_path.name[-8:].lower().replace('-', '_')}"
    url = f"{SERVER}/{name}"
    assert not database_exists(name)
    with pytest.raises(StoreError, match=f"no ingestd database at {url}"):
        open_store(url, create=False)
    path = config(tmp_path, url)
    try:
        assert run_main(["-c", str(path), "db", "status"], monkeypatch) == 1
        assert "no ingestd database at" in capsys.readouterr().err
        assert not database_exists(name)
        # `db migrate` creates the database and its schema.
        assert run_main(["-c", str(path), "db", "migrate"], monkeypatch) == 0
        assert database_exists(name)
        with open_store(url, create=False) as store:
            store.check_schema()
    finally:
        drop_database(name)


def test_wrong_url_scheme() -> None:
    with pytest.raises(StoreError, match=r"'mysql://me@db/x': unknown scheme; use sqlite:///"):
        open_store("mysql://me:hunter2@db/x")


@pytest.mark.postgres
def test_unreachable_server_names_the_url_without_password() -> None:
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    url = "postgresql://ingestd:hunter2@127.0.0.1:1/ingestd"
    with pytest.raises(StoreError) as raised:
        open_store(url)
    message = str(raised.value)
    assert message.startswith("cannot reach PostgreSQL at postgresql://ingestd@127.0.0.1:1/ingestd")
    assert "hunter2" not in message
    assert raised.value.__cause__ is None or "hunter2" not in str(raised.value.__cause__)


def test_redact() -> None:
    assert redact("postgresql://u:p%40ss@h:5432/db?sslmode=require") == (
        "postgresql://u@h:5432/db?sslmode=require"
    )
    assert redact("postgresql://u@h/db") == "postgresql://u@h/db"
    assert redact("postgresql://:secret@[::1]:5/db") == "postgresql://[::1]:5/db"
    assert redact("sqlite:///tmp/x.db") == "sqlite:///tmp/x.db"


def test_sqlite_path_store_is_the_same_class(tmp_path: Path) -> None:
    # The historical constructor keeps working: SqliteStore(path) is a Store.
    from ingestd.store import SqliteStore

    with SqliteStore(tmp_path / "x.db") as store:
        assert isinstance(store, Store)
        assert store.dialect == "sqlite"
        assert store.migrate() == LATEST


def test_processes_starting_together_migrate_once(store_url: str) -> None:
    # Workers sharing one database may all start (and migrate) at once.
    with open_store(store_url):
        pass  # create the empty database
    barrier = threading.Barrier(3)
    results: list[object] = []

    def start() -> None:
        try:
            with open_store(store_url, create=False) as store:
                barrier.wait(5)
                results.append(store.migrate())
        except BaseException as error:
            results.append(error)

    threads = [threading.Thread(target=start) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results == [LATEST, LATEST, LATEST]
    with open_store(store_url, create=False) as store:
        assert store.query_one("SELECT count(*) FROM schema_migrations")[0] == len(NAMES)


def test_a_migration_landing_below_the_applied_version_is_still_applied(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Branches take their numbers in advance: 0010 may be applied before 0009 exists.
    real = migrations
    late = real("sqlite")[-2].version  # stands for the one that lands later
    without = lambda d: [m for m in real(d) if m.version != late]  # noqa: E731
    monkeypatch.setattr("ingestd.store.sql.migrations", without)
    with open_store(store_url) as store:
        assert store.migrate() == LATEST
        assert (late, real("sqlite")[-2].name) not in [
            (r["version"], r["name"])
            for r in store.query("SELECT version, name FROM schema_migrations")
        ]
    monkeypatch.setattr("ingestd.store.sql.migrations", real)
    with open_store(store_url) as store:
        assert store.pending_migrations() == [(late, real(store.dialect)[-2].name)]
        with pytest.raises(StoreError, match="run `ingestd db migrate`"):
            store.check_schema()
        assert store.migrate() == LATEST
        assert store.pending_migrations() == []
        store.check_schema()


def test_migration_numbers_must_start_at_one_and_not_repeat(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for names in (["0002_a.sql"], ["0001_a.sql", "0001_b.sql"]):
        folder = tmp_path / str(len(list(tmp_path.iterdir())))
        (folder / "sqlite").mkdir(parents=True)
        for name in names:
            (folder / "sqlite" / name).write_text("SELECT 1;", "utf-8")
        monkeypatch.setattr(migrate_module, "storage_dir", lambda f=folder: f)
        with pytest.raises(RuntimeError, match="must start at 1, once each"):
            migrations("sqlite")
