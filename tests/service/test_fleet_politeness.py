"""Politeness across processes sharing one store, with real ``ingestd run``
workers (and a ``poll --once`` beside one): per-host spacing, Retry-After
pauses and robots.txt hold for the fleet, not for each process.

The workers share the work by leases (each feed polled once per due time,
each page fetched once) and the host's turns by the store: every request
the server sees, from either process, must keep the per-host delay. Every
test site is 127.0.0.1, one host.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.service.daemonproc import DaemonProcess, config_text
from tests.service.sites import article_html
from tests.support.httpserver import LocalServer, RequestHandler
from tests.support.postgres import pg_database

DELAY = 0.5
# The gate spaces the *starts* of requests; the server sees their arrivals,
# which scheduling on a loaded 2-core machine (the workers' event loops, the
# server's threads) moves by tens of milliseconds and, under heavy load, by
# over 100 ms. Without a fleet-wide gate two workers' requests arrive
# together (gaps near 0), so a floor well under the delay still tells the
# two apart, and the mean gap shows the schedule held over the whole run.
SLACK = 0.25
SCHEDULE = {"min_interval": 3600.0, "max_interval": 3600.0, "jitter": 0.0}
ROBOTS = b"User-agent: *\nDisallow: /private/\n"


class Site:
    """Feeds and pages on one host, recording when each request arrived."""

    def __init__(self, server: LocalServer, feeds: int, pages: int):
        self.server = server
        self.arrivals: list[tuple[float, str]] = []
        self.refusals: list[float] = []  # when a 429 was sent
        self.refuse_next: float | None = None  # Retry-After seconds for the next page
        self._lock = threading.Lock()
        self.feeds = [f"/f{n}/feed.xml" for n in range(feeds)]
        self.pages = {
            f"/f{n}/story-{i}.html": f"f{n} story {i}" for n in range(feeds) for i in range(pages)
        }
        server.route_handler("/robots.txt", self._robots)
        for path in self.feeds:
            server.route_handler(path, self._feed)
        for path in self.pages:
            server.route_handler(path, self._page)

    def _arrived(self, handler: RequestHandler) -> float:
        now = time.monotonic()
        with self._lock:
            self.arrivals.append((now, handler.path))
        return now

    def _robots(self, handler: RequestHandler) -> None:
        self._arrived(handler)
        handler.respond(200, ROBOTS, content_type="text/plain")

    def _feed(self, handler: RequestHandler) -> None:
        self._arrived(handler)
        folder = handler.path.split("/")[1]
        start = datetime(2026, 1, 1, tzinfo=UTC)
        items = "".join(
            f"<item><title>{title}</title><link>{self.server.url(path)}</link>"
            f"<guid>{path}</guid>"
            f"<pubDate>{format_datetime(start + timedelta(hours=i))}</pubDate></item>"
            for i, (path, title) in enumerate(self.pages.items())
            if path.startswith(f"/{folder}/")
        )
        body = (
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>{folder}</title>'
            f"{items}</channel></rss>"
        )
        handler.respond(200, body.encode(), content_type="application/rss+xml")

    def _page(self, handler: RequestHandler) -> None:
        now = self._arrived(handler)
        with self._lock:
            refuse, self.refuse_next = self.refuse_next, None
            if refuse is not None:
                self.refusals.append(now)
        if refuse is not None:
            handler.respond(
                429, b"slow down", {"Retry-After": f"{refuse:g}"}, content_type="text/plain"
            )
            return
        seed = zlib.crc32(handler.path.encode())
        handler.respond(200, article_html(self.pages[handler.path], seed))

    def times(self) -> list[float]:
        with self._lock:
            return sorted(t for t, _ in self.arrivals)

    def count(self, path: str) -> int:
        with self._lock:
            return sum(1 for _, p in self.arrivals if p == path)

    def outlets(self) -> list[dict[str, Any]]:
        return [
            {
                "name": f"Outlet {n}",
                "domain": f"outlet{n}.example",
                "feeds": [self.server.url(path)],
            }
            for n, path in enumerate(self.feeds)
        ]


def gaps(times: list[float]) -> list[float]:
    return [later - earlier for earlier, later in itertools.pairwise(times)]


def assert_spaced(times: list[float]) -> None:
    """Arrivals at one host kept ``DELAY`` apart, allowing for arrival jitter."""
    between = gaps(times)
    assert between, times
    assert min(between) >= DELAY - SLACK, between
    assert sum(between) / len(between) >= DELAY - 0.05, between


def stored_by(proc: DaemonProcess) -> int:
    """Pages this worker fetched and stored (or found stored by the other)."""
    return proc.event_names().count("article_stored")


def started(proc: DaemonProcess) -> bool:
    return "started" in proc.event_names()


@pytest.fixture
def pg_url() -> Iterator[str]:
    with pg_database() as url:
        yield url


def pg_count(url: str, sql: str) -> int:
    try:
        with psycopg.connect(url) as connection:
            row = connection.execute(sql).fetchone()
    except psycopg.errors.UndefinedTable:
        return 0
    return int(row[0]) if row else 0


def all_stored(url: str, site: Site) -> bool:
    return (
        pg_count(url, "SELECT count(*) FROM articles") == len(site.pages)
        and pg_count(url, "SELECT count(*) FROM store_entries WHERE state = 'pending'") == 0
    )


@contextmanager
def two_workers(
    tmp_path: Path, url: str, site: Site
) -> Iterator[tuple[DaemonProcess, DaemonProcess]]:
    """Two ``ingestd run`` on one PostgreSQL store with one configuration file,
    both started; stopped (each exiting 0) when the block ends."""
    config = config_text(
        tmp_path / "unused.db",
        site.outlets(),
        storage={"url": url},
        schedule=SCHEDULE,
        fetch={"per_host_delay": DELAY, "concurrency": 4},
    )
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = DaemonProcess(tmp_path / "a", config)
    second = DaemonProcess(tmp_path / "b", config)
    second.config = first.config  # the same file: the same feeds' owner
    try:
        first.start()
        first.wait_for(lambda: started(first), timeout=60, what="the first worker started")
        second.start()
        second.wait_for(lambda: started(second), timeout=60, what="the second worker started")
        yield first, second
        assert first.running() and second.running()
        assert first.stop() == 0 and second.stop() == 0
    finally:
        first.close()
        second.close()


@pytest.mark.postgres
@pytest.mark.timeout(240)
def test_two_workers_keep_the_host_delay_and_read_robots_once(
    tmp_path: Path, local_server: LocalServer, pg_url: str
) -> None:
    site = Site(local_server, feeds=2, pages=8)
    with two_workers(tmp_path, pg_url, site) as (first, second):
        # The two share the pending pages by leases.
        first.wait_for(lambda: all_stored(pg_url, site), timeout=120, what="every page stored")
    times = site.times()
    # Each page once, each feed once (one due time), robots.txt once.
    assert len(times) == len(site.pages) + len(site.feeds) + 1, sorted(p for _, p in site.arrivals)
    assert_spaced(times)
    # One robots.txt fetch for the whole fleet (and pages were checked against it).
    assert site.count("/robots.txt") == 1
    assert pg_count(pg_url, "SELECT count(*) FROM store_robots WHERE outcome = 'rules'") == 1
    # Both workers fetched pages meanwhile: the spacing held across them.
    assert stored_by(first) and stored_by(second)


@pytest.mark.postgres
@pytest.mark.timeout(240)
def test_a_429_with_retry_after_pauses_the_host_for_every_worker(
    tmp_path: Path, local_server: LocalServer, pg_url: str
) -> None:
    retry_after = 3.0
    site = Site(local_server, feeds=2, pages=8)
    with two_workers(tmp_path, pg_url, site) as (first, second):
        # Once both workers are fetching, the host answers one page with 429.
        first.wait_for(
            lambda: pg_count(pg_url, "SELECT count(*) FROM articles") >= 1,
            timeout=90,
            what="pages being fetched",
        )
        site.refuse_next = retry_after
        first.wait_for(lambda: len(site.refusals) == 1, timeout=60, what="the 429 answer")
        first.wait_for(
            lambda: all_stored(pg_url, site),
            timeout=120,
            what="every page stored, the refused one included",
        )
    refused = site.refusals[0]
    after = [t for t in site.times() if t > refused]
    assert after, "no request after the 429"
    assert after[0] - refused >= retry_after - SLACK, after[0] - refused
    times = site.times()
    assert_spaced(times)
    assert stored_by(first) and stored_by(second)


@pytest.mark.timeout(240)
def test_poll_once_beside_the_daemon_keeps_the_host_delay_on_sqlite(
    tmp_path: Path, local_server: LocalServer
) -> None:
    site = Site(local_server, feeds=2, pages=5)
    db = tmp_path / "ingestd.db"
    config = config_text(
        db, site.outlets(), schedule=SCHEDULE, fetch={"per_host_delay": DELAY, "concurrency": 4}
    )
    daemon = DaemonProcess(tmp_path, config, db=db)
    try:
        daemon.start()
        daemon.wait_for(lambda: started(daemon), timeout=60, what="the daemon started")
        daemon.wait_for(
            lambda: all(site.count(path) >= 1 for path in site.feeds), what="feeds polled"
        )
        once = subprocess.run(
            [sys.executable, "-m", "ingestd", "--config", str(daemon.config), "poll", "--once"],
            cwd=tmp_path,
            capture_output=True,
            timeout=180,
            check=False,
        )
        assert once.returncode == 0, once.stderr.decode()
        assert all(site.count(path) >= 2 for path in site.feeds)  # it polled them too
        daemon.wait_for(
            lambda: daemon.count("SELECT count(*) FROM articles") == len(site.pages),
            timeout=120,
            what="every page stored",
        )
        assert daemon.stop() == 0
    finally:
        daemon.close()
    times = site.times()
    assert_spaced(times)
    assert site.count("/robots.txt") == 1  # the poll read the daemon's decision
