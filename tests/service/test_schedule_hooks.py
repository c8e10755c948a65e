"""The daemon's schedule hooks in the real pipeline: errors, 429/503, hints, recovery.

Polls run in-process against a local server; the next due time and its reason
are read back from the store, saved in the poll's own transaction.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ingestd.app import fetch_limits, open_store
from ingestd.extract.pool import ExtractionPool
from ingestd.fetch.client import Fetcher
from ingestd.pipeline import Ingestor, PollOutcome
from ingestd.schedule.policy import PolicyConfig
from ingestd.service.daemon import ScheduleHooks
from ingestd.settings import Settings
from ingestd.store.values import py_time
from tests.service.daemonproc import NO_HOST_DELAY
from tests.support.httpserver import LocalServer

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
POLICY = PolicyConfig(
    min_interval=300, max_interval=7200, jitter=0.0, backoff_base=60, backoff_max=900
)
RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><ttl>45</ttl>
<item><title>A</title><link>https://a.example/1</link><guid>1</guid>
<pubDate>Sun, 01 Mar 2026 11:00:00 GMT</pubDate></item></channel></rss>"""


class Middle:
    def uniform(self, a: float, b: float) -> float:
        return (a + b) / 2


class Poller:
    def __init__(self, db: Path, feed_url: str):
        self.settings = Settings.model_validate(
            {
                "storage": {"url": f"sqlite:///{db}"},
                "fetch": {"allow_private_addresses": True, "total_timeout": 5.0, **NO_HOST_DELAY},
                "extract": {"workers": 1},
                "outlets": [{"name": "A", "domain": "a.example", "feeds": [feed_url]}],
            }
        )

    def poll(self) -> tuple[PollOutcome, dict[str, Any]]:
        async def run() -> tuple[PollOutcome, dict[str, Any]]:
            store = open_store(self.settings)
            try:
                with ExtractionPool(1) as pool:
                    async with Fetcher(fetch_limits(self.settings)) as fetcher:
                        ingestor = Ingestor(
                            self.settings,
                            store,
                            fetcher,
                            pool,
                            clock=lambda: NOW,
                            hooks=ScheduleHooks(POLICY, Middle()),
                        )
                        [feed] = store.active_feeds()
                        outcome = await ingestor.poll_feed(feed)
                row = store.query_one("SELECT * FROM store_feeds")
                return outcome, dict(row)
            finally:
                store.close()

        return asyncio.run(run())


def delay(row: dict[str, Any]) -> float:
    due = py_time(row["next_poll_at"])
    assert due is not None
    return (due - NOW).total_seconds()


@pytest.fixture
def poller(tmp_path: Path, local_server: LocalServer) -> Poller:
    return Poller(tmp_path / "x.db", local_server.url("/feed.xml"))


def test_429_with_retry_after_sets_the_floor(poller: Poller, local_server: LocalServer) -> None:
    local_server.route("/feed.xml", b"slow down", status=429, headers={"Retry-After": "1800"})
    outcome, row = poller.poll()
    assert (outcome.result, outcome.status, outcome.retry_after) == ("error", 429, 1800.0)
    assert row["schedule_reason"] == "retry_after" and delay(row) == 1800
    assert row["error_count"] == 1


def test_503_without_retry_after_backs_off_then_recovers(
    poller: Poller, local_server: LocalServer
) -> None:
    local_server.route("/feed.xml", b"down", status=503)
    delays = []
    for _ in range(6):
        _, row = poller.poll()
        assert row["schedule_reason"] == "backoff"
        delays.append(delay(row))
    assert delays == [60, 120, 240, 480, 900, 900]  # exponential, capped, never disabled
    assert row["error_count"] == 6 and row["last_error_kind"] == "http_status"

    local_server.route("/feed.xml", RSS, content_type="application/rss+xml")
    outcome, row = poller.poll()
    assert outcome.result == "new" and row["error_count"] == 0
    # Back to the normal interval; the feed's RSS ttl (45 min) is a floor above it.
    assert (row["schedule_reason"], delay(row)) == ("ttl", 2700)
    assert row["ttl_minutes"] == 45


def test_ttl_is_remembered_across_304s_and_max_age_is_a_floor(
    poller: Poller, local_server: LocalServer
) -> None:
    local_server.route(
        "/feed.xml", RSS, headers={"ETag": '"v1"'}, content_type="application/rss+xml"
    )
    poller.poll()
    local_server.route("/feed.xml", b"", status=304, headers={"ETag": '"v1"'}, content_type=None)
    outcome, row = poller.poll()
    assert outcome.result == "unchanged" and outcome.status == 304
    assert (row["schedule_reason"], delay(row), row["ttl_minutes"]) == ("ttl", 2700, 45)
    local_server.route(
        "/feed.xml",
        b"",
        status=304,
        headers={"ETag": '"v1"', "Cache-Control": "max-age=5000"},
        content_type=None,
    )
    _, row = poller.poll()
    assert (row["schedule_reason"], delay(row)) == ("max_age", 5000)
