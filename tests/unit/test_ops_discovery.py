"""Feed discovery from a home page's HTML (pure part)."""

from __future__ import annotations

from ingestd.ops.discovery import COMMON_PATHS, FeedLink, candidate_urls, feed_links, site_root

PAGE = "https://www.example.org/news/index.html"


def test_announced_feeds_are_found_and_resolved() -> None:
    html = """<html><head>
    <link rel="stylesheet" href="/style.css">
    <link rel="alternate" type="application/rss+xml" title="Top stories" href="/rss/top.xml">
    <LINK REL="Alternate" TYPE="application/atom+xml; charset=utf-8" HREF="atom.xml">
    <link rel="alternate" type="application/feed+json" href="https://cdn.example.org/feed.json">
    <link rel="alternate" type="text/html" hreflang="fr" href="/fr/">
    <link rel="alternate" type="application/rss+xml" href="/rss/top.xml">
    <link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
    <link rel="alternate" type="application/rss+xml">
    </head><body><a rel="alternate" type="application/rss+xml" href="/body-feed">feed</a>
    </body></html>"""
    assert feed_links(html, PAGE) == [
        FeedLink("https://www.example.org/rss/top.xml", "application/rss+xml", "Top stories"),
        FeedLink("https://www.example.org/news/atom.xml", "application/atom+xml", None),
        FeedLink("https://cdn.example.org/feed.json", "application/feed+json", None),
        FeedLink("https://www.example.org/body-feed", "application/rss+xml", None),
    ]


def test_base_href_changes_resolution() -> None:
    html = """<head><base href="https://static.example.org/site/">
    <link rel="alternate" type="application/rss+xml" href="feed.xml"></head>"""
    assert [link.url for link in feed_links(html, PAGE)] == [
        "https://static.example.org/site/feed.xml"
    ]


def test_broken_html_still_yields_links() -> None:
    html = "<head><link rel=alternate type=application/rss+xml href=/f.xml><body><div><p>unclosed"
    assert [link.url for link in feed_links(html, PAGE)] == ["https://www.example.org/f.xml"]


def test_candidates_put_announced_first_then_common_paths_once() -> None:
    links = [FeedLink("https://www.example.org/feed", "application/rss+xml", "Main")]
    candidates = candidate_urls(PAGE, links)
    assert candidates[0].url == "https://www.example.org/feed"
    assert candidates[0].source == "announced" and candidates[0].title == "Main"
    urls = [c.url for c in candidates]
    assert len(urls) == len(set(urls))
    # /feed was announced, so it is not guessed a second time.
    assert len(candidates) == 1 + len(COMMON_PATHS) - 1
    assert all(c.source == "guessed" for c in candidates[1:])
    assert "https://www.example.org/rss.xml" in urls
    assert "https://www.example.org/atom.xml" in urls


def test_site_root_keeps_port() -> None:
    assert site_root("http://127.0.0.1:8080/a/b?c=d#e") == "http://127.0.0.1:8080/"
