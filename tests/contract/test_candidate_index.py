"""The store-held candidate index (issue 10), on SQLite and on PostgreSQL alike.

Articles go through the real Linker; the index is what the store holds, so
these tests open new Linkers (as a restarted or a second process would) and
check that decisions never depend on which one linked what, nor when.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from ingestd.evaluation.stream import SyntheticStream
from ingestd.fingerprint.params import DEFAULT_PARAMS
from ingestd.match.index import MemoryCandidateIndex, decode_features, encode_features
from ingestd.match.linker import Linker, LinkResult
from ingestd.match.thresholds import DEFAULT_THRESHOLDS
from ingestd.store import Store, open_store
from ingestd.store.records import PendingEntry
from ingestd.types import ExtractedArticle

WINDOW = timedelta(days=3)
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)

ORIGINAL = "\n".join(
    [
        "Le conseil municipal a adopté mardi soir un budget en hausse de douze pour cent,"
        " porté par les investissements dans l'assainissement des quartiers nord.",
        "Le maire a défendu un effort sans précédent pour les canalisations, dont certaines"
        " datent de l'époque coloniale et cèdent chaque saison des pluies.",
        "L'opposition a dénoncé une hausse des taxes locales qu'elle juge insupportable pour"
        " les petits commerçants du marché central déjà éprouvés par la crise.",
        "Les travaux doivent commencer en mars et durer deux ans, selon le calendrier présenté"
        " par les services techniques de la commune devant les élus.",
    ]
)
COPY = ORIGINAL.replace("mardi soir", "mardi")  # a repost, lightly edited
OTHER = "\n".join(
    [
        "Un nouveau dinosaure herbivore a été décrit à partir de fossiles mis au jour dans le"
        " désert du Ténéré par une équipe internationale de paléontologues.",
        "Ses restes, remarquablement conservés, comprennent une partie du crâne et plusieurs"
        " vertèbres qui permettent de le rattacher à une lignée encore mal connue.",
        "Les chercheurs estiment que l'animal mesurait près de neuf mètres de long et vivait"
        " il y a quelque cent dix millions d'années dans une plaine alors verdoyante.",
    ]
)
OTHER_COPY = OTHER.replace("remarquablement", "très bien")

OUTLETS = [
    {"name": "Origin Daily", "domain": "origin.example", "role": None, "aliases": [], "feeds": []},
    {"name": "Copy Times", "domain": "copy.example", "role": None, "aliases": [], "feeds": []},
]


def linker(store: Store, *, cache: int = 4096) -> Linker:
    return Linker(
        store,
        params=DEFAULT_PARAMS,
        thresholds=DEFAULT_THRESHOLDS,
        window=WINDOW,
        cache_articles=cache,
    )


def ready(store: Store) -> dict[str, int]:
    store.sync_outlets(OUTLETS, T0)
    return {o.domain: o.id for o in store.outlets()}


def link(lk: Linker, outlet_id: int, url: str, text: str, when: datetime) -> LinkResult:
    entry = PendingEntry(0, 0, outlet_id, url, url, url, None, when, 0)
    article = ExtractedArticle(
        url=url,
        text=text,
        title="Budget",
        author=None,
        published_at=when,
        site_name=None,
        language=None,
        canonical_url=None,
        description=None,
    )
    return lk.link(entry, article, when)


def test_features_blob_round_trips() -> None:
    rng = np.random.default_rng(1)
    paragraphs = tuple(np.unique(rng.integers(0, 2**32, n, dtype=np.uint32)) for n in (5, 0, 9))
    from ingestd.match.features import TextFeatures

    features = TextFeatures(
        paragraph_shingles=paragraphs,
        paragraph_words=(9, 0, 13),
        shingles=np.unique(np.concatenate(paragraphs)),
        word_count=22,
        exact_hash=2**62 + 3,
        lead_keys=(1, 2),
        paragraph_keys=(3, 4, 5),
    )
    back = decode_features(encode_features(features))
    assert [p.tolist() for p in back.paragraph_shingles] == [p.tolist() for p in paragraphs]
    assert back.paragraph_words == (9, 0, 13) and back.word_count == 22
    assert back.shingles.tolist() == features.shingles.tolist()
    assert back.exact_hash == features.exact_hash


def test_copy_links_through_the_store_index(store: Store) -> None:
    ids = ready(store)
    first = link(linker(store), ids["origin.example"], "https://origin.example/a", ORIGINAL, T0)
    # A new Linker (nothing in memory) on the same store: the index is there.
    second = link(
        linker(store), ids["copy.example"], "https://copy.example/a", COPY, T0 + timedelta(hours=5)
    )
    assert second.story_id == first.story_id and second.linked_to == first.article_id
    assert store.index_size() == 2
    rows = store.query("SELECT count(*) FROM store_index_keys WHERE article_id = ?", (1,))
    assert int(rows[0][0]) > DEFAULT_THRESHOLDS.lead_sentences  # band keys and lead keys


def test_an_article_leaves_the_window_after_it_and_not_before(store: Store) -> None:
    ids = ready(store)
    lk = linker(store)
    budget = link(lk, ids["origin.example"], "https://origin.example/a", ORIGINAL, T0)
    fossil = link(lk, ids["origin.example"], "https://origin.example/b", OTHER, T0)
    before = T0 + WINDOW - timedelta(minutes=1)
    inside = link(lk, ids["copy.example"], "https://copy.example/b", OTHER_COPY, before)
    assert inside.story_id == fossil.story_id
    after = T0 + WINDOW + timedelta(minutes=1)
    outside = link(lk, ids["copy.example"], "https://copy.example/a", COPY, after)
    assert outside.story_id != budget.story_id and outside.linked_to is None
    # The trim takes both originals out of the index; articles and stories stay.
    assert lk.trim(after) == 2
    assert store.index_size() == 2
    assert store.story_of(budget.article_id) == budget.story_id
    assert int(store.query("SELECT count(*) FROM articles")[0][0]) == 4


def test_the_exact_twin_lookup_is_bounded_by_the_window(store: Store) -> None:
    ids = ready(store)
    lk = linker(store)
    # Too short to judge by overlap: only exact twins link.
    short = "Communiqué de la mairie : la séance du conseil est levée et reportée à jeudi."
    first = link(lk, ids["origin.example"], "https://origin.example/s", short, T0)
    twin = link(lk, ids["copy.example"], "https://copy.example/s1", short, T0 + timedelta(days=1))
    assert twin.story_id == first.story_id
    late = link(lk, ids["copy.example"], "https://copy.example/s2", short, T0 + 3 * WINDOW)
    assert late.story_id != first.story_id


def test_trim_works_in_bounded_batches(store: Store) -> None:
    ids = ready(store)
    lk = linker(store)
    stream = SyntheticStream(articles=60, days=1, seed=3)
    for record in stream.records():
        when = datetime.fromisoformat(record["published_at"])
        link(lk, ids["origin.example"], record["url"], record["text"], when)
    later = T0 + timedelta(days=400)
    assert lk.trim(later, batch=25, max_batches=1) == 25
    assert store.index_size() == 35
    assert lk.trim(later, batch=25, max_batches=10) == 35
    assert store.index_size() == 0
    assert store.query("SELECT count(*) FROM store_index_keys")[0][0] == 0


def test_an_updated_article_is_reindexed_with_its_new_text(store: Store) -> None:
    ids = ready(store)
    lk = linker(store)
    first = link(lk, ids["origin.example"], "https://origin.example/a", OTHER, T0)
    link(lk, ids["origin.example"], "https://origin.example/a", ORIGINAL, T0 + timedelta(hours=1))
    copy = link(
        linker(store), ids["copy.example"], "https://copy.example/a", COPY, T0 + timedelta(hours=2)
    )
    assert copy.story_id == first.story_id  # found through the new version's keys
    assert store.index_size() == 2


def test_two_linkers_on_one_store_see_each_others_articles(store_url: str) -> None:
    one, two = open_store(store_url), open_store(store_url)
    try:
        one.migrate()
        ids = ready(one)
        origin = link(linker(one), ids["origin.example"], "https://origin.example/a", ORIGINAL, T0)
        copy = link(
            linker(two),
            ids["copy.example"],
            "https://copy.example/a",
            COPY,
            T0 + timedelta(hours=1),
        )
        assert copy.story_id == origin.story_id
    finally:
        one.close()
        two.close()


def _stream_stories(store: Store) -> list[tuple[str, ...]]:
    groups: dict[int, list[str]] = {}
    for row in store.query("SELECT story_id, url FROM articles ORDER BY url"):
        groups.setdefault(int(row["story_id"]), []).append(row["url"])
    return sorted(tuple(urls) for urls in groups.values())


def _origins(store: Store) -> dict[str, str]:
    return {
        row["url"]: row["origin_outlet"]
        for row in store.query(
            "SELECT a.url, s.origin_outlet FROM articles a"
            " JOIN stories s ON s.story_id = a.story_id"
        )
    }


def _feed(store: Store, records: list[dict[str, str]], *, cache: int, restart_every: int) -> None:
    ids = {o.name: o.id for o in store.outlets()}
    lk = linker(store, cache=cache)
    for number, record in enumerate(records, start=1):
        when = datetime.fromisoformat(record["published_at"])
        link(lk, ids[record["outlet"]], record["url"], record["text"], when)
        if number % 40 == 0:
            lk.trim(when)
        if restart_every and number % restart_every == 0:
            lk = linker(store, cache=cache)  # a restarted process: an empty cache


def test_identical_stories_with_and_without_a_restart(tmp_path: Path) -> None:
    stream = SyntheticStream(articles=400, days=9, outlets=6, copy_share=0.3, seed=11)
    records = list(stream.records())
    outlets = [
        {"name": o["name"], "domain": o["domain"], "role": None, "aliases": [], "feeds": []}
        for o in stream.outlet_table()
    ]
    results = []
    for name, cache, restart in (("long", 4096, 0), ("restarted", 4096, 200), ("tiny", 3, 50)):
        store = Store(tmp_path / f"{name}.db")
        store.migrate()
        store.sync_outlets(outlets, stream.start)
        _feed(store, records, cache=cache, restart_every=restart)
        results.append((_stream_stories(store), _origins(store)))
        store.close()
    # A fresh process on a copy of the store, midway.
    half = Store(tmp_path / "half.db")
    half.migrate()
    half.sync_outlets(outlets, stream.start)
    _feed(half, records[:200], cache=4096, restart_every=0)
    half.close()
    for suffix in ("", "-wal", "-shm"):
        source = tmp_path / f"half.db{suffix}"
        if source.exists():
            shutil.copy(source, tmp_path / f"copied.db{suffix}")
    copied = Store(tmp_path / "copied.db")
    copied.migrate()
    _feed(copied, records[200:], cache=4096, restart_every=0)
    results.append((_stream_stories(copied), _origins(copied)))
    copied.close()
    assert all(result == results[0] for result in results[1:])
    stories = results[0][0]
    assert len(stories) < len(records)  # copies were found
    found = sum(
        1 for copy, origin in stream.planted.items() for s in stories if {copy, origin} <= set(s)
    )
    assert found >= 0.95 * len(stream.planted)


def test_store_index_finds_what_the_in_memory_index_found(store: Store) -> None:
    """Same candidates, same order, as the former in-memory MinHashLSH index."""
    stream = SyntheticStream(articles=300, days=2, outlets=8, seed=5)
    store.sync_outlets(
        [dict(o, role=None, aliases=[], feeds=[]) for o in stream.outlet_table()], T0
    )
    ids = {o.name: o.id for o in store.outlets()}
    lk = linker(store)
    lk.window = timedelta(days=3650)
    memory = MemoryCandidateIndex(lk.signer, DEFAULT_THRESHOLDS)
    compared = 0
    for record in stream.records():
        when = datetime.fromisoformat(record["published_at"])
        entry = PendingEntry(
            0, 0, ids[record["outlet"]], record["url"], record["url"], record["url"], None, when, 0
        )
        article = ExtractedArticle(
            url=record["url"],
            text=record["text"],
            title=None,
            author=None,
            published_at=when,
            site_name=None,
            language=None,
            canonical_url=None,
            description=None,
        )
        with store.match_lock():
            record_, features, probe = lk.prepare(entry, article, when, revisit=False)
            from_store, _ = lk.index.candidates(probe, lk.window_start(when))
        from_memory = memory.candidates(probe.signature, features.size, features.lead_keys)
        assert from_store == from_memory
        compared += bool(from_memory)
        result = lk.link(entry, article, when)
        memory.add(result.article_id, probe.signature, features.size, features.lead_keys)
        del record_
    assert compared >= len(stream.planted) * 0.9


@pytest.mark.parametrize("in_window", [True, False])
def test_articles_stored_before_the_index_are_indexed_from_the_backlog(
    store: Store, in_window: bool
) -> None:
    ids = ready(store)
    lk = linker(store)
    origin = link(lk, ids["origin.example"], "https://origin.example/a", ORIGINAL, T0)
    # As migration 0006 leaves an older store: articles without index rows, queued.
    store.execute("DELETE FROM store_index_keys")
    store.execute("DELETE FROM store_index_articles")
    store.execute("INSERT INTO store_index_backlog (article_id) VALUES (?)", (origin.article_id,))
    now = T0 + (timedelta(hours=1) if in_window else 2 * WINDOW)
    assert lk.index_backlog(now) == 1
    assert lk.index_backlog(now) == 0
    assert store.index_size() == (1 if in_window else 0)
    copy = link(linker(store), ids["copy.example"], "https://copy.example/a", COPY, now)
    assert (copy.story_id == origin.story_id) is in_window


def test_the_store_implements_its_documented_protocols(store: Store) -> None:
    from ingestd.store.protocol import (
        ArticlesAndIndex,
        FeedsAndEntries,
        Leases,
        MatchStore,
        Stories,
    )

    for protocol in (FeedsAndEntries, ArticlesAndIndex, Stories, MatchStore, Leases):
        assert isinstance(store, protocol), protocol.__name__


def test_stored_features_keep_their_outlet_for_same_outlet_rules(store: Store) -> None:
    ids = ready(store)
    origin = link(linker(store), ids["origin.example"], "https://origin.example/a", ORIGINAL, T0)
    # A fresh process (empty cache) reads the features from the store: the
    # outlet must come with them, or same-outlet updates and follow-ups are
    # judged as if two outlets had published them.
    fresh = linker(store)
    [features] = fresh._stored_features([origin.article_id]).values()
    assert features.outlet_id == ids["origin.example"]
