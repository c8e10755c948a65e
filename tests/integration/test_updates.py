"""An updated article keeps its story and its history."""

from __future__ import annotations

from tests.conftest import Harness
from tests.integration.seedsite import lemonde_page, meguetan_page
from tests.support.httpserver import LocalServer


def feed(base: str, link: str, updated: str) -> bytes:
    return f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Le Monde</title><id>urn:lm</id>
<updated>{updated}</updated>
<entry><title>OTAN</title><id>urn:lemonde:otan-1</id><link href="{base}{link}"/>
<published>2022-01-12T18:45:00Z</published><updated>{updated}</updated></entry>
</feed>""".encode()


def test_updated_article_same_guid_new_url_stays_one_story(
    harness: Harness, local_server: LocalServer
) -> None:
    base = local_server.url("").rstrip("/")
    local_server.route("/lm/v1.html", lemonde_page(base))
    local_server.route("/mi/a.html", meguetan_page(base))
    local_server.route(
        "/lm/atom.xml",
        feed(base, "/lm/v1.html", "2022-01-12T18:45:00Z"),
        content_type="application/atom+xml",
    )
    local_server.route(
        "/mi/atom.xml",
        b"""<?xml version="1.0"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>MI</title><id>urn:mi</id>
<updated>2022-01-13T08:00:00Z</updated><entry><title>OTAN</title><id>urn:mi:1</id>
<link href="%s/mi/a.html"/><updated>2022-01-13T08:00:00Z</updated></entry></feed>"""
        % base.encode(),
        content_type="application/atom+xml",
    )
    harness.outlets = [
        {"name": "Le Monde", "domain": "lemonde.fr", "feeds": [local_server.url("/lm/atom.xml")]},
        {
            "name": "Meguetan Infos",
            "domain": "meguetaninfos.com",
            "feeds": [local_server.url("/mi/atom.xml")],
        },
    ]
    harness.poll()
    [story] = harness.stories()

    # Le Monde corrects its article and moves it to a new URL, same GUID.
    corrected = lemonde_page(base).replace(
        b"</article>",
        "<p>Mise à jour : le Kremlin a confirmé jeudi la tenue d’une nouvelle réunion à Vienne "
        "dans le cadre de l’OSCE, jeudi 13 janvier, avec les Etats-Unis et les Européens.</p>"
        "</article>".encode(),
        1,
    )
    local_server.route("/lm/v2.html", corrected)
    local_server.route(
        "/lm/atom.xml",
        feed(base, "/lm/v2.html", "2022-01-13T10:00:00Z"),
        content_type="application/atom+xml",
    )
    stats = harness.poll()
    assert stats.articles_stored == 0
    assert stats.articles_updated == 1

    [after] = harness.stories()
    assert after["story_id"] == story["story_id"]
    origin = next(m for m in after["members"] if m["role"] == "origin")
    assert origin["outlet"] == "Le Monde"
    assert origin["url"].endswith("/lm/v2.html")
    assert harness.counts()["articles"] == 2

    from ingestd.app import open_store

    store = open_store(harness.settings())
    try:
        article_id = store.article_id_for(origin["url"], 1, None)
        assert article_id is not None
        versions = store.article_versions(article_id)
    finally:
        store.close()
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["url"].endswith("/lm/v1.html")

    # Polling again changes nothing.
    stats = harness.poll()
    assert stats.articles_updated == 0 and stats.articles_stored == 0
