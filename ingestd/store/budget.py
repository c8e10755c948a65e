"""Read-only stores with a time budget per request (``ingestd serve``).

:func:`open_read_only` opens the store read-only: SQLite through a
``mode=ro`` URI with ``query_only`` on, PostgreSQL with every transaction
read-only. :meth:`BudgetedStore.set_deadline` arms a budget: SQLite aborts a
statement from its progress handler, PostgreSQL by ``statement_timeout``;
:attr:`BudgetedStore.interrupted` says whether the budget stopped one.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from ingestd.errors import StoreError
from ingestd.settings import sqlite_path
from ingestd.store.drivers import PostgresDriver, SqliteDriver, redact
from ingestd.store.sql import Store

__all__ = ["DEFAULT_BUDGET_S", "BudgetedStore", "open_read_only"]

DEFAULT_BUDGET_S = 2.0
"""Time one request's queries may take before they are stopped."""


class _ReadOnlySqlite(SqliteDriver):
    """An SQLite connection that cannot write, with a per-request time budget.

    ``mode=ro`` opens the file read-only (it must exist), ``query_only``
    refuses any write statement, and the progress handler stops a statement
    that runs past the deadline set by :meth:`set_deadline`.
    """

    read_only = True

    def __init__(self, path: Path):
        self.path = path
        self.where = str(path)
        self._deadline: float | None = None
        self.interrupted = False
        if not path.is_file():
            raise StoreError(f"no ingestd database at {path}")
        try:
            self._db = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro",
                uri=True,
                isolation_level=None,
                timeout=5.0,
                check_same_thread=False,  # used by one request thread at a time (StorePool)
            )
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA query_only=ON")
            self._db.set_progress_handler(self._over_budget, 10_000)
        except sqlite3.Error as error:
            raise StoreError(f"cannot open database {path} read-only: {error}") from None

    def _over_budget(self) -> int:
        if self._deadline is not None and time.monotonic() > self._deadline:
            self.interrupted = True
            return 1  # non-zero: SQLite abandons the statement ("interrupted")
        return 0

    def set_deadline(self, deadline: float | None) -> None:
        """Stop statements still running at ``deadline`` (``time.monotonic()``)."""
        self._deadline = deadline
        self.interrupted = False

    def begin(self) -> None:
        raise StoreError(f"{self.where} is open read-only")


class _ReadOnlyPostgres(PostgresDriver):
    """A PostgreSQL connection whose every transaction is read-only, with a timeout."""

    def __init__(self, url: str, budget_s: float):
        super().__init__(url, read_only=True)
        self.interrupted = False
        self.execute(f"SET statement_timeout = {int(budget_s * 1000)}")

    def set_deadline(self, deadline: float | None) -> None:
        """PostgreSQL enforces the budget per statement (``statement_timeout``)."""
        del deadline
        self.interrupted = False

    def begin(self) -> None:
        raise StoreError(f"{self.where} is open read-only")


class BudgetedStore(Store):
    """A read-only :class:`~ingestd.store.Store` whose statements run under a deadline."""

    def __init__(self, driver: _ReadOnlySqlite | _ReadOnlyPostgres):
        super().__init__(driver)
        self._budgeted = driver

    def set_deadline(self, deadline: float | None) -> None:
        """Stop statements still running at ``deadline`` (``time.monotonic()``; None: never).

        On PostgreSQL the budget given to :func:`open_read_only` holds per
        statement instead.
        """
        self._budgeted.set_deadline(deadline)

    @property
    def interrupted(self) -> bool:
        """Whether the deadline stopped a statement since it was last set."""
        return self._budgeted.interrupted


def open_read_only(url: str, budget_s: float = DEFAULT_BUDGET_S) -> BudgetedStore:
    """The store at ``url`` (``sqlite:///…`` or ``postgresql://…``), read-only.

    Refuses (StoreError) a missing database and one whose schema is not the
    one this ingestd writes (a read-only view cannot migrate it).
    """
    path = sqlite_path(url)
    if path is not None:
        store = BudgetedStore(_ReadOnlySqlite(path))
    elif url.startswith(("postgresql://", "postgres://")):
        store = BudgetedStore(_ReadOnlyPostgres(url, budget_s))
    else:
        raise StoreError(
            f"storage url {redact(url)!r}: unknown scheme; use sqlite:///PATH "
            "or postgresql://USER@HOST:PORT/DATABASE"
        )
    try:
        store.check_schema()
    except BaseException:
        store.close()
        raise
    return store
