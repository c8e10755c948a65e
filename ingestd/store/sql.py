"""The store, written once for every dialect (SQLite and PostgreSQL).

Every method here speaks the portable SQL of the store's contract: ``?``
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
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingestd.errors import SchemaVersionError, StoreError
from ingestd.store.article_writes_sql import ArticleWritesSql
from ingestd.store.articles_sql import ArticlesSql
from ingestd.store.drivers import Driver, PostgresDriver, SqliteDriver
from ingestd.store.feeds_sql import FeedsSql
from ingestd.store.hosts import HostGateStore
from ingestd.store.index_sql import IndexSql
from ingestd.store.leases import LeaseStore
from ingestd.store.migrate import latest_version, migrations
from ingestd.store.reads_sql import ReadsSql
from ingestd.store.records import (
    FeedRow,
    OutletRow,
    PendingEntry,
)
from ingestd.store.rows import _role
from ingestd.store.stories_sql import StoriesSql
from ingestd.store.values import db_json, db_time, py_json, py_time
from ingestd.types import FeedEntry

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
    mixins add feeds and entries (:mod:`~ingestd.store.feeds_sql`), article
    retention (:mod:`~ingestd.store.articles_sql`), the read-side queries
    (:mod:`~ingestd.store.reads_sql`), fleet-wide politeness
    (:mod:`~ingestd.store.hosts`) and worker leases (:mod:`~ingestd.store.leases`).

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

    # -- outlets and feeds -------------------------------------------------

    def sync_outlets(
        self, outlets: Sequence[dict[str, Any]], now: datetime, *, owner: str = ""
    ) -> None:
        """Make stored outlets and feeds match one configuration file, ``owner``.

        Each item has ``name``, ``domain``, ``role``, ``aliases``, ``feeds``.
        Feeds the file lists become active and owned by it; feeds it owned
        and no longer lists are deactivated, never deleted (their entries and
        articles stay). Feeds owned by another file, or added with
        `ingestd feeds add`, are left alone. A listed URL that has moved
        (permanent redirect) is synced onto the feed that now carries it.
        Every write is an upsert, so processes syncing the same file at the
        same moment agree instead of failing on a unique key.
        """
        with self.transaction():
            configured: set[int] = set()
            for outlet in outlets:
                outlet_id = self._upsert_outlet(outlet, now)
                for url in outlet.get("feeds", []):
                    configured.add(self._sync_feed(outlet_id, url, owner, now))
            for row in self._driver.execute(
                "SELECT id FROM store_feeds WHERE active = 1 AND added_by = 'config'"
                " AND config_owner = ?",
                (owner,),
            ).fetchall():
                if int(row["id"]) not in configured:
                    self._driver.execute(
                        "UPDATE store_feeds SET active = 0 WHERE id = ?", (row["id"],)
                    )

    def _upsert_outlet(self, outlet: dict[str, Any], now: datetime) -> int:
        values = (
            outlet["name"],
            outlet["domain"],
            outlet.get("role"),
            db_json(list(outlet.get("aliases", []))),
        )
        find = "SELECT id FROM store_outlets WHERE name = ? OR domain = ? ORDER BY id"
        row = self._driver.execute(find, (outlet["name"], outlet["domain"])).fetchone()
        if row is None:
            # Another process may insert the same outlet meanwhile: DO NOTHING,
            # then read the row it made.
            row = self._driver.execute(
                "INSERT INTO store_outlets (name, domain, role, aliases, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
                (*values, db_time(now)),
            ).fetchone()
            if row is None:
                row = self._driver.execute(find, (outlet["name"], outlet["domain"])).fetchone()
            if row is None:
                raise StoreError(f"outlet {outlet['name']!r} could not be stored")
            return int(row["id"])
        outlet_id = int(row["id"])
        self._driver.execute(
            "UPDATE store_outlets SET name = ?, domain = ?, role = ?, aliases = ? WHERE id = ?",
            (*values, outlet_id),
        )
        return outlet_id

    def _sync_feed(self, outlet_id: int, url: str, owner: str, now: datetime) -> int:
        """Make one listed feed active and owned by ``owner``; returns its id."""
        moved = self._driver.execute(
            "SELECT feed_id FROM store_feed_moves WHERE old_url = ?", (url,)
        ).fetchone()
        if moved is not None:
            feed_id = int(moved["feed_id"])
            self._driver.execute(
                "UPDATE store_feeds SET outlet_id = ?, active = 1, added_by = 'config',"
                " config_owner = ? WHERE id = ?",
                (outlet_id, owner, feed_id),
            )
            return feed_id
        row = self._driver.execute(
            "INSERT INTO store_feeds (outlet_id, url, created_at, config_owner)"
            " VALUES (?, ?, ?, ?)"
            " ON CONFLICT (url) DO UPDATE SET outlet_id = excluded.outlet_id,"
            " active = 1, added_by = 'config', config_owner = excluded.config_owner"
            " RETURNING id",
            (outlet_id, url, db_time(now), owner),
        ).fetchone()
        return int(row["id"])

    def outlets(self) -> list[OutletRow]:
        """All outlets."""
        return [
            OutletRow(
                r["id"], r["name"], r["domain"], _role(r["role"]), tuple(py_json(r["aliases"]))
            )
            for r in self._driver.execute("SELECT * FROM store_outlets ORDER BY id")
        ]

    def active_feeds(self) -> list[FeedRow]:
        """Feeds to poll, in id order."""
        return [
            FeedRow(
                r["id"], r["outlet_id"], r["url"], r["etag"], r["last_modified"], r["content_hash"]
            )
            for r in self._driver.execute("SELECT * FROM store_feeds WHERE active = 1 ORDER BY id")
        ]

    def record_feed_entries(
        self,
        feed: FeedRow,
        entries: Iterable[FeedEntry],
        *,
        etag: str | None,
        last_modified: str | None,
        content_hash: str | None,
        now: datetime,
    ) -> int:
        """Save a successful poll: new entries as pending AND the validators, atomically.

        The validators are only ever saved together with the entries they
        revealed, so a crash can never leave a 304 hiding unseen entries.
        Returns the number of new entries.
        """
        added = 0
        with self.transaction():
            for entry in entries:
                cursor = self._driver.execute(
                    "INSERT INTO store_entries (feed_id, guid, url, raw_url, title, published_at,"
                    " updated_at, state, first_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?)"
                    # A known GUID whose link or update time changed is an
                    # updated article: fetch it again (it keeps its story).
                    " ON CONFLICT (feed_id, guid) DO UPDATE SET url = excluded.url,"
                    " raw_url = excluded.raw_url, title = excluded.title,"
                    " updated_at = excluded.updated_at, state = 'pending', attempts = 0"
                    " WHERE store_entries.state != 'pending'"
                    " AND (store_entries.url != excluded.url"
                    " OR store_entries.updated_at IS DISTINCT FROM excluded.updated_at)",
                    (
                        feed.id,
                        entry.guid,
                        entry.url,
                        entry.raw_url,
                        entry.title,
                        db_time(entry.published_at),
                        db_time(entry.updated_at),
                        db_time(now),
                    ),
                )
                added += cursor.rowcount
            self._driver.execute(
                "UPDATE store_feeds SET etag = ?, last_modified = ?, content_hash = ?,"
                " last_polled_at = ?, last_success_at = ?, error_count = 0 WHERE id = ?",
                (etag, last_modified, content_hash, db_time(now), db_time(now), feed.id),
            )
        return added

    def record_feed_unchanged(self, feed: FeedRow, now: datetime) -> None:
        """A poll that found nothing new (304 or same body)."""
        with self.transaction():
            self._driver.execute(
                "UPDATE store_feeds SET last_polled_at = ?, last_success_at = ?, error_count = 0"
                " WHERE id = ?",
                (db_time(now), db_time(now), feed.id),
            )

    def record_feed_error(self, feed: FeedRow, kind: str, message: str, now: datetime) -> None:
        """A failed poll: the error is kept with the feed, counted, never fatal."""
        with self.transaction():
            self._driver.execute(
                "UPDATE store_feeds SET last_polled_at = ?, last_error = ?, last_error_kind = ?,"
                " last_error_at = ?, error_count = error_count + 1 WHERE id = ?",
                (db_time(now), message, kind, db_time(now), feed.id),
            )

    # -- entries -----------------------------------------------------------

    def pending_entries(
        self,
        limit: int = 10_000,
        *,
        per_feed: int | None = None,
        ready_at: datetime | None = None,
        exclude: Collection[int] = (),
        unleased_at: datetime | None = None,
    ) -> list[PendingEntry]:
        """Entries still to fetch, taken in turns across feeds, newest first in each.

        The first turn holds every feed's newest pending entry, the second
        their next ones, and so on, so one feed's backlog of thousands never
        holds the other feeds' entries back (no head-of-line blocking).
        ``per_feed`` caps the turns (the pages one feed may have fetched in
        one cycle); ``ready_at`` leaves out entries whose retry time is later;
        ``exclude`` (entries already in hand) are skipped without hiding the
        ones behind them; ``unleased_at`` leaves out entries another worker
        holds a lease on at that time (they would only fail to be claimed).
        """
        where = "e.state = 'pending'"
        params: list[Any] = []
        if ready_at is not None:
            where += " AND (e.retry_at IS NULL OR e.retry_at <= ?)"
            params.append(db_time(ready_at))
        if unleased_at is not None:
            where += " AND (e.lease_expires_at IS NULL OR e.lease_expires_at <= ?)"
            params.append(db_time(unleased_at))
        turns = "" if per_feed is None else " WHERE turn <= ?"
        rows = self._driver.execute(
            "SELECT * FROM (SELECT e.id, e.feed_id, f.outlet_id, e.guid, e.url, e.raw_url,"
            " e.title, e.published_at, e.attempts, e.article_id, ROW_NUMBER() OVER ("
            "PARTITION BY e.feed_id ORDER BY coalesce(e.published_at, e.first_seen_at) DESC,"
            " e.id DESC) AS turn FROM store_entries e JOIN store_feeds f ON f.id = e.feed_id"
            f" WHERE {where}) ranked{turns} ORDER BY turn, id LIMIT ?",
            (*params, *([] if per_feed is None else [per_feed]), limit + len(exclude)),
        )
        skip = set(exclude)
        entries = [
            PendingEntry(
                r["id"],
                r["feed_id"],
                r["outlet_id"],
                r["guid"],
                r["url"],
                r["raw_url"],
                r["title"],
                py_time(r["published_at"]),
                r["attempts"],
                r["article_id"],
            )
            for r in rows
            if int(r["id"]) not in skip
        ]
        return entries[:limit]

    def pending_count(self) -> int:
        """How many entries wait for their page (the queue depth)."""
        row = self._driver.execute(
            "SELECT count(*) FROM store_entries WHERE state = 'pending'"
        ).fetchone()
        return int(row[0])

    def entry_failed(self, entry_id: int, error: str, *, give_up: bool) -> None:
        """Count a failed attempt; ``give_up`` marks the entry failed for good."""
        with self.transaction():
            self._driver.execute(
                "UPDATE store_entries SET attempts = attempts + 1, last_error = ?,"
                " state = CASE WHEN ? = 1 THEN 'failed' ELSE state END WHERE id = ?",
                (error, give_up, entry_id),
            )

    def entry_done(self, entry_id: int, article_id: int) -> None:
        """Link an entry to the article that already holds its page."""
        with self.transaction():
            self._driver.defer(
                "UPDATE store_entries SET state = 'done', article_id = ?, attempts = attempts + 1"
                " WHERE id = ?",
                [(article_id, entry_id)],
            )

    def import_feed(self, outlet_id: int, domain: str, now: datetime) -> int:
        """The outlet's import feed (``import:<domain>``, never polled), created if missing.

        ``ingestd import`` files its entries there, so imported articles have
        entries like polled ones.
        """
        with self.transaction():
            row = self._driver.execute(
                "INSERT INTO store_feeds (outlet_id, url, active, added_by, created_at)"
                " VALUES (?, ?, 0, 'cli', ?) ON CONFLICT (url) DO UPDATE"
                " SET outlet_id = excluded.outlet_id RETURNING id",
                (outlet_id, f"import:{domain}", db_time(now)),
            ).fetchone()
        return int(row[0])

    def import_entry(
        self,
        feed_id: int,
        outlet_id: int,
        *,
        guid: str,
        url: str,
        title: str | None,
        published_at: datetime | None,
        now: datetime,
    ) -> PendingEntry:
        """An imported item's entry (pending until the match step marks it done)."""
        with self.transaction():
            row = self._driver.execute(
                "INSERT INTO store_entries (feed_id, guid, url, raw_url, title, published_at,"
                " state, first_seen_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', ?)"
                " ON CONFLICT (feed_id, guid) DO UPDATE SET url = excluded.url,"
                " raw_url = excluded.raw_url, title = excluded.title, state = 'pending'"
                " RETURNING id",
                (feed_id, guid, url, url, title, db_time(published_at), db_time(now)),
            ).fetchone()
        return PendingEntry(int(row[0]), feed_id, outlet_id, guid, url, url, title, published_at, 0)


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
