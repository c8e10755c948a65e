"""The issue's promise, literally: `sqlite3 ingestd.db 'select * from stories'` and the
same query in psql print the documented columns."""

from __future__ import annotations

import subprocess
from urllib.parse import urlsplit

import pytest

from ingestd.store import Store
from ingestd.store.contract import VIEW_COLUMNS
from tests.contract.factories import T0, article, le_monde_origin, synced


def _one_story(store: Store) -> None:
    ids, _ = synced(store)
    a = store.insert_article(article(0, ids["lemonde.fr"], "https://a/1"), None, T0)
    b = store.insert_article(
        article(0, ids["meguetaninfos.com"], "https://b/1"), store.story_of(a), T0
    )
    le_monde_origin(store, store.story_of(a), a, b, 0.9)


@pytest.mark.parametrize("view", sorted(VIEW_COLUMNS))
def test_the_command_line_client_prints_the_documented_columns(
    store: Store, store_url: str, view: str
) -> None:
    _one_story(store)
    if store.dialect == "sqlite":
        command = ["sqlite3", "-header", "-csv", store.where, f"select * from {view}"]
    else:
        parts = urlsplit(store_url)
        command = [
            "psql",
            "-X",
            "--no-align",
            "--field-separator=,",
            "-h",
            parts.hostname or "127.0.0.1",
            "-p",
            str(parts.port or 5432),
            "-U",
            parts.username or "postgres",
            "-d",
            parts.path.lstrip("/"),
            "-c",
            f"select * from {view}",
        ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=True)
    header = done.stdout.splitlines()[0]
    assert tuple(header.split(",")) == VIEW_COLUMNS[view]
