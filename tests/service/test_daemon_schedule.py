"""``ingestd run`` reloads its configuration on SIGHUP and resumes its schedule after a restart."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from ingestd.store.values import py_time
from tests.service.daemonproc import DaemonProcess, config_text
from tests.service.sites import EtagFeed
from tests.support.httpserver import LocalServer

FAST = {"min_interval": 0.5, "max_interval": 0.5, "jitter": 0.0}
ARTICLES = "SELECT count(*) FROM articles"


def feed_requests(server: LocalServer, feed: EtagFeed) -> int:
    return server.paths().count(feed.path)


def outlets(*feeds: EtagFeed) -> list[dict[str, object]]:
    """Alpha (and Beta) outlets, each with its feed when given."""
    return [
        {"name": f.name.title(), "domain": f"{f.name}.example", "feeds": [f.url]} for f in feeds
    ]


def alpha_running(
    tmp_path: Path, local_server: LocalServer, schedule: dict[str, float]
) -> tuple[DaemonProcess, EtagFeed, EtagFeed]:
    """A daemon polling feed alpha (one article stored); feed beta served, not configured."""
    alpha, beta = EtagFeed(local_server, "alpha"), EtagFeed(local_server, "beta")
    alpha.add(1)
    beta.add(1)
    proc = DaemonProcess(
        tmp_path, config_text(tmp_path / "ingestd.db", outlets(alpha), schedule=schedule)
    )
    proc.start()
    try:
        proc.wait_for(lambda: proc.count(ARTICLES) == 1, what="alpha's article")
    except BaseException:
        proc.close()
        raise
    return proc, alpha, beta


def test_sighup_adds_and_removes_feeds_and_keeps_running_on_a_bad_file(
    tmp_path: Path, local_server: LocalServer
) -> None:
    db = tmp_path / "ingestd.db"
    proc, alpha, beta = alpha_running(tmp_path, local_server, FAST)
    try:
        assert feed_requests(local_server, beta) == 0

        proc.config.write_text(
            config_text(
                db,
                [
                    {"name": "Alpha", "domain": "alpha.example", "feeds": []},
                    {"name": "Beta", "domain": "beta.example", "feeds": [beta.url]},
                ],
                schedule=FAST,
            )
        )
        proc.send(signal.SIGHUP)
        proc.wait_for(lambda: "reloaded" in proc.event_names(), what="the reload")
        proc.wait_for(lambda: proc.count(ARTICLES) == 2, what="beta's article")
        reloaded = next(e for e in proc.events() if e["event"] == "reloaded")
        assert (reloaded["added"], reloaded["removed"], reloaded["feeds"]) == (1, 1, 1)
        # Alpha left the configuration: no more polls (several intervals pass).
        alpha_polls = feed_requests(local_server, alpha)
        time.sleep(2.0)
        assert feed_requests(local_server, alpha) <= alpha_polls + 1  # one may have been in flight
        settled = feed_requests(local_server, alpha)
        time.sleep(1.0)
        assert feed_requests(local_server, alpha) == settled
        assert proc.count("SELECT count(*) FROM feeds WHERE active = 1") == 1

        # A broken file is refused; the running configuration goes on.
        proc.config.write_text("[schedule]\nmin_interval = \n")
        beta_polls = feed_requests(local_server, beta)
        proc.send(signal.SIGHUP)
        proc.wait_for(lambda: "reload_failed" in proc.event_names(), what="the refused reload")
        failed = next(e for e in proc.events() if e["event"] == "reload_failed")
        assert failed["level"] == "error" and "invalid TOML" in failed["msg"]
        proc.wait_for(
            lambda: feed_requests(local_server, beta) >= beta_polls + 2, what="beta polled again"
        )
        assert proc.running()
        assert proc.stop(signal.SIGTERM) == 0
    finally:
        proc.close()


def test_feeds_added_and_removed_from_the_command_line_reach_the_running_daemon(
    tmp_path: Path, local_server: LocalServer
) -> None:
    alpha, beta = EtagFeed(local_server, "alpha"), EtagFeed(local_server, "beta")
    alpha.add(1)
    beta.add(1)
    config = config_text(
        tmp_path / "ingestd.db",
        outlets(alpha),
        schedule=FAST,
        service={"store_resync_interval": 0.5},
    )
    proc = DaemonProcess(tmp_path, config)

    def operator(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "ingestd", "-c", str(proc.config), "feeds", *args],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    try:
        proc.start()
        proc.wait_for(lambda: proc.count(ARTICLES) == 1, what="alpha's article")
        assert "added feed" in operator(
            "add", beta.url, "--outlet", "Beta", "--domain", "beta.example"
        )
        # No reload: the daemon finds the feed in the store by itself.
        proc.wait_for(lambda: proc.count(ARTICLES) == 2, what="beta's article")
        assert "removed feed" in operator("remove", beta.url)
        time.sleep(1.5)  # the next re-read of the store
        settled = feed_requests(local_server, beta)
        time.sleep(1.5)  # three polling intervals
        assert feed_requests(local_server, beta) == settled
        assert feed_requests(local_server, alpha) > 2  # alpha goes on
        assert proc.stop(signal.SIGTERM) == 0
    finally:
        proc.close()


def test_restart_resumes_due_times_instead_of_stampeding(
    tmp_path: Path, local_server: LocalServer
) -> None:
    db = tmp_path / "ingestd.db"
    slow = {"min_interval": 60.0, "max_interval": 60.0, "jitter": 0.0}
    proc, alpha, beta = alpha_running(tmp_path, local_server, slow)
    try:
        assert proc.stop(signal.SIGTERM) == 0
        [row] = proc.query("SELECT last_polled_at, next_poll_at, schedule_reason FROM store_feeds")
        polled, due = py_time(row["last_polled_at"]), py_time(row["next_poll_at"])
        assert polled is not None and due is not None
        assert (due - polled).total_seconds() == 60.0
        assert row["schedule_reason"] == "adaptive"
        assert feed_requests(local_server, alpha) == 1

        # Restart with a new feed added: the new one is polled at once, the
        # one polled a moment ago waits for its stored due time.
        proc.config.write_text(
            config_text(
                db,
                outlets(alpha, beta),
                schedule=slow,
            )
        )
        proc.start()
        proc.wait_for(lambda: proc.count(ARTICLES) == 2, what="the new feed's article")
        time.sleep(1.5)
        assert feed_requests(local_server, alpha) == 1
        assert feed_requests(local_server, beta) == 1
        assert proc.stop(signal.SIGTERM) == 0
    finally:
        proc.close()
