"""A stop signal in ``ingestd run``'s first second, before the event loop listens, stops it cleanly.

The moment a signal is sent is measured from when the process starts
catching SIGTERM (``SigCgt`` in ``/proc/PID/status``: the entry module's
recording handler, installed before the heavy imports), so the test hits
the window between "ingestd code runs" and "the daemon's loop handlers
exist" on a fast machine and a loaded one alike.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

import pytest

from ingestd._entry import command_of
from tests.service.daemonproc import DaemonProcess, config_text
from tests.service.sites import EtagFeed
from tests.support.httpserver import LocalServer

ARTICLES = "SELECT count(*) FROM articles"


def catches(pid: int, sig: signal.Signals) -> bool:
    """Whether process ``pid`` has a handler for ``sig`` (not the default action)."""
    with contextlib.suppress(FileNotFoundError, ProcessLookupError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("SigCgt:"):
                return bool(int(line.split()[1], 16) >> (sig - 1) & 1)
    return False


def wait_until_catching(proc: DaemonProcess) -> None:
    deadline = time.monotonic() + 30
    while not catches(proc.pid, signal.SIGTERM):
        assert proc.running(), f"exited before catching SIGTERM:\n{proc.tail()}"
        assert time.monotonic() < deadline, "never caught SIGTERM"
        time.sleep(0.0005)


def group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture
def feed(local_server: LocalServer) -> EtagFeed:
    published = EtagFeed(local_server, "alpha")
    published.add(3)
    return published


def daemon(tmp_path: Path, feed: EtagFeed) -> DaemonProcess:
    config = config_text(
        tmp_path / "ingestd.db",
        [{"name": "Alpha", "domain": "alpha.example", "feeds": [feed.url]}],
        schedule={"min_interval": 0.5, "max_interval": 0.5, "jitter": 0.0},
    )
    return DaemonProcess(tmp_path, config)


@pytest.mark.parametrize(
    ("sig", "delay_ms"),
    [
        (signal.SIGTERM, 0),
        (signal.SIGTERM, 50),
        (signal.SIGTERM, 200),
        (signal.SIGTERM, 500),
        (signal.SIGINT, 0),
        (signal.SIGINT, 200),
    ],
)
def test_an_early_stop_signal_stops_cleanly_and_loses_nothing(
    tmp_path: Path, feed: EtagFeed, sig: signal.Signals, delay_ms: int
) -> None:
    proc = daemon(tmp_path, feed)
    try:
        proc.start()
        wait_until_catching(proc)
        time.sleep(delay_ms / 1000)
        proc.send(sig)
        assert proc.proc is not None
        code = proc.proc.wait(timeout=60)
        assert code == 0, proc.tail()
        events = proc.events()
        stopped = [e for e in events if e.get("event") == "stopped"]
        assert len(stopped) == 1 and stopped[0]["exit_code"] == 0, proc.tail()
        assert not [e for e in events if e.get("event") in ("crash", "forced_exit")]
        if delay_ms == 0:
            # Sent as soon as ingestd code ran: well before the loop listened.
            early = [e for e in events if e.get("event") == "early_signal"]
            assert [e["signal"] for e in early] == [sig.name], proc.tail()
            assert "started" not in [e.get("event") for e in events]
        deadline = time.monotonic() + 10
        while not group_gone(proc.pid):  # extraction workers leave with it
            assert time.monotonic() < deadline, "processes left behind"
            time.sleep(0.05)

        # Nothing lost: whatever the early run saw (maybe nothing, maybe a
        # poll) is finished by the next run, and no entry failed.
        proc.start()
        proc.wait_for(lambda: proc.count(ARTICLES) == 3, what="the feed's articles")
        assert proc.stop() == 0
        assert proc.count("SELECT count(*) FROM store_entries WHERE state != 'done'") == 0
    finally:
        proc.close()


def test_an_early_sighup_reloads_once_running(tmp_path: Path, feed: EtagFeed) -> None:
    proc = daemon(tmp_path, feed)
    try:
        proc.start()
        wait_until_catching(proc)
        proc.send(signal.SIGHUP)
        proc.wait_for(lambda: "reloaded" in proc.event_names(), what="the replayed reload")
        names = proc.event_names()
        assert names.index("early_signal") < names.index("started") < names.index("reloaded")
        proc.wait_for(lambda: proc.count(ARTICLES) == 3, what="the feed's articles")
        assert proc.running()
        assert proc.stop() == 0
    finally:
        proc.close()


@pytest.mark.parametrize(
    ("args", "command"),
    [
        (["run"], "run"),
        (["-c", "x.toml", "run"], "run"),
        (["--config", "run", "poll"], "poll"),
        (["--config=x.toml", "-vv", "run"], "run"),
        (["-cx.toml", "run"], "run"),
        (["-vc", "x.toml", "run"], "run"),
        (["--help"], None),
        ([], None),
        (["stories", "show", "1"], "stories"),
    ],
)
def test_the_entry_point_finds_the_command(args: list[str], command: str | None) -> None:
    assert command_of(args) == command
