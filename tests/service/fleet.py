"""Several ``ingestd run`` workers on one PostgreSQL database, and a site that times requests.

Usage::

    site = TimedSite(local_server, page_hold=True)   # the demo outlets, every request timed
    with Fleet(tmp_path, url, site.outlets, workers=2, lease_seconds=3) as fleet:
        fleet.start()
        fleet.wait_for(fleet.finished(total))
    site.page_counts()                               # path -> requests
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import psycopg
from psycopg.rows import dict_row

from ingestd.demo.sample import load_outlets, routes
from tests.service.daemonproc import REPO, DaemonProcess, config_text
from tests.support.httpserver import LocalServer, RequestHandler

# Long enough that no feed is due twice while a test runs, unless it says so.
ONCE = {"min_interval": 600.0, "max_interval": 600.0, "jitter": 0.0}


class TimedSite:
    """The demo outlets, each request recorded with its time; pages can be held.

    ``hold()`` makes page answers wait (up to a minute) until ``release()``,
    so a worker can be caught holding entries whose pages are in flight.
    """

    def __init__(self, server: LocalServer, page_delay: float = 0.0):
        self.page_delay = page_delay
        self._lock = threading.Lock()
        self._held = threading.Event()
        self._released = threading.Event()
        self.seen: list[tuple[str, float]] = []
        base = server.url("").rstrip("/")
        self.pages: set[str] = set()
        self.feeds: set[str] = set()
        for path, (content_type, body) in routes(base).items():
            (self.pages if path.endswith(".html") else self.feeds).add(path)
            server.route_handler(path, self._answer(path, body, content_type))
        self.outlets: list[dict[str, Any]] = load_outlets(base)

    def hold(self) -> None:
        """Page answers wait from now on, until :meth:`release`."""
        self._released.clear()
        self._held.set()

    def release(self) -> None:
        """Answer every waiting page, and the next ones at once."""
        self._held.clear()
        self._released.set()

    def reset(self) -> None:
        """Forget the requests seen so far."""
        with self._lock:
            self.seen.clear()

    def requests(self, paths: set[str]) -> list[tuple[str, float]]:
        with self._lock:
            return [(path, at) for path, at in self.seen if path in paths]

    def page_counts(self) -> Counter[str]:
        return Counter(path for path, _at in self.requests(self.pages))

    def feed_times(self) -> dict[str, list[float]]:
        times: dict[str, list[float]] = {}
        for path, at in self.requests(self.feeds):
            times.setdefault(path, []).append(at)
        return times

    def _answer(
        self, path: str, body: bytes, content_type: str
    ) -> Callable[[RequestHandler], None]:
        is_page = path in self.pages

        def answer(handler: RequestHandler) -> None:
            with self._lock:
                self.seen.append((path, time.monotonic()))
            if is_page:
                if self._held.is_set():
                    self._released.wait(60)
                elif self.page_delay:
                    time.sleep(self.page_delay)
            handler.respond(200, body, content_type=content_type)

        return answer


class Fleet:
    """``workers`` daemons sharing one configuration file and one PostgreSQL database."""

    def __init__(
        self,
        folder: Path,
        url: str,
        outlets: list[dict[str, Any]],
        *,
        workers: int,
        schedule: dict[str, Any] | None = None,
        service: dict[str, Any] | None = None,
        fetch: dict[str, Any] | None = None,
    ):
        self.url = url
        self.config = folder / "fleet.toml"
        self.config.write_text(
            config_text(
                folder / "unused.db",
                outlets,
                storage={"url": url},
                schedule=schedule or ONCE,
                service=service or {},
                # Pages held at the site (TimedSite.hold) must not time out.
                fetch={"read_timeout": 90.0, "total_timeout": 120.0, **(fetch or {})},
            )
        )
        self.procs: list[DaemonProcess] = []
        for number in range(workers):
            own = folder / f"worker{number}"
            own.mkdir()
            proc = DaemonProcess(own, self.config.read_text())
            proc.config = self.config  # one file: one owner of the configured feeds
            self.procs.append(proc)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for proc in self.procs:
            proc.close()

    def start(self) -> None:
        """Start every worker at once."""
        for proc in self.procs:
            proc.start()

    def query(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        with psycopg.connect(self.url, row_factory=dict_row) as connection:
            try:
                return connection.execute(sql, params).fetchall()
            except psycopg.errors.UndefinedTable:
                return []  # not migrated yet

    def count(self, sql: str, params: tuple[Any, ...] = ()) -> int:
        rows = self.query(sql, params)
        return int(next(iter(rows[0].values()))) if rows else 0

    def finished(self, total: int) -> Callable[[], bool]:
        def done() -> bool:
            return (
                self.count("SELECT count(*) FROM store_articles") == total
                and self.count("SELECT count(*) FROM store_entries WHERE state = 'pending'") == 0
            )

        return done

    def wait_for(
        self, condition: Callable[[], bool], timeout: float = 120.0, what: str = "condition"
    ) -> None:
        """Poll ``condition``; fail if it stays false or any running worker dies."""
        started = time.monotonic()
        while not condition():
            for proc in self.procs:
                # returncode is already set for a worker the test killed or stopped.
                running = proc.proc is not None and proc.proc.returncode is None
                if running and proc.proc is not None and proc.proc.poll() is not None:
                    raise AssertionError(f"a worker exited before {what}:\n{proc.tail()}")
            if time.monotonic() - started > timeout:
                tails = "\n---\n".join(p.tail(15) for p in self.procs)
                raise AssertionError(f"timed out after {timeout}s waiting for {what}:\n{tails}")
            time.sleep(0.1)

    def started(self) -> bool:
        """Every worker has logged READY (its ``started`` line)."""
        return all("started" in proc.event_names() for proc in self.procs)

    def popen(self, *args: str, config: Path | None = None) -> subprocess.Popen[str]:
        """Start ``ingestd --config FILE ARGS`` (stderr piped)."""
        return subprocess.Popen(
            [sys.executable, "-m", "ingestd", "--config", str(config or self.config), *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )

    def cli(self, *args: str, config: Path | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``ingestd --config FILE ARGS`` to the end."""
        return subprocess.run(
            [sys.executable, "-m", "ingestd", "--config", str(config or self.config), *args],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=120,
            check=False,
        )
