"""The thin layer between the generic store and each database library.

A :class:`Driver` knows how to connect, run a statement written with ``?``
placeholders, begin/commit/roll back, take a transaction-scoped lock, and
translate the library's exceptions into :class:`~ingestd.errors.StoreError`.
Everything else (the SQL, the records) is written once in
:mod:`ingestd.store.sql`. ``sqlite3`` and ``psycopg`` are imported here only.

Rows from both drivers index by position and by column name and turn into a
dict with ``dict(row)``.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql as pgsql

from ingestd.errors import StoreError, StoreUnavailableError
from ingestd.store.checkpoint import SAFETY_NET_PAGES, Checkpointer

SQLITE = "sqlite"
POSTGRESQL = "postgresql"

# How long to wait for a PostgreSQL server before calling it unreachable.
_PG_CONNECT_TIMEOUT_S = 5
# SQLite: how long a writer waits for another writer before "database is locked".
_SQLITE_CACHE_KIB = 32 * 1024
_SQLITE_BUSY_TIMEOUT_MS = 30_000


class Cursor(Protocol):
    """The part of a DB-API cursor the store uses."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Driver(Protocol):
    """One open connection of one dialect."""

    dialect: str
    #: Where the database is, safe to print (a path, or a URL without password).
    where: str
    #: Whether the connection refuses writes.
    read_only: bool
    #: SQL for the database's clock, in seconds since the epoch (a float),
    #: the same value wherever it appears in one statement.
    epoch_now: str
    #: The SQL function of the largest of its arguments.
    greatest: str
    #: Appended to a claim's SELECT or a row-picking subquery (leases,
    #: host slots): PostgreSQL locks the rows it returns and skips rows
    #: another transaction has locked; SQLite needs nothing (BEGIN IMMEDIATE
    #: lets one writer in at a time).
    skip_locked: str
    #: Requests waited on so far (statements, ``executemany`` calls, pipeline syncs).
    round_trips: int

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        """Run one statement with ``?`` placeholders."""

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each parameter row."""

    def defer(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run a write whose outcome (row count, result) nobody reads, maybe later.

        Only inside a transaction. The write is sent with the next statement
        that waits for an answer (a read, the lock, COMMIT), in order, so a
        transaction's writes cost no round trip of their own; an error it
        raises surfaces there, and the transaction rolls back as a whole.
        """

    def fetch_batch(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[Any]]:
        """Run independent reads at once; the rows of each, in order."""

    def script(self, statement: str) -> None:
        """Run one statement of a migration as written (no placeholders)."""

    def begin(self) -> None:
        """Open a write transaction."""

    def commit(self) -> None:
        """Commit the open transaction."""

    def rollback(self) -> None:
        """Roll back the open transaction."""

    def lock(self, key: int) -> None:
        """Serialise with other connections until the open transaction ends."""

    def refresh_statistics(self, tables: Sequence[str]) -> tuple[list[str], dict[str, int]]:
        """Refresh the planner's statistics of those ``tables`` that are stale.

        Outside any transaction. Returns the tables analysed and each
        table's live rows as the server counts them (empty where the
        dialect keeps no statistics).
        """

    def has_table(self, name: str) -> bool:
        """Whether a table of this name exists."""

    def size_bytes(self) -> int:
        """The database's size on disk."""

    def close(self) -> None:
        """Close the connection."""


def redact(url: str) -> str:
    """A database URL without its password, safe for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{parts.username}@{host}" if parts.username else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


@contextmanager
def _translated(where: str) -> Iterator[None]:
    """Turn the libraries' exceptions into StoreError, naming the database."""
    try:
        yield
    except (sqlite3.OperationalError, psycopg.OperationalError, psycopg.InterfaceError) as error:
        # The database itself is unusable (disk full, I/O error, connection
        # lost, locked beyond the busy timeout): no item is at fault.
        raise StoreUnavailableError(f"{where}: {str(error).strip()}") from error
    except sqlite3.Error as error:
        raise StoreError(f"{where}: {error}") from error
    except psycopg.Error as error:
        raise StoreError(f"{where}: {str(error).strip()}") from error


def _param(value: Any) -> Any:
    # Booleans are stored as 0/1 on every dialect (the portable surface's rule).
    return int(value) if isinstance(value, bool) else value


class _Connection:
    """What both drivers do alike over a DB-API connection ``_db``.

    ``round_trips`` counts the requests the store waited on (one per
    statement, per ``executemany`` and per pipeline sync): the figure
    ``bench/match_ceiling_bench.py`` reports per article.
    """

    where: str
    _db: Any
    _BEGIN = "BEGIN"
    round_trips = 0

    def _run(self, statement: str | bytes) -> None:
        self.round_trips += 1
        with _translated(self.where):
            self._db.execute(statement)

    def script(self, statement: str) -> None:
        """Run one statement of a migration as written (no placeholders)."""
        self._run(statement)

    def begin(self) -> None:
        """Open a write transaction."""
        self._run(self._BEGIN)

    def commit(self) -> None:
        """Commit the open transaction."""
        self._run("COMMIT")

    def rollback(self) -> None:
        """Roll back the open transaction."""
        self._run("ROLLBACK")

    def close(self) -> None:
        """Close the connection."""
        self._db.close()


# -- SQLite ----------------------------------------------------------------


class SqliteDriver(_Connection):
    """SQLite: WAL journal, busy timeout, foreign keys on; BEGIN IMMEDIATE writes.

    ``BEGIN IMMEDIATE`` takes the database's single write lock at the start of
    every write transaction, so writers are already serialised per file and
    :meth:`lock` has nothing more to do.
    """

    dialect = SQLITE
    _BEGIN = "BEGIN IMMEDIATE"
    # julianday('now') is fixed for the whole statement (and has millisecond
    # precision); unixepoch('subsec') would need SQLite 3.42.
    epoch_now = "((julianday('now') - 2440587.5) * 86400.0)"
    greatest = "max"
    skip_locked = ""
    _db: sqlite3.Connection
    _checkpointer: Checkpointer | None = None

    def __init__(self, path: Path, *, create: bool = True, read_only: bool = False):
        self.path = path
        self.where = str(path)
        self.read_only = read_only
        if (read_only or not create) and not path.exists():
            raise StoreError(f"no ingestd database at {path}")
        try:
            if read_only:
                # mode=ro: SQLite itself refuses every write, and opening
                # changes nothing in the file (no journal-mode switch).
                uri = f"{path.resolve().as_uri()}?mode=ro"
                self._db = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30.0)
                self._db.row_factory = sqlite3.Row
                self._db.execute("PRAGMA query_only=ON")
            else:
                if create:
                    path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(path, isolation_level=None, timeout=30.0)
                self._db.row_factory = sqlite3.Row
                mode = self._db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.execute("PRAGMA foreign_keys=ON")
                if mode == "wal":
                    # Checkpoints run beside the writer, not inside its
                    # commits (see ingestd.store.checkpoint).
                    self._db.execute(f"PRAGMA wal_autocheckpoint={SAFETY_NET_PAGES}")
                    self._checkpointer = Checkpointer(path)
            # A fixed page cache (negative: KiB) for the candidate index's
            # B-trees: a bounded share of memory whatever the store's size.
            self._db.execute(f"PRAGMA cache_size=-{_SQLITE_CACHE_KIB}")
            self._db.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_TIMEOUT_MS}")
        except (sqlite3.Error, OSError) as error:
            raise StoreError(f"cannot open database {path}: {error}") from None

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        self.round_trips += 1
        with _translated(self.where):
            return self._db.execute(sql, tuple(map(_param, params)))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.round_trips += 1
        with _translated(self.where):
            self._db.executemany(sql, [tuple(map(_param, row)) for row in rows])

    def commit(self) -> None:
        super().commit()
        if self._checkpointer is not None:
            self._checkpointer.nudge()

    def close(self) -> None:
        # The checkpointer's connection first: the writer's, closed last,
        # checkpoints what is left and removes the WAL file.
        if self._checkpointer is not None:
            self._checkpointer.close()
            self._checkpointer = None
        super().close()

    def defer(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        # In-process: nothing to save by waiting.
        if rows:
            self.executemany(sql, rows)

    def fetch_batch(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[Any]]:
        return [self.execute(sql, params).fetchall() for sql, params in statements]

    def lock(self, key: int) -> None:
        del key  # BEGIN IMMEDIATE already holds the file's one write lock

    def refresh_statistics(self, tables: Sequence[str]) -> tuple[list[str], dict[str, int]]:
        # Without sqlite_stat1 SQLite's planner takes an index for selective,
        # which the store's look-ups are; and its ANALYZE reads whole tables.
        del tables
        return [], {}

    def has_table(self, name: str) -> bool:
        row = self.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
        return row.fetchone() is not None

    def size_bytes(self) -> int:
        if not self.read_only:
            with _translated(self.where):
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return sum(
            p.stat().st_size
            for p in (self.path, Path(f"{self.path}-wal"))
            if p.exists()  # the WAL file exists only while connections are open
        )


# -- PostgreSQL ------------------------------------------------------------


class PgRow:
    """A PostgreSQL row that reads like ``sqlite3.Row``: ``row[0]``, ``row["id"]``."""

    __slots__ = ("_index", "_values")

    def __init__(self, index: dict[str, int], values: Sequence[Any]):
        self._index = index
        self._values = tuple(values)

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, str):
            try:
                return self._values[self._index[key]]
            except KeyError:
                raise IndexError(f"no such column: {key}") from None
        return self._values[key]

    def keys(self) -> list[str]:
        """The column names, in order (so ``dict(row)`` works)."""
        return list(self._index)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PgRow):
            return self._index == other._index and self._values == other._values
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PgRow({dict(zip(self._index, self._values, strict=True))!r})"


def _pg_row_factory(cursor: psycopg.Cursor[Any]) -> Any:
    names = [column.name for column in cursor.description or ()]
    index = {name: position for position, name in enumerate(names)}

    def make(values: Sequence[Any]) -> PgRow:
        return PgRow(index, values)

    return make


# A '…' literal, a "…" identifier, or one placeholder/percent character.
_TOKENS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|[?%]")


@lru_cache(maxsize=1024)
def pg_placeholders(sql: str) -> str:
    """Rewrite ``?`` placeholders as ``%s`` and escape literal ``%`` (outside quotes too)."""

    def replace(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "?":
            return "%s"
        if token == "%":
            return "%%"
        return token.replace("%", "%%")

    return _TOKENS.sub(replace, sql)


class PostgresDriver(_Connection):
    """PostgreSQL through psycopg 3: autocommit reads, explicit BEGIN for writes.

    Times are read in UTC (the session's time zone); :meth:`lock` is a
    transaction-scoped advisory lock, released by COMMIT or ROLLBACK.
    """

    dialect = POSTGRESQL
    # statement_timestamp(), not clock_timestamp(): one value per statement.
    epoch_now = "extract(epoch FROM statement_timestamp())::double precision"
    greatest = "greatest"
    skip_locked = " FOR UPDATE SKIP LOCKED"
    _db: psycopg.Connection[Any]

    def __init__(self, url: str, *, create: bool = True, read_only: bool = False):
        self.url = url
        self.where = redact(url)
        self.read_only = read_only
        # Writes (and the BEGIN) waiting for the next statement that needs
        # an answer: sent with it in one pipeline, one round trip for all.
        self._deferred: list[tuple[str, list[tuple[Any, ...]] | None]] = []
        create = create and not read_only
        try:
            self._db = self._connect(url)
        except psycopg.OperationalError as error:
            if not _missing_database(error):
                raise StoreError(
                    f"cannot reach PostgreSQL at {self.where}: {_first_line(error, url)}"
                ) from None
            if not create:
                raise StoreError(f"no ingestd database at {self.where}") from None
            self._create_database(url)
            try:
                self._db = self._connect(url)
            except psycopg.OperationalError as again:
                raise StoreError(
                    f"cannot open PostgreSQL database {self.where}: {_first_line(again, url)}"
                ) from None

    def _connect(self, url: str) -> psycopg.Connection[Any]:
        db: psycopg.Connection[Any] = psycopg.connect(
            url,
            autocommit=True,
            connect_timeout=_PG_CONNECT_TIMEOUT_S,
            row_factory=_pg_row_factory,
        )
        db.execute("SET TIME ZONE 'UTC'")
        if self.read_only:
            # Every transaction of this session, autocommit reads included,
            # is READ ONLY: the server refuses any write.
            db.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        return db

    def _create_database(self, url: str) -> None:
        name = psycopg.conninfo.conninfo_to_dict(url).get("dbname")
        if not name:
            raise StoreError(f"{self.where}: the URL names no database")
        admin_url = psycopg.conninfo.make_conninfo(url, dbname="postgres")
        try:
            with psycopg.connect(
                admin_url, autocommit=True, connect_timeout=_PG_CONNECT_TIMEOUT_S
            ) as admin:
                admin.execute(pgsql.SQL("CREATE DATABASE {}").format(pgsql.Identifier(str(name))))
        except (psycopg.errors.DuplicateDatabase, psycopg.errors.UniqueViolation):
            # Another process created it meanwhile. Two CREATE DATABASE at the
            # same instant: the loser fails on pg_database's unique index
            # (UniqueViolation), not with DuplicateDatabase.
            pass
        except psycopg.Error as error:
            raise StoreError(
                f"cannot create PostgreSQL database {self.where}: {_first_line(error, url)}"
            ) from None

    def _run(self, statement: str | bytes) -> None:
        if statement == self._BEGIN and not self._deferred:
            # BEGIN needs no answer: it travels with the transaction's first
            # statement that does (the match lock, a read).
            self._deferred.append((self._BEGIN, None))
            return
        if statement == "ROLLBACK":
            if self._deferred and self._deferred[0][0] == self._BEGIN:
                self._deferred.clear()  # nothing reached the server
                return
            self._deferred.clear()
        self._batch([(str(statement), None)])

    def _batch(self, reads: Sequence[tuple[str, Sequence[Any] | None]]) -> list[Any]:
        """The deferred writes, then ``reads``, in one pipeline; the reads' cursors."""
        deferred, self._deferred = self._deferred, []
        self.round_trips += 1
        with _translated(self.where):
            if not deferred and len(reads) == 1:
                sql, params = reads[0]
                return [self._db.execute(sql, params)]
            with self._db.pipeline(), self._db.cursor() as writer:
                for sql, rows in deferred:
                    if rows is None:
                        writer.execute(sql)
                    else:
                        writer.executemany(sql, rows)
                return [self._db.execute(sql, params) for sql, params in reads]

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        cursor: Cursor = self._batch([(pg_placeholders(sql), tuple(map(_param, params)))])[0]
        return cursor

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        self.defer(sql, rows)
        self._batch([])

    def defer(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            self._deferred.append((pg_placeholders(sql), [tuple(map(_param, r)) for r in rows]))

    def fetch_batch(self, statements: Sequence[tuple[str, Sequence[Any]]]) -> list[list[Any]]:
        cursors = self._batch(
            [(pg_placeholders(sql), tuple(map(_param, params))) for sql, params in statements]
        )
        with _translated(self.where):
            return [cursor.fetchall() for cursor in cursors]

    def lock(self, key: int) -> None:
        self._batch([("SELECT pg_advisory_xact_lock(%s)", (key,))])

    def refresh_statistics(self, tables: Sequence[str]) -> tuple[list[str], dict[str, int]]:
        if self.read_only or not tables:
            return [], {}
        marks = ",".join("?" * len(tables))
        rows = self.execute(
            "SELECT s.relname, c.reltuples, s.n_mod_since_analyze, s.n_live_tup"
            " FROM pg_stat_user_tables s"
            " JOIN pg_class c ON c.oid = s.relid"
            f" WHERE s.schemaname = current_schema() AND s.relname IN ({marks})",
            tuple(tables),
        ).fetchall()
        stale = [str(r[0]) for r in rows if _stale(float(r[1]), int(r[2] or 0))]
        if stale:
            # ANALYZE reads a fixed-size sample (300 x default_statistics_target
            # rows) whatever the table's size; SKIP_LOCKED leaves a table
            # another worker is analysing right now to it.
            names = pgsql.SQL(", ").join(pgsql.Identifier(name) for name in stale)
            self.round_trips += 1
            with _translated(self.where):
                self._db.execute(pgsql.SQL("ANALYZE (SKIP_LOCKED) {}").format(names))
        return stale, {str(r[0]): int(r[3] or 0) for r in rows}

    def has_table(self, name: str) -> bool:
        # A scan of the catalog with the statement's snapshot, not to_regclass():
        # that reads the catalog cache, which may not yet know of a table
        # another connection created while this one waited on a lock.
        row = self.execute(
            "SELECT count(*) FROM pg_catalog.pg_tables"
            " WHERE schemaname = current_schema() AND tablename = ?",
            (name,),
        ).fetchone()
        return bool(row[0])

    def size_bytes(self) -> int:
        return int(self.execute("SELECT pg_database_size(current_database())").fetchone()[0])


# autovacuum's own rule (autovacuum_analyze_threshold / _scale_factor defaults):
# a table is re-analysed once 50 rows + 10% of it changed since the last time.
_ANALYZE_THRESHOLD = 50
_ANALYZE_SCALE = 0.1


def _stale(reltuples: float, modified: int) -> bool:
    """Whether a table's statistics are missing or behind its changes."""
    # reltuples is -1 for a table never analysed (nor vacuumed).
    return reltuples < 0 or modified > _ANALYZE_THRESHOLD + _ANALYZE_SCALE * reltuples


def _missing_database(error: psycopg.Error) -> bool:
    # The server refuses the connection with SQLSTATE 3D000; psycopg only
    # surfaces the message at connect time, so recognise that too.
    text = str(error)
    return error.sqlstate == "3D000" or ('database "' in text and "does not exist" in text)


def _first_line(error: BaseException, url: str) -> str:
    """The library's message, first line, with any password scrubbed."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    password = urlsplit(url).password
    return text.replace(password, "***") if password else text
