"""Every public store method, on SQLite and on PostgreSQL alike."""

from __future__ import annotations

from datetime import timedelta

import pytest

from ingestd.errors import StoreError
from ingestd.store import Store
from ingestd.store.records import EdgeRecord, MemberRow
from ingestd.store.values import db_time, py_json, py_time
from ingestd.types import OutletRole
from tests.contract.factories import OUTLETS, T0, article, entry, le_monde_origin, synced


def test_dialect_and_where(store: Store, store_url: str) -> None:
    assert store.dialect == store_url.split(":")[0]
    assert store.where in store_url
    if store.dialect == "sqlite":
        assert store.path is not None and str(store.path) == store.where
    else:
        assert store.path is None


# -- outlets and feeds --------------------------------------------------------


def test_sync_outlets_creates_updates_and_deactivates(store: Store) -> None:
    ids, feeds = synced(store)
    outlets = store.outlets()
    assert [(o.name, o.domain, o.role, o.aliases) for o in outlets] == [
        ("Le Monde", "lemonde.fr", OutletRole.ORIGINAL, ("LeMonde",)),
        ("Meguetan Infos", "meguetaninfos.com", OutletRole.AGGREGATOR, ()),
    ]
    assert [f.url for f in feeds] == [u for o in OUTLETS for u in o["feeds"]]
    assert all(f.etag is None and f.content_hash is None for f in feeds)
    assert feeds[0].outlet_id == ids["lemonde.fr"]

    # A feed added by the operator survives a reload; a configured one that left goes inactive.
    store.execute(
        "INSERT INTO store_feeds (outlet_id, url, created_at, added_by) VALUES (?, ?, ?, 'cli')",
        (ids["lemonde.fr"], "https://www.lemonde.fr/rss/cli.xml", db_time(T0)),
    )
    changed = [
        {**OUTLETS[0], "role": "wire", "aliases": [], "feeds": OUTLETS[0]["feeds"][:1]},
        OUTLETS[1],
    ]
    store.sync_outlets(changed, T0 + timedelta(hours=1))
    assert store.outlets()[0].role is OutletRole.WIRE
    assert store.outlets()[0].aliases == ()
    assert [o.id for o in store.outlets()] == list(ids.values())
    assert {f.url for f in store.active_feeds()} == {
        "https://www.lemonde.fr/rss/une.xml",
        "https://meguetaninfos.com/feed",
        "https://www.lemonde.fr/rss/cli.xml",
    }
    # Re-adding the configured feed reactivates it, never duplicates it.
    store.sync_outlets(OUTLETS, T0 + timedelta(hours=2))
    assert len(store.active_feeds()) == 4
    assert store.counts()["feeds"] == 4


def test_sync_deactivates_only_the_feeds_its_own_file_owns(store: Store) -> None:
    daemon, other = "/etc/ingestd/ingestd.toml", "/tmp/other.toml"
    store.sync_outlets(OUTLETS, T0, owner=daemon)
    extra = [{"name": "Extra", "domain": "extra.example", "feeds": ["https://extra.example/f"]}]
    # A one-off process with another file adds its feed and leaves the daemon's alone.
    store.sync_outlets(extra, T0, owner=other)
    assert len(store.active_feeds()) == 4
    # The daemon's file drops a feed: only that one goes; the other file's stays.
    fewer = [{**OUTLETS[0], "feeds": OUTLETS[0]["feeds"][:1]}, OUTLETS[1]]
    store.sync_outlets(fewer, T0, owner=daemon)
    assert {f.url for f in store.active_feeds()} == {
        "https://www.lemonde.fr/rss/une.xml",
        "https://meguetaninfos.com/feed",
        "https://extra.example/f",
    }
    # Syncing the same file twice at once is idempotent (upserts, no unique-key race).
    store.sync_outlets(fewer, T0, owner=daemon)
    assert store.counts()["outlets"] == 3


def test_record_feed_entries_saves_entries_and_validators_together(store: Store) -> None:
    _, feeds = synced(store)
    feed = feeds[0]
    added = store.record_feed_entries(
        feed, [entry(1), entry(2)], etag='"e1"', last_modified="Mon", content_hash="h1", now=T0
    )
    assert added == 2
    [stored] = [f for f in store.active_feeds() if f.id == feed.id]
    assert (stored.etag, stored.last_modified, stored.content_hash) == ('"e1"', "Mon", "h1")
    pending = store.pending_entries()
    # Newest first within a feed.
    assert [(p.guid, p.url, p.feed_id, p.attempts, p.article_id) for p in pending] == [
        ("guid-2", entry(2).url, feed.id, 0, None),
        ("guid-1", entry(1).url, feed.id, 0, None),
    ]
    assert pending[0].raw_url.endswith("?utm_source=rss")
    assert pending[0].published_at == entry(2).published_at
    assert pending[0].outlet_id == feed.outlet_id
    # Seeing the same entries again adds nothing.
    assert (
        store.record_feed_entries(
            feed, [entry(1), entry(2)], etag=None, last_modified=None, content_hash="h2", now=T0
        )
        == 0
    )
    assert len(store.pending_entries()) == 2
    assert store.pending_entries(limit=1) == pending[:1]


def test_pending_entries_come_in_turns_across_feeds_newest_first(store: Store) -> None:
    _, feeds = synced(store)
    big, small = feeds[0], feeds[1]
    store.record_feed_entries(
        big,
        [entry(n) for n in range(1, 41)],
        etag=None,
        last_modified=None,
        content_hash="big",
        now=T0,
    )
    store.record_feed_entries(
        small,
        [entry(n, url=f"https://www.lemonde.fr/small-{n}.html") for n in (100, 101)],
        etag=None,
        last_modified=None,
        content_hash="small",
        now=T0,
    )
    # The first turn holds each feed's newest entry, whatever the backlog.
    first = store.pending_entries(limit=2)
    assert {(p.feed_id, p.guid) for p in first} == {(big.id, "guid-40"), (small.id, "guid-101")}
    turns = store.pending_entries(limit=4)
    # Within a turn, in the order the entries were found.
    assert [p.guid for p in turns[2:]] == ["guid-39", "guid-100"]
    # per_feed caps the turns: a cycle takes at most that many of one feed.
    capped = store.pending_entries(per_feed=3)
    assert sorted(p.guid for p in capped if p.feed_id == big.id) == [
        "guid-38",
        "guid-39",
        "guid-40",
    ]
    assert len([p for p in capped if p.feed_id == small.id]) == 2
    assert store.pending_count() == 42
    # Entries in hand are skipped without hiding the ones behind them.
    ahead = {p.id for p in first}
    assert {p.id for p in store.pending_entries(limit=2, exclude=ahead)} == {
        p.id for p in turns[2:]
    }


def test_a_changed_entry_becomes_pending_again(store: Store) -> None:
    _, feeds = synced(store)
    store.record_feed_entries(
        feeds[0], [entry(1)], etag=None, last_modified=None, content_hash="h", now=T0
    )
    [pending] = store.pending_entries()
    store.entry_done(pending.id, _stored_article(store, pending.id))
    assert store.pending_entries() == []
    # Same GUID, same update time: not again. New update time: pending again.
    same = store.record_feed_entries(
        feeds[0], [entry(1)], etag=None, last_modified=None, content_hash="h", now=T0
    )
    assert same == 0
    later = T0 + timedelta(days=1)
    again = store.record_feed_entries(
        feeds[0],
        [entry(1, updated=later)],
        etag=None,
        last_modified=None,
        content_hash="h",
        now=later,
    )
    assert again == 1
    [revisit] = store.pending_entries()
    assert revisit.article_id is not None
    assert revisit.attempts == 0


def _stored_article(store: Store, entry_id: int) -> int:
    ids = {o.domain: o.id for o in store.outlets()}
    return store.insert_article(article(entry_id, ids["lemonde.fr"], entry(1).url), None, T0)


def test_feed_unchanged_and_error_are_kept_in_feed_health(store: Store) -> None:
    _, feeds = synced(store)
    store.record_feed_error(feeds[0], "timeout", "took too long", T0)
    store.record_feed_error(feeds[0], "http_status", "503", T0 + timedelta(minutes=5))
    store.record_feed_unchanged(feeds[1], T0 + timedelta(minutes=6))
    health = {h["url"]: h for h in store.feed_health()}
    failing = health[feeds[0].url]
    assert failing["error_count"] == 2
    assert failing["last_error"] == "503"
    assert failing["last_error_kind"] == "http_status"
    assert failing["last_success_at"] is None
    assert failing["outlet"] == "Le Monde"
    fine = health[feeds[1].url]
    assert fine["error_count"] == 0
    assert fine["last_success_at"] == db_time(T0 + timedelta(minutes=6))
    # A success resets the error count; the last error stays for the record.
    store.record_feed_unchanged(feeds[0], T0 + timedelta(minutes=10))
    again = {h["url"]: h for h in store.feed_health()}[feeds[0].url]
    assert again["error_count"] == 0
    assert again["last_error"] == "503"


# -- entries --------------------------------------------------------------------


def test_entry_failed_counts_then_gives_up(store: Store) -> None:
    _, feeds = synced(store)
    store.record_feed_entries(
        feeds[0], [entry(1)], etag=None, last_modified=None, content_hash="h", now=T0
    )
    [pending] = store.pending_entries()
    store.entry_failed(pending.id, "timeout", give_up=False)
    [still] = store.pending_entries()
    assert still.attempts == 1
    store.entry_failed(pending.id, "timeout again", give_up=True)
    assert store.pending_entries() == []
    counts = store.counts()
    assert (counts["entries_failed"], counts["entries_pending"]) == (1, 0)
    row = store.query_one(
        "SELECT attempts, last_error FROM store_entries WHERE id = ?", (still.id,)
    )
    assert row is not None
    assert (row["attempts"], row["last_error"]) == (2, "timeout again")


# -- articles ---------------------------------------------------------------------


def test_insert_article_and_read_it_back(store: Store) -> None:
    ids, feeds = synced(store)
    store.record_feed_entries(
        feeds[0], [entry(1)], etag=None, last_modified=None, content_hash="h", now=T0
    )
    [pending] = store.pending_entries()
    new = article(pending.id, ids["lemonde.fr"], pending.url)
    article_id = store.insert_article(new, None, T0)

    assert store.pending_entries() == []
    assert store.counts()["entries_done"] == 1
    assert store.article_id_for(new.url, ids["lemonde.fr"], None) == article_id
    # Found by GUID at the same outlet only.
    assert store.article_id_for("https://elsewhere", ids["lemonde.fr"], new.guid) == article_id
    assert store.article_id_for("https://elsewhere", ids["meguetaninfos.com"], new.guid) is None
    assert store.article_id_for("https://elsewhere", ids["lemonde.fr"], None) is None
    assert store.article_ids_with_hash(new.content_hash) == [article_id]
    assert store.article_ids_with_hash("v1:ffff") == []

    stored = store.stored_text(article_id)
    assert stored is not None
    assert (stored.article_id, stored.outlet_id, stored.text) == (
        article_id,
        ids["lemonde.fr"],
        new.text,
    )
    assert stored.credits == new.credits
    assert store.stored_text(article_id + 999) is None

    story_id = store.story_of(article_id)
    [member] = store.story_members(story_id)
    assert member == MemberRow(
        article_id=article_id,
        url=new.url,
        outlet_name="Le Monde",
        outlet_domain="lemonde.fr",
        outlet_role=OutletRole.ORIGINAL,
        published_at=new.published_at,
        first_seen_at=T0,
        word_count=new.word_count,
        canonical_url=new.canonical_url,
        title=new.title,
        credits=new.credits,
    )
    # The story starts with this article's URL and title.
    story = store.query_one("SELECT * FROM stories WHERE story_id = ?", (story_id,))
    assert story is not None
    assert (story["canonical_url"], story["title"], story["member_count"]) == (
        new.canonical_url,
        new.title,
        1,
    )
    versions = store.article_versions(article_id)
    assert [(v["version"], v["url"], v["seen_at"]) for v in versions] == [(1, new.url, db_time(T0))]


def test_signatures_since_filters_by_time_and_params(store: Store) -> None:
    ids, _ = synced(store)
    outlet = ids["lemonde.fr"]
    old = store.insert_article(article(0, outlet, "https://a/old"), None, T0)
    new = store.insert_article(
        article(0, outlet, "https://a/new", seen=T0 + timedelta(days=3)), None, T0
    )
    got = list(store.signatures_since(T0 + timedelta(days=1), "v1:128:5:1"))
    assert got == [(new, bytes(range(256)) * 2)]
    assert [a for a, _ in store.signatures_since(T0, "v1:128:5:1")] == [old, new]
    assert list(store.signatures_since(T0, "v2:other")) == []


def test_paragraph_counts_and_boilerplate(store: Store) -> None:
    ids, _ = synced(store)
    outlet, other = ids["lemonde.fr"], ids["meguetaninfos.com"]
    big = 2**62 + 5  # 63-bit keys must round-trip on both dialects
    store.insert_article(article(0, outlet, "https://a/1", keys=(1, 2, big, 2)), None, T0)
    store.insert_article(article(0, outlet, "https://a/2", keys=(1, big)), None, T0)
    store.insert_article(article(0, other, "https://b/1", keys=(1,)), None, T0)
    assert store.paragraph_counts(outlet, [1, 2, big, 3]) == {1: 2, 2: 1, big: 2}
    # More keys than one IN list holds.
    many = list(range(1000, 2200))
    assert store.paragraph_counts(outlet, [*many, 1]) == {1: 2}
    assert store.boilerplate_keys(2) == {outlet: {1, big}}
    assert store.boilerplate_keys(1) == {outlet: {1, 2, big}, other: {1}}


def test_update_article_keeps_story_and_versions(store: Store) -> None:
    ids, _ = synced(store)
    outlet = ids["lemonde.fr"]
    first = article(0, outlet, "https://a/1")
    article_id = store.insert_article(first, None, T0)
    story_id = store.story_of(article_id)
    assert store.update_article(article_id, first, T0 + timedelta(hours=1)) is False
    changed = article(0, outlet, "https://a/1", text="Texte corrigé.", content_hash="v1:bb")
    later = T0 + timedelta(hours=2)
    assert store.update_article(article_id, changed, later) is True
    assert store.story_of(article_id) == story_id
    stored = store.stored_text(article_id)
    assert stored is not None and stored.text == "Texte corrigé."
    versions = store.article_versions(article_id)
    assert [(v["version"], v["content_hash"]) for v in versions] == [
        (1, "v1:00000000000000aa"),
        (2, "v1:bb"),
    ]
    row = store.query_one(
        "SELECT version, updated_at FROM articles WHERE article_id = ?", (article_id,)
    )
    assert row is not None
    assert row["version"] == 2
    assert py_time(row["updated_at"]) == later


def test_edges_are_upserted_and_read_among_members(store: Store) -> None:
    ids, _ = synced(store)
    a = store.insert_article(article(0, ids["lemonde.fr"], "https://a/1"), None, T0)
    b = store.insert_article(
        article(0, ids["meguetaninfos.com"], "https://b/1"), store.story_of(a), T0
    )
    c = store.insert_article(article(0, ids["meguetaninfos.com"], "https://b/2"), None, T0)
    store.add_edges([EdgeRecord(a, b, 10, 12, 11, 0.8, "near_copy", False)], T0)
    store.add_edges(
        [
            EdgeRecord(a, b, 11, 12, 11, 0.9, "containment", True),
            EdgeRecord(a, c, 1, 12, 30, 0.01, "weak", False),
        ],
        T0,
    )
    assert store.counts()["match_edges"] == 2
    assert store.edges_among([a, b, c]) == [EdgeRecord(a, b, 11, 12, 11, 0.9, "containment", True)]
    assert store.edges_among([a]) == []
    assert store.edges_among([a, c]) == []
    assert store.story_of(b) == store.story_of(a) != store.story_of(c)


def test_update_story_writes_origin_and_chain(store: Store) -> None:
    ids, _ = synced(store)
    a = store.insert_article(article(0, ids["lemonde.fr"], "https://a/1"), None, T0)
    story_id = store.story_of(a)
    b = store.insert_article(article(0, ids["meguetaninfos.com"], "https://b/1"), story_id, T0)
    store.update_story(
        story_id,
        origin_article_id=a,
        origin_outlet="Le Monde",
        origin_domain="lemonde.fr",
        attributed=False,
        reason="attribution",
        evidence=[{"kind": "line", "phrase": "lemonde.fr"}],
        canonical_url="https://a/1",
        title="Titre",
        members=[
            (a, "origin", None, 1.0, {"origin": []}),
            (b, "copy", a, 0.97, {"via": "credit", "containment": 0.97}),
        ],
        now=T0 + timedelta(minutes=1),
    )
    story = store.query_one("SELECT * FROM stories WHERE story_id = ?", (story_id,))
    assert story is not None
    assert story["origin_outlet"] == "Le Monde"
    assert story["origin_article_id"] == a
    assert story["origin_attributed"] == 0
    assert story["origin_reason"] == "attribution"
    assert py_json(story["origin_evidence"]) == [{"kind": "line", "phrase": "lemonde.fr"}]
    assert (story["member_count"], story["outlet_count"], story["copy_count"]) == (2, 2, 1)
    members = {
        m["article_id"]: m
        for m in store.query("SELECT * FROM story_members WHERE story_id = ?", (story_id,))
    }
    assert members[b]["member_role"] == "copy"
    assert members[b]["derived_from"] == a
    assert members[b]["derived_from_url"] == "https://a/1"
    assert members[b]["derived_from_outlet"] == "Le Monde"
    assert members[b]["similarity"] == pytest.approx(0.97)
    assert py_json(members[b]["evidence"]) == {"via": "credit", "containment": 0.97}
    assert members[a]["member_role"] == "origin"

    # An attributed origin: the flag reads back as 1 on every dialect.
    store.update_story(
        story_id,
        origin_article_id=None,
        origin_outlet="AFP",
        origin_domain=None,
        attributed=True,
        reason="attribution",
        evidence=[],
        canonical_url="https://a/1",
        title=None,
        members=[],
        now=T0,
    )
    again = store.query_one(
        "SELECT origin_attributed, title FROM stories WHERE story_id = ?", (story_id,)
    )
    assert again is not None
    assert (again["origin_attributed"], again["title"]) == (1, None)


def test_export_rows_are_the_same_on_every_dialect(store: Store) -> None:
    ids, _ = synced(store)
    a = store.insert_article(article(0, ids["lemonde.fr"], "https://a/1"), None, T0)
    story_id = store.story_of(a)
    b = store.insert_article(
        article(0, ids["meguetaninfos.com"], "https://b/1", seen=T0 + timedelta(hours=1)),
        story_id,
        T0,
    )
    lone = store.insert_article(article(0, ids["meguetaninfos.com"], "https://b/2"), None, T0)
    le_monde_origin(store, story_id, a, b, 0.5)
    rows = list(store.export_rows())
    assert [r["story"]["id"] for r in rows] == [story_id, store.story_of(lone)]
    first = rows[0]
    assert first["story"]["origin_url"] == "https://a/1"
    assert first["story"]["origin_evidence"] == '[{"kind":"earliest"}]'
    assert first["story"]["created_at"] == db_time(T0)
    assert first["story"]["origin_attributed"] == 0
    assert [m["id"] for m in first["members"]] == [a, b]  # origin first
    copy = first["members"][1]
    assert copy == {
        "id": b,
        "url": "https://b/1",
        "title": "La Russie et l'OTAN — « dialogue » 100%",
        "published_at": db_time(T0),
        "first_seen_at": db_time(T0 + timedelta(hours=1)),
        "member_role": "copy",
        "similarity": 0.5,
        "derived_from": a,
        "evidence": '{"via":"similarity"}',
        "credits": '[{"kind":"line","phrase":"lemonde.fr"}]',
        "derived_url": "https://a/1",
        "outlet": "Meguetan Infos",
    }
    assert [m["id"] for m in rows[1]["members"]] == [lone]


def test_counts(store: Store) -> None:
    assert store.counts() == {
        "outlets": 0,
        "feeds": 0,
        "entries": 0,
        "articles": 0,
        "stories": 0,
        "match_edges": 0,
        "entries_pending": 0,
        "entries_done": 0,
        "entries_failed": 0,
    }
    _, feeds = synced(store)
    store.record_feed_entries(
        feeds[0], [entry(1), entry(2)], etag=None, last_modified=None, content_hash="h", now=T0
    )
    counts = store.counts()
    assert (counts["outlets"], counts["feeds"], counts["entries"]) == (2, 3, 2)
    assert counts["entries_pending"] == 2


# -- the portable SQL surface and transactions ----------------------------------


def test_portable_surface(store: Store) -> None:
    ids, _ = synced(store)
    new_id = store.insert(
        "INSERT INTO store_feeds (outlet_id, url, created_at, added_by) VALUES (?, ?, ?, 'cli')"
        " RETURNING id",
        (ids["lemonde.fr"], "https://www.lemonde.fr/rss/x.xml", db_time(T0)),
    )
    row = store.query_one(
        "SELECT feed_id, url, active, created_at FROM feeds WHERE feed_id = ?", (new_id,)
    )
    assert row is not None
    assert (row["feed_id"], row[1], row["active"]) == (
        new_id,
        "https://www.lemonde.fr/rss/x.xml",
        1,
    )
    assert py_time(row["created_at"]) == T0
    assert dict(row).keys() == {"feed_id", "url", "active", "created_at"}
    # A '?' and a '%' inside a string literal are text, not placeholders.
    rows = store.query(
        "SELECT url FROM feeds WHERE url LIKE '%lemonde%' AND url != 'what?' AND active = ?"
        " ORDER BY feed_id",
        (1,),
    )
    assert [r["url"] for r in rows][-1] == "https://www.lemonde.fr/rss/x.xml"
    assert len(rows) == 3
    assert store.execute("UPDATE store_feeds SET active = ? WHERE id = ?", (False, new_id)) == 1
    assert store.query_one("SELECT active FROM feeds WHERE feed_id = ?", (new_id,))["active"] == 0
    assert store.query_one("SELECT url FROM feeds WHERE feed_id = ?", (-1,)) is None
    assert store.query("SELECT url FROM feeds WHERE feed_id = ?", (-1,)) == []


def test_transaction_commits_joins_and_rolls_back(store: Store, store_url: str) -> None:
    synced(store)
    with store.transaction():
        store.execute("UPDATE store_outlets SET role = 'wire' WHERE domain = ?", ("lemonde.fr",))
        with store.transaction():  # nested: joins
            store.execute(
                "UPDATE store_outlets SET role = 'wire' WHERE domain = ?", ("meguetaninfos.com",)
            )
    assert {o.role for o in store.outlets()} == {OutletRole.WIRE}

    with pytest.raises(RuntimeError), store.transaction():
        store.execute("UPDATE store_outlets SET role = NULL")
        raise RuntimeError("boom")
    assert {o.role for o in store.outlets()} == {OutletRole.WIRE}
    # Another connection sees only committed work.
    from ingestd.store import open_store

    with open_store(store_url, create=False) as other:
        assert other.query_one("SELECT count(*) FROM outlets WHERE role = 'wire'")[0] == 2


def test_database_errors_become_store_errors_and_roll_back(store: Store) -> None:
    ids, _ = synced(store)
    before = store.counts()
    with pytest.raises(StoreError, match=r"UNIQUE|unique|duplicate"), store.transaction():
        store.insert(
            "INSERT INTO store_outlets (name, domain, aliases, created_at)"
            " VALUES (?, ?, '[]', ?) RETURNING id",
            ("Other", "other.fr", db_time(T0)),
        )
        store.insert(
            "INSERT INTO store_outlets (name, domain, aliases, created_at)"
            " VALUES (?, ?, '[]', ?) RETURNING id",
            ("Le Monde", "x.fr", db_time(T0)),
        )
    assert store.counts() == before  # the first insert was rolled back too
    with pytest.raises(StoreError, match=r"store_nothing|no such table|does not exist"):
        store.query("SELECT * FROM store_nothing")
    # The store is still usable after the error.
    assert len(store.outlets()) == len(ids)
    with pytest.raises(StoreError, match="no id"):
        store.insert(
            "INSERT INTO store_outlets (name, domain, aliases, created_at)"
            " SELECT name, domain, aliases, created_at FROM store_outlets WHERE 1 = 0"
            " RETURNING id"
        )


def test_size_bytes_grows_with_data(store: Store) -> None:
    empty = store.size_bytes()
    assert empty > 0
    ids, _ = synced(store)
    for n in range(200):
        store.insert_article(
            article(0, ids["lemonde.fr"], f"https://a/{n}", text="mot " * 2000), None, T0
        )
    assert store.size_bytes() > empty + 200 * 2000
