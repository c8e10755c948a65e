"""`ingestd report` over a store of known content: every JSON figure; text and HTML agree."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from ingestd.cli import cli
from ingestd.durations import parse_since
from ingestd.errors import StoreError
from ingestd.report.html import render_html
from ingestd.report.json_report import render_json, report_document, report_schema
from ingestd.report.model import Report, build_report
from ingestd.report.queries import read_report_input
from ingestd.report.text import render_text
from ingestd.store.sqlite import SqliteStore
from tests.support.reportstore import (
    ALPHA5_URL,
    GAMMA,
    HOSTILE_ERROR,
    NOW,
    S1_TITLE,
    build_known_store,
)


def iso(day: int, hour: int, minute: int = 0) -> str:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC).isoformat()


@pytest.fixture(scope="module")
def known_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "known.db"
    ids = build_known_store(path)
    # The expectations below name articles by these ids.
    assert ids == {
        "wire1": 1,
        "alpha1": 2,
        "beta1": 3,
        "alpha2": 4,
        "gamma2": 5,
        "beta3": 6,
        "wire4": 7,
        "beta4": 8,
        "alpha5": 9,
        "gamma6": 10,
    }
    return path


def make_report(db: Path, since: str | None = "24h", outlet: str | None = None) -> Report:
    store = SqliteStore(db, create=False)
    try:
        data = read_report_input(store, NOW, parse_since(since, NOW) if since else None)
    finally:
        store.close()
    return build_report(data, outlet=outlet)


def outlet_row(
    name: str,
    domain: str,
    role: str | None,
    counts: tuple[int, int, int, float],
    copies_from: list[tuple[str, int]],
    copied_by: list[tuple[str, int]],
) -> dict[str, Any]:
    articles, originals, copies, share = counts
    return {
        "name": name,
        "domain": domain,
        "role": role,
        "articles": articles,
        "originals": originals,
        "copies": copies,
        "copy_share": share,
        "copies_from": [{"outlet": o, "count": c} for o, c in copies_from],
        "copied_by": [{"outlet": o, "count": c} for o, c in copied_by],
    }


def member(
    article_id: int,
    outlet: str,
    url: str,
    title: str,
    role: str,
    kind: str | None,
    source: tuple[int, str] | None,
    via: str | None,
    similarity: float,
    times: tuple[str | None, str, str],
    after: int | None,
    *,
    in_window: bool = True,
    credits: tuple[str, ...] = (),
) -> dict[str, Any]:
    published, first_seen, effective = times
    return {
        "article_id": article_id,
        "outlet": outlet,
        "url": url,
        "title": title,
        "role": role,
        "copy_kind": kind,
        "derived_from": source[0] if source else None,
        "derived_from_outlet": source[1] if source else None,
        "via": via,
        "similarity": similarity,
        "credits": list(credits),
        "language": "en",
        "published_at": published,
        "first_seen_at": first_seen,
        "time": effective,
        "after_origin_seconds": after,
        "in_window": in_window,
    }


def side(article_id: int, story_id: int, outlet: str, url: str, title: str) -> dict[str, Any]:
    return {
        "article_id": article_id,
        "story_id": story_id,
        "outlet": outlet,
        "url": url,
        "title": title,
    }


AFP_EVIDENCE = {"kind": "source", "phrase": "Source: AFP", "domain": "afp.com", "outlet": "AFP"}

EXPECTED_24H: dict[str, Any] = {
    "schema_version": 2,
    "generated_at": "2026-03-10T12:00:00+00:00",
    "since": "2026-03-09T12:00:00+00:00",
    "outlet_filter": None,
    "thresholds": {
        "near_duplicate_jaccard": 0.6,
        "min_containment": 0.5,
        "min_shared_shingles": 20,
        "margin": 0.05,
        "shared_margin": 5,
    },
    "totals": {
        "articles": 8,  # wire1 alpha1 beta1 alpha2 gamma2 beta3 beta4 alpha5 (not wire4, gamma6)
        "stories": 5,
        "syndicated_stories": 4,
        "originals": 3,
        "copies": 5,
        "copy_share": 0.625,
        "exact_copies": 2,  # alpha1 (from wire1), beta4 (from wire4)
        "partial_copies": 2,  # beta1, gamma2
        "unsourced_copies": 1,  # beta3: AFP named, never ingested
    },
    "outlets": [
        outlet_row(
            "Alpha",
            "alpha.example",
            "original",
            (3, 2, 1, 0.3333),
            [("Wire", 1)],
            [("Beta", 1), (GAMMA, 1)],
        ),
        outlet_row(
            "Beta",
            "beta.example",
            "aggregator",
            (3, 0, 3, 1.0),
            [("AFP", 1), ("Alpha", 1), ("Wire", 1)],
            [],
        ),
        outlet_row(GAMMA, "gamma.example", None, (1, 0, 1, 1.0), [("Alpha", 1)], []),
        outlet_row("Wire", "wire.example", "wire", (1, 1, 0, 0.0), [], [("Alpha", 1), ("Beta", 1)]),
        outlet_row("Delta", "delta.example", None, (0, 0, 0, 0.0), [], []),
    ],
    "matrix": {
        "outlets": ["Alpha", "Beta", GAMMA, "Wire", "Delta", "AFP"],
        "counts": [
            [0, 0, 0, 1, 0, 0],  # Alpha copied Wire once
            [1, 0, 0, 1, 0, 1],  # Beta copied Alpha, Wire, AFP
            [1, 0, 0, 0, 0, 0],  # Gamma copied Alpha
            [0, 0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, 0],
            [0, 0, 0, 0, 0, 0],
        ],
    },
    "copy_edges": [
        {"source": "AFP", "copier": "Beta", "count": 1, "exact": 0},
        {"source": "Alpha", "copier": "Beta", "count": 1, "exact": 0},
        {"source": "Alpha", "copier": GAMMA, "count": 1, "exact": 0},
        {"source": "Wire", "copier": "Alpha", "count": 1, "exact": 1},
        {"source": "Wire", "copier": "Beta", "count": 1, "exact": 1},
    ],
    "stories": [
        {
            "story_id": 1,
            "title": S1_TITLE,
            "canonical_url": "https://wire.example/1",
            "origin_outlet": "Wire",
            "origin_domain": None,
            "origin_attributed": False,
            "origin_reason": "role",
            "origin_evidence": [{"kind": "role", "time": iso(10, 9)}],
            "reach": 3,
            "copies": 2,
            "members": [
                member(
                    1,
                    "Wire",
                    "https://wire.example/1",
                    S1_TITLE,
                    "origin",
                    None,
                    None,
                    None,
                    1.0,
                    (iso(10, 9), iso(10, 9, 5), iso(10, 9)),
                    0,
                ),
                member(
                    2,
                    "Alpha",
                    "https://alpha.example/1",
                    "Alpha one",
                    "copy",
                    "exact",
                    (1, "Wire"),
                    "similarity",
                    1.0,
                    (iso(10, 10), iso(10, 10, 2), iso(10, 10)),
                    3600,
                ),
                member(
                    3,
                    "Beta",
                    "https://beta.example/1",
                    "Beta one",
                    "copy",
                    "partial",
                    (2, "Alpha"),
                    "similarity",
                    0.75,
                    (None, iso(10, 11, 30), iso(10, 11, 30)),
                    9000,
                ),
            ],
        },
        {
            # Same reach as S2 and S3; its first member is the earliest.
            "story_id": 4,
            "title": "Wire four",
            "canonical_url": "https://wire.example/4",
            "origin_outlet": "Wire",
            "origin_domain": None,
            "origin_attributed": False,
            "origin_reason": "role",
            "origin_evidence": [{"kind": "role", "time": iso(7, 8)}],
            "reach": 2,
            "copies": 1,
            "members": [
                member(
                    7,
                    "Wire",
                    "https://wire.example/4",
                    "Wire four",
                    "origin",
                    None,
                    None,
                    None,
                    1.0,
                    (iso(7, 8), iso(7, 8), iso(7, 8)),
                    0,
                    in_window=False,
                ),
                member(
                    8,
                    "Beta",
                    "https://beta.example/4",
                    "Beta four",
                    "copy",
                    "exact",
                    (7, "Wire"),
                    "credit",
                    1.0,
                    (iso(10, 6), iso(10, 6), iso(10, 6)),
                    2 * 86400 + 22 * 3600,
                ),
            ],
        },
        {
            "story_id": 2,
            "title": "Alpha two",
            "canonical_url": "https://alpha.example/2",
            "origin_outlet": "Alpha",
            "origin_domain": None,
            "origin_attributed": False,
            "origin_reason": "earliest",
            "origin_evidence": [{"kind": "earliest", "time": iso(10, 1)}],
            "reach": 2,
            "copies": 1,
            "members": [
                member(
                    4,
                    "Alpha",
                    "https://alpha.example/2",
                    "Alpha two",
                    "origin",
                    None,
                    None,
                    None,
                    1.0,
                    (iso(10, 1), iso(10, 1), iso(10, 1)),
                    0,
                ),
                # Published "after" it was first seen: the first-seen time counts.
                member(
                    5,
                    GAMMA,
                    "https://gamma.example/2",
                    "Gamma two",
                    "copy",
                    "partial",
                    (4, "Alpha"),
                    "similarity",
                    0.789,
                    (iso(10, 5), iso(10, 4), iso(10, 4)),
                    3 * 3600,
                ),
            ],
        },
        {
            "story_id": 3,
            "title": "From AFP",
            "canonical_url": "https://beta.example/3",
            "origin_outlet": "AFP",
            "origin_domain": "afp.com",
            "origin_attributed": True,
            "origin_reason": "attribution",
            "origin_evidence": [AFP_EVIDENCE],
            "reach": 2,
            "copies": 1,
            "members": [
                member(
                    6,
                    "Beta",
                    "https://beta.example/3",
                    "From AFP",
                    "copy",
                    "unsourced",
                    None,
                    None,
                    1.0,
                    (iso(10, 2), iso(10, 2), iso(10, 2)),
                    None,
                    credits=("source line “Source: AFP” → AFP (afp.com)",),
                ),
            ],
        },
    ],
    "failing_feeds": [
        {
            "url": "https://beta.example/broken",
            "outlet": "Beta",
            "last_error": HOSTILE_ERROR,
            "last_error_kind": "http_status",
            "last_error_at": iso(10, 11, 45),
            "error_count": 2,
            "last_success_at": iso(10, 11),
        }
    ],
    "silent_feeds": [
        {
            "url": "https://delta.example/feed",
            "outlet": "Delta",
            "entries": 0,
            "pending": 0,
            "last_polled_at": None,
        },
        {
            "url": "https://gamma.example/silent",
            "outlet": GAMMA,
            "entries": 2,
            "pending": 2,
            "last_polled_at": iso(10, 11),
        },
    ],
    "near_threshold": [
        {
            "a": side(4, 2, "Alpha", "https://alpha.example/2", "Alpha two"),
            "b": side(5, 2, GAMMA, "https://gamma.example/2", "Gamma two"),
            "rule": "near_duplicate",
            "linked": True,
            "jaccard": 0.62,
            "containment": 0.7895,
            "shared": 150,
            "near": [{"measure": "jaccard", "value": 0.62, "threshold": 0.6, "distance": 0.02}],
        },
        {
            "a": side(5, 2, GAMMA, "https://gamma.example/2", "Gamma two"),
            "b": side(9, 5, "Alpha", ALPHA5_URL, "Alpha five"),
            "rule": "low_overlap",
            "linked": False,
            "jaccard": 0.3,
            "containment": 0.48,
            "shared": 96,
            "near": [
                {"measure": "containment", "value": 0.48, "threshold": 0.5, "distance": -0.02}
            ],
        },
        {
            "a": side(1, 1, "Wire", "https://wire.example/1", S1_TITLE),
            "b": side(3, 1, "Beta", "https://beta.example/1", "Beta one"),
            "rule": "contained",
            "linked": True,
            "jaccard": 0.22,
            "containment": 0.525,
            "shared": 84,
            "near": [
                {"measure": "containment", "value": 0.525, "threshold": 0.5, "distance": 0.025}
            ],
        },
        {
            "a": side(6, 3, "Beta", "https://beta.example/3", "From AFP"),
            "b": side(9, 5, "Alpha", ALPHA5_URL, "Alpha five"),
            "rule": "too_little_shared",
            "linked": False,
            "jaccard": 0.06,
            "containment": 0.17,
            "shared": 17,
            "near": [{"measure": "shared", "value": 17, "threshold": 20, "distance": -3}],
        },
    ],
}


def test_json_report_states_every_figure_exactly(known_db: Path) -> None:
    document = json.loads(render_json(make_report(known_db)))
    jsonschema.Draft202012Validator(report_schema()).validate(document)
    for key, value in EXPECTED_24H.items():
        assert document[key] == value, key
    assert document == EXPECTED_24H


def test_schema_rejects_a_document_that_breaks_it(known_db: Path) -> None:
    document = report_document(make_report(known_db))
    validator = jsonschema.Draft202012Validator(report_schema())
    broken = json.loads(json.dumps(document))
    broken["totals"]["copy_share"] = 1.5
    assert not validator.is_valid(broken)
    broken = json.loads(json.dumps(document))
    broken["schema_version"] = 1
    assert not validator.is_valid(broken)
    broken = json.loads(json.dumps(document))
    del broken["stories"][0]["members"][0]["after_origin_seconds"]
    assert not validator.is_valid(broken)


def test_all_time_counts_the_older_articles_and_their_close_call(known_db: Path) -> None:
    document = report_document(make_report(known_db, since=None))
    jsonschema.Draft202012Validator(report_schema()).validate(document)
    assert document["since"] is None
    assert document["totals"] == {
        "articles": 10,
        "stories": 6,
        "syndicated_stories": 4,
        "originals": 5,
        "copies": 5,
        "copy_share": 0.5,
        "exact_copies": 2,
        "partial_copies": 2,
        "unsourced_copies": 1,
    }
    wire = next(o for o in document["outlets"] if o["name"] == "Wire")
    assert (wire["articles"], wire["originals"], wire["copies"]) == (2, 2, 0)
    assert all(m["in_window"] for s in document["stories"] for m in s["members"])
    # wire4 / gamma6 were compared before the 24 h window: listed only now,
    # and first, since 0.01 from the line is the closest call.
    pairs = [(d["a"]["article_id"], d["b"]["article_id"]) for d in document["near_threshold"]]
    assert pairs == [(7, 10), (4, 5), (5, 9), (1, 3), (6, 9)]
    close = document["near_threshold"][0]["near"]
    assert close == [{"measure": "containment", "value": 0.49, "threshold": 0.5, "distance": -0.01}]


def test_a_window_with_nothing_in_it(known_db: Path) -> None:
    report = make_report(known_db, since="2026-03-10T11:45:00+00:00")
    document = report_document(report)
    assert document["totals"]["articles"] == 0
    assert document["totals"]["copy_share"] == 0.0
    assert document["stories"] == [] and document["copy_edges"] == []
    assert document["near_threshold"] == []
    # Feed health is the feeds' state now, whatever the window.
    assert len(document["failing_feeds"]) == 1 and len(document["silent_feeds"]) == 2
    assert "no copies in this window" in render_text(report)
    assert "No articles in this window." in render_html(report)


def test_outlet_restricts_to_its_stories_feeds_and_comparisons(known_db: Path) -> None:
    document = report_document(make_report(known_db, outlet=GAMMA))
    jsonschema.Draft202012Validator(report_schema()).validate(document)
    assert document["outlet_filter"] == GAMMA
    assert document["totals"] == {
        "articles": 2,  # alpha2, gamma2 (S2); S6 is before the window
        "stories": 1,
        "syndicated_stories": 1,
        "originals": 1,
        "copies": 1,
        "copy_share": 0.5,
        "exact_copies": 0,
        "partial_copies": 1,
        "unsourced_copies": 0,
    }
    assert [o["name"] for o in document["outlets"]] == ["Alpha", GAMMA]
    assert document["outlets"][0]["copied_by"] == [{"outlet": GAMMA, "count": 1}]
    assert document["copy_edges"] == [{"source": "Alpha", "copier": GAMMA, "count": 1, "exact": 0}]
    assert [s["story_id"] for s in document["stories"]] == [2]
    assert document["failing_feeds"] == []
    assert [f["url"] for f in document["silent_feeds"]] == ["https://gamma.example/silent"]
    pairs = [(d["a"]["article_id"], d["b"]["article_id"]) for d in document["near_threshold"]]
    assert pairs == [(4, 5), (5, 9)]


# -- the command line --------------------------------------------------------

SINCE_24H = (NOW - timedelta(hours=24)).isoformat()


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_cli_json_is_the_same_document(known_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    result = run(
        "report", "--db", str(known_db), "--since", SINCE_24H, "--format", "json", "-o", str(out)
    )
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text("utf-8"))
    jsonschema.Draft202012Validator(report_schema()).validate(document)
    generated = datetime.fromisoformat(document.pop("generated_at"))
    assert abs(generated - datetime.now(UTC)) < timedelta(minutes=5)
    expected = dict(EXPECTED_24H)
    del expected["generated_at"]
    assert document == expected


def test_cli_outlet_by_domain_and_through_config(known_db: Path, tmp_path: Path) -> None:
    config = tmp_path / "ingestd.toml"
    config.write_text(f'[storage]\nurl = "sqlite:///{known_db}"\n', encoding="utf-8")
    result = run(
        "--config",
        str(config),
        "report",
        "--since",
        SINCE_24H,
        "--outlet",
        "GAMMA.example",
        "--format",
        "json",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["outlet_filter"] == GAMMA


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday"], "not a duration or date: 'yesterday'"),
        (["--since", "0h"], "duration must be positive"),
        (["--format", "pdf"], "'pdf' is not one of"),
    ],
)
def test_cli_usage_errors_exit_2(known_db: Path, args: list[str], message: str) -> None:
    result = CliRunner().invoke(cli, ["report", "--db", str(known_db), *args])
    assert result.exit_code == 2
    assert message in result.output


def tables(path: Path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return [r[0] for r in connection.execute("SELECT name FROM sqlite_master ORDER BY name")]
    finally:
        connection.close()


def test_cli_db_must_be_an_ingestd_database_and_is_not_migrated(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    connection = sqlite3.connect(other)
    connection.execute("CREATE TABLE notes (body TEXT)")
    connection.commit()
    connection.close()
    result = CliRunner().invoke(cli, ["report", "--db", str(other)])
    assert isinstance(result.exception, StoreError)
    assert "schema version 0, expected" in str(result.exception)
    assert tables(other) == ["notes"]


def test_cli_without_a_store_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["report"])
    assert result.exit_code == 2 and "needs --config" in result.output


def _ingestd(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ingestd", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_missing_db_and_unknown_outlet_exit_1_with_one_line(known_db: Path, tmp_path: Path) -> None:
    # The README's rule: a missing database or an unknown outlet exits 1, one line.
    missing = _ingestd("report", "--db", str(tmp_path / "none.db"))
    assert missing.returncode == 1
    assert missing.stderr.splitlines() == [
        f"ingestd: no ingestd database at {tmp_path / 'none.db'}"
    ]
    assert not (tmp_path / "none.db").exists()
    unknown = _ingestd("report", "--db", str(known_db), "--outlet", "Nowhere")
    assert unknown.returncode == 1
    [line] = unknown.stderr.splitlines()
    assert line.startswith("ingestd: unknown outlet 'Nowhere' (known outlets: Alpha, Beta, Delta")


# -- the text format shows the same figures ---------------------------------


def section(text: str, title: str) -> list[str]:
    lines = text.splitlines()
    start = lines.index(title) + 1
    end = next((i for i in range(start, len(lines)) if lines[i] == ""), len(lines))
    return lines[start:end]


def table_rows(lines: list[str]) -> list[list[str]]:
    """Split an aligned table on the dashes line's column starts."""
    dashes = lines[1]
    starts = [m.start() for m in re.finditer(r"-+", dashes)]
    rows = []
    for line in lines[2:]:
        cells = []
        for i, start in enumerate(starts):
            end = starts[i + 1] if i + 1 < len(starts) else None
            cells.append(line[start:end].strip())
        rows.append(cells)
    return rows


def approx(share: float) -> Any:
    """A share as the text shows it: a percentage with one decimal."""
    return pytest.approx(share, abs=5e-4)


def test_text_shows_the_same_figures(known_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.txt"
    assert run("report", "--db", str(known_db), "--since", SINCE_24H, "-o", str(out)).exit_code == 0
    text = out.read_text("utf-8")
    assert "\x1b" not in text  # a file gets no colour, and the hostile escapes are gone
    doc = EXPECTED_24H
    totals = dict(table_rows(section(text, "Totals")))
    t = doc["totals"]
    assert totals == {
        "articles": str(t["articles"]),
        "stories": str(t["stories"]),
        "syndicated stories": str(t["syndicated_stories"]),
        "originals": str(t["originals"]),
        "copies": str(t["copies"]),
        "share of articles that are copies": "62.5%",
        "exact copies": str(t["exact_copies"]),
        "partial copies": str(t["partial_copies"]),
        "unsourced copies": str(t["unsourced_copies"]),
    }
    outlets = table_rows(section(text, "Outlets"))
    assert [
        [r[0], int(r[1]), int(r[2]), int(r[3]), float(r[4].rstrip("%")) / 100] for r in outlets
    ] == [
        [o["name"], o["articles"], o["originals"], o["copies"], approx(o["copy_share"])]
        for o in doc["outlets"]
    ]
    assert outlets[1][5] == "AFP (1), Alpha (1), Wire (1)"
    matrix = table_rows(section(text, "Who copies whom (row copied from column)"))
    assert [[0 if c == "." else int(c) for c in row[1:]] for row in matrix] == doc["matrix"][
        "counts"
    ]
    graph = text.split("Copy graph (source -> copier):\n")[1].split("\n\n")[0].splitlines()
    assert graph == [
        "  AFP -> Beta: 1",
        "  Alpha -> Beta: 1",
        f"  Alpha -> {GAMMA}: 1",
        "  Wire -> Alpha: 1 (1 exact)",
        "  Wire -> Beta: 1 (1 exact)",
    ]
    story_heads = re.findall(r"^\d+\. .*\[story (\d+)\]$", text, flags=re.M)
    assert [int(s) for s in story_heads] == [s["story_id"] for s in doc["stories"]]
    assert "<script>alert('x')</script> Wire & \"quotes\"  [31mred  [story 1]" in text
    first = section(text, "1. <script>alert('x')</script> Wire & \"quotes\"  [31mred  [story 1]")
    chain = table_rows([line[3:] for line in first[2:]])
    assert [(r[0], r[1], r[2], r[4], r[5]) for r in chain] == [
        ("origin", "Wire", "", "", "+0s"),
        ("exact copy", "Alpha", "Wire", "100.0%", "+1h00m"),
        ("partial copy", "Beta", "Alpha", "75.0%", "+2h30m"),
    ]
    assert "+2d22h" in text  # Wire four -> Beta four
    assert "failing feeds: 1" in text
    assert "HTTP 503 <b>down</b>  [2J" in text
    assert "feeds that never produced an article: 2" in text
    near = table_rows(section(text, "Matching decisions near a threshold")[1:])
    assert [(r[0], r[1], r[2], r[7]) for r in near] == [
        ("#4 Alpha", f"#5 {GAMMA}", "near_duplicate", "jaccard +0.02"),
        (f"#5 {GAMMA}", "#9 Alpha", "low_overlap", "containment -0.02"),
        ("#1 Wire", "#3 Beta", "contained", "containment +0.025"),
        ("#6 Beta", "#9 Alpha", "too_little_shared", "shared -3"),
    ]


def test_text_colour_only_when_asked(known_db: Path) -> None:
    report = make_report(known_db)
    coloured = render_text(report, colour=True)
    assert "\x1b[1m" in coloured and "\x1b[31m" in coloured  # bold heads, red failing feeds
    plain = render_text(report)
    assert "\x1b" not in plain
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain


# -- the HTML format shows the same figures, escaped -------------------------


class Collector(HTMLParser):
    """Collects data-figure texts, table rows per section, graph elements and links."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.figures: dict[str, str] = {}
        self.rows: dict[str, list[list[str]]] = {}
        self.nodes: list[str] = []
        self.edges: list[tuple[str, str, int]] = []
        self.hrefs: list[str] = []
        self.tags: set[str] = set()
        self._figure: str | None = None
        self._section = ""
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.add(tag)
        if tag == "section":
            self._section = a.get("id") or ""
        if "data-figure" in a:
            self._figure = a["data-figure"]
            self.figures[self._figure or ""] = ""
        if tag == "g" and a.get("class") == "graph-node":
            self.nodes.append(a["data-outlet"] or "")
        if tag == "g" and a.get("class") == "graph-edge":
            self.edges.append(
                (a["data-source"] or "", a["data-copier"] or "", int(a["data-count"] or 0))
            )
        if tag == "a":
            self.hrefs.append(a.get("href") or "")
        if tag == "tr":
            self._row = []
        if tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("dd", "span"):
            self._figure = None
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        if tag == "tr" and self._row is not None:
            self.rows.setdefault(self._section, []).append(self._row)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._figure:
            self.figures[self._figure] += data
        if self._cell is not None:
            self._cell.append(data)


def test_html_shows_the_same_figures_and_escapes_the_store(known_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    result = run(
        "report", "--db", str(known_db), "--since", SINCE_24H, "--format", "html", "-o", str(out)
    )
    assert result.exit_code == 0, result.output
    html = out.read_text("utf-8")
    page = Collector()
    page.feed(html)
    doc = EXPECTED_24H
    t = doc["totals"]
    assert page.figures == {
        "totals.articles": str(t["articles"]),
        "totals.stories": str(t["stories"]),
        "totals.syndicated_stories": str(t["syndicated_stories"]),
        "totals.originals": str(t["originals"]),
        "totals.copies": str(t["copies"]),
        "totals.copy_share": "62.5%",
        "totals.exact_copies": str(t["exact_copies"]),
        "totals.partial_copies": str(t["partial_copies"]),
        "totals.unsourced_copies": str(t["unsourced_copies"]),
        "failing_feeds": "1",
        "silent_feeds": "2",
    }
    outlets = page.rows["outlets"][1:]
    assert [[r[0], int(r[1]), int(r[2]), int(r[3]), r[4]] for r in outlets] == [
        [o["name"], o["articles"], o["originals"], o["copies"], f"{o['copy_share'] * 100:.1f}%"]
        for o in doc["outlets"]
    ]
    matrix = page.rows["matrix"][1:]
    assert [[0 if c == "." else int(c) for c in row[1:]] for row in matrix] == doc["matrix"][
        "counts"
    ]
    assert page.nodes == doc["matrix"]["outlets"]
    assert page.edges == [(e["source"], e["copier"], e["count"]) for e in doc["copy_edges"]]
    stories = page.rows["stories"]
    assert [r[5] for r in stories if r[0] != "role"] == [
        "+0s",
        "+1h00m",
        "+2h30m",
        "+0s",
        "+2d22h",
        "+0s",
        "+3h00m",
        "-",
    ]
    near = page.rows["near"][1:]
    assert [(r[0], r[1], r[2], r[3], r[6]) for r in near] == [
        ("#4 Alpha", f"#5 {GAMMA}", "near_duplicate", "yes", "150"),
        (f"#5 {GAMMA}", "#9 Alpha", "low_overlap", "no", "96"),
        ("#1 Wire", "#3 Beta", "contained", "yes", "84"),
        ("#6 Beta", "#9 Alpha", "too_little_shared", "no", "17"),
    ]
    failing = page.rows["feeds"][1]
    assert failing[:5] == [
        "Beta",
        "https://beta.example/broken",
        "2",
        "http_status",
        "HTTP 503 <b>down</b>  [2J",
    ]
    assert "\x1b" not in html

    # Hostile input stays text: no script element, no markup from the store,
    # no javascript: link, nothing to fetch.
    assert "script" not in page.tags and "b" not in page.tags
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Wire &amp; &#34;quotes&#34;" in html
    assert all(h == "#" or h.startswith("https://") for h in page.hrefs)
    assert "#" in page.hrefs  # alpha5's javascript: URL
    assert ALPHA5_URL not in html.replace("&#34;", '"')
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html.replace('href="https://', ""))
    assert "@import" not in html and "url(http" not in html
