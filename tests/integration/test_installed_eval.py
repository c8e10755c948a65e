"""``ingestd eval`` from a built wheel, away from the source checkout (issue 13, point 5)."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_eval_runs_from_an_installed_wheel_without_the_tests_folder(tmp_path: Path) -> None:
    # Build the wheel offline: hatchling from this environment, no dependencies.
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    [wheel] = wheels.glob("ingestd-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "ingestd/evaluation/data/corpus.json.gz" in names
    assert not any(name.startswith("tests/") for name in names)
    assert "ingestd/evaluation/corpus.py" not in names  # the generator is test tooling

    # "Install" it: the wheel's files on sys.path ahead of everything, the
    # dependencies from this environment, run from a folder with no checkout.
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site), "NO_COLOR": "1"}
    where = subprocess.run(
        [sys.executable, "-c", "import ingestd, sys; print(ingestd.__file__)"],
        cwd=elsewhere,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    assert where.stdout.strip().startswith(str(site)), where.stdout
    result = subprocess.run(
        [sys.executable, "-m", "ingestd", "eval"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=540,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "FileNotFoundError" not in result.stderr
    ours = next(line for line in result.stdout.splitlines() if line.startswith("ingestd "))
    precision, recall = (float(x) for x in ours.split()[1:3])
    assert precision >= 0.995 and recall >= 0.98, result.stdout

    # --corpus takes another rendered corpus; a spec folder is refused with the way to render it.
    refused = subprocess.run(
        [sys.executable, "-m", "ingestd", "eval", "--corpus", str(elsewhere)],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 2
    assert "--render" in refused.stderr
