"""Each configuration file owns the feeds it lists; other processes leave them alone.

A daemon runs with /etc/ingestd/ingestd.toml; an operator runs a one-off
`poll --once -c other.toml` on the same store: the daemon's feeds stay active.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import pytest

from ingestd import cli
from tests.service.daemonproc import config_text
from tests.service.sites import EtagFeed
from tests.support.httpserver import LocalServer


def run_main(args: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(sys, "argv", ["ingestd", *args])
    try:
        cli.main()
    except SystemExit as done:
        return int(done.code or 0)
    return 0


def active(db: Path) -> set[str]:
    connection = sqlite3.connect(db)
    try:
        rows = connection.execute("SELECT url FROM feeds WHERE active = 1").fetchall()
    finally:
        connection.close()
    return {url.rsplit("/", 2)[1] for (url,) in rows}


def test_poll_once_with_another_file_leaves_the_daemons_feeds_active(
    tmp_path: Path, local_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "ingestd.db"
    feeds = {name: EtagFeed(local_server, name) for name in ("alpha", "beta", "gamma")}
    for feed in feeds.values():
        feed.add(1)

    def outlet(name: str) -> dict[str, object]:
        return {"name": name, "domain": f"{name}.example", "feeds": [feeds[name].url]}

    daemon = tmp_path / "ingestd.toml"
    daemon.write_text(config_text(db, [outlet("alpha"), outlet("beta")]))
    other = tmp_path / "other.toml"
    other.write_text(config_text(db, [outlet("gamma")]))

    assert run_main(["-c", str(daemon), "poll", "--once"], monkeypatch) == 0
    assert active(db) == {"alpha", "beta"}
    assert run_main(["-c", str(other), "poll", "--once"], monkeypatch) == 0
    assert active(db) == {"alpha", "beta", "gamma"}
    # The daemon's own file drops beta: beta goes, gamma (the other file's) stays.
    daemon.write_text(config_text(db, [outlet("alpha")]))
    assert run_main(["-c", str(daemon), "poll", "--once"], monkeypatch) == 0
    assert active(db) == {"alpha", "gamma"}
