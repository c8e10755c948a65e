"""A page answered 429/503 with Retry-After is retried when the server asked, by ``ingestd run``."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from ingestd.schedule.policy import retry_delay
from ingestd.service.daemon import policy_config
from ingestd.settings import load_settings, parse_settings
from tests.service.daemonproc import REPO, DaemonProcess, config_text
from tests.service.sites import EtagFeed, article_html
from tests.support.httpserver import LocalServer, RequestHandler

# The generic page backoff is 300 s; a retry honouring "Retry-After: 1"
# comes within the daemon's idle recheck (2 s) of the second.
LANDS_WITHIN = 20.0


class FlakyPage:
    """Answers ``status`` with ``Retry-After: 1`` once, then the article."""

    def __init__(self, status: int, title: str):
        self.status = status
        self.body = article_html(title, seed=4242)
        self.times: list[float] = []
        self._lock = threading.Lock()

    def __call__(self, handler: RequestHandler) -> None:
        with self._lock:
            self.times.append(time.monotonic())
            first = len(self.times) == 1
        if first:
            handler.respond(self.status, b"busy", {"Retry-After": "1"}, content_type="text/plain")
        else:
            handler.respond(200, self.body)


@pytest.mark.parametrize("status", [503, 429])
def test_a_page_with_retry_after_lands_within_seconds(
    tmp_path: Path, local_server: LocalServer, status: int
) -> None:
    feed = EtagFeed(local_server, "alpha")
    feed.add(2)
    title, path = feed.items[0]
    flaky = FlakyPage(status, title)
    local_server.route_handler(path, flaky)
    config = config_text(
        tmp_path / "ingestd.db",
        [{"name": "Alpha", "domain": "alpha.example", "feeds": [feed.url]}],
        schedule={"min_interval": 3600.0, "max_interval": 3600.0, "jitter": 0.0},
    )
    proc = DaemonProcess(tmp_path, config)
    proc.start()
    try:
        proc.wait_for(lambda: len(flaky.times) >= 1, what=f"the {status} answer")
        proc.wait_for(
            lambda: proc.count("SELECT count(*) FROM articles") == 2,
            timeout=LANDS_WITHIN,
            what="the retried page stored",
        )
        landed = time.monotonic()
        assert len(flaky.times) == 2
        waited = flaky.times[1] - flaky.times[0]
        assert waited >= 0.9  # not sooner than the server asked
        assert landed - flaky.times[0] < LANDS_WITHIN
        [entry] = proc.query(
            "SELECT state, attempts, last_error FROM store_entries WHERE url LIKE ?",
            (f"%{path}",),
        )
        assert entry["state"] == "done" and f"HTTP {status}" in entry["last_error"]
        failed = [e for e in proc.events() if e.get("event") == "page_failed"]
        assert len(failed) == 1 and failed[0]["kind"] == "http_status"
        assert proc.stop() == 0
    finally:
        proc.close()


def test_max_retry_after_comes_from_the_fetch_section() -> None:
    assert policy_config(parse_settings("")).max_retry_after == 21600.0
    example = load_settings(REPO / "config" / "ingestd.example.toml")
    assert example.fetch.max_retry_after == 21600.0  # the example states the default
    policy = policy_config(parse_settings("[fetch]\nmax_retry_after = 60\n"))
    assert policy.max_retry_after == 60.0
    assert retry_delay(policy, 1, retry_after=3600.0) == 60.0
