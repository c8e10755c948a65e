"""Run ``ingestd run`` as a subprocess against local servers, and look at what it did.

Usage::

    proc = DaemonProcess(tmp_path, config)          # config: a TOML string
    proc.start()
    proc.wait_for(lambda: proc.count("SELECT count(*) FROM articles") == 3)
    assert proc.stop() == 0                         # SIGTERM, wait
    events = proc.events()                          # JSON log lines (stderr is a file)
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from ingestd.settings import FetchSettings

REPO = Path(__file__).resolve().parents[2]


# Every test site is one host (127.0.0.1): a per-host politeness delay, where
# this version has one, would serialise the whole test behind it.
NO_HOST_DELAY: dict[str, Any] = (
    {"per_host_delay": 0.0} if "per_host_delay" in FetchSettings.model_fields else {}
)


def free_port() -> int:
    """A TCP port free right now on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def toml_value(value: Any) -> str:
    return json.dumps(value)  # JSON strings, numbers, booleans and lists are TOML too


def config_text(
    db: Path,
    outlets: Iterable[Mapping[str, Any]],
    **sections: Mapping[str, Any],
) -> str:
    """A configuration file for tests: private addresses allowed, one worker."""
    tables: dict[str, dict[str, Any]] = {
        "storage": {"url": f"sqlite:///{db}"},
        "fetch": {
            "allow_private_addresses": True,
            "connect_timeout": 2.0,
            "read_timeout": 5.0,
            "total_timeout": 10.0,
        },
        "extract": {"workers": 1},
    }
    tables["fetch"].update(NO_HOST_DELAY)
    for name, values in sections.items():
        tables.setdefault(name, {}).update(values)
    lines: list[str] = []
    for name, values in tables.items():
        lines.append(f"[{name}]")
        lines += [f"{key} = {toml_value(value)}" for key, value in values.items()]
    for outlet in outlets:
        lines.append("[[outlets]]")
        lines += [f"{k} = {toml_value(v)}" for k, v in outlet.items() if v is not None]
    return "\n".join(lines) + "\n"


class DaemonProcess:
    """One ``ingestd run`` at a time, restartable, its stderr kept in a file."""

    def __init__(self, folder: Path, config: str, db: Path | None = None):
        self.folder = folder
        self.config = folder / "ingestd.toml"
        self.config.write_text(config)
        self.db = db or folder / "ingestd.db"
        self.log = folder / "daemon.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self, env: Mapping[str, str] | None = None, verbose: bool = True) -> None:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        command = [sys.executable, "-m", "ingestd", "--config", str(self.config)]
        if verbose:
            command.append("-v")
        with self.log.open("ab") as log:
            log.write(b"")  # the file exists from the first start
            self.proc = subprocess.Popen(
                [*command, "run"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
                cwd=self.folder,
                env={**os.environ, **(env or {})},
                # Its own process group, so a test can kill the daemon with its
                # extraction workers the way systemd kills a unit's cgroup.
                start_new_session=True,
            )
        self.starts += 1

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def send(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30.0) -> int:
        """Send ``sig`` and wait for the exit status."""
        assert self.proc is not None
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=timeout)

    def kill(self) -> None:
        """SIGKILL the daemon and its worker processes (as systemd kills a crashed unit)."""
        assert self.proc is not None
        self._kill_group()
        self.proc.wait(timeout=10)

    def _kill_group(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):  # the whole group has exited
            os.killpg(self.proc.pid, signal.SIGKILL)

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def close(self) -> None:
        """Make sure nothing is left running (test teardown)."""
        if self.proc is not None:
            self._kill_group()
            self.proc.wait(timeout=10)

    # -- observation -----------------------------------------------------------

    def events(self, *, strict: bool = True) -> list[dict[str, Any]]:
        """Every JSON log line written so far.

        ``strict``: a line that is not JSON fails the test; otherwise it is
        skipped (after a forced exit, multiprocessing's resource tracker
        writes its own plain-text warning).
        """
        if not self.log.exists():
            return []
        found = []
        for line in self.log.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            try:
                found.append(json.loads(line))
            except json.JSONDecodeError:
                if strict:
                    raise AssertionError(f"not a JSON log line: {line!r}") from None
        return found

    def event_names(self, *, strict: bool = True) -> list[str]:
        return [e.get("event", "") for e in self.events(strict=strict)]

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """Read the store while the daemon runs (WAL: readers never wait)."""
        if not self.db.exists():
            return []
        db = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=10)
        db.row_factory = sqlite3.Row
        try:
            return db.execute(sql, params).fetchall()
        except sqlite3.OperationalError as error:
            if "no such table" in str(error):
                return []  # not migrated yet
            raise
        finally:
            db.close()

    def count(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        rows = self.query(sql, params)
        return int(rows[0][0]) if rows else 0

    def wait_for(
        self, condition: Callable[[], bool], timeout: float = 30.0, what: str = "condition"
    ) -> float:
        """Poll ``condition`` until true; returns the seconds it took. Fails if the daemon died."""
        started = time.monotonic()
        while True:
            if condition():
                return time.monotonic() - started
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(
                    f"daemon exited ({self.proc.returncode}) before {what}:\n{self.tail()}"
                )
            if time.monotonic() - started > timeout:
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {what}:\n{self.tail()}"
                )
            time.sleep(0.05)

    def tail(self, lines: int = 30) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(encoding="utf-8").splitlines()[-lines:])
