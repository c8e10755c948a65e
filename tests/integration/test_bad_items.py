"""Invariant 6: one bad feed or entry never stops a cycle or the daemon.

A feed that moves a GUID's link onto the URL of another stored article, and a
matcher that raises for one chosen article, in ``poll --once`` and in
``ingestd run`` (in-process, with the real writer thread): the good entries
beside them land, the bad one is recorded on its entry with its error,
retried with backoff and given up after the attempt limit.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from ingestd.match.linker import Linker, LinkResult
from ingestd.pipeline import INTERNAL_ERROR, MAX_PAGE_ATTEMPTS
from ingestd.service.daemon import Daemon
from ingestd.service.notify import Notifier
from ingestd.settings import load_settings
from ingestd.store.records import PendingEntry
from ingestd.types import ExtractedArticle
from tests.conftest import Harness
from tests.service.daemonproc import config_text
from tests.service.sites import article_html
from tests.support.httpserver import LocalServer, RequestHandler

PUBLISHED = datetime(2026, 1, 1, tzinfo=UTC)


class GuidFeed:
    """An RSS feed whose items (GUID → page path) the test rewrites at will."""

    def __init__(self, server: LocalServer, name: str):
        self.server = server
        self.path = f"/{name}/feed.xml"
        self.items: dict[str, str] = {}
        self._lock = threading.Lock()
        server.route_handler(self.path, self._answer)

    @property
    def url(self) -> str:
        return self.server.url(self.path)

    def page(self, path: str, seed: int) -> None:
        self.server.route(path, article_html(path, seed))

    def _answer(self, handler: RequestHandler) -> None:
        with self._lock:
            items = list(self.items.items())
        entries = "".join(
            f"<item><title>{guid}</title><link>{self.server.url(path)}</link>"
            f"<guid>{guid}</guid>"
            f"<pubDate>{format_datetime(PUBLISHED + timedelta(hours=i))}</pubDate></item>"
            for i, (guid, path) in enumerate(items)
        )
        body = (
            '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
            f"<link>{self.server.url('/')}</link>{entries}</channel></rss>"
        ).encode()
        handler.respond(200, body, {}, content_type="application/rss+xml")


def rows(db: Path, sql: str) -> list[sqlite3.Row]:
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    connection.row_factory = sqlite3.Row
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def poisoned_feed(server: LocalServer) -> GuidFeed:
    """Two stored articles; then GUID g1's link moves onto g2's page, beside a new g3."""
    feed = GuidFeed(server, "site")
    for number in (1, 2, 3):
        feed.page(f"/site/{number}.html", number)
    feed.items.update({"g1": "/site/1.html", "g2": "/site/2.html"})
    return feed


def poison(feed: GuidFeed) -> None:
    feed.items.update({"g1": "/site/2.html", "g3": "/site/3.html"})


def raise_for(monkeypatch: pytest.MonkeyPatch, suffix: str) -> list[str]:
    """Make the match step raise for the article whose URL ends with ``suffix``."""
    calls: list[str] = []
    real: Callable[..., LinkResult] = Linker.link

    def link(self: Linker, entry: PendingEntry, article: ExtractedArticle, now: Any) -> Any:
        calls.append(entry.url)
        if entry.url.endswith(suffix):
            raise RuntimeError(f"matcher bug on {entry.url}")
        return real(self, entry, article, now)

    monkeypatch.setattr(Linker, "link", link)
    return calls


# -- poll --once ---------------------------------------------------------------


def test_poisoned_guid_does_not_stop_poll_once(harness: Harness, local_server: LocalServer) -> None:
    feed = poisoned_feed(local_server)
    harness.outlets = [{"name": "Site", "domain": "site.example", "feeds": [feed.url]}]
    assert harness.poll().articles_stored == 2
    poison(feed)
    stats = harness.poll()
    # The good entry beside the poisoned one landed; nothing failed.
    assert stats.articles_stored == 1
    assert stats.pages_failed == 0
    articles = rows(harness.db, "SELECT url FROM articles ORDER BY article_id")
    assert sorted(r["url"].rsplit("/", 1)[1] for r in articles) == ["1.html", "2.html", "3.html"]
    # g1 now names the page stored as g2's article: it is that article.
    [g1] = rows(
        harness.db,
        "SELECT e.state, a.url FROM store_entries e JOIN store_articles a ON a.id = e.article_id"
        " WHERE e.guid LIKE '%/g1'",
    )
    assert (g1["state"], g1["url"].rsplit("/", 1)[1]) == ("done", "2.html")


def test_matcher_error_for_one_article_is_recorded_and_retried(
    harness: Harness, local_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = poisoned_feed(local_server)
    feed.items["g3"] = "/site/3.html"
    harness.outlets = [{"name": "Site", "domain": "site.example", "feeds": [feed.url]}]
    raise_for(monkeypatch, "/site/2.html")
    stats = harness.poll()
    assert stats.articles_stored == 2
    assert stats.errors == {f"page_{INTERNAL_ERROR}": 1}
    [bad] = rows(harness.db, "SELECT * FROM store_entries WHERE guid LIKE '%/g2'")
    assert (bad["state"], bad["attempts"]) == ("pending", 1)
    assert "matcher bug on" in bad["last_error"]
    # Retried each cycle, given up (failed, with its error) at the attempt limit.
    for _ in range(MAX_PAGE_ATTEMPTS - 1):
        harness.poll()
    [bad] = rows(harness.db, "SELECT * FROM store_entries WHERE guid LIKE '%/g2'")
    assert (bad["state"], bad["attempts"]) == ("failed", MAX_PAGE_ATTEMPTS)
    assert rows(harness.db, "SELECT count(*) AS n FROM articles")[0]["n"] == 2


# -- ingestd run ----------------------------------------------------------------


def run_daemon_until(
    config: Path, condition: Callable[[], bool], *, timeout: float = 30.0
) -> tuple[int, Daemon]:
    """Run the daemon in-process until ``condition`` holds; returns its exit status."""
    daemon = Daemon(config, load_settings(config), notifier=Notifier(None))

    async def main() -> int:
        running = asyncio.create_task(daemon.run())
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not running.done() and not condition():
            if loop.time() > deadline:
                daemon.request_stop()
                await running
                raise AssertionError("condition not met in time")
            await asyncio.sleep(0.05)
        daemon.request_stop()
        return await running

    return asyncio.run(main()), daemon


def daemon_config(tmp_path: Path, feed: GuidFeed) -> Path:
    path = tmp_path / "ingestd.toml"
    path.write_text(
        config_text(
            tmp_path / "ingestd.db",
            [{"name": "Site", "domain": "site.example", "feeds": [feed.url]}],
            schedule={"min_interval": 0.5, "max_interval": 0.5, "jitter": 0.0},
            service={"grace_period": 2.0},
        )
    )
    return path


def test_poisoned_guid_and_matcher_error_do_not_stop_the_daemon(
    tmp_path: Path, local_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = poisoned_feed(local_server)
    config = daemon_config(tmp_path, feed)
    db = tmp_path / "ingestd.db"

    def count(sql: str) -> int:
        # 0 until the daemon has created the file and migrated it.
        try:
            return int(rows(db, sql)[0][0]) if db.exists() else 0
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return 0
            raise

    status, _ = run_daemon_until(config, lambda: count("SELECT count(*) FROM articles") == 2)
    assert status == 0
    # The feed now moves g1 onto g2's page, adds g3, and the matcher fails on g4.
    poison(feed)
    feed.page("/site/4.html", 4)
    feed.items["g4"] = "/site/4.html"
    raise_for(monkeypatch, "/site/4.html")
    status, daemon = run_daemon_until(
        config,
        lambda: (
            count("SELECT count(*) FROM articles") == 3
            and count("SELECT count(*) FROM store_entries WHERE guid LIKE '%/g4' AND attempts > 0")
            == 1
            and count(
                "SELECT count(*) FROM store_entries e JOIN store_articles a"
                " ON a.id = e.article_id WHERE e.guid LIKE '%/g1' AND a.url LIKE '%/2.html'"
            )
            == 1
        ),
    )
    # It kept running until asked to stop: the bad entries were per-item errors.
    assert status == 0
    assert daemon.totals.errors[f"page_{INTERNAL_ERROR}"] >= 1
    [g4] = rows(db, "SELECT state, last_error, retry_at FROM store_entries WHERE guid LIKE '%/g4'")
    assert g4["state"] == "pending" and "matcher bug on" in g4["last_error"]
    assert g4["retry_at"] is not None  # backed off, not retried in a loop
