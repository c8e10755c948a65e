"""A store really ingested from the demo's sample sites, and a way to run the CLI on it.

The sample sites are served by a LocalServer once per test module and
ingested once; each test gets its own copy of the database and a
configuration file naming it, and runs ``ingestd`` through its real entry
point (``ingestd.cli.main``), so exit codes and error messages are the
ones an operator sees.

The fixtures ``ingested`` (per module) and ``site`` (per test) are in this
package's conftest.py::

    def test_x(site: Site) -> None:
        assert site.run("stories", "list").code == 0
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ingestd.cli import main
from tests.conftest import Harness
from tests.support.httpserver import LocalServer


@dataclass
class Result:
    """What one ``ingestd`` run printed and returned."""

    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@dataclass
class Ingested:
    """The sample sites, served, and the pristine database ingested from them."""

    server: LocalServer
    base: str
    db: Path
    outlets: list[dict[str, Any]]


def toml_value(value: Any) -> str:
    """A TOML literal (JSON strings and arrays are valid TOML)."""
    return json.dumps(value, ensure_ascii=False)


def write_config(path: Path, db: Path, outlets: list[dict[str, Any]]) -> Path:
    """A configuration file for ``db`` with these outlets and local fetching allowed."""
    lines = [
        "[storage]",
        f"url = {toml_value(f'sqlite:///{db}')}",
        "[fetch]",
        "allow_private_addresses = true",
        "per_host_delay = 0",  # every test outlet lives on one local server
        "connect_timeout = 2.0",
        "read_timeout = 2.0",
        "total_timeout = 5.0",
        "[extract]",
        "workers = 1",
    ]
    for outlet in outlets:
        lines.append("[[outlets]]")
        lines.extend(f"{key} = {toml_value(value)}" for key, value in outlet.items())
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_sql(path: Path, query: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
    """One statement on a database file, committed; its rows."""
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    try:
        rows = db.execute(query, params).fetchall()
        db.commit()
        return rows
    finally:
        db.close()


class Site:
    """One test's copy of the ingested store, its configuration, and a CLI runner."""

    def __init__(
        self,
        ingested: Ingested,
        folder: Path,
        capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ):
        self.ingested = ingested
        self.base = ingested.base
        self.server = ingested.server
        self.db = folder / "ingestd.db"
        shutil.copyfile(ingested.db, self.db)
        wal = Path(f"{ingested.db}-wal")
        if wal.exists():
            shutil.copyfile(wal, Path(f"{self.db}-wal"))
        self.outlets = ingested.outlets
        self.config = write_config(folder / "ingestd.toml", self.db, self.outlets)
        self._capsys = capsys
        self._monkeypatch = monkeypatch

    def run(self, *args: str, config: Path | None = None) -> Result:
        """``ingestd --config CONFIG ARGS…`` in this process."""
        return self.run_raw("--config", str(config or self.config), *args)

    def run_raw(self, *args: str) -> Result:
        """``ingestd ARGS…`` in this process."""
        self._capsys.readouterr()
        self._monkeypatch.setattr(sys, "argv", ["ingestd", *args])
        code = 0
        try:
            main()
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        captured = self._capsys.readouterr()
        return Result(code, captured.out, captured.err)

    def sql(self, query: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """Read or change the test's database directly (an independent check of the CLI)."""
        return run_sql(self.db, query, params)

    def harness(self) -> Harness:
        """A Harness polling this test's store with the sample outlets."""
        harness = Harness(self.db)
        harness.outlets = [dict(outlet) for outlet in self.outlets]
        return harness
