"""store stage: the database behind ingestd and the read contract in storage/.

``Store`` is the one store class, the same code on every dialect;
:func:`open_store` opens one from a ``[storage] url``:

    store = open_store("sqlite:///var/lib/ingestd/ingestd.db")
    store = open_store("postgresql://ingestd@db.example/ingestd")

``SqliteStore`` is the historical name of ``Store`` (``SqliteStore(path)``
opens an SQLite file).
"""

from __future__ import annotations

from ingestd.errors import StoreError
from ingestd.settings import sqlite_path
from ingestd.store.drivers import POSTGRESQL, SQLITE, PostgresDriver, SqliteDriver, redact
from ingestd.store.sql import MATCH_LOCK_KEY, Store
from ingestd.store.sqlite import SqliteStore

__all__ = ["MATCH_LOCK_KEY", "POSTGRESQL", "SQLITE", "SqliteStore", "Store", "open_store", "redact"]


def open_store(url: str, *, create: bool = True, read_only: bool = False) -> Store:
    """Open the store at ``url`` (not migrated: call ``migrate()`` or ``check_schema()``).

    ``sqlite:///PATH`` opens (or, with ``create``, creates) an SQLite file;
    ``postgresql://…`` (or ``postgres://…``) connects to a server and, with
    ``create``, creates the database if the server has none of that name.
    ``read_only`` (implies not ``create``): the database refuses every write
    (SQLite ``mode=ro``, PostgreSQL read-only transactions), for commands
    that only read. Raises StoreError for an unknown scheme, a missing
    database when ``create`` is false, or a server that does not answer;
    messages never show the URL's password.
    """
    create = create and not read_only
    path = sqlite_path(url)
    if path is not None:
        return Store(SqliteDriver(path, create=create, read_only=read_only))
    if url.startswith(("postgresql://", "postgres://")):
        return Store(PostgresDriver(url, create=create, read_only=read_only))
    raise StoreError(
        f"storage url {redact(url)!r}: unknown scheme; use sqlite:///PATH "
        "or postgresql://USER@HOST:PORT/DATABASE"
    )
