"""The read contract: the views' columns and types are the documented ones."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from ingestd.store import Store, open_store
from ingestd.store.contract import VIEW_COLUMNS
from tests.contract.factories import T0, article, entry, le_monde_origin, synced

README = Path(__file__).resolve().parents[2] / "storage" / "README.md"

# information_schema's spelling of the README's PostgreSQL types.
_PG_NAMES = {"timestamp with time zone": "timestamptz"}
# sqlite's typeof() for each documented SQLite type.
_SQLITE_TYPEOF = {"INTEGER": "integer", "TEXT": "text", "REAL": "real"}


def documented() -> dict[str, list[tuple[str, str, str, str]]]:
    """Per view in storage/README.md: (column, SQLite type, PostgreSQL type, nullable)."""
    views: dict[str, list[tuple[str, str, str, str]]] = {}
    current: list[tuple[str, str, str, str]] | None = None
    for line in README.read_text("utf-8").splitlines():
        heading = re.match(r"^### `(\w+)`", line)
        if heading:
            current = views.setdefault(heading.group(1), [])
            continue
        if line.startswith("## "):
            current = None
        if current is None or not line.startswith("| "):
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        if cells[0] in ("column",) or set(cells[0]) <= {"-"}:
            continue
        current.append((cells[0], cells[1], cells[2], cells[3]))
    return views


def test_readme_documents_exactly_the_contract_columns() -> None:
    views = documented()
    assert set(views) == set(VIEW_COLUMNS)
    for view, columns in VIEW_COLUMNS.items():
        assert tuple(c for c, *_ in views[view]) == columns, view
        for column, sqlite_type, pg_type, nullable in views[view]:
            assert sqlite_type in _SQLITE_TYPEOF, (view, column)
            assert pg_type, (view, column)
            assert nullable in ("yes", "no"), (view, column)


def _fill(store: Store) -> None:
    ids, feeds = synced(store)
    store.record_feed_entries(
        feeds[0], [entry(1)], etag=None, last_modified=None, content_hash="h", now=T0
    )
    [pending] = store.pending_entries()
    a = store.insert_article(article(pending.id, ids["lemonde.fr"], pending.url), None, T0)
    story = store.story_of(a)
    b = store.insert_article(
        article(0, ids["meguetaninfos.com"], "https://b/1", seen=T0 + timedelta(hours=2)),
        story,
        T0,
    )
    store.record_feed_error(feeds[0], "timeout", "slow", T0)
    store.execute(
        "UPDATE store_feeds SET next_poll_at = ?, last_polled_at = ?",
        ("2026-01-12T10:00:00+00:00", "2026-01-12T09:00:00+00:00"),
    )
    le_monde_origin(store, story, a, b, 0.9)


@pytest.mark.parametrize("view", sorted(VIEW_COLUMNS))
def test_select_star_gives_the_documented_columns(store: Store, view: str) -> None:
    _fill(store)
    rows = store.query(f"SELECT * FROM {view}")
    assert rows, view
    assert tuple(rows[0].keys()) == VIEW_COLUMNS[view]


@pytest.mark.parametrize("view", sorted(VIEW_COLUMNS))
def test_columns_have_the_documented_types(store: Store, view: str) -> None:
    _fill(store)
    docs = {column: (lite, pg, nullable) for column, lite, pg, nullable in documented()[view]}
    if store.dialect == "postgresql":
        rows = store.query(
            "SELECT column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
            (view,),
        )
        actual = {r[0]: _PG_NAMES.get(r[1], r[1]) for r in rows}
        assert actual == {column: pg for column, (_, pg, _) in docs.items()}
    else:
        for column, (lite, _, _) in docs.items():
            kinds = {r[0] for r in store.query(f"SELECT DISTINCT typeof({column}) FROM {view}")}
            assert kinds <= {_SQLITE_TYPEOF[lite], "null"}, (view, column, kinds)
    # Columns documented as never null hold a value in every row.
    for column, (_, _, nullable) in docs.items():
        if nullable == "no":
            nulls = store.query_one(f"SELECT count(*) FROM {view} WHERE {column} IS NULL")
            assert nulls is not None and nulls[0] == 0, (view, column)


def test_stories_counts_follow_members(store: Store) -> None:
    _fill(store)
    [story] = store.query("SELECT * FROM stories")
    members = store.query("SELECT * FROM story_members WHERE story_id = ?", (story["story_id"],))
    assert story["member_count"] == len(members) == 2
    assert story["copy_count"] == 1
    assert story["outlet_count"] == 2
    assert story["first_seen_at"] == min(m["first_seen_at"] for m in members)
    assert story["last_seen_at"] == max(m["first_seen_at"] for m in members)
    [feed] = store.query("SELECT * FROM feeds WHERE url LIKE '%une.xml'")
    assert (feed["entry_count"], feed["article_count"], feed["pending_count"]) == (1, 1, 0)
    assert feed["error_count"] == 1
    outlets = {o["name"]: o for o in store.query("SELECT * FROM outlets")}
    assert (outlets["Le Monde"]["feed_count"], outlets["Le Monde"]["article_count"]) == (2, 1)


def test_story_figures_come_from_the_covering_index(tmp_path: Path) -> None:
    # The stories view aggregates every article; reading those figures from
    # the article rows (with their text) made `stories list` scan the table.
    with open_store(f"sqlite:///{tmp_path / 'plan.db'}") as store:
        store.migrate()
        plan = " | ".join(
            str(tuple(row)[-1])
            for row in store.query("EXPLAIN QUERY PLAN SELECT * FROM stories LIMIT 20")
        )
    assert "COVERING INDEX store_articles_story_stats" in plan, plan
