"""The store methods that replaced outside SQL (issue 10), on SQLite and PostgreSQL alike.

The schedule state, moved feeds, the operator's feed edits, retention and
the read-side queries of report, export and serve used to be SQL against
the ``store_*`` tables in the modules that needed them; these tests hold
the store's methods to the same behaviour on both dialects.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from ingestd.errors import StoreError
from ingestd.store import Store
from ingestd.store.records import EdgeRecord
from ingestd.store.values import db_time
from tests.contract.factories import T0, article, entry, le_monde_origin, synced

# -- feeds and entries ----------------------------------------------------------


def test_schedule_state_round_trip(store: Store) -> None:
    _, feeds = synced(store)
    first, second = feeds[0], feeds[1]
    assert store.due_times() == {f.id: None for f in feeds}
    store.schedule_feed(first.id, T0 + timedelta(minutes=5), 300.0, "adaptive")
    store.schedule_feed(
        second.id, T0 + timedelta(hours=1), 600.0, "ttl", ttl_minutes=60, update_ttl=True
    )
    due = store.due_times()
    assert due[first.id] == T0 + timedelta(minutes=5)
    assert due[second.id] == T0 + timedelta(hours=1)
    assert store.feed_ttl(first.id) is None
    assert store.feed_ttl(second.id) == 60
    # Without update_ttl the remembered ttl stays.
    store.schedule_feed(second.id, T0, 600.0, "backoff")
    assert store.feed_ttl(second.id) == 60
    assert store.feed_to_poll(first.id) == first
    store.deactivate_feed(first.id)
    assert store.feed_to_poll(first.id) is None
    assert first.id not in store.due_times()


def test_feed_history_is_newest_first_with_the_error_streak(store: Store) -> None:
    _, feeds = synced(store)
    feed = feeds[0]
    store.record_feed_entries(
        feed,
        [entry(n) for n in range(1, 6)],
        etag=None,
        last_modified=None,
        content_hash=None,
        now=T0,
    )
    store.record_feed_error(feed, "timeout", "slow", T0)
    store.record_feed_error(feed, "timeout", "slow", T0)
    times, errors = store.feed_history(feed.id, 3)
    assert times == tuple(entry(n).published_at for n in (5, 4, 3))
    assert errors == 2
    assert store.feed_history(feeds[1].id, 3) == ((), 0)


def test_delay_entry_hides_it_until_its_time(store: Store) -> None:
    _, feeds = synced(store)
    store.record_feed_entries(
        feeds[0], [entry(1)], etag=None, last_modified=None, content_hash=None, now=T0
    )
    [pending] = store.pending_entries()
    store.delay_entry(pending.id, T0 + timedelta(minutes=10))
    assert store.pending_entries(ready_at=T0) == []
    assert store.pending_entries(ready_at=T0 + timedelta(minutes=10)) == [pending]
    assert store.entry_states([pending.url, "https://unknown/"]) == {pending.url: "pending"}


def test_move_feed_moves_merges_and_remembers(store: Store) -> None:
    _, feeds = synced(store)
    one, two = feeds[0], feeds[1]
    moved = store.move_feed(one.id, "https://www.lemonde.fr/rss/new.xml", T0)
    assert (moved.outcome, moved.feed_id, moved.old_url, moved.added_by) == (
        "moved",
        one.id,
        one.url,
        "config",
    )
    assert store.feed_to_poll(one.id).url == "https://www.lemonde.fr/rss/new.xml"  # type: ignore[union-attr]
    same = store.move_feed(one.id, "https://www.lemonde.fr/rss/new.xml", T0)
    assert same.outcome == "unchanged"
    # Onto a URL another feed has: that one stays, this one goes inactive.
    merged = store.move_feed(two.id, "https://www.lemonde.fr/rss/new.xml", T0)
    assert (merged.outcome, merged.feed_id, merged.old_url) == ("merged", one.id, two.url)
    assert store.feed_to_poll(two.id) is None
    # A configuration still listing the old URLs syncs onto the feed that carries them.
    synced(store)
    assert {f.url for f in store.active_feeds()} >= {"https://www.lemonde.fr/rss/new.xml"}
    assert one.url not in {f.url for f in store.active_feeds()}
    with pytest.raises(LookupError):
        store.move_feed(9999, "https://x/", T0)


def test_operator_outlets_and_feeds(store: Store) -> None:
    ids, _ = synced(store)
    outlet = store.add_outlet("Extra", "extra.example", T0, role="wire", aliases=["X"])
    assert ("Extra", "extra.example", ("X",)) in [
        (o.name, o.domain, o.aliases) for o in store.outlets() if o.id == outlet
    ]
    with pytest.raises(StoreError):
        store.add_outlet("Extra", "other.example", T0)
    feed = store.add_feed(outlet, "https://extra.example/feed", T0)
    row = store.query_one("SELECT outlet, active, added_by FROM feeds WHERE feed_id = ?", (feed,))
    assert row is not None and (row["outlet"], row["active"], row["added_by"]) == (
        "Extra",
        1,
        "cli",
    )
    store.deactivate_feed(feed)
    assert feed not in store.due_times()
    store.reactivate_feed(feed, ids["lemonde.fr"])
    row = store.query_one("SELECT outlet, active FROM feeds WHERE feed_id = ?", (feed,))
    assert row is not None and (row["outlet"], row["active"]) == ("Le Monde", 1)


# -- articles: retention --------------------------------------------------------------


def test_prune_plans_then_drops_in_keyset_batches(store: Store) -> None:
    ids, _ = synced(store)
    old = [
        store.insert_article(article(0, ids["lemonde.fr"], f"https://a/{n}"), None, T0)
        for n in range(3)
    ]
    later = T0 + timedelta(days=30)
    fresh = store.insert_article(
        article(0, ids["lemonde.fr"], "https://a/new", seen=later), None, later
    )
    cutoff = T0 + timedelta(days=1)
    plan = store.plan_prune(cutoff)
    text = article(0, 0, "x").text
    assert (plan.articles, plan.versions) == (3, 3)
    assert plan.text_bytes == plan.version_bytes == 3 * len(text.encode())
    assert plan.signature_bytes == 3 * 512
    assert store.prune_articles(cutoff, 0, 2) == old[:2]
    assert store.prune_articles(cutoff, old[1], 2) == old[2:]
    assert store.prune_articles(cutoff, old[2], 2) == []
    assert len(store.prune_versions(cutoff, 0, 10)) == 3
    assert store.plan_prune(cutoff).total_bytes == 0
    assert store.stored_text(old[0]) is None
    assert store.stored_text(fresh) is not None


# -- read-side queries ----------------------------------------------------------------


def _three_articles(store: Store) -> tuple[int, int, int]:
    ids, _ = synced(store)
    a = store.insert_article(article(0, ids["lemonde.fr"], "https://a/1"), None, T0)
    b_seen = T0 + timedelta(hours=1)
    b = store.insert_article(
        article(0, ids["meguetaninfos.com"], "https://b/1", seen=b_seen), store.story_of(a), b_seen
    )
    c_seen = T0 + timedelta(hours=2)
    c = store.insert_article(
        article(0, ids["meguetaninfos.com"], "https://b/2", seen=c_seen), None, c_seen
    )
    return a, b, c


def test_edges_for_report_and_review(store: Store) -> None:
    a, b, c = _three_articles(store)
    ab = EdgeRecord(a, b, 11, 12, 11, 0.9, "containment", True)
    ac = EdgeRecord(a, c, 1, 12, 30, 0.01, "weak", False)
    store.add_edges([ab, ac], T0)
    assert store.edges_touching(None) == [ab, ac]
    assert store.edges_touching(T0 + timedelta(minutes=90)) == [ac]
    assert store.edges_touching(T0 + timedelta(days=1)) == []
    assert store.edge(b, a) == ab
    assert store.edge(b, c) is None
    assert store.latest_edges(10) == [ac, ab]
    assert store.latest_edges(1) == [ac]


def test_story_heads_page_by_id(store: Store) -> None:
    a, b, c = _three_articles(store)
    le_monde_origin(store, store.story_of(a), a, b, 0.9)
    heads = store.story_heads(0, None, 10)
    assert [h.story_id for h in heads] == [store.story_of(a), store.story_of(c)]
    first = heads[0]
    assert (first.origin_outlet, first.origin_article_id, first.origin_reason) == (
        "Le Monde",
        a,
        "earliest",
    )
    assert first.origin_attributed is False
    assert first.origin_evidence == [{"kind": "earliest"}]
    assert store.story_heads(first.story_id, None, 10) == heads[1:]
    assert store.story_heads(0, None, 1) == heads[:1]
    assert store.story_heads(0, T0 + timedelta(minutes=90), 10) == heads[1:]


def test_article_walk_goes_down_the_first_seen_index(store: Store) -> None:
    a, _, c = _three_articles(store)
    story_a, story_c = store.story_of(a), store.story_of(c)
    walk = store.article_walk(None, None, 10)
    assert walk == [
        (story_c, db_time(T0 + timedelta(hours=2))),
        (story_a, db_time(T0 + timedelta(hours=1))),
        (story_a, db_time(T0)),
    ]
    assert store.article_walk(None, walk[0], 10) == walk[1:]
    assert store.article_walk(T0 + timedelta(minutes=30), None, 10) == walk[:2]
    assert store.article_walk(None, None, 1) == walk[:1]


def test_title_search_and_languages(store: Store) -> None:
    a, _, c = _three_articles(store)
    story_a, story_c = store.story_of(a), store.story_of(c)
    # Every factory article is titled "La Russie et l'OTAN — « dialogue » 100%".
    assert store.search_story_titles(["Russie", "OTAN"], None, 10) == [story_c, story_a]
    assert store.search_story_titles(["Russie"], story_c, 10) == [story_a]
    assert store.search_story_titles(["Russie"], None, 1) == [story_c]
    assert store.search_story_titles(["absent"], None, 10) == []
    # Query syntax is only words.
    assert store.search_story_titles(['dialogue" OR "x', "'OTAN"], None, 10) == []
    assert store.recent_languages(10, 50) == ["fr"]
    assert store.recent_languages(10, 0) == []


def test_replay_articles_in_first_seen_order(store: Store) -> None:
    a, b, _ = _three_articles(store)
    le_monde_origin(store, store.story_of(a), a, b, 0.9)
    rows = store.replay_articles()
    assert [r["url"] for r in rows] == ["https://a/1", "https://b/1", "https://b/2"]
    first = rows[0]
    assert first["outlet_name"] == "Le Monde"
    assert first["origin_outlet"] == "Le Monde"
    assert first["story_id"] == store.story_of(a)
    assert first["signature_params"] == "v1:128:5:1"
    assert first["first_seen_at"] == db_time(T0)
    assert first["text"] == article(0, 0, "x").text
