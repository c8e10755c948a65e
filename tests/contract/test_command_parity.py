"""The operator and report commands do and print the same on SQLite and PostgreSQL.

The same known content (tests/support/reportstore.py, fixed times) is
written into a fresh store of each dialect; every read command's output must
then be identical, byte for byte, except for the moment the report was made.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingestd import cli
from tests.support.postgres import pg_database
from tests.support.reportstore import build_known_store_at

pytestmark = pytest.mark.postgres


def run(
    config: Path,
    args: list[str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> str:
    monkeypatch.setattr(sys, "argv", ["ingestd", "-c", str(config), *args])
    try:
        cli.main()
    except SystemExit as done:
        assert not done.code, capsys.readouterr().err
    return capsys.readouterr().out


@pytest.fixture
def configs(tmp_path: Path) -> Iterator[dict[str, Path]]:
    """A config file per dialect, each store holding the same known content."""
    lite_url = f"sqlite:///{tmp_path / 'known.db'}"
    with pg_database() as pg_url:
        found: dict[str, Path] = {}
        ids = {}
        for name, url in (("sqlite", lite_url), ("postgresql", pg_url)):
            ids[name] = build_known_store_at(url)
            path = tmp_path / f"{name}.toml"
            path.write_text(f'[storage]\nurl = "{url}"\n', "utf-8")
            found[name] = path
        assert ids["sqlite"] == ids["postgresql"]
        yield found


def _without_generated(text: str) -> object:
    document = json.loads(text)
    document.pop("generated_at", None)
    return document


COMMANDS = [
    ["report", "--format", "json", "--since", "2020-01-01"],
    ["report", "--format", "text", "--since", "2020-01-01"],
    ["stories", "list", "--since", "2020-01-01", "--format", "json", "--limit", "100"],
    ["feeds", "list", "--all", "--format", "json"],
    ["export", "--format", "csv"],
    ["export", "--format", "jsonl"],
    ["export-opml"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a[:3]))
def test_read_commands_agree(
    args: list[str],
    configs: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if args[0] == "export-opml":
        args = ["feeds", "export-opml"]
    lite = run(configs["sqlite"], args, monkeypatch, capsys)
    pg = run(configs["postgresql"], args, monkeypatch, capsys)
    assert lite.strip(), "the command printed nothing"
    if args[:3] == ["report", "--format", "json"]:
        assert _without_generated(lite) == _without_generated(pg)
    elif args[0] == "report":
        # The first lines name the moment the report was made.
        strip = [
            line
            for line in lite.splitlines()
            if "Generated" not in line and "generated" not in line
        ]
        strip_pg = [
            line for line in pg.splitlines() if "Generated" not in line and "generated" not in line
        ]
        assert strip == strip_pg
    else:
        assert lite == pg


def test_every_story_shows_the_same_chain(
    configs: dict[str, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    listed = json.loads(
        run(
            configs["sqlite"],
            ["stories", "list", "--since", "2020-01-01", "--format", "json", "--limit", "100"],
            monkeypatch,
            capsys,
        )
    )
    stories = listed["stories"] if isinstance(listed, dict) else listed
    assert stories
    for story in stories:
        story_id = str(story["story_id"])
        for fmt in ("text", "json"):
            args = ["stories", "show", story_id, "--format", fmt]
            assert run(configs["sqlite"], args, monkeypatch, capsys) == run(
                configs["postgresql"], args, monkeypatch, capsys
            )


def test_operator_writes_agree(
    configs: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """feeds add/remove, OPML import and prune --apply leave both stores alike."""
    opml = tmp_path / "more.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>t</title></head><body>'
        '<outline text="Omega" htmlUrl="https://omega.example/">'
        '<outline type="rss" text="Omega news" xmlUrl="https://omega.example/rss.xml"/>'
        "</outline></body></opml>",
        "utf-8",
    )
    steps = [
        [
            "feeds",
            "add",
            "https://zeta.example/feed.xml",
            "--outlet",
            "Zeta",
            "--domain",
            "zeta.example",
        ],
        ["feeds", "remove", "https://zeta.example/feed.xml"],
        ["feeds", "import-opml", str(opml)],
        ["prune", "--older-than", "1d", "--apply", "--force"],
    ]
    printed: dict[str, list[str]] = {}
    for dialect in ("sqlite", "postgresql"):
        printed[dialect] = [
            _same_moment(run(configs[dialect], step, monkeypatch, capsys)) for step in steps
        ]
    assert printed["sqlite"] == printed["postgresql"]
    assert re.match(r"pruned [1-9]\d* articles", printed["sqlite"][-1]), printed
    feeds = {
        dialect: json.loads(
            run(
                configs[dialect],
                ["feeds", "list", "--all", "--format", "json"],
                monkeypatch,
                capsys,
            )
        )
        for dialect in ("sqlite", "postgresql")
    }
    for listing in feeds.values():
        for feed in listing:
            feed.pop("created_at", None)  # the moment each run added it
    assert feeds["sqlite"] == feeds["postgresql"]
    for args in (
        ["export", "--format", "csv"],
        ["feeds", "export-opml"],
    ):
        assert run(configs["sqlite"], args, monkeypatch, capsys) == run(
            configs["postgresql"], args, monkeypatch, capsys
        )
    listed = run(
        configs["postgresql"], ["feeds", "list", "--all", "--format", "json"], monkeypatch, capsys
    )
    assert "omega.example/rss.xml" in listed and "zeta.example/feed.xml" in listed
    texts = {
        dialect: _same_moment(
            run(
                configs[dialect],
                ["prune", "--older-than", "1d", "--force"],
                monkeypatch,
                capsys,
            )
        )
        for dialect in ("sqlite", "postgresql")
    }
    assert texts["sqlite"] == texts["postgresql"]


def _same_moment(text: str) -> str:
    # The cutoff is "now - age" (the two runs may straddle a second), and only
    # SQLite has a file to VACUUM: neither is a difference between the stores.
    return "\n".join(
        line
        for line in text.splitlines()
        if not line.strip().startswith("cutoff:") and "VACUUM" not in line
    )
