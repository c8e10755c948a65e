"""The contract suite's fixtures: every test runs once per dialect.

``store_url`` yields a fresh, empty database: an SQLite file in a temporary
folder, or a uniquely named PostgreSQL database created on 127.0.0.1:5432
and dropped afterwards. If PostgreSQL does not answer, the PostgreSQL half
of the suite fails (it is never skipped).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ingestd.store import Store, open_store
from tests.support.postgres import pg_database

DIALECTS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(params=DIALECTS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a fresh empty database of each dialect."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'contract.db'}"
    else:
        with pg_database() as url:
            yield url


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    """A migrated, empty store of each dialect."""
    opened = open_store(store_url)
    opened.migrate()
    try:
        yield opened
    finally:
        opened.close()
