"""The seed case end to end on PostgreSQL: the same pipeline, the same answer.

The SQLite run is tests/integration/test_seed_case.py; this runs its very
scenarios (polls through ``Harness``) with ``[storage] url`` pointing at a
fresh PostgreSQL database, so the one store code path is proven on both.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ingestd.settings import Settings
from tests.conftest import Harness
from tests.integration import test_seed_case as seed
from tests.support.httpserver import LocalServer
from tests.support.postgres import pg_database

pytestmark = pytest.mark.postgres


class PostgresHarness(Harness):
    """The integration harness, storing into a PostgreSQL database."""

    def __init__(self, db: Path, url: str):
        super().__init__(db)
        self.url = url

    def settings(self) -> Settings:
        base = super().settings()
        return base.model_copy(
            update={"storage": base.storage.model_copy(update={"url": self.url})}
        )


@pytest.fixture
def pg_harness(tmp_path: Path) -> Iterator[PostgresHarness]:
    with pg_database() as url:
        yield PostgresHarness(tmp_path / "unused.db", url)


@pytest.mark.parametrize("first", ["lemonde", "meguetan"])
def test_seed_case_on_postgresql(
    pg_harness: PostgresHarness, local_server: LocalServer, first: str
) -> None:
    seed.test_seed_case_is_one_story_whichever_comes_first(pg_harness, local_server, first)
    assert not pg_harness.db.exists()  # nothing went to SQLite


def test_polling_twice_stores_nothing_twice_on_postgresql(
    pg_harness: PostgresHarness, local_server: LocalServer
) -> None:
    seed.test_polling_twice_stores_nothing_twice(pg_harness, local_server)
    store_counts = pg_harness.counts()
    assert store_counts["articles"] == 2
    assert store_counts["stories"] == 1
