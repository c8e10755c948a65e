"""OPML 2.0 subscription lists: read feeds out of one, write the store's feeds into one.

Usage::

    feeds = read_opml(Path("subscriptions.opml").read_bytes())
    for feed in feeds:
        print(feed.xml_url, feed.folder, feed.site_domain)
    body = write_opml([OpmlOutlet("Le Monde", "lemonde.fr", ("https://…/rss.xml",))], now)

Export writes one folder outline per outlet holding its feed outlines
(``type="rss"``, ``xmlUrl``, ``htmlUrl`` = the outlet's home page), the way
feed readers group subscriptions, so a round trip keeps each feed's outlet
and the outlet's domain.

Parsing uses the standard library's expat parser, which (expat 2.4.1 and
later) refuses entity-expansion bombs and never loads external entities.
listparser was considered: it drops ``htmlUrl`` and the folder outlines'
attributes, which import needs to rebuild outlets.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from ingestd.urls import domain_of, is_http_url

MAX_OPML_BYTES = 20 * 1024 * 1024


class OpmlFormatError(ValueError):
    """The document is not an OPML subscription list."""


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    """One feed outline.

    ``folder`` is the text of the nearest enclosing outline that is not a
    feed itself (a reader's folder, or the outlet in ingestd's own export).
    """

    xml_url: str
    title: str | None
    html_url: str | None
    folder: str | None

    @property
    def site_domain(self) -> str | None:
        """The domain of the site (``htmlUrl`` if given, else the feed URL), or None."""
        for url in (self.html_url, self.xml_url):
            if url and is_http_url(url):
                try:
                    return domain_of(url)
                except ValueError:
                    continue
        return None


@dataclass(frozen=True, slots=True)
class OpmlOutlet:
    """An outlet and its feed URLs, as export writes them."""

    name: str
    domain: str
    feeds: tuple[str, ...]


def read_opml(body: bytes) -> list[OpmlFeed]:
    """Every feed outline (one with an ``xmlUrl``) in document order.

    Raises OpmlFormatError for a document that is not XML, not OPML, or
    larger than :data:`MAX_OPML_BYTES`. A feed listed twice is returned once.
    """
    if len(body) > MAX_OPML_BYTES:
        raise OpmlFormatError(f"file larger than {MAX_OPML_BYTES // (1024 * 1024)} MiB")
    try:
        root = ET.fromstring(body)
    except ET.ParseError as error:
        raise OpmlFormatError(f"not well-formed XML: {error}") from None
    if _local(root.tag) != "opml":
        raise OpmlFormatError(f"root element is <{_local(root.tag)}>, not <opml>")
    body_element = next((c for c in root if _local(c.tag) == "body"), None)
    if body_element is None:
        raise OpmlFormatError("no <body> element")
    seen: set[str] = set()
    feeds = []
    for feed in _walk(body_element, None):
        if feed.xml_url not in seen:
            seen.add(feed.xml_url)
            feeds.append(feed)
    return feeds


def _walk(parent: ET.Element, folder: str | None) -> Iterator[OpmlFeed]:
    for element in parent:
        if _local(element.tag) != "outline":
            continue
        attrs = {name.lower(): value.strip() for name, value in element.attrib.items()}
        text = attrs.get("text") or attrs.get("title") or None
        xml_url = attrs.get("xmlurl")
        if xml_url:
            yield OpmlFeed(xml_url, text, attrs.get("htmlurl") or None, folder)
        yield from _walk(element, folder if xml_url else (text or folder))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def write_opml(outlets: Iterable[OpmlOutlet], now: datetime, title: str = "ingestd feeds") -> bytes:
    """An OPML 2.0 document: one folder outline per outlet with its feeds."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(now)
    ET.SubElement(head, "docs").text = "https://opml.org/spec2.opml"
    body = ET.SubElement(root, "body")
    for outlet in outlets:
        folder = ET.SubElement(body, "outline", text=outlet.name, title=outlet.name)
        for url in outlet.feeds:
            ET.SubElement(
                folder,
                "outline",
                type="rss",
                text=outlet.name,
                title=outlet.name,
                xmlUrl=url,
                htmlUrl=f"https://{outlet.domain}/",
            )
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"
