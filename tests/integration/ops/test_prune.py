"""``ingestd prune``: old bodies and signatures go, stories and chains stay, matching goes on."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ingestd.app import open_store
from ingestd.demo.sample import routes
from ingestd.ops.retention import apply_prune, plan_prune
from tests.integration.ops.site import Site, write_config
from tests.integration.seedsite import rss

OLD = "2020-01-01T00:00:00+00:00"
MIL_PAGE = (
    "/lemonde/planete/article/2022/01/12/au-sahel-un-mil-qui-resiste-a-la-secheresse-ouvre-"
    "une-piste-face-au-dereglement-climatique_6109102_3244.html"
)


def age_outlet(site: Site, outlet: str) -> None:
    """Pretend an outlet's articles (and their versions) date from 2020."""
    site.sql(
        "UPDATE store_articles SET first_seen_at = ?, updated_at = ? WHERE outlet_id ="
        " (SELECT id FROM store_outlets WHERE name = ?)",
        (OLD, OLD, outlet),
    )
    site.sql(
        "UPDATE store_article_versions SET seen_at = ? WHERE article_id IN (SELECT a.id FROM"
        " store_articles a JOIN store_outlets o ON o.id = a.outlet_id WHERE o.name = ?)",
        (OLD, outlet),
    )


def sizes(site: Site, outlet: str) -> tuple[int, int, int]:
    [row] = site.sql(
        "SELECT count(*) AS n, sum(length(CAST(a.text AS BLOB))) AS text,"
        " sum(length(a.signature)) AS sig FROM store_articles a"
        " JOIN store_outlets o ON o.id = a.outlet_id WHERE o.name = ?",
        (outlet,),
    )
    return int(row["n"]), int(row["text"]), int(row["sig"])


def test_dry_run_counts_what_would_go_and_changes_nothing(site: Site) -> None:
    age_outlet(site, "Le Monde")
    count, text_bytes, signature_bytes = sizes(site, "Le Monde")
    assert count == 3 and text_bytes > 5000 and signature_bytes > 0
    result = site.run("prune", "--older-than", "90d")
    assert result.code == 0, result.err
    assert "dry run (pass --apply to prune):" in result.out
    assert f"articles: 3 (text {text_bytes / 1024:.1f} KiB ({text_bytes} bytes)" in result.out
    assert f"({signature_bytes} bytes)" in result.out
    assert "article versions: 3" in result.out
    assert sizes(site, "Le Monde") == (count, text_bytes, signature_bytes)


def test_apply_drops_bodies_but_keeps_stories_and_chains(site: Site) -> None:
    age_outlet(site, "Le Monde")
    stories_before = [tuple(r) for r in site.sql("SELECT * FROM stories ORDER BY story_id")]
    members_before = site.sql(
        "SELECT story_id, article_id, member_role, similarity, derived_from, evidence"
        " FROM story_members ORDER BY article_id"
    )
    lemonde_story = site.sql(
        "SELECT story_id FROM stories WHERE origin_outlet = 'Le Monde' AND member_count = 2"
    )[0]["story_id"]
    shown_before = site.run("stories", "show", str(lemonde_story)).out

    result = site.run("prune", "--older-than", "90d", "--apply")
    assert result.code == 0, result.err
    assert "pruned 3 articles and 3 article versions" in result.out
    assert "pruning articles: 3/3 done" in result.err

    pruned = site.sql(
        "SELECT a.text, a.signature, a.title, a.url, a.word_count FROM store_articles a"
        " JOIN store_outlets o ON o.id = a.outlet_id WHERE o.name = 'Le Monde'"
    )
    assert len(pruned) == 3
    assert all(r["text"] is None and r["signature"] is None for r in pruned)
    assert all(r["title"] and r["url"] and r["word_count"] > 0 for r in pruned)
    others = site.sql("SELECT count(*) AS n FROM store_articles WHERE text IS NULL")[0]["n"]
    assert others == 3  # nobody else lost a body
    versions = site.sql("SELECT count(*) AS n FROM store_article_versions WHERE text IS NULL")
    assert versions[0]["n"] == 3

    assert [tuple(r) for r in site.sql("SELECT * FROM stories ORDER BY story_id")] == stories_before
    members_after = site.sql(
        "SELECT story_id, article_id, member_role, similarity, derived_from, evidence"
        " FROM story_members ORDER BY article_id"
    )
    assert [tuple(r) for r in members_after] == [tuple(r) for r in members_before]
    assert site.run("stories", "show", str(lemonde_story)).out == shown_before
    assert "articles: 0 " in site.run("prune", "--older-than", "90d").out


def test_prune_inside_the_dedup_window_needs_force(site: Site) -> None:
    refused = site.run("prune", "--older-than", "7d", "--apply")
    assert refused.code == 1 and "inside the 14-day dedup window" in refused.err
    forced = site.run("prune", "--older-than", "7d", "--force")
    assert forced.code == 0 and "dry run" in forced.out


def test_prune_rejects_bad_ages_and_missing_stores(site: Site, tmp_path: Path) -> None:
    for value in ("90", "ninety days", "0d"):
        result = site.run("prune", "--older-than", value)
        assert result.code == 2 and "--older-than" in result.err, value
    config = write_config(tmp_path / "none.toml", tmp_path / "absent.db", [])
    missing = site.run("prune", "--older-than", "90d", config=config)
    assert missing.code == 1 and "no ingestd database at" in missing.err


def serve_copycat(site: Site, name: str) -> dict[str, object]:
    """A new outlet whose one article is Le Monde's mil article, byte for byte."""
    [(content_type, body)] = [v for k, v in routes(site.base).items() if k == MIL_PAGE]
    site.server.route(f"/{name}/mil.html", body, content_type=content_type)
    site.server.route(
        f"/{name}/feed.xml",
        rss(site.base, name, [("Mil", f"/{name}/mil.html", "Fri, 14 Jan 2022 08:00:00 GMT")]),
        content_type="application/rss+xml",
    )
    return {
        "name": name,
        "domain": f"{name}.example",
        "feeds": [site.server.url(f"/{name}/feed.xml")],
    }


def copy_story(site: Site, name: str) -> tuple[int, int]:
    [row] = site.sql("SELECT story_id FROM articles WHERE outlet = ?", (name,))
    [origin] = site.sql("SELECT story_id FROM articles WHERE url = ?", (site.server.url(MIL_PAGE),))
    return int(row["story_id"]), int(origin["story_id"])


def test_control_an_unpruned_copy_joins_the_original_story(site: Site) -> None:
    harness = site.harness()
    harness.outlets.append(serve_copycat(site, "copycat"))
    stats = harness.poll()
    assert stats.articles_stored == 1 and stats.copies_linked == 1
    story, original = copy_story(site, "copycat")
    assert story == original


def test_matching_copes_with_pruned_articles(site: Site) -> None:
    age_outlet(site, "Le Monde")
    assert site.run("prune", "--older-than", "90d", "--apply").code == 0
    harness = site.harness()
    harness.outlets.append(serve_copycat(site, "copycat2"))
    stats = harness.poll()  # the twin by content hash has no text left: skipped, no crash
    assert stats.articles_stored == 1 and stats.pages_failed == 0
    story, original = copy_story(site, "copycat2")
    assert story != original  # nothing left to verify against: a story of its own
    assert site.run("stories", "show", str(original)).code == 0
    assert site.run("stories", "show", str(story)).code == 0


def test_apply_works_in_small_batches(site: Site) -> None:
    age_outlet(site, "Le Monde")
    age_outlet(site, "AFP")
    store = open_store(site.harness().settings(), create=False)
    try:
        cutoff = datetime(2021, 1, 1, tzinfo=UTC)
        plan = plan_prune(store, cutoff)
        assert plan.articles == 5 and plan.versions == 5
        batches: list[int] = []
        assert apply_prune(store, cutoff, batch=2, progress=batches.append) == (5, 5)
        assert batches == [2, 2, 1]
        assert plan_prune(store, cutoff).total_bytes == 0
    finally:
        store.close()
    assert site.sql("SELECT count(*) AS n FROM store_articles WHERE text IS NULL")[0]["n"] == 5
