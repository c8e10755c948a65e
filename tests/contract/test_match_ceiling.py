"""The match step under the lock: round trips, deferred writes, early features, statistics."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from ingestd.errors import StoreError
from ingestd.store import Store, open_store
from ingestd.store.records import PendingEntry
from ingestd.types import ExtractedArticle
from tests.contract.test_candidate_index import (
    COPY,
    ORIGINAL,
    OTHER,
    OTHER_COPY,
    T0,
    link,
    linker,
    ready,
)
from tests.support.postgres import pg_database

# A line every article of the outlet carries: boilerplate once the outlet
# has stored enough articles with it.
CHROME = "Abonnez-vous à notre lettre d'information pour recevoir chaque matin l'essentiel."


@pytest.mark.postgres
def test_match_step_round_trips_on_postgresql() -> None:
    # The ceiling of the serialised step is set by what happens under the
    # lock; before the pipelined writes a new article cost about 19 round
    # trips. A new story: lock (with BEGIN), one read batch, candidates, the
    # story and article inserts, members, COMMIT (with the deferred writes),
    # plus one read before the lock (the boilerplate counts of the early
    # features). A copy needs no story insert but reads its story's edges.
    with pg_database() as url, open_store(url) as store:
        store.migrate()
        ids = ready(store)
        lk = linker(store)
        link(lk, ids["origin.example"], "https://origin.example/first", ORIGINAL, T0)
        spent = []
        for number, (outlet, text) in enumerate(
            (("origin.example", OTHER), ("copy.example", COPY), ("copy.example", OTHER_COPY))
        ):
            before = store.round_trips
            result = link(
                lk, ids[outlet], f"https://{outlet}/{number}", text, T0 + timedelta(hours=number)
            )
            spent.append(store.round_trips - before)
            assert result.new
        assert all(n <= 8 for n in spent), spent


def test_a_failed_deferred_write_rolls_back_its_whole_transaction(store: Store) -> None:
    ready(store)
    with pytest.raises(StoreError), store.transaction():
        store.execute("UPDATE store_outlets SET role = 'wire'")
        # A write nobody waits on (PostgreSQL sends it with the COMMIT):
        # its error still reaches the caller and undoes the transaction.
        store._driver.defer(
            "INSERT INTO store_outlets (name, domain, aliases, created_at) VALUES (?, ?, '[]', ?)",
            [("Origin Daily", "origin.example", "2026-01-01T00:00:00+00:00")],
        )
    assert {r["role"] for r in store.query("SELECT role FROM outlets")} == {None}
    with store.transaction():  # the connection is usable again
        store.execute("UPDATE store_outlets SET role = 'wire' WHERE domain = 'copy.example'")
    assert store.query_one("SELECT role FROM outlets WHERE domain = 'copy.example'")[0] == "wire"


def _entry(outlet_id: int, url: str) -> tuple[PendingEntry, ExtractedArticle]:
    entry = PendingEntry(0, 0, outlet_id, url, url, url, None, T0, 0)
    article = ExtractedArticle(
        url=url,
        text=f"{OTHER}\n{CHROME}",
        title=None,
        author=None,
        published_at=T0,
        site_name=None,
        language=None,
        canonical_url=None,
        description=None,
    )
    return entry, article


def test_early_features_are_recomputed_when_the_lock_sees_other_boilerplate(
    store: Store,
) -> None:
    # Features are computed before the lock from counts read then; another
    # worker may have stored articles meanwhile. Here the early read says the
    # outlet's chrome line is new (no counts) while, under the lock, it is
    # boilerplate: the stored article must carry the locked decision.
    ids = ready(store)
    outlet = ids["origin.example"]
    lk = linker(store)
    for number, text in enumerate([ORIGINAL, COPY]):
        link(
            lk,
            outlet,
            f"https://origin.example/{number}",
            f"{text}\n{CHROME}",
            T0 - timedelta(hours=10 - number),
        )
    entry, article = _entry(outlet, "https://origin.example/new")
    with store.match_lock():
        expected, _, _ = lk.prepare(entry, article, T0, revisit=False)
    stale, _, _ = lk._prepare(entry, article, lk.read_text(outlet, article), {}, T0, revisit=False)
    assert stale.signature != expected.signature  # the chrome line does count without counts

    real = store.paragraph_counts
    store.paragraph_counts = lambda outlet_id, keys: {}  # type: ignore[method-assign]
    try:
        result = lk.link(entry, article, T0)
    finally:
        store.paragraph_counts = real  # type: ignore[method-assign]
    stored = store.query_one(
        "SELECT signature, word_count FROM store_articles WHERE id = ?", (result.article_id,)
    )
    assert bytes(stored[0]) == expected.signature
    assert stored[1] == expected.word_count


def _analysed(store: Store, table: str) -> tuple[bool, int]:
    row = store.query_one(
        "SELECT last_analyze IS NOT NULL, n_mod_since_analyze FROM pg_stat_user_tables"
        " WHERE relname = ?",
        (table,),
    )
    return bool(row[0]), int(row[1])


@pytest.mark.postgres
def test_the_store_keeps_its_index_statistics_on_postgresql() -> None:
    # The server may run with autovacuum off: the store analyses the match
    # tables itself, the first time it writes the index and again when they
    # changed by 50 rows + 10%, never when they did not.
    with pg_database() as url, open_store(url) as store:
        store.migrate()
        ids = ready(store)
        lk = linker(store)
        link(lk, ids["origin.example"], "https://origin.example/first", ORIGINAL, T0)
        assert _analysed(store, "store_index_keys")[0]
        assert _analysed(store, "store_index_articles")[0]
        assert store.refresh_statistics() == []  # nothing changed since

        for number in range(3):
            text = OTHER.replace("neuf", str(number + 10))
            link(lk, ids["copy.example"], f"https://copy.example/{number}", text, T0)
        # The server counts changes asynchronously: wait until it has seen
        # the new keys (about 40 per article, well over 50 + 10%).
        deadline = time.monotonic() + 60
        while _analysed(store, "store_index_keys")[1] < 60:
            assert time.monotonic() < deadline, "the server never counted the new index rows"
            time.sleep(0.2)
        assert "store_index_keys" in store.refresh_statistics()


def test_sqlite_keeps_no_statistics(store: Store) -> None:
    # SQLite plans the store's look-ups by its indexes without statistics,
    # and its ANALYZE would read whole tables: nothing to do there.
    if store.dialect == "sqlite":
        assert store.refresh_statistics() == []
    else:
        assert set(store.refresh_statistics()) >= {"store_index_keys", "store_index_articles"}
