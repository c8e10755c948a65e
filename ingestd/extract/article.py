"""Page HTML to article text and metadata (the only module importing trafilatura and lxml).

Runs inside extraction worker processes (see :mod:`ingestd.extract.pool`):
trafilatura is not safe to run from several threads of one process.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import trafilatura
from lxml import html as lxml_html

from ingestd.errors import ExtractionError
from ingestd.extract.language import detect_language
from ingestd.text.normalize import normalize
from ingestd.types import ExtractedArticle

_TIME_META = (
    "article:published_time",
    "og:published_time",
    "datePublished",
    "date",
    "pubdate",
    "dc.date",
    "dcterms.created",
    "sailthru.date",
)
_JSONLD_DATE = re.compile(r'"datePublished"\s*:\s*"([^"]+)"')


def extract_article(url: str, page: bytes) -> ExtractedArticle:
    """Extract the article of one page; raises ExtractionError when there is none."""
    try:
        document: Any = trafilatura.bare_extraction(
            page,
            url=url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            favor_precision=False,
        )
    except Exception as error:  # trafilatura raises many kinds on hostile input
        raise ExtractionError(url, f"{type(error).__name__}: {error}") from None
    if document is None or not (document.text or "").strip():
        raise ExtractionError(url, "no article text found")
    title = _clean(document.title)
    text = _drop_leading_title(document.text, title)
    head = _head_facts(page)
    return ExtractedArticle(
        url=url,
        text=text,
        title=title,
        author=_clean(document.author),
        published_at=head.published or _day(document.date),
        site_name=_clean(document.sitename),
        # The page's own word first (<html lang>, its metadata), else the
        # text's (detected here, in the worker process).
        language=head.lang
        or _language_code(getattr(document, "language", None))
        or detect_language(text),
        canonical_url=head.canonical or _clean(document.url),
        description=_clean(document.description),
    )


def _language_code(value: str | None) -> str | None:
    """Language tag to its primary code: "zh-CN", "pt_BR", "EN" -> "zh", "pt", "en"."""
    value = _clean(value)
    return value.replace("_", "-").split("-")[0].lower() if value else None


def _clean(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _drop_leading_title(text: str, title: str | None) -> str:
    """Remove the headline trafilatura keeps as the first line of the body."""
    lines = [line for line in text.splitlines() if line.strip()]
    if title and lines and normalize(lines[0]) == normalize(title):
        lines = lines[1:]
    return "\n".join(lines)


@dataclass
class _HeadFacts:
    lang: str | None = None
    canonical: str | None = None
    published: datetime | None = None


def _head_facts(page: bytes) -> _HeadFacts:
    """Canonical link, language and publication time from the page head."""
    facts = _HeadFacts()
    try:
        tree = lxml_html.fromstring(page)
    except (ValueError, lxml_html.etree.ParserError):
        return facts
    lang = tree.get("lang") or tree.get("{http://www.w3.org/XML/1998/namespace}lang")
    if lang and lang.strip():
        facts.lang = _language_code(lang)
    for link in tree.iterfind(".//link[@rel]"):
        href = link.get("href")
        if link.get("rel", "").lower() == "canonical" and href:
            facts.canonical = href.strip()
            break
    metas: dict[str, str] = {}
    for meta in tree.iterfind(".//meta"):
        key = (meta.get("property") or meta.get("name") or meta.get("itemprop") or "").lower()
        if key and meta.get("content"):
            metas.setdefault(key, meta.get("content"))
    for key in _TIME_META:
        parsed = _instant(metas.get(key.lower()))
        if parsed:
            facts.published = parsed
            break
    if facts.published is None:
        for script in tree.iterfind(".//script[@type='application/ld+json']"):
            match = _JSONLD_DATE.search(script.text or "")
            if match and (parsed := _instant(match.group(1))):
                facts.published = parsed
                break
    return facts


def _instant(value: str | None) -> datetime | None:
    """An ISO 8601 time with a clock and zone, as aware UTC; None otherwise."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _day(value: str | None) -> datetime | None:
    """trafilatura's day-precision date, as midnight UTC."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value[:10]).replace(tzinfo=UTC)
    except ValueError:
        return None
