"""``ingestd serve``'s JSON API over the demo store: every endpoint against its schema, and
the figures against the store."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from ingestd.serve.app import API_SCHEMAS, api_schema


def get(base: str, path: str) -> Any:
    response = httpx.get(base + path, timeout=10)
    assert response.status_code == 200, (path, response.text)
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def valid(name: str, document: Any) -> None:
    validator = jsonschema.Draft202012Validator(
        api_schema(name), format_checker=jsonschema.FormatChecker()
    )
    validator.validate(document)


def test_every_schema_is_a_valid_schema() -> None:
    for name in API_SCHEMAS:
        jsonschema.Draft202012Validator.check_schema(api_schema(name))


@pytest.mark.slow
def test_every_endpoint_matches_its_schema(demo_url: str, demo_db: Path) -> None:
    with sqlite3.connect(demo_db) as db:
        pairs = db.execute(
            "SELECT article_id, derived_from FROM story_members WHERE derived_from IS NOT NULL"
        ).fetchall()
        outlet_ids = [r[0] for r in db.execute("SELECT outlet_id FROM outlets")]
        story_ids = [r[0] for r in db.execute("SELECT story_id FROM stories")]
    documents = {
        "stories": [
            "/api/v1/stories",
            "/api/v1/stories?copies=1",
            "/api/v1/stories?q=otan",
            "/api/v1/stories?limit=2",
            "/api/v1/stories?min_members=3&outlet=AFP&since=2000-01-01",
        ],
        "story": [f"/api/v1/stories/{i}" for i in story_ids],
        "compare": [f"/api/v1/compare?copy={a}&source={b}" for a, b in pairs],
        "outlets": ["/api/v1/outlets"],
        "outlet": [f"/api/v1/outlets/{i}" for i in outlet_ids],
        "feeds": ["/api/v1/feeds", "/api/v1/feeds?limit=2&offset=2"],
        "review": ["/api/v1/review"],
    }
    assert set(documents) == set(API_SCHEMAS)
    for name, paths in documents.items():
        assert paths, name
        for path in paths:
            valid(name, get(demo_url, path))


@pytest.mark.slow
def test_story_list_pages_and_filters_agree_with_the_views(demo_url: str, demo_db: Path) -> None:
    with sqlite3.connect(demo_db) as db:
        expected = [
            r[0]
            for r in db.execute(
                "SELECT story_id FROM stories ORDER BY last_seen_at DESC, story_id DESC"
            )
        ]
        with_copies = [
            r[0]
            for r in db.execute(
                "SELECT story_id FROM stories WHERE copy_count > 0"
                " ORDER BY last_seen_at DESC, story_id DESC"
            )
        ]
    seen: list[int] = []
    path = "/api/v1/stories?limit=3"
    while path:
        page = get(demo_url, path)
        assert len(page["stories"]) <= 3
        seen.extend(s["story_id"] for s in page["stories"])
        path = f"/api/v1/stories?limit=3&after={page['next']}" if page["next"] else ""
    assert seen == expected
    copies = get(demo_url, "/api/v1/stories?copies=1")["stories"]
    assert [s["story_id"] for s in copies] == with_copies
    assert all(s["copy_count"] > 0 for s in copies)
    big = get(demo_url, "/api/v1/stories?min_members=3")["stories"]
    assert [s["origin_outlet"] for s in big] == ["AFP"]
    by_outlet = get(demo_url, "/api/v1/stories?outlet=lemonde.fr")
    assert by_outlet["filters"]["outlet"] == "Le Monde"
    assert {s["origin_outlet"] for s in by_outlet["stories"]} == {"Le Monde"}
    french = get(demo_url, "/api/v1/stories?language=fr")["stories"]
    english = get(demo_url, "/api/v1/stories?language=en")["stories"]
    assert french and english
    assert not {s["story_id"] for s in french} & {s["story_id"] for s in english}


@pytest.mark.slow
def test_title_search_folds_case_and_accents_and_ignores_syntax(demo_url: str) -> None:
    found = get(demo_url, "/api/v1/stories?q=DESACCORDS%20otan")
    assert [s["origin_outlet"] for s in found["stories"]] == ["Le Monde"]
    assert found["filters"]["search_terms"] == ["DESACCORDS", "otan"]
    # FTS5 operators typed by a visitor are words, not syntax (no error, no match-all).
    for hostile in ['otan" OR "', "NEAR(otan", "otan*", "title:otan", "-otan", "'; drop"]:
        response = httpx.get(demo_url + "/api/v1/stories", params={"q": hostile}, timeout=10)
        assert response.status_code == 200, (hostile, response.text)
        assert len(response.json()["stories"]) <= 1
    assert get(demo_url, "/api/v1/stories?q=zzzznotaword")["stories"] == []


@pytest.mark.slow
def test_story_members_carry_evidence_in_words_and_comparisons(demo_url: str) -> None:
    stories = get(demo_url, "/api/v1/stories?q=otan")["stories"]
    story = get(demo_url, f"/api/v1/stories/{stories[0]['story_id']}")
    origin, copy = story["members"]
    assert origin["is_origin"] and origin["outlet"] == "Le Monde"
    assert "credit line names it" in origin["why"] and "lemonde.fr" in origin["why"]
    assert copy["outlet"] == "Meguetan Infos"
    assert copy["why"].startswith("copied from Le Monde, linked by its credit")
    assert copy["compare"] == [
        f"/api/v1/compare?copy={copy['article_id']}&source={origin['article_id']}"
    ]
    view = get(demo_url, copy["compare"][0])
    assert view["verdict"]["linked"] is True
    evidence = story["chain"]["copies"][0]["evidence"]
    assert view["verdict"]["copy_share"] == pytest.approx(evidence["containment"], abs=1e-4)
    assert view["verdict"]["jaccard"] == pytest.approx(evidence["jaccard"], abs=1e-4)
    assert view["stored_comparison"]["linked"] is True
    assert [c["phrase"] for c in view["copy_credits"]] == ["lemonde.fr"]
    credit_rows = [r for r in view["rows"] if r["copy"] and r["copy"]["kind"] == "credit"]
    assert [r["copy"]["spans"][0]["text"] for r in credit_rows] == ["lemonde.fr"]


@pytest.mark.slow
def test_comparison_marks_cut_paragraphs_and_agrees_with_stored_evidence(
    demo_url: str, demo_db: Path
) -> None:
    with sqlite3.connect(demo_db) as db:
        rows = db.execute(
            "SELECT article_id, derived_from, evidence FROM story_members"
            " WHERE derived_from IS NOT NULL"
        ).fetchall()
    import json

    cut_seen = False
    for copy_id, source_id, evidence_text in rows:
        evidence = json.loads(evidence_text)
        view = get(demo_url, f"/api/v1/compare?copy={copy_id}&source={source_id}")
        verdict = view["verdict"]
        assert verdict["linked"], (copy_id, source_id)
        assert verdict["jaccard"] == pytest.approx(evidence["jaccard"], abs=1e-4)
        # The stored "containment" of a member is the share of ITS text found in its source.
        assert verdict["copy_share"] == pytest.approx(evidence["containment"], abs=1e-4)
        counts = view["paragraph_counts"]
        shared_words = sum(
            1
            for row in view["rows"]
            if row["copy"]
            for span in row["copy"]["spans"]
            if span["shared"] is True
        )
        assert shared_words > 0
        if verdict["jaccard"] < 0.6:
            # A cut-down copy: the source's paragraphs the copy dropped are marked cut.
            assert counts.get("source.cut", 0) > 0
            assert counts.get("copy.added", 0) == 0
            cut_seen = True
    assert cut_seen


@pytest.mark.slow
def test_outlet_and_feed_endpoints_agree_with_the_views(demo_url: str, demo_db: Path) -> None:
    with sqlite3.connect(demo_db) as db:
        (newspulse,) = db.execute(
            "SELECT outlet_id FROM outlets WHERE name = 'NewsPulse Daily'"
        ).fetchone()
        (ledger,) = db.execute(
            "SELECT outlet_id FROM outlets WHERE name = 'The Northern Ledger'"
        ).fetchone()
        feeds = db.execute("SELECT count(*) FROM feeds WHERE active = 1").fetchone()[0]
    pulse = get(demo_url, f"/api/v1/outlets/{newspulse}")
    assert pulse["copies_from"] == [{"outlet": "The Northern Ledger", "count": 3}]
    assert sum(b["copies"] for b in pulse["copy_share"]) == 3
    assert sum(b["articles"] for b in pulse["copy_share"]) == pulse["articles_described"] == 4
    north = get(demo_url, f"/api/v1/outlets/{ledger}")
    assert north["copied_by"] == [{"outlet": "NewsPulse Daily", "count": 3}]
    assert len(north["recently_copied"]) == 3
    listed = get(demo_url, "/api/v1/feeds?limit=200")
    assert len(listed["feeds"]) == feeds and listed["more"] is False
    assert sum(f["article_count"] for f in listed["feeds"]) == 20


@pytest.mark.slow
def test_bad_parameters_are_400_and_unknown_things_404(demo_url: str) -> None:
    for path in (
        "/api/v1/stories?limit=0",
        "/api/v1/stories?limit=100000",
        "/api/v1/stories?since=yesterdayish",
        "/api/v1/stories?after=nonsense~x",
        "/api/v1/stories?outlet=nobody",
        "/api/v1/stories?min_members=-1",
        "/api/v1/stories?q=" + "x" * 201,
        "/api/v1/compare?copy=1",
        "/api/v1/feeds?offset=999999999",
    ):
        response = httpx.get(demo_url + path, timeout=10)
        assert response.status_code == 400, path
        assert "error" in response.json()
    for path in ("/api/v1/stories/999999", "/api/v1/outlets/999", "/api/v1/nothing"):
        response = httpx.get(demo_url + path, timeout=10)
        assert response.status_code == 404, path
        assert "error" in response.json()
    assert httpx.get(demo_url + "/stories/abc", timeout=10).status_code == 404
