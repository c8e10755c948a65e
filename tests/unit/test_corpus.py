"""The syndication corpus: deterministic, complete, labelled, and well rendered."""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter, defaultdict
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from ingestd.evaluation.rendered import dump_document, load_document, packaged_corpus_path
from tests.support.corpus import (
    ATTRIBUTION_FORMS,
    DEFAULT_SEED,
    HARD_NEGATIVE_KINDS,
    OTHER_LANGUAGES,
    TRANSFORM_KINDS,
    Corpus,
    CorpusArticle,
    build_corpus,
    render_document,
    stats_markdown,
)

SPEC = Path(__file__).resolve().parents[1] / "data" / "corpus"
BASE_URL = "http://127.0.0.1:8765"


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return build_corpus(SPEC, seed=DEFAULT_SEED)


@pytest.fixture(scope="module")
def routes(corpus: Corpus) -> dict[str, tuple[str, bytes]]:
    return corpus.routes(BASE_URL)


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def _base_articles() -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for path in sorted((SPEC / "base").glob("*.json")):
        found.extend(json.loads(path.read_text(encoding="utf-8")))
    return found


def _words(paragraphs: list[str]) -> int:
    return sum(len(p.split()) for p in paragraphs)


class _Head(HTMLParser):
    """Collects <html lang>, <title>, meta properties and the canonical link."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.meta: dict[str, str] = {}
        self.canonical: str | None = None
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.lang = a.get("lang")
        elif tag == "meta" and ("property" in a or "name" in a):
            self.meta[a.get("property") or a["name"]] = a.get("content", "")
        elif tag == "link" and a.get("rel") == "canonical":
            self.canonical = a.get("href")
        elif tag == "title":
            self._in_title = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


# --- build -----------------------------------------------------------------


def test_build_is_deterministic(corpus: Corpus, routes: dict[str, tuple[str, bytes]]) -> None:
    again = build_corpus(SPEC, seed=DEFAULT_SEED)
    assert again.labels() == corpus.labels()
    assert again.routes(BASE_URL) == routes
    other = build_corpus(SPEC, seed=DEFAULT_SEED + 4)
    assert other.labels() != corpus.labels(), "the seed must drive the copies"


def test_counts_meet_the_minimums(corpus: Corpus) -> None:
    stats = corpus.stats()
    assert stats["articles"] >= 150
    assert stats["originals"] >= 70
    assert stats["copies"] >= 60
    assert stats["hard_negative_articles"] >= 30
    assert stats["briefs"] >= 8
    assert stats["hard_negatives"]["same_event"]["groups"] >= 6
    assert stats["hard_negatives"]["shared_quote"]["groups"] >= 6
    assert stats["hard_negatives"]["formulaic"]["articles"] >= 6
    assert stats["absent_origin_stories"] == 2  # the AFP dispatch, the 404 page
    wanted = [*TRANSFORM_KINDS, *(f"attribution:{form}" for form in ATTRIBUTION_FORMS)]
    rare = {kind: stats["transforms"].get(kind, 0) for kind in wanted}
    assert all(n >= 3 for n in rare.values()), rare
    classic = stats["languages"]["fr"] + stats["languages"]["en"]
    assert 0.5 <= stats["languages"]["fr"] / classic <= 0.7
    # Every other language has its stories copied enough to be scored alone.
    for lang in OTHER_LANGUAGES:
        assert stats["languages"][lang] >= 14, lang


def test_packaged_rendering_is_current(corpus: Corpus) -> None:
    """``ingestd eval`` scores the rendering shipped in the package: it must be this spec's."""
    packaged = load_document(packaged_corpus_path())
    rendered = json.loads(json.dumps(render_document(corpus), ensure_ascii=False))
    assert packaged == rendered, (
        "ingestd/evaluation/data/corpus.json.gz is stale: run "
        "python -m tests.support.corpus tests/data/corpus --render "
        "ingestd/evaluation/data/corpus.json.gz"
    )
    assert dump_document(render_document(corpus)) == packaged_corpus_path().read_bytes()


def test_readme_counts_are_current(corpus: Corpus) -> None:
    readme = (SPEC / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- stats:begin -->\n(.*)<!-- stats:end -->", readme, re.DOTALL)
    assert block is not None
    assert block.group(1) == stats_markdown(corpus.stats())


# --- the base set ------------------------------------------------------------


def test_base_articles_are_realistic_and_varied() -> None:
    base = _base_articles()
    assert len({a["id"] for a in base}) == len(base) >= 71
    langs = Counter(a["lang"] for a in base)
    assert 0.55 <= langs["fr"] / (langs["fr"] + langs["en"]) <= 0.65
    assert all(langs[lang] >= 5 for lang in OTHER_LANGUAGES), langs
    assert len({a["topic"] for a in base}) == 8
    briefs = [a for a in base if _words(a["paragraphs"]) < 100]
    assert len(briefs) >= 8
    for article in base:
        words = _words(article["paragraphs"])
        if article["lang"] in ("zh", "ja"):
            words = round(sum(len(p) for p in article["paragraphs"]) / 1.7)  # characters
        if article["lang"] in OTHER_LANGUAGES or article.get("group") == "cases":
            assert 90 <= words <= 700, (article["id"], words)
            continue
        assert 40 <= words <= 90 or 200 <= words <= 700, (article["id"], words)
        text = " ".join(article["paragraphs"])
        assert "lorem" not in text.lower()


def test_hard_negative_groups_are_built_as_described() -> None:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for article in _base_articles():
        hn = article.get("hard_negative")
        if isinstance(hn, dict):
            groups[(hn["kind"], hn["group"])].append(article)
    assert {kind for kind, _ in groups} == set(HARD_NEGATIVE_KINDS)
    for (kind, group), members in groups.items():
        assert len(members) >= 2, (kind, group)
        paragraph_sets = [set(m["paragraphs"]) for m in members]
        shared = set.intersection(*paragraph_sets)
        if kind == "shared_quote":
            # One long quotation, verbatim, in otherwise different stories.
            assert len(shared) == 1, group
            assert len(next(iter(shared)).split()) >= 50
            assert all(len(p - shared) >= 3 for p in paragraph_sets)
        elif kind == "follow_up":
            # One outlet's follow-up: a new headline and lead, 40-60 % of the
            # earlier piece's background paragraphs reused verbatim.
            assert len({m["outlet"] for m in members}) == 1
            first, later = sorted(members, key=lambda m: m["published"])
            assert first["paragraphs"][0] != later["paragraphs"][0]
            assert 0.4 <= len(shared) / len(later["paragraphs"]) <= 0.6
        else:
            assert not shared, group
    quote_outlets = [
        {m["outlet"] for m in members} for (k, _), members in groups.items() if k == "shared_quote"
    ]
    assert any(len(o) == 1 for o in quote_outlets), "some pairs must come from one outlet"


# --- labels ------------------------------------------------------------------


def test_one_outlet_carries_a_story_once(corpus: Corpus) -> None:
    pairs = Counter(
        (a.story, a.outlet)
        for a in corpus.articles
        if not {"update_new_url", "double_post"} & set(a.transforms)
    )
    assert max(pairs.values()) == 1
    # The hand-made exceptions: the origin outlet's own second URL, same story.
    again = [a for a in corpus.articles if {"update_new_url", "double_post"} & set(a.transforms)]
    assert {t for a in again for t in a.transforms} == {"update_new_url", "double_post"}
    for article in again:
        first = corpus.article(article.derived_from_path or "")
        assert first.is_origin and first.outlet == article.outlet
        assert article.paragraphs[: len(first.paragraphs)] == first.paragraphs


def test_labels_are_consistent(corpus: Corpus) -> None:
    labels = corpus.labels()
    assert set(labels) == {a.path for a in corpus.articles}
    by_story: dict[str, list[CorpusArticle]] = defaultdict(list)
    for article in corpus.articles:
        by_story[article.story].append(article)
    for story, members in by_story.items():
        origins = [a for a in members if a.is_origin]
        assert len(origins) <= 1
        expected = {labels[a.path]["origin_outlet"] for a in members}
        assert len(expected) == 1, story
        if origins:
            assert expected == {corpus.outlet(origins[0].outlet).name}
            assert origins[0].derived_from_path is None
    for article in corpus.articles:
        if article.derived_from_path is not None:
            parent = corpus.article(article.derived_from_path)
            assert parent.story == article.story
            assert parent.published != article.published


def test_absent_origin_story_is_attributed_to_the_agency(corpus: Corpus) -> None:
    labels = corpus.labels()
    absent = [a for a in corpus.articles if a.story == "afp-gazole-prix"]
    assert len(absent) == 2
    for article in absent:
        assert not article.is_origin and article.derived_from_path is None
        assert labels[article.path]["origin_outlet"] == "AFP"
        assert "Source : AFP" in article.paragraphs
    assert all(a.outlet != "afp" for a in absent)


def test_copies_of_copies_credit_the_copy_they_took(corpus: Corpus) -> None:
    kept = [a for a in corpus.articles if "keeps_source_credit" in a.transforms]
    assert len(kept) == 1
    for c in kept:
        # C is B's page text whole: B's credit of the origin, B's edits.
        b = corpus.article(c.derived_from_path or "")
        assert c.paragraphs == b.paragraphs and c.attributed_to == c.origin_outlet
        assert {"word_subst", "ad_insert"} <= set(b.transforms)
    chains = [
        a
        for a in corpus.articles
        if "copy_of_copy" in a.transforms and "keeps_source_credit" not in a.transforms
    ]
    assert len(chains) >= 3
    for c in chains:
        b = corpus.article(c.derived_from_path or "")
        assert not b.is_origin and "truncate" in b.transforms
        assert c.attributed_to == corpus.outlet(b.outlet).name
        assert c.origin_outlet != c.attributed_to
        assert b.derived_from_path is not None
        assert corpus.article(b.derived_from_path).is_origin
        # C's text is B's text, not the full original's.
        story = [p for i, p in enumerate(c.paragraphs) if i not in c.inserted]
        assert len(story) <= len(corpus.article(b.derived_from_path).paragraphs) - 1


def test_transformations_show_in_the_text(corpus: Corpus) -> None:
    origins = {a.story: a for a in corpus.articles if a.is_origin}
    hand_made = {"update_new_url", "double_post", "keeps_source_credit"}
    for copy in (
        a
        for a in corpus.articles
        if not a.is_origin and a.story in origins and not hand_made & set(a.transforms)
    ):
        origin = origins[copy.story]
        story = [p for i, p in enumerate(copy.paragraphs) if i not in copy.inserted]
        if "truncate" in copy.transforms and "copy_of_copy" not in copy.transforms:
            assert len(story) < len(origin.paragraphs) + ("rewrap_split" in copy.transforms)
        if "retitle" in copy.transforms:
            assert copy.title != origin.title
        if "canonical_to_origin" in copy.transforms:
            assert copy.canonical_url == origin.canonical_url
        else:
            assert copy.canonical_url == corpus.outlet(copy.outlet).canonical(copy.url_path)
        if "published_before_origin" in copy.transforms:
            assert copy.published < origin.published
            assert copy.attributed_to is not None
        if "no_attribution" in copy.transforms:
            assert copy.attributed_to is None and copy.attribution_line is None
        credited = next((o for o in corpus.outlets if o.name == copy.attributed_to), None)
        if "attribution:bare_domain" in copy.transforms:
            assert credited is not None and credited.domain in copy.paragraphs
        if "attribution:dateline" in copy.transforms and copy.lang in OTHER_LANGUAGES:
            short = (copy.attributed_to or "").removesuffix("通信")
            assert short in copy.paragraphs[0][:60], copy.paragraphs[0][:60]
        elif "attribution:dateline" in copy.transforms:
            assert f"({copy.attributed_to})" in copy.paragraphs[0].split(" - ")[0].split(" – ")[0]
        if "attribution:read_more" in copy.transforms:
            assert copy.attribution_line is not None
            assert credited is not None
            assert (
                credited.domain in copy.attribution_line or credited.name in copy.attribution_line
            )
            if copy.lang not in OTHER_LANGUAGES:
                assert copy.attribution_line.startswith(("Lire ", "Read "))
        if "typography" not in copy.transforms and "word_subst" not in copy.transforms:
            # Untouched wording: every story paragraph comes from the article
            # copied, whole or re-wrapped.
            parent = corpus.article(copy.derived_from_path or origin.path)
            text = _norm(" ".join(parent.paragraphs))
            for index, paragraph in enumerate(story):
                body = re.sub(r"^[A-Z ,0-9a-z]+\((AFP|Reuters)\) [-–] ", "", paragraph)
                if index == 0 and "attribution:dateline" in copy.transforms:
                    body = body[len(body) - len(parent_first(parent, body)) :]
                assert _norm(body) in text, (copy.path, paragraph[:60])


# --- rendering ---------------------------------------------------------------


def parent_first(parent: CorpusArticle, paragraph: str) -> str:
    """The end of ``paragraph`` that is its parent's text (a dateline cut off)."""
    for candidate in parent.paragraphs:
        if paragraph.endswith(candidate):
            return candidate
    return paragraph


def _sample(corpus: Corpus) -> list[CorpusArticle]:
    """One article per outlet plus a few heavily transformed copies (43 pages)."""
    chosen: dict[str, CorpusArticle] = {}
    for article in corpus.articles:
        chosen.setdefault(article.outlet, article)
    busy = sorted(
        (a for a in corpus.articles if a not in chosen.values()),
        key=lambda a: (-len(a.transforms), a.path),
    )
    return [*chosen.values(), *busy[:3]]


def test_pages_extract_to_the_article_without_the_chrome(
    corpus: Corpus, routes: dict[str, tuple[str, bytes]]
) -> None:
    import trafilatura  # the one place the tests need the extractor

    sample = _sample(corpus)
    assert len(sample) == len(corpus.outlets) + 3
    for article in sample:
        outlet = corpus.outlet(article.outlet)
        ctype, body = routes[article.path]
        assert ctype.startswith("text/html")
        text = trafilatura.extract(body.decode("utf-8"), url=BASE_URL + article.path) or ""
        flat = _norm(text)
        assert _norm(article.paragraphs[0]) in flat, article.path
        assert _norm(article.paragraphs[-1]) in flat, article.path
        # The in-body boilerplate survives extraction: matching must cope.
        assert _norm(outlet.boilerplate) in flat, article.path
        for line in (*outlet.footer, outlet.tagline):
            assert _norm(line) not in flat, (article.path, line)
        lines = set(text.splitlines())
        assert not lines & set(outlet.nav), article.path


def test_pages_carry_the_metadata(corpus: Corpus, routes: dict[str, tuple[str, bytes]]) -> None:
    for article in corpus.articles:
        outlet = corpus.outlet(article.outlet)
        head = _Head()
        head.feed(routes[article.path][1].decode("utf-8"))
        assert head.lang == outlet.html_lang
        assert head.lang and head.lang.startswith(article.lang)
        assert head.meta["og:title"] == article.title
        assert head.meta["og:site_name"] == outlet.name
        assert article.title in head.title
        assert head.canonical == article.canonical_url
        assert head.canonical and head.canonical.startswith("https://www.")
        published = head.meta["article:published_time"]
        assert published == article.published.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_feeds_parse_and_link_to_existing_routes(
    corpus: Corpus, routes: dict[str, tuple[str, bytes]]
) -> None:
    import feedparser  # the one place the tests need the feed parser

    feeds = corpus.feeds(BASE_URL)
    assert set(feeds) == {o.name for o in corpus.outlets}
    formats: Counter[str] = Counter()
    gone = {a.path for a in corpus.missing}
    assert len(gone) == 1
    for outlet in corpus.outlets:
        mine = {a.path for a in corpus.articles if a.outlet == outlet.key}
        linked: set[str] = set()
        for url in feeds[outlet.name]:
            ctype, body = routes[url.removeprefix(BASE_URL)]
            parsed = feedparser.parse(body)
            assert not parsed.bozo, (url, parsed.get("bozo_exception"))
            formats[parsed.version[:4]] += 1
            assert ctype.split(";")[0] in ("application/rss+xml", "application/atom+xml")
            assert parsed.entries
            for entry in parsed.entries:
                assert entry.link.startswith(BASE_URL)
                path = entry.link.removeprefix(BASE_URL)
                if path in gone:
                    assert path not in routes  # listed in the feed, answers 404
                    continue
                assert path in routes and path in mine
                article = corpus.article(path)
                assert entry.title == article.title
                assert entry.published_parsed[:5] == article.published.timetuple()[:5]
                linked.add(path)
        assert linked == mine, outlet.name  # the main feed carries every article
    assert formats["rss2"] and formats["atom"]
