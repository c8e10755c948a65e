"""``ingestd run`` as a subprocess: polls, 304s, new entries, systemd, metrics, JSON logs."""

from __future__ import annotations

import signal
import socket
import threading
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.service.daemonproc import DaemonProcess, config_text, free_port
from tests.service.sites import EtagFeed
from tests.support.httpserver import LocalServer

FAST = {
    "min_interval": 0.5,
    "max_interval": 0.5,
    "jitter": 0.0,
    "backoff_base": 0.5,
    "backoff_max": 1.0,
}

ARTICLES = "SELECT count(*) FROM articles"


class FakeSystemd:
    """A unix datagram socket the daemon reports to, read as systemd does (all the time)."""

    def __init__(self, path: Path):
        self.path = path
        self.messages: list[str] = []
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self._sock.bind(str(path))
        self._sock.settimeout(0.1)
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._done.is_set():
            try:
                self.messages.append(self._sock.recv(4096).decode())
            except TimeoutError:
                continue

    def close(self) -> list[str]:
        self._done.set()
        self._thread.join(timeout=5)
        self._sock.close()
        return self.messages


@pytest.fixture
def fake_systemd(tmp_path: Path) -> Iterator[FakeSystemd]:
    systemd = FakeSystemd(tmp_path / "notify.sock")
    yield systemd
    systemd.close()


def test_daemon_polls_gets_304s_ingests_new_entries_and_reports(
    tmp_path: Path, local_server: LocalServer, fake_systemd: FakeSystemd
) -> None:
    feed = EtagFeed(local_server, "alpha")
    feed.add(2)
    port = free_port()
    proc = DaemonProcess(
        tmp_path,
        config_text(
            tmp_path / "ingestd.db",
            [{"name": "Alpha", "domain": "alpha.example", "feeds": [feed.url]}],
            schedule=FAST,
            metrics={"listen": f"127.0.0.1:{port}"},
        ),
    )
    proc.start(env={"NOTIFY_SOCKET": str(fake_systemd.path), "WATCHDOG_USEC": "400000"})
    try:
        proc.wait_for(lambda: proc.count(ARTICLES) == 2, what="the first poll's articles")
        # The next polls are conditional and answered 304: nothing new is stored.
        proc.wait_for(lambda: feed.answers.count(304) >= 2, what="two 304 answers")
        assert proc.count(ARTICLES) == 2
        assert proc.count("SELECT count(*) FROM store_entries") == 2
        feed.add(1)
        proc.wait_for(lambda: proc.count(ARTICLES) == 3, what="the new entry's article")
        assert feed.answers[0] == 200 and feed.answers.count(200) == 2

        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
            metrics = answer.read().decode()
        values = {
            line.split(" ")[0]: float(line.split(" ")[1])
            for line in metrics.splitlines()
            if line.startswith("ingestd_")
        }
        assert values['ingestd_feed_polls_total{result="new"}'] == 2
        assert values['ingestd_feed_polls_total{result="unchanged"}'] >= 2
        assert values["ingestd_feed_not_modified_total"] >= 2
        assert values["ingestd_entries_found_total"] == 3
        assert values["ingestd_articles_stored_total"] == 3
        assert values["ingestd_duplicates_found_total"] == 0
        assert values["ingestd_extraction_seconds_count"] == 3
        assert "ingestd_pending_entries" in values
        assert 0 <= values["ingestd_event_loop_lag_seconds"] < 1.0
        assert proc.stop(signal.SIGTERM) == 0
    finally:
        proc.close()

    messages = fake_systemd.close()
    assert messages[0].startswith("READY=1")
    assert any(m == "WATCHDOG=1" for m in messages)
    assert any(m.startswith("STATUS=") or "\nSTATUS=" in m for m in messages)
    assert any(m.startswith("STOPPING=1") for m in messages)
    assert messages.index(next(m for m in messages if m.startswith("STOPPING=1"))) > 0

    # stderr is a file, not a terminal: every line is one JSON event.
    events = proc.events()
    names = [e["event"] for e in events]
    for expected in ("started", "feed_polled", "feed_304", "article_stored", "stopping"):
        assert expected in names
    assert names.count("stopped") == 1 and names[-1] == "stopped"
    polled = next(e for e in events if e["event"] == "feed_polled")
    assert polled["feed"] == feed.url and polled["level"] == "info" and "ts" in polled


def test_start_up_failure_exits_1_with_one_clear_line(tmp_path: Path) -> None:
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen()
    port = busy.getsockname()[1]
    try:
        proc = DaemonProcess(
            tmp_path,
            config_text(tmp_path / "ingestd.db", [], metrics={"listen": f"127.0.0.1:{port}"}),
        )
        proc.start()
        assert proc.proc is not None
        assert proc.proc.wait(timeout=60) == 1
    finally:
        busy.close()
    lines = proc.log.read_text().splitlines()
    assert (
        lines[-1]
        == f"ingestd: metrics endpoint 127.0.0.1:{port}: [Errno 98] Address already in use"
    )
    assert [e["event"] for e in proc.events(strict=False)].count("stopped") == 1


def test_without_verbose_the_daemon_logs_one_started_and_one_stopped_line(
    tmp_path: Path, local_server: LocalServer
) -> None:
    feed = EtagFeed(local_server, "quiet")
    feed.add(1)
    proc = DaemonProcess(
        tmp_path,
        config_text(
            tmp_path / "ingestd.db",
            [{"name": "Quiet", "domain": "quiet.example", "feeds": [feed.url]}],
            schedule=FAST,
        ),
    )
    proc.start(verbose=False)
    try:
        proc.wait_for(lambda: proc.count(ARTICLES) == 1, what="the article")
        assert proc.stop(signal.SIGTERM) == 0
    finally:
        proc.close()
    names = [e["event"] for e in proc.events()]
    # Quiet by default (no per-poll lines), but it says when it came and went.
    assert names == ["started", "stopped"]
