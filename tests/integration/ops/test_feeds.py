"""``ingestd feeds …`` against a store really ingested from local sites."""

from __future__ import annotations

import socket
from pathlib import Path

from ingestd.demo.sample import routes
from tests.integration.ops.site import Site, run_sql, write_config
from tests.integration.seedsite import rss
from tests.support.httpserver import LocalServer


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/feed.xml"


# -- list ------------------------------------------------------------------


def test_list_shows_every_feed_with_its_real_health(site: Site) -> None:
    result = site.run("feeds", "list", "--format", "json")
    assert result.code == 0, result.err
    feeds = {feed["url"]: feed for feed in result.json()}
    configured = {url for outlet in site.outlets for url in outlet["feeds"]}
    assert set(feeds) == configured
    expected = {
        row["url"]: row["n"]
        for row in site.sql(
            "SELECT f.url, count(e.article_id) AS n FROM store_feeds f"
            " LEFT JOIN store_entries e ON e.feed_id = f.id GROUP BY f.url"
        )
    }
    for url, feed in feeds.items():
        assert feed["article_count"] == expected[url]
        assert feed["active"] is True and feed["added_by"] == "config"
        assert feed["last_success_at"] is not None and feed["error_count"] == 0
    lemonde = next(f for f in feeds.values() if f["outlet"] == "Le Monde")
    assert lemonde["article_count"] == 3

    text = site.run("feeds", "list")
    assert text.code == 0
    header, *rows = text.out.splitlines()
    assert header.split()[:3] == ["OUTLET", "ACTIVE", "BY"]
    assert len(rows) == len(configured)
    lemonde_row = next(r for r in rows if r.startswith("Le Monde"))
    assert lemonde["url"] in lemonde_row and " 3 " in lemonde_row


def test_list_shows_the_last_error_of_a_failing_feed(site: Site) -> None:
    broken = closed_port_url()
    assert site.run("feeds", "add", broken, "--outlet", "AFP").code == 0
    site.harness().poll()
    [feed] = [f for f in site.run("feeds", "list", "--format", "json").json() if f["url"] == broken]
    assert feed["error_count"] == 1 and feed["last_error_kind"] == "connect"
    assert feed["last_success_at"] is None
    text = site.run("feeds", "list").out
    assert "connect" in next(line for line in text.splitlines() if broken in line)


# -- add / remove ----------------------------------------------------------


def test_add_to_a_new_outlet_is_polled_and_ingested(site: Site, local_server: LocalServer) -> None:
    base = local_server.url("").rstrip("/")
    # The same article text, reposted by an outlet ingestd has never seen.
    mil = next(body for path, (_, body) in routes(site.base).items() if "/au-sahel-un-mil" in path)
    local_server.route("/mil.html", mil)
    local_server.route(
        "/sahel.xml",
        rss(base, "Sahel Tribune", [("Mil", "/mil.html", "Thu, 13 Jan 2022 08:00:00 GMT")]),
        content_type="application/rss+xml",
    )
    url = local_server.url("/sahel.xml")

    missing = site.run("feeds", "add", url, "--outlet", "Sahel Tribune")
    assert missing.code == 1
    assert "unknown outlet 'Sahel Tribune': pass --domain" in missing.err
    assert "Le Monde" in missing.err  # the known outlets are listed

    added = site.run("feeds", "add", url, "--outlet", "Sahel Tribune", "--domain", "sahel.example")
    assert added.code == 0, added.err
    assert "created outlet Sahel Tribune (sahel.example)" in added.out
    [row] = site.sql("SELECT added_by, active FROM store_feeds WHERE url = ?", (url,))
    assert (row["added_by"], row["active"]) == ("cli", 1)

    again = site.run("feeds", "add", url, "--outlet", "Sahel Tribune")
    assert again.code == 0 and "already present" in again.out
    variant = url.replace("http://", "HTTP://") + "#top"  # the same feed, spelt otherwise
    assert "already present" in site.run("feeds", "add", variant, "--outlet", "AFP").out
    assert len(site.sql("SELECT id FROM store_feeds WHERE url = ?", (url,))) == 1

    stats = site.harness().poll()  # config sync keeps the CLI feed and polls it
    assert stats.articles_stored == 1 and stats.copies_linked == 1
    [story] = site.sql(
        "SELECT s.member_count, s.origin_outlet FROM articles a JOIN stories s"
        " ON s.story_id = a.story_id WHERE a.outlet = 'Sahel Tribune'"
    )
    assert (story["member_count"], story["origin_outlet"]) == (2, "Le Monde")


def test_add_to_a_known_outlet_by_name_any_case(site: Site) -> None:
    result = site.run(
        "feeds", "add", "https://www.lemonde.fr/rss/sport.xml", "--outlet", "le monde"
    )
    assert result.code == 0, result.err
    assert "for Le Monde" in result.out and "created" not in result.out


def test_add_before_the_first_poll_creates_the_configured_outlet(
    site: Site, tmp_path: Path
) -> None:
    # A new store: the configuration names the outlet, the store has not
    # synced it yet; `feeds add` takes its domain and role from the file.
    config = write_config(tmp_path / "new.toml", tmp_path / "new.db", site.outlets)
    result = site.run(
        "feeds", "add", "https://www.afp.com/en/rss", "--outlet", "AFP", config=config
    )
    assert result.code == 0, result.err
    assert "created outlet AFP (afp.com)" in result.out
    [outlet] = run_sql(tmp_path / "new.db", "SELECT name, domain, role FROM store_outlets")
    assert tuple(outlet) == ("AFP", "afp.com", "wire")


def test_add_refuses_bad_urls_and_conflicting_domains(site: Site) -> None:
    bad = site.run("feeds", "add", "ftp://example.org/feed", "--outlet", "Le Monde")
    assert bad.code == 2 and "not an http(s) feed URL" in bad.err
    clash = site.run(
        "feeds", "add", "https://x.example/f", "--outlet", "Le Monde", "--domain", "other.example"
    )
    assert clash.code == 1 and "has domain lemonde.fr" in clash.err
    taken = site.run(
        "feeds", "add", "https://x.example/f", "--outlet", "Other", "--domain", "afp.com"
    )
    assert taken.code == 1 and "already belongs to outlet 'AFP'" in taken.err
    assert not site.sql("SELECT id FROM store_feeds WHERE url = 'https://x.example/f'")


def test_remove_refuses_a_config_feed_and_deactivates_a_cli_feed(site: Site) -> None:
    configured = site.outlets[0]["feeds"][0]
    refused = site.run("feeds", "remove", configured)
    assert refused.code == 1
    assert "comes from the configuration file" in refused.err and str(site.config) in refused.err

    url = "https://www.lemonde.fr/rss/sport.xml"
    assert site.run("feeds", "add", url, "--outlet", "Le Monde").code == 0
    removed = site.run("feeds", "remove", url)
    assert removed.code == 0 and "removed feed" in removed.out
    [row] = site.sql("SELECT active FROM store_feeds WHERE url = ?", (url,))
    assert row["active"] == 0
    assert url not in site.run("feeds", "list").out
    assert url in site.run("feeds", "list", "--all").out
    assert "already inactive" in site.run("feeds", "remove", url).out
    unknown = site.run("feeds", "remove", "https://nowhere.example/feed")
    assert unknown.code == 1 and "no feed" in unknown.err
    # Re-adding a removed feed switches it back on instead of duplicating it.
    readded = site.run("feeds", "add", url, "--outlet", "Le Monde")
    assert "reactivated" in readded.out
    assert site.sql("SELECT active FROM store_feeds WHERE url = ?", (url,))[0]["active"] == 1


def test_remove_a_feed_that_left_the_configuration_keeps_its_articles(site: Site) -> None:
    # The file no longer lists Le Monde's feed but the daemon has not
    # reloaded yet: `feeds remove` deactivates it, as the reload would.
    lemonde = next(o for o in site.outlets if o["name"] == "Le Monde")
    others = [o for o in site.outlets if o is not lemonde]
    config = write_config(site.config.with_name("less.toml"), site.db, others)
    url = lemonde["feeds"][0]
    before = site.sql("SELECT count(*) AS n FROM articles WHERE outlet = 'Le Monde'")[0]["n"]
    result = site.run("feeds", "remove", url, config=config)
    assert result.code == 0, result.err
    assert f"removed feed {url}; its entries and articles stay" in result.out
    [feed] = site.sql("SELECT active, added_by FROM store_feeds WHERE url = ?", (url,))
    assert (feed["active"], feed["added_by"]) == (0, "config")
    after = site.sql("SELECT count(*) AS n FROM articles WHERE outlet = 'Le Monde'")[0]["n"]
    assert before == after == 3
    entries = site.sql(
        "SELECT count(*) AS n FROM store_entries e JOIN store_feeds f ON f.id = e.feed_id"
        " WHERE f.url = ?",
        (url,),
    )
    assert entries[0]["n"] == 3
    assert "already inactive" in site.run("feeds", "remove", url, config=config).out


# -- check ---------------------------------------------------------------------


def test_check_marks_known_entries_and_stores_nothing(site: Site) -> None:
    lemonde = next(o for o in site.outlets if o["name"] == "Le Monde")["feeds"][0]
    before = site.sql("SELECT count(*) AS n FROM store_entries")[0]["n"]
    result = site.run("feeds", "check", lemonde, "--format", "json")
    assert result.code == 0, result.err
    data = result.json()
    assert data["status"] == 200 and len(data["entries"]) == 3
    stories = {
        row["url"]: row["story_id"]
        for row in site.sql("SELECT url, story_id FROM articles WHERE outlet = 'Le Monde'")
    }
    for entry in data["entries"]:
        assert entry["known"] == f"stored in story {stories[entry['url']]}"
    assert site.sql("SELECT count(*) AS n FROM store_entries")[0]["n"] == before

    text = site.run("feeds", "check", lemonde)
    assert "3 entries, 0 new" in text.out
    assert "[stored in story" in text.out


def test_check_a_new_feed_shows_normalised_urls_as_new(
    site: Site, local_server: LocalServer
) -> None:
    base = local_server.url("").rstrip("/")
    local_server.route(
        "/new.xml",
        rss(
            base,
            "New",
            [
                ("First", "/a.html?utm_source=rss#top", "Wed, 12 Jan 2022 10:00:00 GMT"),
                ("Second", "/b.html", "Wed, 12 Jan 2022 11:00:00 GMT"),
            ],
        ),
        content_type="application/rss+xml",
    )
    result = site.run("feeds", "check", local_server.url("/new.xml"))
    assert result.code == 0, result.err
    assert "2 entries, 2 new" in result.out
    assert f"    {base}/a.html\n" in result.out  # tracking parameter and fragment dropped
    assert "- [new] 2022-01-12 10:00  First" in result.out
    assert not site.sql("SELECT id FROM store_feeds WHERE url LIKE ?", (f"{base}%",))


def test_check_reports_unreachable_hosts_and_non_feeds(
    site: Site, local_server: LocalServer
) -> None:
    down = site.run("feeds", "check", closed_port_url())
    assert down.code == 1
    assert "cannot fetch" in down.err and "connect" in down.err
    local_server.route("/page.html", b"<html><body><p>Just a page</p></body></html>")
    page = site.run("feeds", "check", local_server.url("/page.html"))
    assert page.code == 1 and "is not a usable feed" in page.err
    scheme = site.run("feeds", "check", "file:///etc/passwd")
    assert scheme.code == 2 and "not an http(s) feed URL" in scheme.err


def test_check_refuses_private_addresses_unless_configured(
    site: Site, local_server: LocalServer, tmp_path: Path
) -> None:
    local_server.route("/x.xml", rss("http://x", "X", []), content_type="application/rss+xml")
    strict = tmp_path / "strict.toml"
    strict.write_text(f'[storage]\nurl = "sqlite:///{site.db}"\n', encoding="utf-8")
    result = site.run("feeds", "check", local_server.url("/x.xml"), config=strict)
    assert result.code == 1 and "blocked" in result.err


# -- discover --------------------------------------------------------------


def test_discover_finds_announced_and_common_feeds(site: Site, local_server: LocalServer) -> None:
    base = local_server.url("").rstrip("/")
    local_server.route(
        "/",
        b"""<html><head><title>Site</title>
        <link rel="alternate" type="application/rss+xml" title="Une" href="/rss/une.xml">
        <link rel="alternate" type="application/atom+xml" href="/gone.xml">
        </head><body>Home</body></html>""",
    )
    feed = rss(base, "La une", [("A", "/a.html", "Wed, 12 Jan 2022 10:00:00 GMT")])
    local_server.route("/rss/une.xml", feed, content_type="application/rss+xml")
    local_server.route(
        "/feed", feed.replace(b"La une", b"Tout"), content_type="application/rss+xml"
    )
    local_server.route("/rss.xml", b"<html><body>not a feed</body></html>")
    result = site.run("feeds", "discover", local_server.url("/"), "--format", "json")
    assert result.code == 0, result.err
    data = result.json()
    found = {f["url"]: f for f in data["feeds"]}
    assert set(found) == {f"{base}/rss/une.xml", f"{base}/feed"}
    assert found[f"{base}/rss/une.xml"]["source"] == "announced"
    assert found[f"{base}/rss/une.xml"]["title"] == "La une"
    assert found[f"{base}/feed"]["source"] == "guessed" and found[f"{base}/feed"]["entries"] == 1
    assert [b["url"] for b in data["broken"]] == [f"{base}/gone.xml"]
    text = site.run("feeds", "discover", local_server.url("/"))
    assert f"- {base}/rss/une.xml  [announced] La une, 1 entries" in text.out
    assert f"! announced but not a working feed: {base}/gone.xml" in text.out


def test_discover_given_a_feed_reports_it(site: Site, local_server: LocalServer) -> None:
    base = local_server.url("").rstrip("/")
    feed = rss(base, "Direct", [("A", "/a.html", "Wed, 12 Jan 2022 10:00:00 GMT")])
    local_server.route("/direct.xml", feed, content_type="application/rss+xml")
    result = site.run("feeds", "discover", local_server.url("/direct.xml"), "--format", "json")
    assert result.code == 0, result.err
    assert result.json()["feeds"] == [
        {"url": f"{base}/direct.xml", "source": "given", "title": "Direct", "entries": 1}
    ]
    local_server.route("/image.png", b"\x89PNG", content_type="image/png")
    image = site.run("feeds", "discover", local_server.url("/image.png"))
    assert image.code == 1 and "content_type" in image.err


def test_discover_without_feeds_or_host_fails_clearly(
    site: Site, local_server: LocalServer
) -> None:
    local_server.route("/", b"<html><body>No feeds here</body></html>")
    none = site.run("feeds", "discover", local_server.url("/"))
    assert none.code == 1 and "0 feed(s) found" in none.out
    down = site.run("feeds", "discover", closed_port_url().replace("/feed.xml", "/"))
    assert down.code == 1 and "cannot fetch" in down.err and "connect" in down.err


# -- OPML ------------------------------------------------------------------


def test_opml_round_trip_into_an_empty_store(site: Site, tmp_path: Path) -> None:
    exported = tmp_path / "feeds.opml"
    result = site.run("feeds", "export-opml", "-o", str(exported))
    assert result.code == 0, result.err
    assert "wrote 8 feeds of 6 outlets" in result.err

    fresh = write_config(tmp_path / "fresh.toml", tmp_path / "fresh.db", [])
    imported = site.run("feeds", "import-opml", str(exported), config=fresh)
    assert imported.code == 0, imported.err
    assert "8 added, 0 exists, 0 reactivated, 0 skipped" in imported.out
    assert "importing feeds: 8/8 done" in imported.err  # plain progress, not a terminal

    def feeds_of(config: Path) -> set[tuple[str, str, str]]:
        rows = site.run("feeds", "list", "--format", "json", config=config).json()
        return {(r["url"], r["outlet"], r["added_by"]) for r in rows}

    original = {(u, o, "cli") for u, o, _ in feeds_of(site.config)}
    assert feeds_of(fresh) == original

    # Exporting the imported store gives the same document (outlets, domains,
    # feeds), apart from the creation date.
    def undated(text: str) -> list[str]:
        return [line for line in text.splitlines() if "<dateCreated>" not in line]

    reexported = site.run_raw("--config", str(fresh), "feeds", "export-opml").out
    assert undated(reexported) == undated(exported.read_text("utf-8"))
    assert 'htmlUrl="https://lemonde.fr/"' in reexported
    again = site.run("feeds", "import-opml", str(exported), config=fresh)
    assert "0 added, 8 exists" in again.out


def test_import_reader_opml_by_folder_or_by_domain(site: Site, tmp_path: Path) -> None:
    opml = tmp_path / "reader.opml"
    opml.write_text(
        """<?xml version="1.0"?><opml version="1.0"><head><title>Reader</title></head><body>
        <outline text="Tech">
          <outline type="rss" text="A" xmlUrl="https://a.example/feed" htmlUrl="https://a.example/"/>
          <outline type="rss" text="B" xmlUrl="https://feeds.bnews.co.uk/rss"/>
        </outline>
        <outline type="rss" text="AFP English" xmlUrl="https://www.afp.com/en/rss"/>
        <outline type="rss" text="Bad" xmlUrl="gopher://old.example/feed"/>
        </body></opml>""",
        encoding="utf-8",
    )
    by_domain = site.run("feeds", "import-opml", str(opml), "--outlet-from-domain")
    assert by_domain.code == 0, by_domain.err
    assert "added https://a.example/feed -> a.example (new outlet, a.example)" in by_domain.out
    assert (
        "added https://feeds.bnews.co.uk/rss -> bnews.co.uk (new outlet, bnews.co.uk)"
        in by_domain.out
    )
    assert "added https://www.afp.com/en/rss -> AFP" in by_domain.out  # existing outlet by domain
    assert "skipped gopher://old.example/feed" in by_domain.out
    assert "3 added, 0 exists, 0 reactivated, 1 skipped" in by_domain.out

    fresh = write_config(tmp_path / "fresh.toml", tmp_path / "fresh.db", [])
    by_folder = site.run("feeds", "import-opml", str(opml), config=fresh)
    assert "added https://a.example/feed -> Tech (new outlet, a.example)" in by_folder.out
    assert "added https://feeds.bnews.co.uk/rss -> Tech" in by_folder.out
    assert "added https://www.afp.com/en/rss -> AFP English (new outlet, afp.com)" in by_folder.out


def test_import_refuses_bad_opml(site: Site, tmp_path: Path) -> None:
    bad = tmp_path / "bad.opml"
    bad.write_text("<html><body>not opml</body></html>", encoding="utf-8")
    result = site.run("feeds", "import-opml", str(bad))
    assert result.code == 1 and "not an OPML subscription list" in result.err
    empty = tmp_path / "empty.opml"
    empty.write_text('<opml version="2.0"><body><outline text="x"/></body></opml>', "utf-8")
    result = site.run("feeds", "import-opml", str(empty))
    assert result.code == 1 and "no feed outlines" in result.err
    missing = site.run("feeds", "import-opml", str(tmp_path / "nope.opml"))
    assert missing.code == 2 and "does not exist" in missing.err


def test_feeds_need_an_existing_store(site: Site, tmp_path: Path) -> None:
    config = write_config(tmp_path / "none.toml", tmp_path / "absent.db", [])
    for args in (("feeds", "list"), ("feeds", "export-opml"), ("feeds", "remove", "https://x/f")):
        result = site.run(*args, config=config)
        assert result.code == 1, args
        assert f"no ingestd database at {tmp_path / 'absent.db'}" in result.err
    assert not (tmp_path / "absent.db").exists()
    no_config = site.run_raw("feeds", "list")
    assert no_config.code == 2 and "needs --config" in no_config.err
