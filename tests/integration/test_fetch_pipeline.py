"""Fetch politeness seen through a polling cycle: feeds that moved, pages
that robots.txt forbids."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ingestd.feeds.state import follow_permanent_redirect
from ingestd.store import SqliteStore
from tests.conftest import Harness
from tests.integration.seedsite import lemonde_page, rss
from tests.integration.test_seed_case import LEMONDE
from tests.support.httpserver import LocalServer

NOW = datetime(2024, 1, 2, 10, 0, tzinfo=UTC)


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as connection:
        return [tuple(r) for r in connection.execute(sql)]


def serve_feed(server: LocalServer, path: str) -> None:
    base = server.url("").rstrip("/")
    server.route("/lemonde/article.html", lemonde_page(base))
    server.route(
        path,
        rss(base, "LM", [("OTAN", "/lemonde/article.html", "Wed, 12 Jan 2022 18:45:00 GMT")]),
        content_type="application/rss+xml",
    )


@pytest.mark.parametrize("status", [301, 308])
def test_permanently_moved_feed_is_polled_at_its_new_url(
    harness: Harness, local_server: LocalServer, status: int
) -> None:
    serve_feed(local_server, "/new.xml")
    local_server.route("/old.xml", status=status, headers={"Location": "/new.xml"})
    harness.outlets = [{**LEMONDE, "feeds": [local_server.url("/old.xml")]}]
    stats = harness.poll()
    assert stats.entries_new == 1
    assert stats.articles_stored == 1
    feeds = rows(harness.db, "SELECT url, active, entry_count FROM feeds")
    assert feeds == [(local_server.url("/new.xml"), 1, 1)]


@pytest.mark.parametrize("status", [302, 307])
def test_temporarily_moved_feed_keeps_its_url(
    harness: Harness, local_server: LocalServer, status: int
) -> None:
    serve_feed(local_server, "/new.xml")
    local_server.route("/old.xml", status=status, headers={"Location": "/new.xml"})
    harness.outlets = [{**LEMONDE, "feeds": [local_server.url("/old.xml")]}]
    assert harness.poll().articles_stored == 1
    feeds = rows(harness.db, "SELECT url, active FROM feeds")
    assert feeds == [(local_server.url("/old.xml"), 1)]


def test_move_onto_a_known_feed_merges_and_stores_nothing_twice(
    harness: Harness, local_server: LocalServer
) -> None:
    serve_feed(local_server, "/new.xml")
    local_server.route("/old.xml", status=301, headers={"Location": "/new.xml"})
    harness.outlets = [
        {**LEMONDE, "feeds": [local_server.url("/old.xml"), local_server.url("/new.xml")]}
    ]
    stats = harness.poll()
    assert stats.articles_stored == 1
    feeds = rows(harness.db, "SELECT url, active, entry_count FROM feeds ORDER BY feed_id")
    assert feeds == [
        (local_server.url("/old.xml"), 0, 0),
        (local_server.url("/new.xml"), 1, 1),
    ]
    assert harness.counts()["articles"] == 1


def test_moved_config_feed_survives_a_configuration_reload(
    harness: Harness, local_server: LocalServer
) -> None:
    # The configuration still names the old URL: every sync (a reload, the
    # next `poll --once`) maps it onto the moved feed instead of adding the
    # old address back, so it is requested once, not once per reload.
    serve_feed(local_server, "/new.xml")
    local_server.route("/old.xml", status=301, headers={"Location": "/new.xml"})
    harness.outlets = [{**LEMONDE, "feeds": [local_server.url("/old.xml")]}]
    for _ in range(3):
        harness.poll()
    feeds = rows(harness.db, "SELECT url, active, entry_count FROM feeds ORDER BY feed_id")
    assert feeds == [(local_server.url("/new.xml"), 1, 1)]
    assert local_server.paths().count("/old.xml") == 1
    assert local_server.paths().count("/new.xml") == 3
    assert harness.counts()["articles"] == 1


def test_feed_merged_by_a_redirect_stays_merged_across_reloads(
    harness: Harness, local_server: LocalServer
) -> None:
    serve_feed(local_server, "/new.xml")
    local_server.route("/old.xml", status=301, headers={"Location": "/new.xml"})
    harness.outlets = [
        {**LEMONDE, "feeds": [local_server.url("/old.xml"), local_server.url("/new.xml")]}
    ]
    for _ in range(3):
        harness.poll()
    feeds = rows(harness.db, "SELECT url, active FROM feeds ORDER BY feed_id")
    assert feeds == [(local_server.url("/old.xml"), 0), (local_server.url("/new.xml"), 1)]
    assert local_server.paths().count("/old.xml") == 1


def test_follow_permanent_redirect_outcomes(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.db")
    try:
        store.migrate()
        store.sync_outlets(
            [
                {
                    "name": "A",
                    "domain": "a.example",
                    "feeds": ["https://a.example/1", "https://a.example/2"],
                }
            ],
            NOW,
        )
        one, two = (feed.id for feed in store.active_feeds())
        moved = follow_permanent_redirect(store, one, "https://a.example/1b")
        assert (moved.outcome, moved.feed_id) == ("moved", one)
        again = follow_permanent_redirect(store, one, "https://a.example/1b")
        assert (again.outcome, again.feed_id) == ("moved", one)
        merged = follow_permanent_redirect(store, one, "https://a.example/2")
        assert (merged.outcome, merged.feed_id) == ("merged", two)
        assert [(f.id, f.url) for f in store.active_feeds()] == [(two, "https://a.example/2")]
        with pytest.raises(LookupError):
            follow_permanent_redirect(store, 999, "https://a.example/3")
    finally:
        store.close()


def test_page_forbidden_by_robots_is_given_up_at_once(
    harness: Harness, local_server: LocalServer
) -> None:
    serve_feed(local_server, "/rss.xml")
    local_server.route(
        "/robots.txt", b"User-agent: ingestd\nDisallow: /lemonde/\n", content_type="text/plain"
    )
    harness.outlets = [{**LEMONDE, "feeds": [local_server.url("/rss.xml")]}]
    stats = harness.poll()
    assert stats.pages_failed == 1
    assert stats.errors["page_robots"] == 1
    entries = rows(harness.db, "SELECT state, attempts FROM store_entries")
    assert entries == [("failed", 1)]
    # Given up: the next cycle does not ask for it again.
    harness.poll()
    assert "/lemonde/article.html" not in local_server.paths()


def test_robots_unavailable_is_retried_not_given_up(
    harness: Harness, local_server: LocalServer
) -> None:
    serve_feed(local_server, "/rss.xml")
    local_server.route("/robots.txt", b"down", status=503)
    harness.outlets = [{**LEMONDE, "feeds": [local_server.url("/rss.xml")]}]
    stats = harness.poll()
    assert stats.errors["page_robots_unavailable"] == 1
    assert rows(harness.db, "SELECT state, attempts FROM store_entries") == [("pending", 1)]
    # The decision is kept in the store for robots_error_ttl, for every
    # process: the next cycle within it does not ask robots.txt again.
    assert rows(harness.db, "SELECT outcome FROM store_robots") == [("unreachable",)]
    local_server.route("/robots.txt", b"User-agent: *\nDisallow:\n", content_type="text/plain")
    assert harness.poll().articles_stored == 0
    assert local_server.paths().count("/robots.txt") == 1
    # Once the error ttl has passed, robots.txt is read again and the page fetched.
    with sqlite3.connect(harness.db) as db:
        db.execute("UPDATE store_robots SET expires_at = 0")
    db.close()
    assert harness.poll().articles_stored == 1
