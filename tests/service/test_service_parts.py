"""The daemon's small parts: systemd notifications, log lines, metrics, settings."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingestd.errors import ConfigError
from ingestd.pipeline import EntryOutcome, PollOutcome
from ingestd.service.logs import configure_logging, wants_json
from ingestd.service.metrics import Metrics
from ingestd.service.notify import Notifier
from ingestd.settings import parse_settings, split_listen


@pytest.fixture
def datagram(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(2.0)
    yield sock, str(path)
    sock.close()


# -- systemd notifications -----------------------------------------------------------


def test_notify_sends_one_datagram_of_lines(datagram: tuple[socket.socket, str]) -> None:
    sock, path = datagram
    notifier = Notifier.from_env({"NOTIFY_SOCKET": path})
    assert notifier.notify(READY=1, STATUS="polling 3 feeds")
    assert sock.recv(4096) == b"READY=1\nSTATUS=polling 3 feeds"
    assert notifier.notify(STOPPING=1)
    assert sock.recv(4096) == b"STOPPING=1"
    notifier.close()


def test_notify_abstract_namespace() -> None:
    name = f"ingestd-test-{os.getpid()}"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind("\0" + name)
    sock.settimeout(2.0)
    try:
        notifier = Notifier.from_env({"NOTIFY_SOCKET": "@" + name})
        assert notifier.notify(WATCHDOG=1)
        assert sock.recv(4096) == b"WATCHDOG=1"
        notifier.close()
    finally:
        sock.close()


def test_notify_outside_systemd_does_nothing() -> None:
    notifier = Notifier.from_env({})
    assert not notifier.enabled
    assert notifier.notify(READY=1) is False
    assert notifier.watchdog_interval() is None


def test_notify_to_a_vanished_socket_is_logged_not_raised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    notifier = Notifier.from_env({"NOTIFY_SOCKET": str(tmp_path / "gone.sock")})
    with caplog.at_level(logging.WARNING, logger="ingestd.service.notify"):
        assert notifier.notify(READY=1) is False
        assert notifier.notify(READY=1) is False
    assert len(caplog.records) == 1  # warned once, not on every ping


def test_watchdog_interval_is_half_the_timeout_and_only_for_our_pid() -> None:
    mine = Notifier.from_env({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())})
    assert mine.watchdog_interval() == 15.0
    unnamed = Notifier.from_env({"WATCHDOG_USEC": "4000000"})
    assert unnamed.watchdog_interval() == 2.0
    other = Notifier.from_env({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"})
    assert other.watchdog_interval() is None
    assert Notifier.from_env({"WATCHDOG_USEC": "junk"}).watchdog_interval() is None


# -- logs ---------------------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_json_lines_when_not_a_terminal(restore_logging: None) -> None:
    out = io.StringIO()
    configure_logging(1, "auto", out)
    logging.getLogger("ingestd.pipeline").info(
        "feed polled: %d new", 3, extra={"event": "feed_polled", "feed": "http://x/f", "ms": 12.5}
    )
    logging.getLogger("ingestd.x").debug("hidden at -v")
    [line] = out.getvalue().splitlines()
    record = json.loads(line)
    assert list(record)[:5] == ["ts", "level", "event", "logger", "msg"]
    assert record["event"] == "feed_polled" and record["level"] == "info"
    assert record["msg"] == "feed polled: 3 new"
    assert record["feed"] == "http://x/f" and record["ms"] == 12.5
    assert record["logger"] == "ingestd.pipeline"


def test_json_keeps_exceptions_on_one_line(restore_logging: None) -> None:
    out = io.StringIO()
    configure_logging(0, "json", out)
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("ingestd").exception("it broke", extra={"event": "crash"})
    [line] = out.getvalue().splitlines()
    record = json.loads(line)
    assert record["event"] == "crash" and "ValueError: boom" in record["exception"]


def test_text_on_a_terminal_and_verbosity_levels(restore_logging: None) -> None:
    terminal = Terminal()
    assert not wants_json("auto", terminal) and wants_json("json", terminal)
    configure_logging(0, "auto", terminal)
    logging.getLogger("ingestd").info("quiet by default")
    logging.getLogger("ingestd").warning("warned", extra={"event": "w"})
    assert terminal.getvalue().count("\n") == 1
    assert "WARNING ingestd: warned" in terminal.getvalue()
    configure_logging(2, "text", terminal)
    assert logging.getLogger().level == logging.DEBUG
    assert logging.getLogger("apscheduler").level == logging.WARNING


# -- metrics ------------------------------------------------------------------------------


def sample(metrics: Metrics, name: str) -> float:
    for line in metrics.text().decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split(" ")[1])
    raise AssertionError(f"{name} not exposed")


def test_metrics_count_polls_entries_and_errors() -> None:
    metrics = Metrics()
    metrics.observe_poll(PollOutcome(1, "u", "new", 200, entries=5, new_entries=3))
    metrics.observe_poll(PollOutcome(1, "u", "unchanged", 304))
    metrics.observe_poll(PollOutcome(1, "u", "error", 429, error_kind="http_status"))
    metrics.observe_entry(EntryOutcome(1, "stored", copy=True, extract_seconds=0.2))
    metrics.observe_entry(EntryOutcome(2, "stored", extract_seconds=0.1))
    metrics.observe_entry(EntryOutcome(3, "failed", error_kind="timeout"))
    metrics.observe_lag(0.02)
    metrics.observe_lag(0.01)
    metrics.pending.set(7)
    assert sample(metrics, 'ingestd_feed_polls_total{result="new"}') == 1
    assert sample(metrics, "ingestd_feed_not_modified_total") == 1
    assert sample(metrics, 'ingestd_errors_total{kind="http_status",stage="feed"}') == 1
    assert sample(metrics, 'ingestd_errors_total{kind="timeout",stage="page"}') == 1
    assert sample(metrics, "ingestd_entries_found_total") == 3
    assert sample(metrics, "ingestd_articles_stored_total") == 2
    assert sample(metrics, "ingestd_duplicates_found_total") == 1
    assert sample(metrics, "ingestd_extraction_seconds_count") == 2
    assert sample(metrics, "ingestd_pending_entries") == 7
    assert sample(metrics, "ingestd_event_loop_lag_seconds") == 0.01
    assert sample(metrics, "ingestd_event_loop_lag_max_seconds") == 0.02


def test_metrics_endpoint_serves_its_own_registry() -> None:
    metrics = Metrics()
    metrics.articles_stored.inc(4)
    server = metrics.serve("127.0.0.1", 0)
    try:
        url = f"http://127.0.0.1:{server.port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as answer:
            text = answer.read().decode()
    finally:
        server.close()
    assert "ingestd_articles_stored_total 4.0" in text
    assert "python_gc" not in text  # not the library's global registry


# -- settings -----------------------------------------------------------------------------


def test_metrics_listen_is_loopback_unless_allowed() -> None:
    assert parse_settings("").metrics.listen is None  # off by default
    assert parse_settings('[metrics]\nlisten = "127.0.0.1:9464"\n').metrics.listen
    assert parse_settings('[metrics]\nlisten = "[::1]:9464"\n').metrics.listen
    with pytest.raises(ConfigError, match="not a loopback address"):
        parse_settings('[metrics]\nlisten = "0.0.0.0:9464"\n')
    allowed = parse_settings('[metrics]\nlisten = "0.0.0.0:9464"\nallow_non_loopback = true\n')
    assert allowed.metrics.listen == "0.0.0.0:9464"
    with pytest.raises(ConfigError, match="HOST:PORT"):
        parse_settings('[metrics]\nlisten = "9464"\n')
    assert split_listen("[::1]:9464") == ("::1", 9464)


def test_schedule_bounds_are_checked() -> None:
    settings = parse_settings("[schedule]\nmin_interval = 60\nmax_interval = 3600\n")
    assert (settings.schedule.min_interval, settings.schedule.max_interval) == (60.0, 3600.0)
    with pytest.raises(ConfigError, match="max_interval must not be smaller"):
        parse_settings("[schedule]\nmin_interval = 600\nmax_interval = 60\n")
    with pytest.raises(ConfigError, match=r"schedule\.jitter"):
        parse_settings("[schedule]\njitter = 0.9\n")
    with pytest.raises(ConfigError, match=r"service\.grace_period"):
        parse_settings("[service]\ngrace_period = 0\n")
    with pytest.raises(ConfigError, match=r"log\.format"):
        parse_settings('[log]\nformat = "xml"\n')


def test_notify_never_blocks_on_a_supervisor_that_does_not_read(
    datagram: tuple[socket.socket, str],
) -> None:
    _sock, path = datagram
    notifier = Notifier.from_env({"NOTIFY_SOCKET": path})
    sent = [notifier.notify(WATCHDOG=1) for _ in range(100_000)]  # far past any buffer
    assert sent[0] is True and sent[-1] is False
    notifier.close()
