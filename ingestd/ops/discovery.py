"""Finding a site's feeds from its home page (pure: HTML in, candidate URLs out).

Usage::

    links = feed_links(html, page_url)              # <link rel="alternate" …> feeds
    candidates = candidate_urls(page_url, links)    # links first, then common paths

The caller fetches each candidate and keeps those that parse as a feed;
guesses are only guesses until then.
"""

from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Literal
from urllib.parse import urljoin, urlsplit, urlunsplit

from ingestd.urls import is_http_url

FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
        "application/rdf+xml",
    }
)
# Where publishing systems put feeds when a page does not announce them:
# WordPress (/feed), many static generators (/index.xml, /atom.xml,
# /feed.xml), hand-made sites (/rss.xml, /rss), Blogger.
COMMON_PATHS = (
    "/feed",
    "/rss.xml",
    "/atom.xml",
    "/feed.xml",
    "/rss",
    "/index.xml",
    "/feeds/posts/default",
)


@dataclass(frozen=True, slots=True)
class FeedLink:
    """A feed announced by a page: absolute URL, media type, title if any."""

    url: str
    type: str
    title: str | None


@dataclass(frozen=True, slots=True)
class Candidate:
    """A URL to try: ``announced`` by the page, or ``guessed`` from common paths."""

    url: str
    source: Literal["announced", "guessed"]
    title: str | None = None


class _LinkCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.links: list[tuple[str, str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): (value or "").strip() for name, value in attrs}
        if tag == "base" and values.get("href") and self.base is None:
            self.base = values["href"]
        if tag not in ("link", "a"):
            return
        rel = values.get("rel", "").lower().split()
        media = values.get("type", "").lower().split(";")[0].strip()
        if "alternate" in rel and media in FEED_TYPES and values.get("href"):
            self.links.append((values["href"], media, values.get("title") or None))


def feed_links(html: str, page_url: str) -> list[FeedLink]:
    """Feeds announced with ``<link rel="alternate" type="application/rss+xml|…">``.

    Relative hrefs resolve against ``<base href>`` or the page URL; non-http
    links are dropped; each URL appears once, in document order.
    """
    collector = _LinkCollector()
    collector.feed(html)
    collector.close()
    base = urljoin(page_url, collector.base) if collector.base else page_url
    found: list[FeedLink] = []
    seen: set[str] = set()
    for href, media, title in collector.links:
        url = urljoin(base, href)
        if is_http_url(url) and url not in seen:
            seen.add(url)
            found.append(FeedLink(url, media, title))
    return found


def site_root(url: str) -> str:
    """``scheme://host[:port]/`` of a URL."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/", "", ""))


def candidate_urls(page_url: str, links: list[FeedLink]) -> list[Candidate]:
    """Announced feeds first, then the common paths on the page's site, each once."""
    candidates = [Candidate(link.url, "announced", link.title) for link in links]
    seen = {c.url for c in candidates}
    root = site_root(page_url)
    for path in COMMON_PATHS:
        url = urljoin(root, path)
        if url not in seen:
            seen.add(url)
            candidates.append(Candidate(url, "guessed"))
    return candidates
