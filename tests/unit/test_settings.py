"""Configuration: valid files load, every bad one gives one clear message."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ingestd.errors import ConfigError
from ingestd.settings import load_settings, parse_settings
from ingestd.types import OutletRole

REPO = Path(__file__).resolve().parents[2]

GOOD = """
[storage]
url = "sqlite:///tmp/x.db"

[fetch]
allow_private_addresses = true
read_timeout = 5

[[outlets]]
name = "Le Monde"
domain = "www.lemonde.fr"
role = "original"
feeds = ["https://www.lemonde.fr/rss/une.xml"]
"""


def test_example_config_is_valid() -> None:
    settings = load_settings(REPO / "config" / "ingestd.example.toml")
    assert settings.outlets[0].domain == "lemonde.fr"
    assert settings.outlets[1].role is OutletRole.WIRE


def test_good_config_loads_with_defaults() -> None:
    settings = parse_settings(GOOD)
    assert settings.fetch.allow_private_addresses is True
    assert settings.fetch.read_timeout == 5.0
    assert settings.fetch.max_redirects == 5
    assert settings.outlets[0].domain == "lemonde.fr"  # www. dropped
    assert settings.match.dedup_window_days == 14


def test_default_storage_follows_state_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("STATE_DIRECTORY", str(tmp_path))
    settings = parse_settings("")
    assert settings.storage.url == f"sqlite:///{tmp_path / 'ingestd.db'}"


@pytest.mark.parametrize(
    ("text", "key", "problem", "line"),
    [
        ("[fetch]\nallow_private = true\n", "fetch.allow_private", "unknown key", 2),
        ('[fetch]\nread_timeout = "slow"\n', "fetch.read_timeout", "valid number", 2),
        ("[fetch]\nmax_redirects = -1\n", "fetch.max_redirects", "greater than or equal", 2),
        ('[storage]\nurl = "mysql://x"\n', "storage.url", "sqlite:///", 2),
        (
            '[[outlets]]\nname = "A"\ndomain = "a.com"\nfeeds = ["ftp://a.com/x"]\n',
            "outlets[0].feeds",
            "http(s) URL",
            4,
        ),
        (
            '[[outlets]]\nname = "A"\ndomain = "a.com"\nrole = "blog"\n',
            "outlets[0].role",
            "original | wire | aggregator",
            4,
        ),
        ('[[outlets]]\nname = "A"\n', "outlets[0].domain", "required key is missing", 1),
        (
            '[[outlets]]\nname = "A"\ndomain = "a.com"\n[[outlets]]\nname = "B"\n'
            'domain = "a.com"\n',
            "outlets[1].domain",
            "duplicate outlet",
            6,
        ),
        (
            '[[outlets]]\nname = "A"\ndomain = "a.com"\n[[outlets]]\nname = "a"\n'
            'domain = "b.com"\n',
            "outlets[1].name",
            "duplicate outlet",
            5,
        ),
        (
            '[[outlets]]\nname = "A"\ndomain = "a.com"\nfeeds = ["https://x.org/f"]\n'
            '[[outlets]]\nname = "B"\ndomain = "b.com"\nfeeds = ["https://x.org/f"]\n',
            "outlets[1].feeds[0]",
            "already listed",
            8,
        ),
        (
            '[[outlets]]\nname = "A"\ndomain = "https://a.com/"\n',
            "outlets[0].domain",
            "bare domain",
            3,
        ),
        ("outlets = 3\n", "outlets", "valid list", 1),
    ],
)
def test_bad_config_names_key_and_problem(text: str, key: str, problem: str, line: int) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings(text, "ingestd.toml")
    error = caught.value
    assert error.key == key
    assert problem in error.problem
    assert error.line == line
    assert str(error).startswith(f"ingestd.toml:{line}: {key}: ")


def test_invalid_toml_gives_line() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_settings("[fetch\nx = 1\n", "bad.toml")
    assert caught.value.line == 1
    assert "invalid TOML" in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "nope.toml")


def test_cli_exits_2_with_one_clear_line(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[fetch]\nallow_private_addresses = "yes"\n')
    result = subprocess.run(
        [sys.executable, "-m", "ingestd", "--config", str(config), "poll", "--once"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert f"{config}:2: fetch.allow_private_addresses:" in lines[0]
    assert "valid boolean" in lines[0]
