"""Dependencies flow one way: from the command line down, never back.

Only the console entry point imports ``ingestd.cli``; the daemon, the demo
and the evaluation use ``ingestd.app``, never the command modules.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "ingestd"
ENTRY_POINTS = {"__main__.py", "_entry.py"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_nothing_but_the_entry_point_imports_the_cli() -> None:
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in modules()
        if path.name not in ENTRY_POINTS
        and path != PACKAGE / "cli.py"
        and any(
            name == "ingestd.cli" or name.startswith("ingestd.cli.")
            for name in imported_modules(path)
        )
    ]
    assert offenders == []


def test_service_demo_and_evaluation_do_not_depend_on_the_commands() -> None:
    offenders = []
    for folder in ("service", "demo", "evaluation", "pipeline.py", "app.py"):
        target = PACKAGE / folder
        paths = [target] if target.is_file() else sorted(target.rglob("*.py"))
        for path in paths:
            if any(name.startswith("ingestd.commands") for name in imported_modules(path)):
                offenders.append(str(path.relative_to(PACKAGE)))
    assert offenders == []


def test_the_fetch_stage_reaches_the_store_only_through_its_fleet_protocol() -> None:
    # Fleet-wide politeness lives in the store, but the fetcher sees only the
    # narrow ingestd.fetch.fleet.Fleet Protocol (the daemon passes a StoreFleet).
    offenders = [
        str(path.relative_to(PACKAGE))
        for path in sorted((PACKAGE / "fetch").rglob("*.py"))
        if any(
            name.startswith(("ingestd.store", "ingestd.service")) for name in imported_modules(path)
        )
    ]
    assert offenders == []


def test_the_store_depends_on_no_stage_above_it() -> None:
    # The store is the bottom layer: errors, settings and the shared types,
    # never the matcher, the pipeline, the service or the commands.
    allowed = ("ingestd.store", "ingestd.errors", "ingestd.settings", "ingestd.types")
    offenders = sorted(
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in sorted((PACKAGE / "store").rglob("*.py"))
        for name in imported_modules(path)
        if (name == "ingestd" or name.startswith("ingestd."))
        and not any(name == a or name.startswith(a + ".") for a in allowed)
    )
    assert offenders == []
