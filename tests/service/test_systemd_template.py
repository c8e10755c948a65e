"""systemd/ingestd@.service, the template unit for several workers on one machine:
``systemd-analyze verify`` passes for an instance, it is sandboxed like the
single unit, and it differs from ``ingestd.service`` only where instances must."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from tests.service.test_systemd_unit import UNIT, settings_of, systemd_analyze

TEMPLATE = UNIT.parent / "ingestd@.service"


def instance(tmp_path: Path, command: str, name: str = "ingestd@2.service") -> Path:
    text = TEMPLATE.read_text(encoding="utf-8")
    assert text.count("\nExecStart=/opt/ingestd/bin/ingestd ") == 1
    copy = tmp_path / name
    copy.write_text(text.replace("ExecStart=/opt/ingestd/bin/ingestd ", f"ExecStart={command} "))
    return copy


def fake_ingestd(tmp_path: Path) -> str:
    executable = tmp_path / "ingestd"
    executable.write_text("#!/bin/sh\nexit 0\n")
    executable.chmod(0o755)
    return str(executable)


def test_template_instance_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    unit = instance(tmp_path, fake_ingestd(tmp_path))
    result = subprocess.run(
        [systemd_analyze(), "verify", "--man=no", str(unit)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr
    broken = instance(tmp_path, "/nonexistent/ingestd", "ingestd@3.service")
    result = subprocess.run(
        [systemd_analyze(), "verify", "--man=no", str(broken)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and "/nonexistent/ingestd" in result.stderr


def test_template_is_sandboxed(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            systemd_analyze(),
            "security",
            "--offline=yes",
            "--no-pager",
            str(instance(tmp_path, fake_ingestd(tmp_path))),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    match = re.search(r"Overall exposure level for ingestd@2\.service: ([0-9.]+)", result.stdout)
    assert match, result.stdout + result.stderr
    assert float(match.group(1)) <= 2.0


def test_template_differs_from_the_single_unit_only_per_instance() -> None:
    single = settings_of(UNIT.read_text(encoding="utf-8"))
    template = settings_of(TEMPLATE.read_text(encoding="utf-8"))
    # One configuration file for every instance: they own its feeds together.
    assert template["ExecStart"] == single["ExecStart"]
    assert "--config /etc/ingestd/ingestd.toml" in template["ExecStart"][0]
    assert template["Description"][0].endswith("%i")
    assert template["SyslogIdentifier"] == ["ingestd@%i"]
    assert template["StateDirectory"] == ["ingestd-%i"]  # no two instances chown one folder
    different = {key for key in set(single) | set(template) if single.get(key) != template.get(key)}
    assert different == {"Description", "SyslogIdentifier", "StateDirectory"}
