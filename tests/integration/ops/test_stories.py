"""``ingestd stories`` and ``ingestd export`` against a store really ingested from local sites."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from ingestd.cli import cli
from ingestd.errors import StoreError
from tests.integration.ops.site import Site, write_config


def age_story(site: Site, story_id: int, when: str) -> None:
    """Pretend a story's members were first seen (and last changed) at ``when``."""
    site.sql(
        "UPDATE store_articles SET first_seen_at = ?, updated_at = ? WHERE story_id = ?",
        (when, when, story_id),
    )


def afp_story(site: Site) -> int:
    [row] = site.sql(
        "SELECT story_id FROM stories WHERE origin_outlet = 'AFP' AND member_count = 3"
    )
    return int(row["story_id"])


# -- list --------------------------------------------------------------------


def test_list_shows_the_stories_of_the_store(site: Site) -> None:
    result = site.run("stories", "list", "--limit", "100", "--format", "json")
    assert result.code == 0, result.err
    listed = result.json()
    expected = site.sql("SELECT story_id, title, member_count, origin_outlet FROM stories")
    assert {s["story_id"] for s in listed} == {r["story_id"] for r in expected}
    by_id = {r["story_id"]: r for r in expected}
    for story in listed:
        assert story["title"] == by_id[story["story_id"]]["title"]
        assert story["member_count"] == by_id[story["story_id"]]["member_count"]
    seen = [s["last_seen_at"] for s in listed]
    assert seen == sorted(seen, reverse=True)

    text = site.run("stories", "list", "--limit", "3")
    header, *rows = text.out.splitlines()
    assert header.split() == ["ID", "LAST", "SEEN", "MEMBERS", "OUTLETS", "ORIGIN", "TITLE"]
    assert len(rows) == 3


def test_list_filters_by_outlet_name_or_domain(site: Site) -> None:
    by_name = site.run("stories", "list", "--outlet", "NewsPulse Daily", "--format", "json").json()
    by_domain = site.run("stories", "list", "--outlet", "newspulse.example", "--format", "json")
    expected = {
        r["story_id"]
        for r in site.sql("SELECT story_id FROM articles WHERE outlet = 'NewsPulse Daily'")
    }
    assert {s["story_id"] for s in by_name} == expected == {s["story_id"] for s in by_domain.json()}
    assert len(expected) == 4
    unknown = site.run("stories", "list", "--outlet", "Nobody")
    assert unknown.code == 1 and "unknown outlet 'Nobody'" in unknown.err and "AFP" in unknown.err


def test_list_since_keeps_recent_stories(site: Site) -> None:
    old = afp_story(site)
    age_story(site, old, "2020-01-01T00:00:00+00:00")
    recent = site.run("stories", "list", "--since", "24h", "--limit", "100", "--format", "json")
    ids = {s["story_id"] for s in recent.json()}
    assert old not in ids and len(ids) == len(site.sql("SELECT story_id FROM stories")) - 1
    dated = site.run(
        "stories", "list", "--since", "2019-12-31", "--limit", "100", "--format", "json"
    )
    assert old in {s["story_id"] for s in dated.json()}
    limited = site.run("stories", "list", "--limit", "2", "--format", "json").json()
    assert len(limited) == 2


def test_list_rejects_a_bad_duration(site: Site) -> None:
    for value in ("yesterday", "-3d", "7y"):
        result = site.run("stories", "list", "--since", value)
        assert result.code == 2, value
        assert "--since" in result.err and "24h" in result.err


# -- show ----------------------------------------------------------------------


def test_show_draws_the_chain_with_evidence(site: Site) -> None:
    story_id = afp_story(site)
    result = site.run("stories", "show", str(story_id))
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith(f"Story {story_id}: Le coton au plus haut")
    assert "  origin     AFP (afp.com), by attribution" in lines
    assert "             evidence: source line “Source : AFP” → AFP (afp.com)" in lines
    chain = lines[lines.index("Source chain:") + 1 :]
    assert chain[0] == "AFP — origin"
    members = site.sql(
        "SELECT outlet, url, similarity FROM story_members WHERE story_id = ? AND"
        " member_role = 'copy' ORDER BY first_seen_at",
        (story_id,),
    )
    assert len(members) == 2
    for member in members:
        head = f"{member['outlet']} — copy, {member['similarity']:.0%} of its text in its source"
        assert any(line.endswith(head) and line[:4] in ("├── ", "└── ") for line in chain)
        assert any(line.endswith("    " + member["url"]) for line in chain)
    assert any("“with” credit “avec AFP” → AFP (afp.com)" in x for x in chain)
    assert "\x1b[" not in result.out  # no colour when not a terminal


def test_show_prints_hostile_store_text_without_its_control_characters(site: Site) -> None:
    story_id = afp_story(site)
    hostile = "Coton\x1b[2J\x1b]0;owned\x07 record\nfin"
    [row] = site.sql("SELECT origin_evidence FROM store_stories WHERE id = ?", (story_id,))
    evidence = json.loads(row["origin_evidence"])
    evidence[0]["phrase"] = f"Source : {hostile}"
    site.sql(
        "UPDATE store_stories SET title = ?, origin_evidence = ? WHERE id = ?",
        (hostile, json.dumps(evidence), story_id),
    )
    result = site.run("stories", "show", str(story_id))
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]", result.out)
    cleaned = "Coton [2J ]0;owned  record fin"
    assert lines[0] == f"Story {story_id}: {cleaned}"
    # The phrase is there, cleaned, in the evidence line (whatever words frame it).
    assert any(
        line.startswith("             evidence: ")
        and f"Source : {cleaned}" in line
        and line.endswith("→ AFP (afp.com)")
        for line in lines
    )


def test_show_json_nests_copies_under_their_source(site: Site) -> None:
    story_id = afp_story(site)
    data = site.run("stories", "show", str(story_id), "--format", "json").json()
    assert data["origin_outlet"] == "AFP" and data["member_count"] == 3
    root = data["chain"]
    assert root["outlet"] == "AFP" and root["role"] == "origin"
    assert {c["outlet"] for c in root["copies"]} == {"Meguetan Infos", "La Dépêche du Sahel"}
    for copy in root["copies"]:
        assert copy["derived_from"] == root["article_id"]
        assert copy["evidence"]["via"] == "credit"


def test_show_unknown_id_is_a_clear_error(site: Site) -> None:
    result = site.run("stories", "show", "999999")
    assert result.code == 1
    assert "no story with id 999999" in result.err
    assert site.run("stories", "show", "abc").code == 2


def test_stories_need_an_existing_store(site: Site, tmp_path: Path) -> None:
    config = write_config(tmp_path / "none.toml", tmp_path / "absent.db", [])
    for args in (("stories", "list"), ("stories", "show", "1"), ("export",)):
        result = site.run(*args, config=config)
        assert result.code == 1, args
        assert "no ingestd database at" in result.err


# -- export --------------------------------------------------------------------


def test_export_csv_has_one_row_per_member(site: Site) -> None:
    result = site.run("export", "--format", "csv")
    assert result.code == 0, result.err
    rows = list(csv.DictReader(io.StringIO(result.out)))
    members = site.sql("SELECT story_id, article_id, outlet, url, member_role FROM story_members")
    assert len(rows) == len(members)
    assert {(int(r["article_id"]), r["url"], r["role"]) for r in rows} == {
        (m["article_id"], m["url"], m["member_role"]) for m in members
    }
    afp = [r for r in rows if r["story_id"] == str(afp_story(site))]
    assert len(afp) == 3 and {r["origin_outlet"] for r in afp} == {"AFP"}
    assert afp[0]["role"] == "origin" and afp[0]["member_count"] == "3"
    origin_url = afp[0]["url"]
    assert all(r["origin_url"] == origin_url for r in afp)
    assert {r["derived_from"] for r in afp[1:]} == {origin_url}
    assert json.loads(afp[1]["evidence"])["via"] == "credit"


def test_export_jsonl_matches_the_views_and_since_filters(site: Site, tmp_path: Path) -> None:
    everything = [json.loads(line) for line in site.run("export").out.splitlines()]
    assert len(everything) == len(site.sql("SELECT story_id FROM stories"))
    old = afp_story(site)
    age_story(site, old, "2020-01-01T00:00:00+00:00")
    recent = [json.loads(line) for line in site.run("export", "--since", "7d").out.splitlines()]
    assert {s["story_id"] for s in recent} == {s["story_id"] for s in everything} - {old}

    target = tmp_path / "stories.csv"
    result = site.run("export", "--format", "csv", "--since", "2019-06-01", "-o", str(target))
    assert result.code == 0, result.err
    assert f"wrote {len(everything)} stories to {target}" in result.err
    assert f"exporting to {target}: {len(everything)}/{len(everything)} done" in result.err
    with target.open(encoding="utf-8", newline="") as handle:
        assert len(list(csv.DictReader(handle))) == sum(len(s["members"]) for s in everything)
    bad = site.run("export", "--since", "soon")
    assert bad.code == 2 and "--since" in bad.err


def test_the_real_command_line_in_a_subprocess(site: Site, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "ingestd", "--config"]
    ok = subprocess.run(
        [*command, str(site.config), "stories", "show", str(afp_story(site))],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert "AFP — origin" in ok.stdout and "\x1b[" not in ok.stdout
    config = write_config(tmp_path / "none.toml", tmp_path / "absent.db", [])
    missing = subprocess.run(
        [*command, str(config), "stories", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"ingestd: no ingestd database at {tmp_path / 'absent.db'}"


def test_list_and_show_read_a_db_file_like_report(site: Site, tmp_path: Path) -> None:
    story_id = afp_story(site)
    db = site.db  # the site's SQLite file, named directly instead of by --config
    listed = CliRunner().invoke(cli, ["stories", "list", "--db", str(db), "--format", "json"])
    assert listed.exit_code == 0, listed.output
    assert story_id in {s["story_id"] for s in json.loads(listed.output)}
    shown = CliRunner().invoke(cli, ["stories", "show", str(story_id), "--db", str(db)])
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith(f"Story {story_id}: ")
    missing = CliRunner().invoke(cli, ["stories", "list", "--db", str(tmp_path / "none.db")])
    assert isinstance(missing.exception, StoreError)
    assert not (tmp_path / "none.db").exists()
