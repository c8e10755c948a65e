"""README's two set-up commands are the ones that work, and CI runs the test one."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    setup = text.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", setup, re.S)]


def test_readme_has_exactly_two_setup_commands() -> None:
    demo, tests = readme_commands()
    assert demo.endswith("ingestd demo")
    assert tests == "bash tools/test.sh"


def test_ci_runs_the_readme_test_command_as_written() -> None:
    _, tests = readme_commands()
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert tests in [line.strip() for line in ci]


def test_the_test_command_installs_what_the_suite_drives() -> None:
    script = (REPO / "tools" / "test.sh").read_text(encoding="utf-8")
    for package in ("chromium", "chromium-driver", "systemd", "sqlite3", "postgresql-client"):
        assert package in script
    assert "pip install --quiet -e '.[test]'" in script
    assert "pytest" in script.splitlines()[-1]
