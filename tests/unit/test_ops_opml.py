"""OPML read and write, without a store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ingestd.ops.opml import OpmlFeed, OpmlFormatError, OpmlOutlet, read_opml, write_opml

NOW = datetime(2026, 1, 12, 9, 30, tzinfo=UTC)


def test_round_trip_keeps_outlets_domains_and_feeds() -> None:
    outlets = [
        OpmlOutlet("Le Monde", "lemonde.fr", ("https://www.lemonde.fr/rss/une.xml",)),
        OpmlOutlet(
            "La Dépêche du Sahel",
            "depechedusahel.ml",
            ("https://depechedusahel.ml/rss/une.xml", "https://depechedusahel.ml/rss/eco.xml"),
        ),
    ]
    feeds = read_opml(write_opml(outlets, NOW))
    assert [(f.xml_url, f.folder, f.site_domain) for f in feeds] == [
        ("https://www.lemonde.fr/rss/une.xml", "Le Monde", "lemonde.fr"),
        ("https://depechedusahel.ml/rss/une.xml", "La Dépêche du Sahel", "depechedusahel.ml"),
        ("https://depechedusahel.ml/rss/eco.xml", "La Dépêche du Sahel", "depechedusahel.ml"),
    ]


def test_written_document_is_opml_2() -> None:
    body = write_opml([OpmlOutlet("AFP", "afp.com", ("https://afp.com/atom.xml",))], NOW)
    assert body.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert b'<opml version="2.0">' in body
    assert b"<dateCreated>Mon, 12 Jan 2026 09:30:00 +0000</dateCreated>" in body
    assert b'xmlUrl="https://afp.com/atom.xml"' in body
    assert b'type="rss"' in body


def test_reader_export_with_nested_folders_and_loose_feeds() -> None:
    body = b"""<?xml version="1.0"?>
<opml version="1.0"><head><title>My reader</title></head><body>
  <outline text="News">
    <outline text="World">
      <outline type="rss" text="BBC World" xmlUrl="https://feeds.bbci.co.uk/news/world/rss.xml"
               htmlUrl="https://www.bbc.co.uk/news/world"/>
    </outline>
    <outline type="rss" title="Le Monde" XMLURL="https://www.lemonde.fr/rss/une.xml"/>
  </outline>
  <outline type="rss" text="Loose" xmlUrl="https://example.org/feed"/>
  <outline type="rss" text="Loose again" xmlUrl="https://example.org/feed"/>
  <outline text="Empty folder"/>
</body></opml>"""
    assert read_opml(body) == [
        OpmlFeed(
            "https://feeds.bbci.co.uk/news/world/rss.xml",
            "BBC World",
            "https://www.bbc.co.uk/news/world",
            "World",
        ),
        OpmlFeed("https://www.lemonde.fr/rss/une.xml", "Le Monde", None, "News"),
        OpmlFeed("https://example.org/feed", "Loose", None, None),
    ]
    assert read_opml(body)[0].site_domain == "bbc.co.uk"
    assert read_opml(body)[1].site_domain == "lemonde.fr"


def test_site_domain_is_none_for_a_non_http_feed() -> None:
    assert OpmlFeed("ftp://x/feed", None, None, None).site_domain is None


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"this is not xml", "not well-formed"),
        (b"<html><body><p>hello</p></body></html>", "not <opml>"),
        (b"<opml version='2.0'><head/></opml>", "no <body>"),
        (b"<opml version='2.0'><body><outline", "not well-formed"),
    ],
)
def test_bad_documents_are_refused_with_the_reason(body: bytes, problem: str) -> None:
    with pytest.raises(OpmlFormatError, match=problem):
        read_opml(body)


def test_entity_expansion_bomb_is_refused() -> None:
    # "Billion laughs": 10 levels of ten-fold expansion; expat stops it.
    levels = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 11))
    body = (
        f'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY e0 "lol">{levels}]>'
        '<opml version="2.0"><body><outline text="&e10;" xmlUrl="https://x.org/f"/></body></opml>'
    ).encode()
    with pytest.raises(OpmlFormatError, match="not well-formed"):
        read_opml(body)


def test_oversized_document_is_refused() -> None:
    with pytest.raises(OpmlFormatError, match="larger than"):
        read_opml(b" " * (20 * 1024 * 1024 + 1))
