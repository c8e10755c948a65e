"""systemd/ingestd.service passes ``systemd-analyze verify`` and matches the daemon's settings.

``verify`` insists that ExecStart names an existing executable, and ingestd is
not installed at /opt/ingestd here: the test rewrites ExecStart to a small
temporary executable and verifies that copy. Everything else is the file as
shipped.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from ingestd.settings import ServiceSettings

REPO = Path(__file__).resolve().parents[2]
UNIT = REPO / "systemd" / "ingestd.service"


def systemd_analyze() -> str:
    found = shutil.which("systemd-analyze") or "/usr/bin/systemd-analyze"
    if not Path(found).exists():
        pytest.fail("systemd-analyze is missing: install Debian's systemd (tools/test.sh does)")
    return found


def with_exec(tmp_path: Path, command: str) -> Path:
    text = UNIT.read_text(encoding="utf-8")
    assert text.count("\nExecStart=/opt/ingestd/bin/ingestd ") == 1
    copy = tmp_path / "ingestd.service"
    copy.write_text(text.replace("ExecStart=/opt/ingestd/bin/ingestd ", f"ExecStart={command} "))
    return copy


def settings_of(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z]+)=(.*)$", line)
        if match:
            found.setdefault(match.group(1), []).append(match.group(2))
    return found


def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    executable = tmp_path / "ingestd"
    executable.write_text("#!/bin/sh\nexit 0\n")
    executable.chmod(0o755)
    result = subprocess.run(
        [systemd_analyze(), "verify", "--man=no", str(with_exec(tmp_path, str(executable)))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr  # no warnings either (unknown keys, ...)


def test_verify_really_checks_the_unit(tmp_path: Path) -> None:
    result = subprocess.run(
        [systemd_analyze(), "verify", "--man=no", str(with_exec(tmp_path, "/nonexistent/ingestd"))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "/nonexistent/ingestd" in result.stderr


def test_unit_is_sandboxed(tmp_path: Path) -> None:
    executable = tmp_path / "ingestd"
    executable.write_text("#!/bin/sh\nexit 0\n")
    executable.chmod(0o755)
    result = subprocess.run(
        [
            systemd_analyze(),
            "security",
            "--offline=yes",
            "--no-pager",
            str(with_exec(tmp_path, str(executable))),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    match = re.search(r"Overall exposure level for ingestd\.service: ([0-9.]+)", result.stdout)
    assert match, result.stdout + result.stderr
    assert float(match.group(1)) <= 2.0  # systemd calls up to 2.0 "OK"


def test_unit_matches_the_daemon() -> None:
    keys = settings_of(UNIT.read_text(encoding="utf-8"))
    assert keys["Type"] == ["notify"]
    assert keys["ExecStart"][0].endswith(" run")
    assert keys["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert keys["Restart"] == ["on-failure"]
    # Restarted with a pause, and given up on after a crash loop (not for ever,
    # not after the first few seconds): ten tries span at least five minutes.
    restart = int(keys["RestartSec"][0])
    assert restart >= 10
    burst, window = int(keys["StartLimitBurst"][0]), int(keys["StartLimitIntervalSec"][0])
    assert burst * restart >= 300 and window >= burst * restart
    assert keys["KillMode"] == ["mixed"]  # TERM to the daemon only; it drains its workers
    assert int(keys["WatchdogSec"][0]) > 0
    # Set on purpose (issue 10): READY=1 comes in seconds at any store size, so
    # a start-up past a minute is hung; never left to systemd's default.
    assert 10 <= int(keys["TimeoutStartSec"][0]) <= 60
    # systemd must not kill a daemon that is still inside its grace period.
    assert int(keys["TimeoutStopSec"][0]) > ServiceSettings().grace_period
    assert keys["StateDirectory"] == ["ingestd"]
    assert keys["ConfigurationDirectory"] == ["ingestd"]
    assert keys["DynamicUser"] == ["yes"]
    for key, value in {
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "NoNewPrivileges": "yes",
    }.items():
        assert keys[key] == [value], key
    assert "@system-service" in keys["SystemCallFilter"]
    assert keys["RestrictAddressFamilies"]
