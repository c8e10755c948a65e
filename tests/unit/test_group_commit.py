"""Group commit: calls queued together share a transaction; memory follows what committed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ingestd.fingerprint.params import DEFAULT_PARAMS
from ingestd.match.linker import Linker
from ingestd.match.thresholds import DEFAULT_THRESHOLDS
from ingestd.pipeline import InlineStore
from ingestd.store import SqliteStore, Store
from ingestd.types import ExtractedArticle

NOW = datetime(2026, 3, 8, tzinfo=UTC)
TEXT = [
    "The council approved the harbour plan on Tuesday after a debate that lasted most of the"
    " night, with the final vote split along the usual lines.",
    "Work on the new piers is to start in the spring and last two years, the mayor said, and"
    " the old fish market will be kept as a covered hall for the town's weekly fair.",
    "Residents will be able to comment on the lighting and landscaping plans until the end of"
    " May, at a public exhibition of the final design in the museum.",
]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = SqliteStore(tmp_path / "group.db")
    store.migrate()
    store.sync_outlets([{"name": "Tribune", "domain": "tribune.example", "feeds": []}], NOW)
    return store


def _count(store: Store, table: str) -> int:
    return int(store.query_one(f"SELECT count(*) FROM {table}")[0])


def test_on_commit_runs_after_the_commit_and_never_after_a_rollback(store: Store) -> None:
    seen: list[str] = []
    store.on_commit(lambda: seen.append("outside"))  # no transaction: at once
    assert seen == ["outside"]
    with store.transaction():
        store.on_commit(lambda: seen.append("committed"))
        with store.transaction():  # a nested call joins: still waits for the outer commit
            store.on_commit(lambda: seen.append("nested"))
        assert seen == ["outside"]
    assert seen == ["outside", "committed", "nested"]
    with pytest.raises(RuntimeError), store.transaction():
        store.on_commit(lambda: seen.append("rolled back"))
        raise RuntimeError("the step failed")
    with store.transaction():
        pass
    assert seen == ["outside", "committed", "nested"]


def _insert(name: str, fail: bool = False):  # type: ignore[no-untyped-def]
    def call(store: Store) -> str:
        # As the pipeline's calls do: their own transaction (joined in a group).
        with store.transaction():
            store.execute("INSERT INTO calls (name) VALUES (?)", (name,))
            if fail:
                raise ValueError(f"{name} is bad")
        return name

    return call


def test_batch_calls_of_one_turn_share_a_transaction_and_a_bad_one_fails_alone(
    store: Store,
) -> None:
    store.execute("CREATE TABLE calls (name TEXT NOT NULL)")
    db = InlineStore(store)

    async def main() -> list[object]:
        calls = [
            db.call(_insert("a.example"), batch=True),
            db.call(_insert("b.example", fail=True), batch=True),
            db.call(_insert("c.example"), batch=True),
        ]
        return await asyncio.gather(*calls, return_exceptions=True)

    a, b, c = asyncio.run(main())
    assert (a, c) == ("a.example", "c.example")
    assert isinstance(b, ValueError)
    # One group (rolled back because of b), then each replayed alone.
    assert db.transactions == 1 + 3
    assert _count(store, "calls") == 2

    async def good() -> list[object]:
        calls = (db.call(_insert(f"{n}.example"), batch=True) for n in "def")
        return list(await asyncio.gather(*calls))

    assert asyncio.run(good()) == ["d.example", "e.example", "f.example"]
    assert db.transactions == 4 + 1  # one commit for the three
    assert _count(store, "calls") == 5


def test_a_plain_call_runs_after_the_batch_calls_queued_before_it(store: Store) -> None:
    db = InlineStore(store)
    order: list[str] = []

    async def main() -> None:
        def note(name: str):  # type: ignore[no-untyped-def]
            return lambda _store: order.append(name)

        queued = asyncio.ensure_future(db.call(note("batch"), batch=True))
        await asyncio.sleep(0)  # the batch call is queued, not run
        await db.call(note("plain"))
        await queued

    asyncio.run(main())
    assert order == ["batch", "plain"]


def test_the_feature_cache_learns_an_article_only_when_its_group_commits(store: Store) -> None:
    outlet = store.outlets()[0].id
    linker = Linker(
        store, params=DEFAULT_PARAMS, thresholds=DEFAULT_THRESHOLDS, window=timedelta(days=14)
    )

    def link(number: int) -> int:
        url = f"https://tribune.example/{number}.html"
        entry = store.import_entry(
            store.import_feed(outlet, "group", NOW),
            outlet,
            guid=url,
            url=url,
            title=None,
            published_at=None,
            now=NOW,
        )
        article = ExtractedArticle(url, "\n".join(TEXT), None, None, None, None, "en", None)
        return linker.link(entry, article, NOW).article_id

    with pytest.raises(RuntimeError), store.transaction():
        lost = link(1)
        assert lost not in linker._features  # not before the commit
        raise RuntimeError("a later call of the group failed")
    assert lost not in linker._features
    with store.transaction():
        kept = link(2)
        second = link(3)  # the same text: a copy of the first, in the same group
    assert {kept, second} <= set(linker._features)
    # SQLite hands the rolled-back id out again: the cache holds the new article's features.
    assert kept == lost
    assert store.query_one("SELECT url FROM store_articles WHERE id = ?", (kept,))[0].endswith(
        "/2.html"
    )
    assert store.story_of(second) == store.story_of(kept)
