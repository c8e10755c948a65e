"""Feed documents to ParsedFeed: formats, links, dates, and broken input."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ingestd.errors import FeedParseError
from ingestd.feeds import parse_feed

FEED_URL = "https://www.lemonde.fr/international/rss_full.xml"

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel>
  <title>Le Monde.fr - International</title>
  <link>https://www.lemonde.fr/international/</link>
  <ttl>15</ttl>
  <item>
    <title>L&#8217;OTAN et la Russie</title>
    <link>https://www.lemonde.fr/international/article/2024/01/02/otan_1.html?xtor=RSS-3208</link>
    <guid isPermaLink="false">lemonde-otan-1</guid>
    <pubDate>Tue, 02 Jan 2024 10:30:00 +0100</pubDate>
    <description>&lt;p&gt;Le &lt;b&gt;OTAN&lt;/b&gt; &amp;amp; la suite&lt;/p&gt;</description>
  </item>
  <item>
    <title>Relative link, no guid</title>
    <link>/international/article/2024/01/02/relatif_2.html</link>
  </item>
  <item>
    <title>No link at all</title>
    <guid isPermaLink="false">no-link-3</guid>
  </item>
  <item>
    <title>Permalink guid only</title>
    <guid>https://www.lemonde.fr/international/article/2024/01/02/guid_4.html</guid>
  </item>
  <item>
    <title>Same article again, tracked</title>
    <link>https://www.lemonde.fr/international/article/2024/01/02/otan_1.html#xtor=AL</link>
  </item>
  <item>
    <title>Not a web link</title>
    <link>mailto:redaction@lemonde.fr</link>
  </item>
</channel></rss>
"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title type="html">Meguetan &lt;i&gt;Infos&lt;/i&gt;</title>
  <link rel="alternate" href="https://meguetaninfos.com/"/>
  <id>urn:uuid:feed</id>
  <updated>2024-01-02T12:00:00Z</updated>
  <entry>
    <title>Second</title>
    <id>tag:meguetaninfos.com,2024:2</id>
    <link rel="alternate" href="2024/01/otan.html"/>
    <link rel="enclosure" href="https://meguetaninfos.com/a.mp3"/>
    <published>2024-01-02T11:00:00+02:00</published>
    <updated>2024-01-02T13:15:00Z</updated>
    <summary type="html">&lt;p&gt;Repris du &lt;a href="https://lemonde.fr"&gt;Monde&lt;/a&gt;&lt;/p&gt;</summary>
  </entry>
  <entry>
    <title>First</title>
    <id>tag:meguetaninfos.com,2024:1</id>
    <link href="https://meguetaninfos.com/2024/01/first.html"/>
    <updated>2024-01-01T08:00:00Z</updated>
  </entry>
</feed>
"""

RDF = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://wire.example.org/">
    <title>Wire</title><link>https://wire.example.org/</link>
  </channel>
  <item rdf:about="https://wire.example.org/a1">
    <title>A1</title><link>https://wire.example.org/a1</link>
    <dc:date>2024-01-02T03:04:05+01:00</dc:date>
  </item>
  <item rdf:about="https://wire.example.org/a2">
    <title>A2</title><link>https://wire.example.org/a2</link>
  </item>
</rdf:RDF>
"""


def test_rss_entries_in_document_order_with_resolved_normalised_links() -> None:
    feed = parse_feed(FEED_URL, RSS)
    assert feed.title == "Le Monde.fr - International"
    assert feed.link == "https://www.lemonde.fr/international/"
    assert feed.ttl_minutes == 15
    assert [e.url for e in feed.entries] == [
        "https://www.lemonde.fr/international/article/2024/01/02/otan_1.html",
        "https://www.lemonde.fr/international/article/2024/01/02/relatif_2.html",
        "https://www.lemonde.fr/international/article/2024/01/02/guid_4.html",
    ]


def test_rss_entry_fields() -> None:
    first, relative, permalink = parse_feed(FEED_URL, RSS).entries
    assert first.raw_url == (
        "https://www.lemonde.fr/international/article/2024/01/02/otan_1.html?xtor=RSS-3208"
    )
    assert first.guid == "lemonde-otan-1"
    assert first.title == "L’OTAN et la Russie"
    assert first.published_at == datetime(2024, 1, 2, 9, 30, tzinfo=UTC)
    assert first.updated_at is None
    assert first.summary == "Le OTAN & la suite"
    # no guid: the (resolved) raw link stands in, so the guid is never empty
    assert relative.guid == relative.raw_url
    assert relative.raw_url.startswith("https://www.lemonde.fr/international/article/")
    assert relative.published_at is None
    assert relative.summary is None
    assert permalink.guid == permalink.url


def test_entries_without_http_link_are_skipped_and_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG, logger="ingestd.feeds.parse"):
        feed = parse_feed(FEED_URL, RSS)
    assert all(e.title not in ("No link at all", "Not a web link") for e in feed.entries)
    assert "mailto:redaction@lemonde.fr" in caplog.text


def test_atom() -> None:
    feed = parse_feed("https://meguetaninfos.com/feed/atom/", ATOM)
    assert feed.title == "Meguetan Infos"
    assert feed.link == "https://meguetaninfos.com/"
    assert feed.ttl_minutes is None
    second, first = feed.entries
    assert second.url == "https://meguetaninfos.com/feed/atom/2024/01/otan.html"
    assert second.guid == "tag:meguetaninfos.com,2024:2"
    assert second.published_at == datetime(2024, 1, 2, 9, 0, tzinfo=UTC)
    assert second.updated_at == datetime(2024, 1, 2, 13, 15, tzinfo=UTC)
    assert second.summary == "Repris du Monde"
    assert first.published_at is None
    assert first.updated_at == datetime(2024, 1, 1, 8, 0, tzinfo=UTC)
    assert all(e.published_at is None or e.published_at.tzinfo is UTC for e in feed.entries)


def test_rss1_rdf() -> None:
    feed = parse_feed("https://wire.example.org/index.rdf", RDF)
    assert feed.title == "Wire"
    assert [(e.url, e.guid) for e in feed.entries] == [
        ("https://wire.example.org/a1", "https://wire.example.org/a1"),
        ("https://wire.example.org/a2", "https://wire.example.org/a2"),
    ]
    # dc:date is an update time to feedparser; either way it must be UTC
    dated = feed.entries[0]
    assert (dated.published_at or dated.updated_at) == datetime(2024, 1, 2, 2, 4, 5, tzinfo=UTC)


def test_json_feed() -> None:
    body = b"""{"version": "https://jsonfeed.org/version/1.1", "title": "J",
        "home_page_url": "https://j.example/",
        "items": [
          {"id": 42, "url": "/posts/1?utm_source=x", "title": "One",
           "date_published": "2024-01-02T03:04:05+01:00", "content_html": "<p>x <b>y</b></p>"},
          {"id": "no-url", "title": "Skipped"}
        ]}"""
    feed = parse_feed("https://j.example/feed.json", body)
    assert feed.title == "J"
    (entry,) = feed.entries
    assert entry.url == "https://j.example/posts/1"
    assert entry.guid == "42"
    assert entry.published_at == datetime(2024, 1, 2, 2, 4, 5, tzinfo=UTC)
    assert entry.summary == "x y"


def test_empty_but_valid_feed_is_not_an_error() -> None:
    feed = parse_feed(FEED_URL, b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>')
    assert feed.entries == ()


def test_bad_ttl_is_ignored() -> None:
    body = RSS.replace(b"<ttl>15</ttl>", b"<ttl>soon</ttl>")
    assert parse_feed(FEED_URL, body).ttl_minutes is None


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"\x00\x01\x02 garbage \xff\xfe",
        b"this is not a feed",
        b"<!DOCTYPE html><html><head><title>Le Monde</title></head>"
        b"<body><p>Hello<br></p><a href='/a'>a</a></body></html>",
        b"<html><head><title>Le Monde</title></head><body><p>Hi</p></body></html>",
        b'<?xml version="1.0"?><rss version="2.0"><chan',
        b'{"not": "a feed"}',
    ],
)
def test_not_a_feed_raises(body: bytes) -> None:
    with pytest.raises(FeedParseError) as info:
        parse_feed(FEED_URL, body)
    assert info.value.url == FEED_URL
    assert info.value.detail


def test_html_page_error_names_the_parser_reason() -> None:
    with pytest.raises(FeedParseError, match="SAXParseException"):
        parse_feed(FEED_URL, b"<!DOCTYPE html><html><body><p>a<br></p></body></html>")


def test_truncated_feed_still_yields_complete_entries() -> None:
    cut = RSS[: RSS.index(b"<title>No link at all")]
    feed = parse_feed(FEED_URL, cut)
    assert [e.url.rsplit("/", 1)[1] for e in feed.entries] == ["otan_1.html", "relatif_2.html"]


def test_body_is_never_opened_as_a_file_name(tmp_path: Path) -> None:
    # feedparser treats bytes or str input as a path when one exists
    secret = tmp_path / "feed.xml"
    secret.write_bytes(RSS)
    with pytest.raises(FeedParseError):
        parse_feed(FEED_URL, str(secret).encode())


def test_rss_ttl_is_read_in_minutes() -> None:
    assert parse_feed(FEED_URL, RSS).ttl_minutes == 15
    assert parse_feed(FEED_URL, RSS.replace(b"<ttl>15</ttl>", b"")).ttl_minutes is None
    assert parse_feed(FEED_URL, RSS.replace(b"<ttl>15</ttl>", b"<ttl>0</ttl>")).ttl_minutes is None


SY = b'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"'


def _sy_rss(period: str, frequency: str | None, ttl: str | None = None) -> bytes:
    hints = f"<sy:updatePeriod>{period}</sy:updatePeriod>"
    if frequency is not None:
        hints += f"<sy:updateFrequency>{frequency}</sy:updateFrequency>"
    if ttl is not None:
        hints += f"<ttl>{ttl}</ttl>"
    return (
        b'<?xml version="1.0"?><rss version="2.0" '
        + SY
        + b"><channel><title>t</title>"
        + hints.encode()
        + b"<item><link>https://example.org/a</link></item></channel></rss>"
    )


@pytest.mark.parametrize(
    ("period", "frequency", "ttl", "expected"),
    [
        ("hourly", None, None, 60),
        ("hourly", "2", None, 30),
        ("daily", "1", None, 1440),
        ("Daily", "7", None, 206),  # 205.7, rounded up: never shorter than asked
        ("weekly", None, None, 10080),
        ("hourly", "0", None, 60),  # nonsense frequency: once per period
        ("hourly", "often", None, 60),
        ("fortnightly", None, None, None),  # not a defined period
        ("fortnightly", None, "20", 20),
        ("hourly", None, "20", 60),  # both given: the longer wins
        ("hourly", "4", "20", 20),
    ],
)
def test_syndication_module_update_period(
    period: str, frequency: str | None, ttl: str | None, expected: int | None
) -> None:
    assert parse_feed(FEED_URL, _sy_rss(period, frequency, ttl)).ttl_minutes == expected


def test_rss1_update_period() -> None:
    body = (
        b'<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        b' xmlns="http://purl.org/rss/1.0/" ' + SY + b'><channel rdf:about="https://example.org/">'
        b"<title>t</title><sy:updatePeriod>daily</sy:updatePeriod>"
        b"<sy:updateFrequency>4</sy:updateFrequency></channel>"
        b'<item rdf:about="https://example.org/a"><title>a</title>'
        b"<link>https://example.org/a</link></item></rdf:RDF>"
    )
    assert parse_feed(FEED_URL, body).ttl_minutes == 360


def test_summary_html_becomes_text_without_script_or_style() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item>'
        b"<link>https://example.org/a</link><description>"
        b"&lt;p&gt;Le &lt;a href='/relatif'&gt;texte&lt;/a&gt;&lt;/p&gt;"
        b"&lt;script&gt;track('x')&lt;/script&gt;&lt;style&gt;p {}&lt;/style&gt;"
        b"&lt;p&gt;suite&lt;/p&gt;</description></item></channel></rss>"
    )
    (entry,) = parse_feed(FEED_URL, body).entries
    assert entry.summary == "Le texte suite"
