"""The bundled demo outlets: feeds, pages, ground truth and the seed case.

These tests guard the data's design, not just its syntax: every trap the
demo is meant to show (an attribution line, a cut-down copy, a canonical
link to another outlet, copies dated after their origin, two kinds of hard
negatives) is asserted here, so an edit that quietly removes one fails.
"""

from __future__ import annotations

import calendar
import hashlib
import re
import warnings
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from types import ModuleType
from typing import Any
from urllib.parse import urlsplit

import feedparser
import pytest

from ingestd.demo import sample

BASE = "http://127.0.0.1:8765"
SEED_NAME = "000_c9d120b701e408d8.txt"
# sha256 of /work/shared/seeds/000_c9d120b701e408d8.txt: the copy must stay byte-identical.
SEED_SHA256 = "7928a1c3ef7a457813322dad136bdbed5dee18421913c3ce243a1b12ebc9cba4"
SEED_STORY = "otan-russie"
# Extraction settings a pipeline might pick; the seed pages must survive all of them.
TRAFILATURA_MODES: list[dict[str, bool]] = [{}, {"favor_precision": True}, {"favor_recall": True}]


@dataclass
class Page:
    """What the tests need from one article page, read with the stdlib parser."""

    lang: str | None = None
    title: str = ""
    h1: str = ""
    meta: dict[str, str] = field(default_factory=dict)
    canonical: str | None = None
    paragraphs: list[str] = field(default_factory=list)  # <p> inside <article>
    outside_article: list[str] = field(default_factory=list)  # body text around it


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._stack: list[str] = []
        self._p: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.page.lang = a.get("lang")
        elif tag == "meta" and ("property" in a or "name" in a):
            self.page.meta[a.get("property") or a["name"]] = a.get("content", "")
        elif tag == "link" and a.get("rel") == "canonical":
            self.page.canonical = a.get("href")
        elif tag == "p" and "article" in self._stack:
            self._p = []
        if tag not in ("meta", "link", "input", "br", "img"):
            self._stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag == "p" and self._p is not None:
            self.page.paragraphs.append("".join(self._p).strip())
            self._p = None
        if tag in self._stack:
            while self._stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if "title" in self._stack:
            self.page.title += data
        if "h1" in self._stack:
            self.page.h1 += data
        if self._p is not None:
            self._p.append(data)
        elif (
            data.strip() and "body" in self._stack and not {"article", "script"} & set(self._stack)
        ):
            self.page.outside_article.append(data.strip())


def parse_page(body: bytes) -> Page:
    parser = _PageParser()
    parser.feed(body.decode("utf-8"))
    parser.close()
    return parser.page


@pytest.fixture(scope="module")
def routes() -> dict[str, tuple[str, bytes]]:
    return sample.routes(BASE)


@pytest.fixture(scope="module")
def truth() -> dict[str, Any]:
    return sample.expected()


@pytest.fixture(scope="module")
def articles(truth: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = truth["articles"]
    return result


@pytest.fixture(scope="module")
def outlets() -> list[dict[str, object]]:
    return sample.load_outlets(BASE)


@pytest.fixture(scope="module")
def pages(routes: dict[str, tuple[str, bytes]]) -> dict[str, Page]:
    return {
        p: parse_page(body) for p, (ctype, body) in routes.items() if ctype.startswith("text/html")
    }


@pytest.fixture(scope="module")
def feeds(outlets: list[dict[str, object]], routes: dict[str, tuple[str, bytes]]) -> dict[str, Any]:
    parsed = {}
    for outlet in outlets:
        feed_urls = outlet["feeds"]
        assert isinstance(feed_urls, list)
        for url in feed_urls:
            parsed[url] = feedparser.parse(routes[urlsplit(url).path][1])
    return parsed


@pytest.fixture(scope="module")
def published(feeds: dict[str, Any]) -> dict[str, datetime]:
    """Each article page's publication time as its outlet's feed states it."""
    times = {}
    for parsed in feeds.values():
        for entry in parsed.entries:
            # feedparser normalises every date to a UTC struct_time
            stamp = calendar.timegm(entry.published_parsed)
            times[urlsplit(entry.link).path] = datetime.fromtimestamp(stamp, tz=UTC)
    return times


def extract(html: bytes, **mode: bool) -> str:
    """Page text as trafilatura sees it, one paragraph per line."""
    text = _trafilatura().extract(html.decode("utf-8"), **mode)
    assert isinstance(text, str)
    return text


def _trafilatura() -> ModuleType:
    # Importing trafilatura pulls in urllib3.contrib.socks, which warns when
    # PySocks is absent; under filterwarnings=error that warning would fail
    # the import itself, and it says nothing about extraction.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="SOCKS support in urllib3")
        import trafilatura

    return trafilatura


def seed_lines() -> list[str]:
    return (sample.sample_dir() / "seed" / SEED_NAME).read_text(encoding="utf-8").split("\n")


def origin_path(articles: dict[str, dict[str, Any]], story: str) -> str:
    (path,) = [p for p, a in articles.items() if a["story"] == story and a["origin"]]
    return path


def words(page: Page) -> int:
    return sum(len(p.split()) for p in page.paragraphs)


# --------------------------------------------------------------------- loader API


def test_sample_dir_is_the_package_data_folder() -> None:
    root = sample.sample_dir()
    assert root.name == "data" and root.parent.name == "demo"
    assert (root / "outlets.toml").is_file() and (root / "expected.json").is_file()


def test_load_outlets_substitutes_base_everywhere(outlets: list[dict[str, object]]) -> None:
    assert len(outlets) == 6
    assert len({o["name"] for o in outlets}) == len(outlets)
    assert {o["role"] for o in outlets} == {"original", "wire", "aggregator"}
    for outlet in outlets:
        assert "{base}" not in repr(outlet)
        assert isinstance(outlet["domain"], str) and "/" not in outlet["domain"]
        assert isinstance(outlet["feeds"], list) and 1 <= len(outlet["feeds"]) <= 2
        assert all(url.startswith(BASE + "/") for url in outlet["feeds"])


def test_base_url_trailing_slash_is_normalised() -> None:
    outlet = sample.load_outlets(BASE + "/")[0]
    assert isinstance(outlet["feeds"], list)
    assert all("//" not in url.removeprefix("http://") for url in outlet["feeds"])
    _, body = sample.routes(BASE + "/")["/lemonde/rss/une.xml"]
    assert f"{BASE}/lemonde/".encode() in body and f"{BASE}//".encode() not in body


def test_relative_base_url_is_refused() -> None:
    with pytest.raises(ValueError, match="absolute"):
        sample.routes("127.0.0.1:8765")


def test_routes_substitute_base_and_type_every_file(routes: dict[str, tuple[str, bytes]]) -> None:
    types = Counter(ctype for ctype, _ in routes.values())
    assert set(types) == {
        sample.PAGE_CONTENT_TYPE,
        sample.RSS_CONTENT_TYPE,
        sample.ATOM_CONTENT_TYPE,
    }
    for path, (_, body) in routes.items():
        assert path.startswith("/") and b"{base}" not in body, path


# -------------------------------------------------------------------------- feeds


def test_every_feed_parses_and_is_served(
    feeds: dict[str, Any], routes: dict[str, tuple[str, bytes]]
) -> None:
    versions = set()
    for url, parsed in feeds.items():
        assert not parsed.bozo, (url, parsed.get("bozo_exception"))
        assert parsed.entries, url
        versions.add(parsed.version)
        ctype = routes[urlsplit(url).path][0]
        assert ctype == (
            sample.ATOM_CONTENT_TYPE if parsed.version == "atom10" else sample.RSS_CONTENT_TYPE
        )
        self_links = [link.href for link in parsed.feed.get("links", []) if link.rel == "self"]
        assert self_links == [url]
    assert versions == {"rss20", "atom10"}


def test_every_feed_entry_links_to_a_served_page(
    feeds: dict[str, Any], routes: dict[str, tuple[str, bytes]], articles: dict[str, Any]
) -> None:
    linked: list[str] = []
    guids: list[str] = []
    for parsed in feeds.values():
        for entry in parsed.entries:
            assert entry.link.startswith(BASE + "/"), entry.link
            path = urlsplit(entry.link).path
            assert routes[path][0] == sample.PAGE_CONTENT_TYPE
            assert entry.published_parsed is not None and entry.title and entry.summary
            linked.append(path)
            guids.append(entry.id)
    # every page is reachable from exactly one feed entry, and GUIDs never collide
    assert sorted(linked) == sorted(articles)
    assert len(set(guids)) == len(guids) and all(guids)


def test_exactly_one_feed_carries_a_ttl(feeds: dict[str, Any]) -> None:
    ttls = [parsed.feed.get("ttl") for parsed in feeds.values() if parsed.feed.get("ttl")]
    assert ttls == ["15"]


def test_every_copy_is_dated_after_its_origin(
    articles: dict[str, dict[str, Any]], published: dict[str, datetime]
) -> None:
    days = {t.date() for t in published.values()}
    assert len(days) == 1  # one plausible news day
    early = [
        path
        for path, a in articles.items()
        if not a["origin"] and published[path] <= published[origin_path(articles, a["story"])]
    ]
    # The showcase reads right: Meguetan Infos reposts Le Monde's piece after
    # Le Monde published it (a copy that claims an earlier time: see
    # test_origin_is_le_monde_by_its_credit_when_the_clock_lies in test_seed_case.py).
    assert early == []
    seed_copy = next(
        path for path, a in articles.items() if a["story"] == SEED_STORY and not a["origin"]
    )
    lead = published[seed_copy] - published[origin_path(articles, SEED_STORY)]
    assert lead.total_seconds() == 31 * 60


# --------------------------------------------------------------- pages and truth


def test_expected_lists_exactly_the_served_pages(
    articles: dict[str, dict[str, Any]], pages: dict[str, Page]
) -> None:
    assert set(articles) == set(pages)
    assert 18 <= len(articles) <= 24


def test_expected_is_consistent(
    articles: dict[str, dict[str, Any]], outlets: list[dict[str, object]]
) -> None:
    names = {o["name"] for o in outlets}
    by_story: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in articles.values():
        assert a["outlet"] in names and a["origin_outlet"] in names
        by_story[a["story"]].append(a)
    for story, members in by_story.items():
        origins = [a for a in members if a["origin"]]
        assert len(origins) == 1, story
        assert {a["origin_outlet"] for a in members} == {origins[0]["outlet"]}, story
    assert {a["outlet"] for a in articles.values()} == names
    # every outlet publishes at least one original story of its own
    assert {a["outlet"] for a in articles.values() if a["origin"]} == names
    singles = [s for s, members in by_story.items() if len(members) == 1]
    assert len(singles) >= 8


def test_every_page_has_metadata_and_canonical_to_a_real_domain(
    pages: dict[str, Page],
    articles: dict[str, dict[str, Any]],
    outlets: list[dict[str, object]],
) -> None:
    domains = {o["name"]: o["domain"] for o in outlets}
    foreign_canonical = []
    for path, page in pages.items():
        a = articles[path]
        assert page.lang and page.title.strip() and page.h1.strip(), path
        assert page.meta.get("og:site_name") == a["outlet"], path
        assert page.meta.get("og:title") and page.meta.get("author"), path
        assert datetime.fromisoformat(page.meta["article:published_time"]).tzinfo, path
        assert page.canonical and page.canonical.startswith("https://"), path
        host = urlsplit(page.canonical).hostname or ""
        assert "127.0.0.1" not in page.canonical
        if not host.endswith(str(domains[a["outlet"]])):
            assert host.endswith(str(domains[a["origin_outlet"]])) and not a["origin"], path
            foreign_canonical.append(path)
        assert len(page.paragraphs) >= 4, path
    assert len(foreign_canonical) == 1
    # the copy's canonical is exactly the origin page's own canonical URL
    copy = articles[foreign_canonical[0]]
    assert (
        pages[foreign_canonical[0]].canonical
        == pages[origin_path(articles, copy["story"])].canonical
    )


def test_original_stories_are_real_length_prose(
    pages: dict[str, Page], articles: dict[str, dict[str, Any]]
) -> None:
    for path, a in articles.items():
        if a["origin"]:
            assert 250 <= words(pages[path]) <= 600, (path, words(pages[path]))


def test_data_folder_stays_small() -> None:
    total = sum(p.stat().st_size for p in sample.sample_dir().rglob("*") if p.is_file())
    assert total < 300_000


# ------------------------------------------------------------------- the seed case


def test_seed_copy_is_untouched() -> None:
    raw = (sample.sample_dir() / "seed" / SEED_NAME).read_bytes()
    assert hashlib.sha256(raw).hexdigest() == SEED_SHA256


def test_seed_text_is_verbatim_in_both_pages(
    pages: dict[str, Page], articles: dict[str, dict[str, Any]]
) -> None:
    title, site, *paragraphs, attribution = seed_lines()
    assert (site, attribution) == ("Meguetan Infos", "lemonde.fr")
    members = {a["outlet"]: p for p, a in articles.items() if a["story"] == SEED_STORY}
    assert set(members) == {"Le Monde", "Meguetan Infos"}
    lemonde, meguetan = pages[members["Le Monde"]], pages[members["Meguetan Infos"]]
    assert lemonde.paragraphs == paragraphs
    assert meguetan.paragraphs == [*paragraphs, attribution]
    assert lemonde.h1 == meguetan.h1 == title
    assert meguetan.meta["og:site_name"] == site


@pytest.mark.parametrize("mode", TRAFILATURA_MODES, ids=lambda m: ",".join(m) or "default")
def test_extraction_keeps_the_attribution_line(
    mode: dict[str, bool], routes: dict[str, tuple[str, bytes]], articles: dict[str, Any]
) -> None:
    _, _, *paragraphs, attribution = seed_lines()
    members = {a["outlet"]: p for p, a in articles.items() if a["story"] == SEED_STORY}
    text = extract(routes[members["Meguetan Infos"]][1], **mode)
    lines = text.split("\n")
    assert lines[-1] == attribution
    assert all(p in lines for p in paragraphs)


@pytest.mark.parametrize("mode", TRAFILATURA_MODES, ids=lambda m: ",".join(m) or "default")
def test_extraction_of_le_monde_drops_the_template(
    mode: dict[str, bool],
    routes: dict[str, tuple[str, bytes]],
    pages: dict[str, Page],
    articles: dict[str, Any],
) -> None:
    _, _, *paragraphs, attribution = seed_lines()
    path = origin_path(articles, SEED_STORY)
    text = extract(routes[path][1], **mode)
    lines = text.split("\n")
    assert all(p in lines for p in paragraphs)
    assert attribution not in lines
    # nav, cookie banner, "Les plus lus", newsletter box and footer all live
    # outside <article>; none of their sentences may reach the text
    boilerplate = [s for s in pages[path].outside_article if len(s) >= 10]
    assert len(boilerplate) >= 20
    leaked = [s for s in boilerplate if s in text]
    assert leaked == []


# --------------------------------------------------------------- syndication traps


def _plain(text: str) -> str:
    """Typography-blind form: quotes, apostrophes and dashes unified."""
    text = re.sub(r"[«»“”\"]", '"', text)
    text = re.sub(r"[’']", "'", text).replace("–", "-").replace("—", "-")
    return re.sub(r'\s*"\s*', '"', text)


def _members(articles: dict[str, dict[str, Any]], story: str) -> tuple[str, list[str]]:
    copies = [p for p, a in articles.items() if a["story"] == story and not a["origin"]]
    return origin_path(articles, story), copies


def test_wire_story_republished_with_credits_and_retouched_typography(
    pages: dict[str, Page], articles: dict[str, dict[str, Any]]
) -> None:
    wire = [p for p, a in articles.items() if a["origin"] and a["outlet"] == "AFP"]
    stories = [articles[p]["story"] for p in wire]
    (story,) = [s for s in stories if len(_members(articles, s)[1]) == 2]
    origin, copies = _members(articles, story)
    assert len({articles[c]["outlet"] for c in copies}) == 2
    original_plain = {_plain(p) for p in pages[origin].paragraphs}
    retitled = []
    for copy in copies:
        body = "\n".join(pages[copy].paragraphs)
        assert re.search(r"\(AFP\)|avec AFP|Source : AFP", pages[copy].paragraphs[-1]), copy
        shared = [p for p in pages[copy].paragraphs if _plain(p) in original_plain]
        assert len(shared) >= len(pages[origin].paragraphs) - 1, copy
        if pages[copy].h1 != pages[origin].h1:
            retitled.append(copy)
            assert not re.search("[«»–’]", body), "the retitled copy uses plain typography"
    assert len(retitled) == 1


def test_aggregator_cut_down_copy_keeps_first_half(
    pages: dict[str, Page], articles: dict[str, dict[str, Any]]
) -> None:
    origin, (copy,) = _members(articles, "rail-holme-vale")
    full, cut = pages[origin].paragraphs, pages[copy].paragraphs
    assert cut[:-1] == full[: len(full) // 2]
    assert cut[-1] == "Read more at northernledger.co.uk"
    assert articles[copy]["outlet"] == "NewsPulse Daily"


def test_english_copy_with_first_appeared_credit(
    pages: dict[str, Page], articles: dict[str, dict[str, Any]]
) -> None:
    credited = [
        p
        for p, page in pages.items()
        if page.paragraphs[-1] == f"This article first appeared on {articles[p]['origin_outlet']}."
    ]
    assert len(credited) == 1
    origin = origin_path(articles, articles[credited[0]]["story"])
    assert pages[credited[0]].paragraphs[:-1] == pages[origin].paragraphs


def test_hard_negative_shared_boilerplate_at_one_outlet(
    pages: dict[str, Page],
    articles: dict[str, dict[str, Any]],
    truth: dict[str, Any],
    routes: dict[str, tuple[str, bytes]],
) -> None:
    stories: dict[str, set[str]] = defaultdict(set)
    for path, page in pages.items():
        for paragraph in page.paragraphs:
            stories[paragraph].add(articles[path]["story"])
    # a long paragraph found in two different stories (copies share many)
    shared = [p for p, s in stories.items() if len(s) > 1 and len(p.split()) >= 60]
    assert len(shared) == 1
    holders = {path for path, page in pages.items() if shared[0] in page.paragraphs}
    assert len(holders) == 2
    a, b = (articles[p] for p in sorted(holders))
    assert a["outlet"] == b["outlet"] and a["story"] != b["story"]
    assert sorted(holders) in [sorted(n["articles"]) for n in truth["hard_negatives"]]
    for path in holders:  # the trap is real only if extraction keeps the paragraph
        text = extract(routes[path][1])
        assert all(p in text for p in shared)


def test_hard_negative_shared_quote_across_outlets(
    pages: dict[str, Page], articles: dict[str, dict[str, Any]], truth: dict[str, Any]
) -> None:
    quotes: dict[str, set[str]] = defaultdict(set)
    for path, page in pages.items():
        for quote in re.findall(r"« [^«»]{80,} »", " ".join(page.paragraphs)):
            quotes[quote].add(path)
    # a long quotation found in two different stories (copies share many)
    shared = {
        q: paths for q, paths in quotes.items() if len({articles[p]["story"] for p in paths}) > 1
    }
    assert len(shared) == 1
    ((quote, holders),) = shared.items()
    a, b = (articles[p] for p in sorted(holders))
    assert a["outlet"] != b["outlet"] and a["story"] != b["story"]
    assert sorted(holders) in [sorted(n["articles"]) for n in truth["hard_negatives"]]
    # otherwise different reporting: no whole paragraph in common
    first, second = (set(pages[p].paragraphs) for p in sorted(holders))
    assert not first & second
