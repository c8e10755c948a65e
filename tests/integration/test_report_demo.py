"""The report over a real ingestion: `ingestd demo`'s store against the demo's ground truth."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from ingestd.cli import cli
from ingestd.demo import sample
from ingestd.demo.run import run_demo
from ingestd.report.json_report import report_schema


@pytest.mark.slow
def test_report_of_the_demo_store_matches_the_ground_truth(tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    run_demo(db, 1, lambda line: None)
    result = CliRunner().invoke(cli, ["report", "--db", str(db), "--format", "json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    jsonschema.Draft202012Validator(report_schema()).validate(document)

    truth = sample.expected()["articles"]
    copies = [a for a in truth.values() if not a["origin"]]
    totals = document["totals"]
    assert totals["articles"] == len(truth)
    assert totals["stories"] == len({a["story"] for a in truth.values()})
    assert totals["copies"] == len(copies)
    assert totals["originals"] == len(truth) - len(copies)
    assert totals["syndicated_stories"] == len({a["story"] for a in copies})
    assert totals["exact_copies"] + totals["partial_copies"] + totals["unsourced_copies"] == len(
        copies
    )
    per_outlet = {o["name"]: (o["articles"], o["copies"]) for o in document["outlets"]}
    expected = Counter(a["outlet"] for a in truth.values())
    expected_copies = Counter(a["outlet"] for a in copies)
    assert per_outlet == {name: (n, expected_copies[name]) for name, n in expected.items()}
    edges = {(e["source"], e["copier"]): e["count"] for e in document["copy_edges"]}
    assert edges == Counter((a["origin_outlet"], a["outlet"]) for a in copies)
    assert len(document["stories"]) == totals["syndicated_stories"]
    assert document["failing_feeds"] == [] and document["silent_feeds"] == []


@pytest.mark.slow
def test_demo_ends_by_pointing_at_serve_and_its_report_links_no_dead_server(
    tmp_path: Path,
) -> None:
    db = tmp_path / "demo.db"
    lines: list[str] = []
    run_demo(db, 1, lines.append)
    assert f"  ingestd serve --db {db}            # then open http://127.0.0.1:8080/" in lines
    result = CliRunner().invoke(cli, ["report", "--db", str(db), "--format", "html"])
    assert result.exit_code == 0, result.output
    # The demo's pages were served on 127.0.0.1 for the run only: no link to them.
    assert 'href="http://127.0.0.1' not in result.output
    # Outlet names are whole in the charts (never cut with an ellipsis).
    assert "NewsPulse Daily</text>" in result.output
    assert "The Northern Ledger</text>" in result.output
    assert "…</text>" not in result.output
    # Story 7's canonical-link credit is shown, not an empty credit column.
    document = json.loads(
        CliRunner().invoke(cli, ["report", "--db", str(db), "--format", "json"]).output
    )
    mural = next(s for s in document["stories"] if s["title"].startswith("Lost mural"))
    copy = next(m for m in mural["members"] if m["role"] == "copy")
    assert copy["via"] == "credit"
    assert copy["credits"] and copy["credits"][0].startswith("canonical link “https://")
