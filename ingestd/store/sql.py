"""The store, written once for every dialect (SQLite and PostgreSQL).

Here: the store's lifecycle, its migrations, transactions and the match
lock, and the portable SQL surface (``query``, ``execute``, ``insert`` …);
each aggregate's SQL is in a mixin of its own (see :class:`Store`).

Every method of the store speaks the portable SQL of its contract: ``?``
placeholders, ``ON CONFLICT``, ``RETURNING id``, 0/1 for booleans, times
written as ISO text through :func:`~ingestd.store.values.db_time` and read
through :func:`~ingestd.store.values.py_time`, JSON through ``db_json`` /
``py_json``. What differs between the databases (connecting, placeholder
style, locking, error types) is the driver's job (:mod:`ingestd.store.drivers`).

Every write happens inside :meth:`Store.transaction`, one ``BEGIN`` each
(``BEGIN IMMEDIATE`` on SQLite), so a crash leaves either all of a step or
none. The matching step runs under :meth:`Store.match_lock` (invariant 4).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingestd.errors import SchemaVersionError, StoreError
from ingestd.store.article_writes_sql import ArticleWritesSql
from ingestd.store.articles_sql import ArticlesSql
from ingestd.store.drivers import Driver, PostgresDriver, SqliteDriver
from ingestd.store.entries_sql import EntriesSql
from ingestd.store.feeds_sql import FeedsSql
from ingestd.store.hosts import HostGateStore
from ingestd.store.index_sql import IndexSql
from ingestd.store.leases import LeaseStore
from ingestd.store.migrate import latest_version, migrations
from ingestd.store.reads_sql import ReadsSql
from ingestd.store.stories_sql import StoriesSql
from ingestd.store.values import db_time

# The advisory lock key of the matching step: a fixed 32-bit number derived
# from a name, so every ingestd process sharing one database agrees on it.
MATCH_LOCK_KEY = zlib.crc32(b"ingestd.match")
MIGRATE_LOCK_KEY = zlib.crc32(b"ingestd.migrate")

# The tables the match step reads, whose planner statistics the store keeps
# itself: a server may run with autovacuum off, and an unanalysed index
# table makes the planner hash-join or scan the whole of it on every look-up.
MATCH_TABLES = (
    "store_index_articles",
    "store_index_keys",
    "store_index_backlog",
    "store_articles",
    "store_match_edges",
    "store_outlet_paragraphs",
)
# Index changes (articles written or dropped) between two checks of their
# statistics: at least this many, and a tenth of the index's size. A check
# is one catalog read after a commit; an ANALYZE follows only when a table
# changed by 50 rows + 10% since its last one (autovacuum's rule), so the
# statistics never fall further behind than autovacuum would let them.
STATISTICS_CHECK_MIN = 50
STATISTICS_CHECK_SHARE = 0.1


class Store(
    FeedsSql,
    EntriesSql,
    ArticlesSql,
    ArticleWritesSql,
    IndexSql,
    StoriesSql,
    ReadsSql,
    HostGateStore,
    LeaseStore,
):
    """ingestd's store over one database connection, of either dialect.

    Its methods come by aggregate (:mod:`ingestd.store.protocol`): the
    mixins add outlets and feeds (:mod:`~ingestd.store.feeds_sql`), entries
    (:mod:`~ingestd.store.entries_sql`), the articles' reads and retention
    (:mod:`~ingestd.store.articles_sql`), the article writes
    (:mod:`~ingestd.store.article_writes_sql`), the candidate index
    (:mod:`~ingestd.store.index_sql`), stories (:mod:`~ingestd.store.stories_sql`),
    the read-side queries (:mod:`~ingestd.store.reads_sql`), fleet-wide
    politeness (:mod:`~ingestd.store.hosts`) and worker leases
    (:mod:`~ingestd.store.leases`).

    Open one with :func:`ingestd.store.open_store` (a URL), or ``Store(path)``
    for an SQLite file, or ``Store(driver)`` with an open driver. The
    fleet-wide politeness methods (host turns, slots, pauses, robots.txt)
    come from :class:`~ingestd.store.hosts.HostGateStore`.
    """

    def __init__(self, source: Driver | Path, *, create: bool = True):
        self._driver: Driver = (
            SqliteDriver(source, create=create) if isinstance(source, Path) else source
        )
        self._in_transaction = False
        # In-memory effects of the open transaction, run once it commits.
        self._after_commit: list[Callable[[], None]] = []
        # The first index change of a process checks at once (a store filled
        # by an older version may never have been analysed).
        self._index_changes = 0
        self._next_check = 1

    # -- lifecycle ---------------------------------------------------------

    @property
    def path(self) -> Path | None:
        """The SQLite file, or None for a server database."""
        path = getattr(self._driver, "path", None)
        return path if isinstance(path, Path) else None

    @property
    def read_only(self) -> bool:
        """Whether the connection refuses writes (a read-only command's store)."""
        return self._driver.read_only

    @property
    def where(self) -> str:
        """Where the database is, safe to print: a path, or a URL without password."""
        return self._driver.where

    @property
    def in_transaction(self) -> bool:
        """Whether a transaction (and maybe the match lock) is open on this connection."""
        return self._in_transaction

    @property
    def round_trips(self) -> int:
        """Requests this connection has waited on so far (for benchmarks)."""
        return self._driver.round_trips

    def close(self) -> None:
        """Close the connection."""
        self._driver.close()

    @property
    def statements(self) -> int:
        """Statements this connection has sent (round trips on PostgreSQL)."""
        return self._driver.round_trips

    def another_connection(self) -> Store:
        """A new connection to the same database (for a thread of its own)."""
        if self.path is not None:
            return Store(SqliteDriver(self.path, create=False, read_only=self.read_only))
        url = getattr(self._driver, "url", None)
        if not isinstance(url, str):
            raise StoreError(f"database {self.where}: cannot open another connection")
        return Store(PostgresDriver(url, create=False, read_only=self.read_only))

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def schema_version(self) -> int:
        """The applied schema version (0 for an empty database)."""
        if not self._driver.has_table("schema_migrations"):
            return 0
        row = self._driver.execute("SELECT max(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0)

    def latest_version(self) -> int:
        """The schema version this ingestd writes."""
        return latest_version(self.dialect)

    def _applied_versions(self) -> set[int]:
        if not self._driver.has_table("schema_migrations"):
            return set()
        rows = self._driver.execute("SELECT version FROM schema_migrations").fetchall()
        return {int(row[0]) for row in rows}

    def pending_migrations(self) -> list[tuple[int, str]]:
        """(version, name) of the migrations not yet applied, in order.

        A migration numbered below the current version but never applied
        (it landed after a higher-numbered one) is pending too.
        """
        applied = self._applied_versions()
        return [(m.version, m.name) for m in migrations(self.dialect) if m.version not in applied]

    def _refuse_newer(self, current: int, latest: int) -> None:
        if current > latest:
            raise SchemaVersionError(
                f"database {self.where} has schema version {current}, newer than the "
                f"{latest} this ingestd knows: upgrade ingestd"
            )

    def migrate(self, up_to: int | None = None) -> int:
        """Apply missing migrations, each in its own transaction; returns the version.

        ``up_to`` stops after that version (to build an older store in tests).
        """
        if self.read_only:
            raise StoreError(f"database {self.where} is open read-only: cannot migrate it")
        self._refuse_newer(self.schema_version(), self.latest_version())
        applied = self._applied_versions()
        for migration in migrations(self.dialect):
            if migration.version in applied or (up_to is not None and migration.version > up_to):
                continue
            with self.transaction():
                # Several processes may start at once (workers sharing one
                # PostgreSQL): one applies each migration, the others wait
                # here and then find it applied.
                self._driver.lock(MIGRATE_LOCK_KEY)
                if migration.version in self._applied_versions():
                    continue
                if migration.version == 1:
                    self._driver.script(
                        "CREATE TABLE IF NOT EXISTS schema_migrations ("
                        " version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                        " applied_at TEXT NOT NULL)"
                    )
                for statement in _statements(migration.sql):
                    self._driver.script(statement)
                self._driver.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (migration.version, migration.name, db_time(datetime.now(UTC))),
                )
        return self.schema_version()

    def check_schema(self) -> None:
        """Refuse a database whose schema is newer than ours, or not migrated."""
        current, latest = self.schema_version(), self.latest_version()
        self._refuse_newer(current, latest)
        if current < latest or self.pending_migrations():
            raise StoreError(
                f"database {self.where} is at schema version {current}, expected {latest}: "
                "run `ingestd db migrate`"
            )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction; nested calls join the outer one."""
        if self._in_transaction:
            yield
            return
        self._driver.begin()
        self._in_transaction = True
        try:
            yield
        except BaseException:
            self._driver.rollback()
            raise
        else:
            try:
                self._driver.commit()
            except BaseException:
                # A deferred write's error surfaces at COMMIT: end the
                # failed transaction so the connection stays usable.
                self._driver.rollback()
                raise
        finally:
            self._in_transaction = False
            effects, self._after_commit = self._after_commit, []
        # Only what committed reaches memory (a rolled-back step's effects
        # are dropped with it).
        for effect in effects:
            effect()
        if self._index_changes >= self._next_check:
            # After the commit, so never under the match lock.
            self.refresh_statistics()

    def on_commit(self, effect: Callable[[], None]) -> None:
        """Run ``effect`` once the open transaction commits (now, outside one).

        For a caller's in-memory state that must follow the store's (a
        cache learning an article): dropped if the transaction rolls back,
        so a step replayed after a failed group commit is remembered once.
        """
        if self._in_transaction:
            self._after_commit.append(effect)
        else:
            effect()

    def refresh_statistics(self) -> list[str]:
        """Re-analyse the tables the match step reads whose statistics are stale.

        Called by the store itself after the transaction that made the
        index grow or shrink by ``STATISTICS_CHECK_MIN`` articles or a
        tenth of its size, whichever is more: bounded work (a catalog read;
        ANALYZE samples a fixed number of rows), never proportional to the
        store on the hot path, never under the match lock. Returns the
        tables analysed (none on SQLite, whose planner needs no statistics
        for these look-ups).
        """
        self._index_changes = 0
        if self.read_only:
            return []
        analysed, rows = self._driver.refresh_statistics(MATCH_TABLES)
        if not rows:
            self._next_check = 2**62  # this dialect keeps no statistics
        else:
            indexed = rows.get("store_index_articles", 0)
            self._next_check = max(STATISTICS_CHECK_MIN, int(STATISTICS_CHECK_SHARE * indexed))
        return analysed

    @contextmanager
    def match_lock(self) -> Iterator[None]:
        """A transaction holding the store's matching lock (invariant 4).

        The query-candidates → decide → insert → assign step of every
        process sharing this store runs under it, one at a time, so two
        workers can never split one story in two. On PostgreSQL it is a
        transaction-scoped advisory lock (``pg_advisory_xact_lock``); on
        SQLite the ``BEGIN IMMEDIATE`` write lock already serialises it.
        Joins an open transaction (and then holds the lock until it ends).
        """
        with self.transaction():
            self._driver.lock(MATCH_LOCK_KEY)
            yield

    # -- portable SQL surface ----------------------------------------------
    # Code outside the store (scheduler, reports, operator commands) writes
    # its queries against these methods with ``?`` placeholders and portable
    # SQL (ON CONFLICT, RETURNING id, 0/1 for booleans, times via
    # ingestd.store.values), so the same query runs on every dialect.

    @property
    def dialect(self) -> str:
        """The SQL dialect: ``"sqlite"`` or ``"postgresql"``."""
        return self._driver.dialect

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """All rows of a read query; rows index by column name."""
        return self._driver.execute(sql, params).fetchall()

    def query_one(self, sql: str, params: Sequence[Any] = ()) -> Any | None:
        """The first row of a read query, or None."""
        row: Any | None = self._driver.execute(sql, params).fetchone()
        return row

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one write statement (inside :meth:`transaction`); returns the row count."""
        with self.transaction():
            return self._driver.execute(sql, params).rowcount

    def insert(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run an ``INSERT … RETURNING id`` and return the new id."""
        with self.transaction():
            row = self._driver.execute(sql, params).fetchone()
        if row is None:
            raise StoreError(f"insert returned no id: {sql}")
        return int(row[0])

    def size_bytes(self) -> int:
        """The database's size on disk (for benchmarks and `ingestd db status`)."""
        return self._driver.size_bytes()


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (no semicolons inside strings here).

    A ``CREATE TRIGGER … BEGIN … END`` holds semicolons of its own: it stays
    one statement up to its ``END``.
    """
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    statements: list[str] = []
    pending: list[str] = []
    for part in "\n".join(lines).split(";"):
        pending.append(part)
        text = ";".join(pending).strip()
        if _TRIGGER.match(text) and not _TRIGGER_END.search(text):
            continue
        if text:
            statements.append(text)
        pending = []
    return statements


_TRIGGER = re.compile(r"CREATE\s+TRIGGER\b", re.IGNORECASE)
_TRIGGER_END = re.compile(r"\bEND$", re.IGNORECASE)
