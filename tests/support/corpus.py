"""A labelled syndication corpus, rendered as a small local web of outlets.

The matcher is scored on a corpus whose truth is known. The spec directory
(``tests/data/corpus/``) holds hand-written original articles
(``base/*.json``), the outlets (``outlets.json``) and one HTML template per
outlet family (``templates/*.html``). :func:`build_corpus` turns that into
copies the way the web makes them, deterministically from a seed::

    base articles ─▶ originals (one per story, at the origin outlet)
                  └▶ copy plans (who reposts what, which transformations)
                       ─▶ copies (truncated, attributed, retitled, …)
    Corpus.routes()  ─▶ {path: (content type, bytes)}  feeds and article pages
    Corpus.labels()  ─▶ {path: story, origin flag, derived-from, origin outlet}

Every copy records the transformations applied to it (``transforms``), so a
failure of the matcher can be traced to the kind of rewrite that caused it.
Hard negatives (different stories that look alike) are part of the base set
and are labelled there; the in-body boilerplate paragraph of each outlet is
added by the page renderer to every article of the outlet.

This module does no I/O beyond reading the spec directory and writing what
``--out`` or ``--render`` ask for. It is test tooling, not shipped:
``ingestd eval`` reads its rendering (:func:`render_document`), which is
shipped as ``ingestd/evaluation/data/corpus.json.gz``::

    python -m tests.support.corpus tests/data/corpus --render ingestd/evaluation/data/corpus.json.gz
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import sys
import unicodedata
import zlib
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from string import Template
from typing import Any, Literal
from xml.sax.saxutils import escape as xml_escape

from ingestd.evaluation.rendered import FORMAT, PLACEHOLDER_BASE, dump_document
from ingestd.types import OutletRole

__all__ = [
    "ATTRIBUTION_FORMS",
    "DEFAULT_SEED",
    "HARD_NEGATIVE_KINDS",
    "TRANSFORM_KINDS",
    "BaseArticle",
    "Corpus",
    "CorpusArticle",
    "FeedSpec",
    "HardNegative",
    "Outlet",
    "build_corpus",
    "render_document",
    "stats_markdown",
]

DEFAULT_SEED = 7

# Transformations a copy can undergo, besides its attribution form. Each name
# is what ``CorpusArticle.transforms`` records and what stats() counts.
TRANSFORM_KINDS: tuple[str, ...] = (
    "truncate",  # first 40–70 % of the paragraphs only
    "retitle",  # a different headline
    "ad_insert",  # the copier's promo / "read also" paragraphs inserted
    "scraped_boilerplate",  # the origin outlet's in-body boilerplate scraped along
    "typography",  # quotes, apostrophes, dashes, non-breaking spaces changed
    "word_subst",  # a few words or date spellings changed
    "rewrap_split",  # one paragraph split in two
    "rewrap_merge",  # two paragraphs merged into one
    "canonical_to_origin",  # <link rel=canonical> points at the original
    "no_attribution",  # no attribution line at all
    "copy_of_copy",  # copied from another copy, which it attributes
    "published_before_origin",  # timestamp earlier than the origin's feed entry
)

# Attribution forms, recorded as "attribution:<form>". Texts are built by
# _attribution_text; the forms marked wire-only credit an agency.
ATTRIBUTION_FORMS: tuple[str, ...] = (
    "bare_domain",  # a last line "lemonde.fr"
    "source",  # "Source : Le Monde" / "Source: AFP"
    "avec",  # "Le Courrier de la Loire avec AFP"
    "dateline",  # "PARIS (AFP) – " opening the first paragraph
    "paren",  # a last line "(Reuters)"
    "copyright",  # a last line "© AFP"
    "read_more",  # "Lire la suite sur lemonde.fr" / "Read more at …" (linked)
    "first_appeared",  # "This article first appeared on The Harbour Tribune."
    "paru_dans",  # "Cet article est paru dans Le Courrier de la Loire."
)
_WIRE_ONLY_FORMS = frozenset({"avec", "dateline", "paren", "copyright"})
_NON_WIRE_FORMS = frozenset({"read_more", "first_appeared", "paru_dans"})
_FORM_LANG = {"avec": "fr", "paru_dans": "fr", "first_appeared": "en"}

HARD_NEGATIVE_KINDS: tuple[str, ...] = ("same_event", "shared_quote", "formulaic", "follow_up")

# Hand-made cases (base articles of the "cases" group, planned on their own
# random stream, with none of the random top-ups): what each adds.
CASE_KINDS: tuple[str, ...] = (
    "update_new_url",  # the origin outlet re-publishes under a new URL: first version + more
    "double_post",  # the origin outlet posts the same text twice, under two URLs
    "origin_page_missing",  # the origin's feed lists it, its page answers 404; copies credit it
    "ad_link",  # copies carry an affiliate short link on its own line
    "keeps_source_credit",  # C copies B whole, B's credit line naming the origin included
)

# How many copies a story gets. Weighted towards one or two: most stories are
# reposted a little, a few a lot; briefs are rarely worth copying.
_COPY_COUNTS = (0, 1, 2, 3)
_COPY_WEIGHTS = (12, 43, 33, 12)
_BRIEF_COPY_WEIGHTS = (60, 40, 0, 0)
_BRIEF_MAX_WORDS = 100
_OTHER_COPY_WEIGHTS = (0, 0, 55, 45)

# Probabilities of each optional transformation, for aggregators and for
# original outlets reprinting a wire story (which edit much less).
_P_AGGREGATOR = {
    "truncate": 0.5,
    "retitle": 0.4,
    "ad_insert": 0.45,
    "typography": 0.4,
    "word_subst": 0.35,
    "rewrap": 0.25,
    "canonical_to_origin": 0.1,
    "no_attribution": 0.12,
    "scraped_boilerplate": 0.15,
}
_P_ORIGINAL = {
    "truncate": 0.25,
    "retitle": 0.35,
    "ad_insert": 0.15,
    "typography": 0.3,
    "word_subst": 0.3,
    "rewrap": 0.2,
    "canonical_to_origin": 0.05,
    "no_attribution": 0.1,
    "scraped_boilerplate": 0.0,
}
_MIN_PER_KIND = 3  # every transformation kind and attribution form at least this often
_COPY_OF_COPY_CHAINS = 3
_EARLY_COPIES = 4  # copies stamped before their origin

_SECTIONS = {
    "fr": {
        "politics": ("politique", "Politique"),
        "economy": ("economie", "Economie"),
        "sport": ("sport", "Sport"),
        "culture": ("culture", "Culture"),
        "science": ("sciences", "Sciences"),
        "courts": ("justice", "Justice"),
        "local": ("regions", "Régions"),
        "international": ("international", "International"),
    },
    "en": {
        "politics": ("politics", "Politics"),
        "economy": ("business", "Business"),
        "sport": ("sport", "Sport"),
        "culture": ("culture", "Culture"),
        "science": ("science", "Science"),
        "courts": ("legal", "Legal"),
        "local": ("local", "Local"),
        "international": ("world", "World"),
    },
}

_FR_MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)  # fmt: skip
_EN_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

# Word substitutions a rewriting site makes: synonyms and date spellings. Each
# is applied to its first match only, so a copy changes "a few words".
_FR_SUBSTITUTIONS: tuple[tuple[str, str], ...] = (
    (r"\ba déclaré\b", "a affirmé"),
    (r"\ba indiqué\b", "a précisé"),
    (r"\ba estimé\b", "a jugé"),
    (r"\ba souligné\b", "a rappelé"),
    (r"(?<![’'])\benviron\b", "quelque"),  # never after an elision: "qu’environ"
    (r"(?<![’'])\bégalement\b", "aussi"),
    (r"\btoutefois\b", "cependant"),
    (r"\bnotamment\b", "en particulier"),
    (r"\ble gouvernement\b", "l’exécutif"),
    (r"\bprès de (\d)", r"presque \1"),
    (r"(\d) milliards d’euros", r"\1 Md€"),
    (r"(\d) millions d’euros", r"\1 M€"),
    (r"\b(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche) (\d{1,2}|1er) mars\b",
     r"\1 \2 mars 2026"),
    (r"\ble (\d{1,2}) mars\b", r"le \1/03"),
)  # fmt: skip
_EN_SUBSTITUTIONS: tuple[tuple[str, str], ...] = (
    (r"\btold reporters\b", "told journalists"),
    (r"\baccording to\b", "citing"),
    (r"(\d) billion\b", r"\1bn"),
    (r"(\d) million\b", r"\1m"),
    (r"(\d)%", r"\1 percent"),
    (r"\bMarch (\d{1,2})\b", r"\1 March"),
    (r"\babout (\d)", r"around \1"),
    (r"\bmore than (\d)", r"over \1"),
    (r"\bofficials\b", "authorities"),
    (r"\blawmakers\b", "legislators"),
    (r"\bsaid on (Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b", r"said \1"),
)  # fmt: skip

_RETITLE_PREFIXES = {
    "fr": ("INFO – ", "Urgent : ", "DIRECT. ", "Actu : "),
    "en": ("BREAKING: ", "Update: ", "JUST IN: ", "Report: "),
}

# --- the other languages -------------------------------------------------------
# Stories in these languages are planned with their own random stream (see
# build_corpus), so adding or editing them never changes the French and
# English part of the corpus. Their copies undergo the same kinds of
# transformation; "word_subst" changes a few characters in CJK text.
OTHER_LANGUAGES: tuple[str, ...] = ("zh", "ja", "ar", "ru", "hi", "de", "es")

_SECTION_NAMES = {
    "zh": ("时政", "财经", "体育", "文化", "科技", "法治", "本地", "国际"),
    "ja": ("政治", "経済", "スポーツ", "文化", "科学", "司法", "地域", "国際"),
    "ar": ("سياسة", "اقتصاد", "رياضة", "ثقافة", "علوم", "قضاء", "محليات", "دولي"),
    "ru": ("Политика", "Экономика", "Спорт", "Культура", "Наука", "Суд", "Регион", "Мир"),
    "hi": ("राजनीति", "कारोबार", "खेल", "संस्कृति", "विज्ञान", "अदालत", "शहर", "दुनिया"),
    "de": ("Politik", "Wirtschaft", "Sport", "Kultur", "Wissen", "Justiz", "Lokales", "Ausland"),
    "es": ("Política", "Economía", "Deportes", "Cultura", "Ciencia", "Tribunales", "Local",
           "Internacional"),
}  # fmt: skip
for _lang, _names in _SECTION_NAMES.items():
    _SECTIONS[_lang] = {
        topic: (_SECTIONS["en"][topic][0], name)
        for topic, name in zip(_SECTIONS["en"], _names, strict=True)
    }

_RETITLE_PREFIXES.update(
    {
        "zh": ("快讯：", "突发！", "最新："),
        "ja": ("【速報】", "【独自】", "【詳報】"),
        "ar": ("عاجل: ", "بالفيديو: ", "خبر: "),
        "ru": ("Срочно: ", "Главное: ", "Новость: "),
        "hi": ("बड़ी खबर: ", "ब्रेकिंग: ", "अपडेट: "),
        "de": ("Eilmeldung: ", "Aktuell: ", "Liveticker: "),
        "es": ("Última hora: ", "Urgente: ", "Directo: "),
    }
)

_OTHER_SUBSTITUTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "zh": (("表示", "称"), ("此外", "另外"), ("目前", "眼下"), ("进一步", "更加"),
           ("超过", "逾"), ("据介绍", "据悉")),
    "ja": (("述べた", "語った"), ("約", "およそ"), ("方針", "考え"), ("一方、", "他方、"),
           ("見通しだ", "見込みだ"), ("話している", "語っている")),
    "ar": (("وقال", "وأوضح"), ("حوالي", "نحو"), ("أكثر من", "ما يزيد على"), ("وأضاف", "وتابع"),
           ("ويرى", "ويعتقد")),
    "ru": ((r"\bзаявил", "сказал"), (r"\bоколо\b", "порядка"), (r"\bболее\b", "свыше"),
           (r"\bЭксперты\b", "Специалисты"), (r"\bВрачи\b", "Медики"),
           (r"\bсообщили\b", "рассказали")),
    "hi": (("कहा कि", "बताया कि"), ("लगभग", "करीब"), ("अधिक", "ज्यादा"),
           ("विशेषज्ञों", "जानकारों"), ("अधिकारियों", "अफसरों")),
    "de": ((r"\bsagte\b", "erklärte"), (r"\brund (\d)", r"etwa \1"), (r"\bAußerdem\b", "Zudem"),
           (r"\bmehr als (\d)", r"über \1"), (r"\bKritiker\b", "Gegner")),
    "es": ((r"\bafirmó\b", "aseguró"), (r"\bunos (\d)", r"alrededor de \1"),
           (r"\bAdemás\b", "Asimismo"), (r"\beste martes\b", "el martes"),
           (r"\bLos expertos\b", "Los especialistas")),
}  # fmt: skip

# How each language credits, for the forms a copier can use (the names and
# domains are filled in): source line, parenthesised agency, copyright line,
# "read more" lines (the first names the domain, the second the outlet).
_OTHER_CREDITS: dict[str, dict[str, tuple[str, ...]]] = {
    "zh": {"source": ("来源：{name}",), "paren": ("（{name}）",), "copyright": ("©{name}",),
           "read_more": ("阅读全文：{domain}", "点击阅读原文：{name}")},
    "ja": {"source": ("出典：{name}",), "paren": ("（{name}）",), "copyright": ("© {name}",),
           "read_more": ("続きは {domain} で", "全文は{name}で")},
    "ar": {"source": ("المصدر: {name}",), "paren": ("({name})",), "copyright": ("© {name}",),
           "read_more": ("اقرأ المزيد على {domain}", "التفاصيل على {name}")},
    "ru": {"source": ("Источник: {name}",), "paren": ("({name})",), "copyright": ("© {name}",),
           "read_more": ("Читать далее на {domain}", "Подробнее на {name}")},
    "hi": {"source": ("स्रोत: {name}",), "paren": ("({name})",), "copyright": ("© {name}",),
           "read_more": ("और पढ़ें: {domain}", "पूरी खबर पढ़ें {name} पर")},
    "de": {"source": ("Quelle: {name}",), "paren": ("({name})",), "copyright": ("© {name}",),
           "read_more": ("Weiterlesen auf {domain}", "Den ganzen Artikel lesen bei {name}")},
    "es": {"source": ("Fuente: {name}",), "paren": ("({name})",), "copyright": ("© {name}",),
           "read_more": ("Leer más en {domain}", "Sigue leyendo en {name}")},
}  # fmt: skip

_RU_MONTHS = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа",
              "сентября", "октября", "ноября", "декабря")  # fmt: skip
_ES_MONTHS = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")
_HI_MONTHS = ("जनवरी", "फरवरी", "मार्च", "अप्रैल", "मई", "जून", "जुलाई", "अगस्त", "सितंबर",
              "अक्टूबर", "नवंबर", "दिसंबर")  # fmt: skip
_ZH_REPORTERS = ("王磊", "刘洋", "陈晨")


def _other_dateline(
    lang: str, city: str, credited: Outlet, day: datetime, rng: random.Random
) -> str:
    """The dateline a wire copy opens with, as each language's agencies write it."""
    if lang == "zh":
        reporter = rng.choice(_ZH_REPORTERS)
        return f"{credited.name}{city}{day.month}月{day.day}日电（记者 {reporter}）"
    if lang == "ja":
        short = credited.name.removesuffix("通信")
        return f"【{city}{short}】"
    if lang == "ru":
        return f"{city.upper()}, {day.day} {_RU_MONTHS[day.month - 1]}. /{credited.name}/. "
    if lang == "es":
        return f"{city}, {day.day} {_ES_MONTHS[day.month - 1]} ({credited.name}).- "
    if lang == "hi":
        return f"{city}, {day.day} {_HI_MONTHS[day.month - 1]} ({credited.name}) - "
    return f"{city} ({credited.name}) - "  # Arabic and German wire style


def _other_typography(text: str, lang: str) -> str:
    """What a copier's CMS does to each script's punctuation and quotes."""
    if lang in ("zh", "ja"):
        # Full-width punctuation made ASCII, corner brackets and curly quotes swapped.
        table = {"，": ", ", "：": ": ", "；": "; ", "（": " (", "）": ") ", "！": "! ", "？": "? "}
        swap = {"“": "「", "”": "」"} if lang == "zh" else {"「": "“", "」": "”"}
        for glyph, plain in {**table, **swap}.items():
            text = text.replace(glyph, plain)
        return text
    if lang == "ar":
        return text.replace("،", ",").replace("؛", ";")
    if lang in ("ru", "es"):
        return text.replace("«", '"').replace("»", '"').replace("—", "-").replace("–", "-")
    if lang == "de":
        return text.replace("„", '"').replace("“", '"').replace("–", "-")
    return text.replace("“", '"').replace("”", '"').replace("–", "-")  # Hindi


# A sentence ends before a space and a capital (or an opening quote); tokens
# that look like abbreviations ("M.", "U.S.", "Gov.") do not end one.
_SENTENCE_GAP = re.compile(r"(?<=[.!?»”\"])\s+(?=[A-ZÀ-ÖØ-Þ«“\"])")
_ABBREVIATION = re.compile(
    r"(?:\b[A-Z]\.|\b[A-Z]\.[A-Z]\.|\b(?:Gov|Mr|Mrs|Dr|St|No|Feb|Sen|Rep)\.)$"
)
_TEMPLATE_HEADER = re.compile(r"\A<!--corpus-template\n(?P<opts>.*?)\n-->\n", re.DOTALL)


# ---------------------------------------------------------------------------
# Records


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """One feed of an outlet: its path under the outlet and its format.

    ``topics`` restricts a section feed to articles of those topics; empty
    means every article of the outlet.
    """

    path: str
    format: Literal["rss", "atom"]
    topics: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Outlet:
    """A news site of the corpus, as described in ``outlets.json``.

    ``key`` prefixes every local route of the outlet (``/lemonde/...``);
    ``domain`` makes its real-looking canonical URLs
    (``https://www.lemonde.fr/...``). ``nav`` and ``footer`` are chrome that
    extraction must drop; ``boilerplate`` is printed inside every article
    body after paragraph ``boilerplate_after`` (last when -1) and survives
    extraction, so matching must discount it.
    """

    key: str
    name: str
    domain: str
    role: OutletRole
    lang: str
    html_lang: str
    template: str
    date_style: str
    feeds: tuple[FeedSpec, ...]
    url_pattern: str
    title_format: str
    tagline: str
    house_author: str
    nav: tuple[str, ...]
    footer: tuple[str, ...]
    sidebar_title: str
    boilerplate: str
    boilerplate_after: int
    promos: tuple[str, ...]
    attribution_styles: tuple[str, ...]

    def canonical(self, url_path: str) -> str:
        """The outlet's public URL for a path: ``https://www.<domain><url_path>``."""
        return f"https://www.{self.domain}{url_path}"


@dataclass(frozen=True, slots=True)
class HardNegative:
    """Membership of a base article in a group of look-alike different stories."""

    kind: str  # one of HARD_NEGATIVE_KINDS
    group: str

    @property
    def label(self) -> str:
        """``kind:group``, as written in labels."""
        return f"{self.kind}:{self.group}"


@dataclass(frozen=True, slots=True)
class BaseArticle:
    """One hand-written original article of ``base/*.json``.

    ``in_corpus`` false marks a story whose origin is deliberately absent
    from the rendered web (only its copies appear). ``dateline`` is the city
    a wire copy's dateline names.
    """

    id: str
    lang: str
    outlet: str
    topic: str
    title: str
    alt_titles: tuple[str, ...]
    paragraphs: tuple[str, ...]
    published: datetime
    author: str
    dateline: str | None = None
    hard_negative: HardNegative | None = None
    in_corpus: bool = True
    # Hand-made cases (see CASE_KINDS); "group" is "cases" for them.
    group: str = "classic"
    copies: int | None = None  # exactly this many copies (bounded by the copiers)
    update: Mapping[str, Any] | None = None  # {"after_minutes", "title", "added": [...]}
    double_post: Mapping[str, Any] | None = None  # {"after_minutes"}
    origin_page_missing: bool = False
    ad_link: str | None = None
    chain_via_edits: bool = False

    @property
    def words(self) -> int:
        """Number of words of the body."""
        return sum(len(paragraph.split()) for paragraph in self.paragraphs)


@dataclass(frozen=True, slots=True)
class CorpusArticle:
    """One article page of the corpus, with its truth.

    ``path`` is the local route (``/<outlet key><url_path>``); ``paragraphs``
    is the article's own text in order, including what the copier added
    (promos, attribution line) but not the outlet's in-body boilerplate,
    which the renderer adds. ``inserted`` holds the indices of the
    paragraphs that are not the story's text (the copier's promos and
    attribution line, an origin's boilerplate scraped along). ``story`` is the base article id;
    ``origin_outlet`` the name of the outlet the matcher should name as
    origin; ``derived_from_path`` the article this copy was made from (None
    for origins and for copies of an absent origin); ``attributed_to`` the
    outlet name its attribution credits.
    """

    path: str
    outlet: str
    url_path: str
    title: str
    paragraphs: tuple[str, ...]
    published: datetime
    canonical_url: str | None
    story: str
    is_origin: bool
    derived_from_path: str | None
    transforms: tuple[str, ...]
    lang: str
    author: str
    topic: str
    origin_outlet: str
    attributed_to: str | None = None
    attribution_line: str | None = None
    source_link: str | None = None
    inserted: tuple[int, ...] = ()
    hard_negative: str | None = None


@dataclass(slots=True, eq=False)  # plans are compared by identity
class _Plan:
    """A copy to make: who copies which story from which article, and how."""

    base: BaseArticle
    copier: Outlet
    form: str | None
    flags: set[str] = field(default_factory=set)
    source_plan: _Plan | None = None  # copy of a copy: the plan copied from
    attributed: Outlet | None = None  # whom the attribution credits
    delay_minutes: int = 0
    built: CorpusArticle | None = None
    core: tuple[str, ...] = ()  # the story paragraphs, without additions


# ---------------------------------------------------------------------------
# The corpus


@dataclass(frozen=True, slots=True)
class Corpus:
    """The built corpus: outlets, articles, and their rendering.

    Usage: ``corpus = build_corpus(spec_dir)``, then serve
    ``corpus.routes(base)`` on ``base``, configure ``corpus.feeds(base)``
    and score against ``corpus.labels()``.
    """

    outlets: tuple[Outlet, ...]
    articles: tuple[CorpusArticle, ...]
    seed: int
    templates: Mapping[str, str]
    template_options: Mapping[str, Mapping[str, str]]
    # Feed entries whose page answers 404 (an origin that is gone).
    missing: tuple[CorpusArticle, ...] = ()

    def outlet(self, key: str) -> Outlet:
        """The outlet with this key."""
        for outlet in self.outlets:
            if outlet.key == key:
                return outlet
        raise KeyError(key)

    def article(self, path: str) -> CorpusArticle:
        """The article at this route path."""
        for article in self.articles:
            if article.path == path:
                return article
        raise KeyError(path)

    def feed_paths(self, outlet: Outlet) -> list[str]:
        """The local route paths of an outlet's feeds."""
        return [f"/{outlet.key}{feed.path}" for feed in outlet.feeds]

    def feeds(self, base_url: str) -> dict[str, list[str]]:
        """Feed URLs per outlet name, absolute under ``base_url``."""
        base = base_url.rstrip("/")
        return {o.name: [base + path for path in self.feed_paths(o)] for o in self.outlets}

    def routes(self, base_url: str) -> dict[str, tuple[str, bytes]]:
        """Every page of the local web: ``{path: (content type, body)}``.

        Feeds, article pages and one home page per outlet; links inside them
        are absolute under ``base_url``.
        """
        base = base_url.rstrip("/")
        routes: dict[str, tuple[str, bytes]] = {}
        by_outlet = self._by_outlet()
        for outlet in self.outlets:
            mine = by_outlet[outlet.key]
            routes[f"/{outlet.key}/"] = ("text/html; charset=utf-8", self._home(outlet, mine, base))
            listed = sorted(
                [*mine, *(a for a in self.missing if a.outlet == outlet.key)],
                key=lambda a: (a.published, a.path),
            )
            for feed in outlet.feeds:
                chosen = [a for a in listed if not feed.topics or a.topic in feed.topics]
                if feed.format == "rss":
                    body, ctype = self._rss(outlet, feed, chosen, base), "application/rss+xml"
                else:
                    body, ctype = self._atom(outlet, feed, chosen, base), "application/atom+xml"
                routes[f"/{outlet.key}{feed.path}"] = (f"{ctype}; charset=utf-8", body)
            for article in mine:
                page = self._page(outlet, article, mine, base)
                routes[article.path] = ("text/html; charset=utf-8", page)
        return routes

    def labels(self) -> dict[str, dict[str, Any]]:
        """The truth for each article path (JSON-serialisable).

        ``story`` groups the articles of one story; ``is_origin`` marks the
        origin's own article; ``derived_from`` is the path it was copied from;
        ``origin_outlet`` is the outlet name the story's origin should be (the
        credited wire agency when the origin is absent from the corpus).
        """
        return {
            a.path: {
                "story": a.story,
                "is_origin": a.is_origin,
                "derived_from": a.derived_from_path,
                "origin_outlet": a.origin_outlet,
                "outlet": self.outlet(a.outlet).name,
                "attributed_to": a.attributed_to,
                "canonical_url": a.canonical_url,
                "transforms": list(a.transforms),
                "hard_negative": a.hard_negative,
                "published": _iso(a.published),
                "language": a.lang,
            }
            for a in self.articles
        }

    def stats(self) -> dict[str, Any]:
        """Counts of the corpus: articles, transformations, hard negatives."""
        originals = [a for a in self.articles if a.is_origin]
        copies = [a for a in self.articles if not a.is_origin]
        transforms = Counter(t for a in copies for t in a.transforms)
        hard: dict[str, dict[str, int]] = {}
        for kind in HARD_NEGATIVE_KINDS:
            members = [a for a in originals if (a.hard_negative or "").startswith(kind + ":")]
            hard[kind] = {
                "groups": len({a.hard_negative for a in members}),
                "articles": len(members),
                "copies_of_them": sum(
                    1 for a in copies if (a.hard_negative or "").startswith(kind + ":")
                ),
            }
        hard["outlet_boilerplate"] = {
            "groups": sum(1 for o in self.outlets if o.boilerplate),
            "articles": len(self.articles),
            "copies_of_them": len(copies),
        }
        stories = {a.story for a in self.articles}
        copied = {a.story for a in copies}
        absent = {a.story for a in copies} - {a.story for a in originals}
        return {
            "seed": self.seed,
            "outlets": len(self.outlets),
            "articles": len(self.articles),
            "originals": len(originals),
            "copies": len(copies),
            "stories": len(stories),
            "stories_with_copies": len(copied),
            "absent_origin_stories": len(absent),
            "briefs": sum(1 for a in originals if _word_count(a.paragraphs) < _BRIEF_MAX_WORDS),
            "languages": dict(sorted(Counter(a.lang for a in self.articles).items())),
            "articles_per_outlet": {
                o.name: sum(1 for a in self.articles if a.outlet == o.key) for o in self.outlets
            },
            "hard_negative_articles": sum(1 for a in originals if a.hard_negative),
            "hard_negatives": hard,
            "transforms": dict(sorted(transforms.items())),
        }

    # -- rendering ---------------------------------------------------------

    def _by_outlet(self) -> dict[str, list[CorpusArticle]]:
        grouped: dict[str, list[CorpusArticle]] = defaultdict(list)
        for article in sorted(self.articles, key=lambda a: (a.published, a.path), reverse=True):
            grouped[article.outlet].append(article)
        return grouped

    def _page(
        self, outlet: Outlet, article: CorpusArticle, mine: Sequence[CorpusArticle], base: str
    ) -> bytes:
        options = self.template_options[outlet.template]
        home = f"{base}/{outlet.key}/"
        section = _SECTIONS[outlet.lang][article.topic][1]
        related = [a for a in mine if a.path != article.path][:5]
        mapping = {
            "html_lang": outlet.html_lang,
            "page_title": _h(outlet.title_format.format(title=article.title)),
            "og_title": _h(article.title),
            "title": _h(article.title),
            "site_name": _h(outlet.name),
            "tagline": _h(outlet.tagline),
            "description": _h(_summary(article.paragraphs)),
            "canonical": _h(article.canonical_url or outlet.canonical(article.url_path)),
            "published_iso": _iso(article.published),
            "published_display": _h(_display_date(article.published, outlet.date_style)),
            "author": _h(article.author),
            "section_name": _h(section),
            "home": _h(home),
            "sidebar_title": _h(outlet.sidebar_title),
            "nav_items": "".join(
                f'<li><a href="{_h(home)}{_slug(item)}/">{_h(item)}</a></li>' for item in outlet.nav
            ),
            "footer_lines": "".join(f"<p>{_h(line)}</p>" for line in outlet.footer),
            "related_items": "".join(
                f'<li><a href="{_h(base + a.path)}">{_h(a.title)}</a></li>' for a in related
            ),
            "feed_links": "\n".join(
                f'<link rel="alternate" type="application/{f.format}+xml" '
                f'title="{_h(outlet.name)}" href="{_h(base)}/{outlet.key}{f.path}">'
                for f in outlet.feeds
            ),
            "jsonld": _jsonld(outlet, article),
            "body": self._body(outlet, article, options),
        }
        return Template(self.templates[outlet.template]).substitute(mapping).encode("utf-8")

    def _body(self, outlet: Outlet, article: CorpusArticle, options: Mapping[str, str]) -> str:
        lines: list[str] = []
        last = len(article.paragraphs) - 1
        for index, text in enumerate(article.paragraphs):
            body = _h(text)
            if (
                article.source_link
                and text == article.attribution_line
                and article.lang in OTHER_LANGUAGES
            ):
                body = self._linked_credit(article, text)
            elif article.source_link and text == article.attribution_line:
                # Link the credited site only, as "Lire la suite sur <a>…</a>"
                # lines do: a paragraph that is one link would be dropped by
                # extractors as navigation.
                lead, _, credit = text.rpartition(" sur " if article.lang == "fr" else " at ")
                sep = " sur " if article.lang == "fr" else " at "
                link = f'<a href="{_h(article.source_link)}">{_h(credit)}</a>'
                body = f"{_h(lead)}{sep}{link}" if lead else link
            kind = (
                "promo"
                if index in article.inserted and text != article.attribution_line
                else "paragraph"
            )
            lines.append(options[kind].replace("{index}", str(index)).replace("{text}", body))
            if outlet.boilerplate and index == min(outlet.boilerplate_after - 1, last):
                lines.append(options["boilerplate"].replace("{text}", _h(outlet.boilerplate)))
        if outlet.boilerplate and outlet.boilerplate_after < 0:
            lines.append(options["boilerplate"].replace("{text}", _h(outlet.boilerplate)))
        return "\n".join(lines)

    def _linked_credit(self, article: CorpusArticle, text: str) -> str:
        """A "read more" line with the credited domain or name linked, wherever it stands."""
        credited = next(o for o in self.outlets if o.name == article.attributed_to)
        token = credited.domain if credited.domain in text else credited.name
        start = text.rfind(token)
        link = f'<a href="{_h(article.source_link or "")}">{_h(token)}</a>'
        return _h(text[:start]) + link + _h(text[start + len(token) :])

    def _home(self, outlet: Outlet, mine: Sequence[CorpusArticle], base: str) -> bytes:
        items = "".join(f'<li><a href="{_h(base + a.path)}">{_h(a.title)}</a></li>' for a in mine)
        page = (
            f'<!DOCTYPE html><html lang="{outlet.html_lang}"><head><meta charset="utf-8">'
            f"<title>{_h(outlet.tagline)}</title></head><body><h1>{_h(outlet.name)}</h1>"
            f"<ul>{items}</ul></body></html>"
        )
        return page.encode("utf-8")

    def _rss(
        self, outlet: Outlet, feed: FeedSpec, chosen: Sequence[CorpusArticle], base: str
    ) -> bytes:
        home = f"{base}/{outlet.key}/"
        items = []
        for a in chosen:
            guid, permalink = _guid(outlet, a, base)
            items.append(
                "<item>"
                f"<title>{xml_escape(a.title)}</title>"
                f"<link>{xml_escape(base + a.path)}</link>"
                f'<guid isPermaLink="{str(permalink).lower()}">{xml_escape(guid)}</guid>'
                f"<pubDate>{format_datetime(a.published, usegmt=True)}</pubDate>"
                f"<dc:creator>{xml_escape(a.author)}</dc:creator>"
                f"<category>{xml_escape(_SECTIONS[outlet.lang][a.topic][1])}</category>"
                f"<description>{xml_escape(_summary(a.paragraphs))}</description>"
                "</item>"
            )
        built = max((a.published for a in chosen), default=_EPOCH)
        doc = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:atom="http://www.w3.org/2005/Atom">\n<channel>'
            f"<title>{xml_escape(outlet.tagline)}</title>"
            f"<link>{xml_escape(home)}</link>"
            f"<description>{xml_escape(outlet.tagline)}</description>"
            f"<language>{outlet.html_lang}</language>"
            f"<lastBuildDate>{format_datetime(built, usegmt=True)}</lastBuildDate>"
            "<ttl>15</ttl>"
            f'<atom:link href="{xml_escape(base)}/{outlet.key}{feed.path}" rel="self" '
            'type="application/rss+xml"/>\n' + "\n".join(items) + "\n</channel>\n</rss>\n"
        )
        return doc.encode("utf-8")

    def _atom(
        self, outlet: Outlet, feed: FeedSpec, chosen: Sequence[CorpusArticle], base: str
    ) -> bytes:
        home = f"{base}/{outlet.key}/"
        entries = []
        for a in chosen:
            guid, _ = _guid(outlet, a, base)
            entries.append(
                "<entry>"
                f"<title>{xml_escape(a.title)}</title>"
                f'<link rel="alternate" type="text/html" href="{xml_escape(base + a.path)}"/>'
                f"<id>{xml_escape(guid)}</id>"
                f"<published>{_iso(a.published)}</published>"
                f"<updated>{_iso(a.published)}</updated>"
                f"<author><name>{xml_escape(a.author)}</name></author>"
                f"<summary>{xml_escape(_summary(a.paragraphs))}</summary>"
                "</entry>"
            )
        built = max((a.published for a in chosen), default=_EPOCH)
        doc = (
            '<?xml version="1.0" encoding="utf-8"?>\n'
            f'<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="{outlet.html_lang}">'
            f"<title>{xml_escape(outlet.tagline)}</title>"
            f'<link rel="alternate" type="text/html" href="{xml_escape(home)}"/>'
            f'<link rel="self" type="application/atom+xml" '
            f'href="{xml_escape(base)}/{outlet.key}{feed.path}"/>'
            f"<id>{xml_escape(outlet.canonical('/'))}</id>"
            f"<updated>{_iso(built)}</updated>\n" + "\n".join(entries) + "\n</feed>\n"
        )
        return doc.encode("utf-8")


_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)


# ---------------------------------------------------------------------------
# Loading the spec


def _load_outlets(spec_dir: Path) -> tuple[Outlet, ...]:
    raw = json.loads((spec_dir / "outlets.json").read_text(encoding="utf-8"))
    outlets = []
    for item in raw["outlets"]:
        feeds = tuple(
            FeedSpec(path=f["path"], format=f["format"], topics=tuple(f.get("topics", ())))
            for f in item["feeds"]
        )
        styles = tuple(item["attribution_styles"])
        unknown = set(styles) - set(ATTRIBUTION_FORMS)
        if unknown:
            raise ValueError(f"outlets.json: {item['key']}: unknown attribution styles {unknown}")
        outlets.append(
            Outlet(
                key=item["key"],
                name=item["name"],
                domain=item["domain"],
                role=OutletRole(item["role"]),
                lang=item["lang"],
                html_lang=item["html_lang"],
                template=item["template"],
                date_style=item["date_style"],
                feeds=feeds,
                url_pattern=item["url_pattern"],
                title_format=item["title_format"],
                tagline=item["tagline"],
                house_author=item["house_author"],
                nav=tuple(item["nav"]),
                footer=tuple(item["footer"]),
                sidebar_title=item["sidebar_title"],
                boilerplate=item["boilerplate"],
                boilerplate_after=int(item["boilerplate_after"]),
                promos=tuple(item["promos"]),
                attribution_styles=styles,
            )
        )
    keys = [o.key for o in outlets]
    if len(set(keys)) != len(keys):
        raise ValueError("outlets.json: duplicate outlet keys")
    return tuple(outlets)


def _load_base(spec_dir: Path, outlets: Mapping[str, Outlet]) -> tuple[BaseArticle, ...]:
    articles: list[BaseArticle] = []
    for path in sorted((spec_dir / "base").glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        for item in raw if isinstance(raw, list) else [raw]:
            where = f"{path.name}: {item.get('id')}"
            if item["outlet"] not in outlets:
                raise ValueError(f"{where}: unknown outlet {item['outlet']!r}")
            if outlets[item["outlet"]].role is OutletRole.AGGREGATOR:
                raise ValueError(f"{where}: an original must come from an original or wire outlet")
            if item["lang"] != outlets[item["outlet"]].lang:
                raise ValueError(f"{where}: language differs from its outlet's")
            hn = item.get("hard_negative")
            if hn and hn["kind"] not in HARD_NEGATIVE_KINDS:
                raise ValueError(f"{where}: unknown hard-negative kind {hn['kind']!r}")
            published = datetime.fromisoformat(item["published"].replace("Z", "+00:00"))
            articles.append(
                BaseArticle(
                    id=item["id"],
                    lang=item["lang"],
                    outlet=item["outlet"],
                    topic=item["topic"],
                    title=item["title"],
                    alt_titles=tuple(item.get("alt_titles", ())),
                    paragraphs=tuple(item["paragraphs"]),
                    published=published.astimezone(UTC),
                    author=item["author"],
                    dateline=item.get("dateline"),
                    hard_negative=HardNegative(hn["kind"], hn["group"]) if hn else None,
                    in_corpus=bool(item.get("in_corpus", True)),
                    group=item.get("group", "classic"),
                    copies=item.get("copies"),
                    update=item.get("update"),
                    double_post=item.get("double_post"),
                    origin_page_missing=bool(item.get("origin_page_missing", False)),
                    ad_link=item.get("ad_link"),
                    chain_via_edits=bool(item.get("chain_via_edits", False)),
                )
            )
    ids = [a.id for a in articles]
    if len(set(ids)) != len(ids):
        raise ValueError("base: duplicate article ids")
    return tuple(sorted(articles, key=lambda a: a.id))


def _load_templates(
    spec_dir: Path, outlets: Iterable[Outlet]
) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    texts: dict[str, str] = {}
    options: dict[str, dict[str, str]] = {}
    for name in sorted({o.template for o in outlets}):
        text = (spec_dir / "templates" / f"{name}.html").read_text(encoding="utf-8")
        header = _TEMPLATE_HEADER.match(text)
        if header is None:
            raise ValueError(f"templates/{name}.html: missing <!--corpus-template ...--> header")
        opts = {}
        for line in header.group("opts").splitlines():
            key, _, value = line.partition(":")
            opts[key.strip()] = value.strip()
        missing = {"paragraph", "boilerplate", "promo"} - set(opts)
        if missing:
            raise ValueError(f"templates/{name}.html: header lacks {sorted(missing)}")
        texts[name] = text[header.end() :]
        options[name] = opts
    return texts, options


# ---------------------------------------------------------------------------
# Building


def build_corpus(spec_dir: Path, seed: int = DEFAULT_SEED) -> Corpus:
    """Build the corpus from the spec directory, deterministically from ``seed``.

    Raises ValueError when the spec is inconsistent or when the seed cannot
    give every transformation kind its minimum number of uses.
    """
    outlets = _load_outlets(spec_dir)
    by_key = {o.key: o for o in outlets}
    base = _load_base(spec_dir, by_key)
    templates, options = _load_templates(spec_dir, outlets)
    paths: set[str] = set()
    origins: dict[str, CorpusArticle] = {}
    copies: list[CorpusArticle] = []
    # French and English share the seed's stream; each other language has its
    # own, so that one language's stories never move another's copies.
    groups = [
        ("classic", [b for b in base if b.lang not in OTHER_LANGUAGES and b.group == "classic"])
    ]
    groups += [
        (lang, [b for b in base if b.lang == lang and b.group == "classic"])
        for lang in OTHER_LANGUAGES
    ]
    groups.append(("cases", [b for b in base if b.group == "cases"]))
    missing: list[CorpusArticle] = []
    for name, group in groups:
        if not group:
            continue
        rng = random.Random(seed) if name == "classic" else random.Random(f"{seed}:{name}")
        langs = {b.lang for b in group}
        group_outlets = [o for o in outlets if o.lang in langs]
        for b in group:
            if b.in_corpus and not b.origin_page_missing:
                origins[b.id] = _make_original(b, by_key[b.outlet], rng, paths)
            elif b.origin_page_missing:
                missing.append(_make_original(b, by_key[b.outlet], rng, paths))
        special = name == "cases"
        plans = _plan_copies(group, group_outlets, by_key, origins, rng, special=special)
        copies += [_realize(plan, group, by_key, origins, rng, paths) for plan in plans]
        for b in group:
            if b.id in origins:
                copies += _same_outlet_reposts(b, origins[b.id], by_key[b.outlet], rng, paths)

    articles = sorted([*origins.values(), *copies], key=lambda a: (a.published, a.path))
    corpus = Corpus(
        outlets=outlets,
        articles=tuple(articles),
        seed=seed,
        templates=templates,
        template_options=options,
        missing=tuple(missing),
    )
    _check(corpus)
    return corpus


def _make_original(
    b: BaseArticle, outlet: Outlet, rng: random.Random, paths: set[str]
) -> CorpusArticle:
    url_path = _url_path(outlet, b.title, b.published, b.topic, rng, paths)
    return CorpusArticle(
        path=f"/{outlet.key}{url_path}",
        outlet=outlet.key,
        url_path=url_path,
        title=b.title,
        paragraphs=b.paragraphs,
        published=b.published,
        canonical_url=outlet.canonical(url_path),
        story=b.id,
        is_origin=True,
        derived_from_path=None,
        transforms=(),
        lang=b.lang,
        author=b.author,
        topic=b.topic,
        origin_outlet=outlet.name,
        hard_negative=b.hard_negative.label if b.hard_negative else None,
    )


def _copiers(b: BaseArticle, origin: Outlet, outlets: Sequence[Outlet]) -> list[Outlet]:
    """Outlets that would repost this story: same language, another outlet.

    Aggregators repost anything; original outlets reprint wire copy only;
    agencies copy nobody.
    """
    found = []
    for o in outlets:
        if o.key == origin.key or o.lang != b.lang or o.role is OutletRole.WIRE:
            continue
        if o.role is OutletRole.ORIGINAL and origin.role is not OutletRole.WIRE:
            continue
        found.append(o)
    return found


def _applicable_forms(copier: Outlet, credited: Outlet) -> list[str]:
    forms = []
    for form in copier.attribution_styles:
        if form in _WIRE_ONLY_FORMS and credited.role is not OutletRole.WIRE:
            continue
        if form in _NON_WIRE_FORMS and credited.role is OutletRole.WIRE:
            continue
        if _FORM_LANG.get(form, copier.lang) != copier.lang:
            continue
        forms.append(form)
    return forms


def _plan_copies(
    base: Sequence[BaseArticle],
    outlets: Sequence[Outlet],
    by_key: Mapping[str, Outlet],
    origins: Mapping[str, CorpusArticle],
    rng: random.Random,
    *,
    special: bool = False,
) -> list[_Plan]:
    """Who copies what, and how. ``special``: the hand-made cases, planned as
    written (no chains, early copies or top-ups added at random)."""
    form_uses: Counter[str] = Counter()
    plans: list[_Plan] = []
    carriers: dict[str, set[str]] = {b.id: {b.outlet} for b in base}

    def choose_form(copier: Outlet, credited: Outlet) -> str:
        # The least-used applicable form, so every form reaches its minimum.
        forms = _applicable_forms(copier, credited) or ["source"]
        least = min(form_uses[f] for f in forms)
        form = rng.choice([f for f in forms if form_uses[f] == least])
        form_uses[form] += 1
        return form

    for b in base:
        origin_outlet = by_key[b.outlet]
        candidates = _copiers(b, origin_outlet, outlets)
        if not b.in_corpus or b.origin_page_missing:
            # The absent-origin story: two copies crediting the agency (or the
            # outlet whose page is gone).
            chosen = rng.sample(candidates, 2)
            for copier in chosen:
                plan = _Plan(b, copier, "source", attributed=origin_outlet)
                form_uses["source"] += 1
                _roll_flags(plan, rng, origin_present=False)
                plans.append(plan)
                carriers[b.id].add(copier.key)
            continue
        weights = _BRIEF_COPY_WEIGHTS if b.words < _BRIEF_MAX_WORDS else _COPY_WEIGHTS
        if b.lang in OTHER_LANGUAGES:
            # Few stories per language: every one is copied two or three
            # times, so each language has enough same-story pairs to score.
            weights = _OTHER_COPY_WEIGHTS
        count = min(rng.choices(_COPY_COUNTS, weights)[0], len(candidates))
        if b.copies is not None:
            count = min(b.copies, len(candidates))
        for copier in rng.sample(candidates, count):
            probabilities = _P_AGGREGATOR if copier.role is OutletRole.AGGREGATOR else _P_ORIGINAL
            form = None if rng.random() < probabilities["no_attribution"] else "pending"
            plan = _Plan(b, copier, form, attributed=origin_outlet)
            if form is None:
                plan.flags.add("no_attribution")
                plan.attributed = None
            else:
                plan.form = choose_form(copier, origin_outlet)
            _roll_flags(plan, rng, origin_present=True)
            plans.append(plan)
            carriers[b.id].add(copier.key)
        if b.chain_via_edits:
            plans.append(_chain_via_edits(plans[-1], outlets, carriers[b.id], rng, by_key))
            carriers[b.id].add(plans[-1].copier.key)

    if special:
        for plan in plans:
            plan.delay_minutes = _delay(plan, rng)
        return sorted(plans, key=lambda p: p.source_plan is not None)

    # Copies of copies: B is a cut, attributed aggregator copy of an
    # original outlet's story; C reposts B and credits B.
    chains = [
        p
        for p in plans
        if by_key[p.base.outlet].role is OutletRole.ORIGINAL
        and p.base.in_corpus
        and len(p.base.paragraphs) >= 4
        and p.copier.role is OutletRole.AGGREGATOR
        and any(
            o.role is OutletRole.AGGREGATOR
            and o.lang == p.base.lang
            and o.key not in carriers[p.base.id]
            for o in outlets
        )
    ]
    chosen_chains: list[_Plan] = []
    for lang in ("en", "fr", "fr"):
        pool = [p for p in chains if p.base.lang == lang and p not in chosen_chains]
        pool = [p for p in pool if p.base.id not in {c.base.id for c in chosen_chains}]
        if pool and len(chosen_chains) < _COPY_OF_COPY_CHAINS:
            chosen_chains.append(rng.choice(pool))
    for b_plan in chosen_chains:
        b_plan.flags.add("truncate")
        b_plan.flags.discard("canonical_to_origin")
        if b_plan.form is None:
            b_plan.flags.discard("no_attribution")
            b_plan.attributed = by_key[b_plan.base.outlet]
            b_plan.form = choose_form(b_plan.copier, by_key[b_plan.base.outlet])
        free = [
            o
            for o in outlets
            if o.role is OutletRole.AGGREGATOR
            and o.lang == b_plan.base.lang
            and o.key not in carriers[b_plan.base.id]
        ]
        c_copier = rng.choice(free)
        c_form = rng.choice(
            [f for f in ("bare_domain", "source") if f in c_copier.attribution_styles] or ["source"]
        )
        form_uses[c_form] += 1
        c_plan = _Plan(b_plan.base, c_copier, c_form, source_plan=b_plan, attributed=b_plan.copier)
        c_plan.flags.add("copy_of_copy")
        for flag in ("typography", "retitle", "ad_insert"):
            if rng.random() < 0.5:
                c_plan.flags.add(flag)
        plans.append(c_plan)
        carriers[b_plan.base.id].add(c_copier.key)

    # A few copies stamped before their origin's feed entry; each keeps an
    # attribution so that the origin can still be told.
    early_pool = [
        p
        for p in plans
        if p.form is not None
        and p.source_plan is None
        and p.base.in_corpus
        and p not in chosen_chains
    ]
    # Half of them reprint wire copy (an agency's feed entry often lags its
    # clients' pages), all on different stories.
    rng.shuffle(early_pool)
    early: list[_Plan] = []
    for want_wire, quota in ((True, _EARLY_COPIES // 2), (False, _EARLY_COPIES)):
        for plan in early_pool:
            is_wire = by_key[plan.base.outlet].role is OutletRole.WIRE
            taken = {e.base.id for e in early}
            if len(early) < quota and is_wire == want_wire and plan.base.id not in taken:
                early.append(plan)
    for plan in early:
        plan.flags.add("published_before_origin")

    _top_up(plans, rng)
    _top_up_forms(plans, rng)
    for plan in plans:
        plan.delay_minutes = _delay(plan, rng)
    # Copies of copies last, so that their source is built first.
    return sorted(plans, key=lambda p: p.source_plan is not None)


def _chain_via_edits(
    b_plan: _Plan,
    outlets: Sequence[Outlet],
    carriers: set[str],
    rng: random.Random,
    by_key: Mapping[str, Outlet],
) -> _Plan:
    """B edits words, inserts a promo and credits the origin; C copies B whole, credit included.

    C's only credit names the origin, but its text carries B's changes: its
    source is B.
    """
    origin_outlet = by_key[b_plan.base.outlet]
    b_plan.form, b_plan.attributed = "source", origin_outlet
    b_plan.flags = {"word_subst", "ad_insert"}
    free = [
        o
        for o in outlets
        if o.role is OutletRole.AGGREGATOR
        and o.lang == b_plan.base.lang
        and o.key not in carriers
        and o.key != b_plan.copier.key
    ]
    c_plan = _Plan(b_plan.base, rng.choice(free), None, source_plan=b_plan)
    c_plan.flags = {"copy_of_copy", "keeps_source_credit"}
    c_plan.attributed = origin_outlet
    return c_plan


def _same_outlet_reposts(
    b: BaseArticle, origin: CorpusArticle, outlet: Outlet, rng: random.Random, paths: set[str]
) -> list[CorpusArticle]:
    """The origin outlet's own second URLs for a story: an update, a double post."""
    made = []
    for kind, spec in (("update_new_url", b.update), ("double_post", b.double_post)):
        if spec is None:
            continue
        published = origin.published + timedelta(minutes=int(spec["after_minutes"]))
        title = str(spec.get("title") or origin.title)
        paragraphs = (*origin.paragraphs, *spec.get("added", ()))
        url_path = _url_path(outlet, title, published, b.topic, rng, paths)
        made.append(
            CorpusArticle(
                path=f"/{outlet.key}{url_path}",
                outlet=outlet.key,
                url_path=url_path,
                title=title,
                paragraphs=paragraphs,
                published=published,
                canonical_url=outlet.canonical(url_path),
                story=b.id,
                is_origin=False,
                derived_from_path=origin.path,
                transforms=(kind,),
                lang=b.lang,
                author=origin.author,
                topic=b.topic,
                origin_outlet=outlet.name,
                hard_negative=origin.hard_negative,
            )
        )
    return made


def _roll_flags(plan: _Plan, rng: random.Random, origin_present: bool) -> None:
    p = _P_AGGREGATOR if plan.copier.role is OutletRole.AGGREGATOR else _P_ORIGINAL
    n = len(plan.base.paragraphs)
    if n >= 4 and (rng.random() < p["truncate"] or plan.form == "read_more"):
        plan.flags.add("truncate")
    for flag in ("retitle", "typography"):
        if rng.random() < p[flag]:
            plan.flags.add(flag)
    if plan.copier.promos and rng.random() < p["ad_insert"]:
        plan.flags.add("ad_insert")
    if rng.random() < p["word_subst"] and _substitutable(plan.base):
        plan.flags.add("word_subst")
    if rng.random() < p["rewrap"]:
        kind = "rewrap_split" if rng.random() < 0.5 else "rewrap_merge"
        if _rewrappable(plan.base, kind):
            plan.flags.add(kind)
    if origin_present and rng.random() < p["canonical_to_origin"]:
        plan.flags.add("canonical_to_origin")
    if origin_present and rng.random() < p["scraped_boilerplate"]:
        plan.flags.add("scraped_boilerplate")


def _eligible(plan: _Plan, kind: str) -> bool:
    if plan.source_plan is not None or kind in plan.flags:
        return False
    if kind == "truncate":
        return len(plan.base.paragraphs) >= 4
    if kind == "ad_insert":
        return bool(plan.copier.promos)
    if kind == "word_subst":
        return _substitutable(plan.base)
    if kind in ("rewrap_split", "rewrap_merge"):
        return _rewrappable(plan.base, kind)
    if kind == "canonical_to_origin":
        return plan.base.in_corpus
    if kind == "scraped_boilerplate":
        return plan.base.in_corpus and plan.copier.role is OutletRole.AGGREGATOR
    return kind in ("retitle", "typography")


def _top_up(plans: Sequence[_Plan], rng: random.Random) -> None:
    """Give every optional transformation its minimum number of uses."""
    for kind in ("truncate", "retitle", "ad_insert", "typography", "word_subst",
                 "rewrap_split", "rewrap_merge", "canonical_to_origin",
                 "scraped_boilerplate"):  # fmt: skip
        have = sum(1 for p in plans if kind in p.flags)
        pool = [p for p in plans if _eligible(p, kind)]
        rng.shuffle(pool)
        for plan in pool[: max(0, _MIN_PER_KIND - have)]:
            plan.flags.add(kind)
    unattributed = sum(1 for p in plans if p.form is None)
    if unattributed < _MIN_PER_KIND:
        pool = [
            p
            for p in plans
            if p.form is not None
            and p.source_plan is None
            and p.base.in_corpus
            and "published_before_origin" not in p.flags
            and not any(q.source_plan is p for q in plans)
        ]
        uses = Counter(p.form for p in plans)
        rng.shuffle(pool)
        for plan in pool:
            if unattributed >= _MIN_PER_KIND:
                break
            if plan.form is not None and uses[plan.form] > _MIN_PER_KIND:
                uses[plan.form] -= 1
                plan.form, plan.attributed = None, None
                plan.flags.add("no_attribution")
                unattributed += 1


def _top_up_forms(plans: Sequence[_Plan], rng: random.Random) -> None:
    """Give every attribution form its minimum, taking from the commonest forms."""
    uses = Counter(p.form for p in plans if p.form is not None)
    for form in ATTRIBUTION_FORMS:
        pool = [
            p
            for p in plans
            if p.form is not None
            and p.form != form
            and p.base.in_corpus  # the absent-origin copies keep "Source : AFP"
            and p.source_plan is None
            and p.attributed is not None
            and form in _applicable_forms(p.copier, p.attributed)
        ]
        rng.shuffle(pool)
        for plan in pool:
            if uses[form] >= _MIN_PER_KIND:
                break
            if plan.form is not None and uses[plan.form] > _MIN_PER_KIND:
                uses[plan.form] -= 1
                uses[form] += 1
                plan.form = form
                if form == "read_more" and len(plan.base.paragraphs) >= 4:
                    plan.flags.add("truncate")


def _delay(plan: _Plan, rng: random.Random) -> int:
    if "published_before_origin" in plan.flags:
        return -rng.randint(5, 90)
    bucket = rng.random()
    if bucket < 0.35:
        return rng.randint(4, 60)
    if bucket < 0.75:
        return rng.randint(61, 360)
    return rng.randint(361, 2160)


def _realize(
    plan: _Plan,
    base: Sequence[BaseArticle],
    by_key: Mapping[str, Outlet],
    origins: Mapping[str, CorpusArticle],
    rng: random.Random,
    paths: set[str],
) -> CorpusArticle:
    b, copier = plan.base, plan.copier
    origin_outlet = by_key[b.outlet]
    origin = origins.get(b.id)
    source = plan.source_plan.built if plan.source_plan else None
    flags = plan.flags
    transforms: list[str] = []

    if "keeps_source_credit" in flags and source is not None:
        return _keep_source_whole(plan, source, origin_outlet, rng, paths)
    core = list(plan.source_plan.core if plan.source_plan else b.paragraphs)
    title = source.title if source else b.title
    if "truncate" in flags:
        fraction = rng.uniform(0.4, 0.7)
        keep = min(len(core) - 1, max(2, round(len(core) * fraction)))
        core = core[:keep]
        transforms.append("truncate")
    if "word_subst" in flags:
        core, changed = _substitute_words(core, b.lang, rng)
        if changed:
            transforms.append("word_subst")
    if "rewrap_split" in flags:
        split = _split_paragraph(core)
        if split is not None:
            core = split
            transforms.append("rewrap_split")
    if "rewrap_merge" in flags and len(core) >= 2:
        i = rng.randrange(0, len(core) - 1)
        core = [*core[:i], core[i] + " " + core[i + 1], *core[i + 2 :]]
        transforms.append("rewrap_merge")
    if "retitle" in flags:
        title = _retitle(b, title, rng)
        transforms.append("retitle")
    if "typography" in flags and b.lang in OTHER_LANGUAGES:
        new_core = [_other_typography(p, b.lang) for p in core]
        new_title = _other_typography(title, b.lang)
        if new_core != core or new_title != title:
            core, title = new_core, new_title
            transforms.append("typography")
    elif "typography" in flags:
        style = rng.choice(
            ("flatten", "flatten", "loose", "ascii")
            if b.lang == "fr"
            else ("swap", "swap", "ascii")
        )
        new_core = [_typography(p, b.lang, style) for p in core]
        new_title = _typography(title, b.lang, style)
        if new_core == core and new_title == title:  # nothing for that style to change
            new_core = [_typography(p, b.lang, "ascii") for p in core]
            new_title = _typography(title, b.lang, "ascii")
        if new_core != core or new_title != title:
            core, title = new_core, new_title
            transforms.append("typography")
    plan.core = tuple(core)

    paragraphs = list(core)
    inserted: list[int] = []
    if "scraped_boilerplate" in flags and origin is not None and origin_outlet.boilerplate:
        # A scraper that took the origin's whole article body, newsletter
        # box included, where the origin's template had put it.
        after = origin_outlet.boilerplate_after
        position = len(paragraphs) if after < 0 else min(after, len(paragraphs))
        paragraphs.insert(position, origin_outlet.boilerplate)
        inserted.append(position)
        transforms.append("scraped_boilerplate")
    if "ad_insert" in flags and copier.promos:
        count = 1 if len(paragraphs) < 4 else rng.choice((1, 2))
        others = [x for x in base if x.lang == b.lang and x.id != b.id and x.in_corpus]
        for _ in range(count):
            promo = rng.choice(copier.promos)
            if "{related}" in promo:
                promo = promo.replace("{related}", rng.choice(others).title)
            position = rng.randint(1, max(1, len(paragraphs) - 1))
            paragraphs.insert(position, promo)
            inserted = [i + 1 if i >= position else i for i in inserted] + [position]
        transforms.append("ad_insert")

    if b.ad_link:
        # An affiliate short link on its own line, before the credit.
        paragraphs.append(b.ad_link)
        inserted.append(len(paragraphs) - 1)
        transforms.append("ad_link")
    credited = plan.attributed
    attribution_line: str | None = None
    source_link: str | None = None
    if plan.form is not None and credited is not None:
        transforms.append(f"attribution:{plan.form}")
        if plan.form == "dateline" and b.lang in OTHER_LANGUAGES:
            city = b.dateline or ""
            prefix = _other_dateline(b.lang, city, credited, b.published, rng)
            paragraphs[0] = prefix + paragraphs[0]
        elif plan.form == "dateline":
            city = (b.dateline or ("Paris" if b.lang == "fr" else "London")).upper()
            if b.lang == "en" and rng.random() < 0.5:
                day = b.published
                prefix = f"{city}, {_EN_MONTHS[day.month - 1]} {day.day} ({credited.name}) - "
            else:
                prefix = (
                    f"{city} ({credited.name}) – "
                    if b.lang == "fr"
                    else f"{city} ({credited.name}) - "
                )
            paragraphs[0] = prefix + paragraphs[0]
        else:
            attribution_line = _attribution_text(plan.form, copier, credited, rng)
            if plan.form == "source" and rng.random() < 0.2:
                paragraphs.insert(0, attribution_line)
                inserted = [i + 1 for i in inserted] + [0]
            else:
                paragraphs.append(attribution_line)
                inserted.append(len(paragraphs) - 1)
            if plan.form == "read_more":
                link_target = source or origin
                source_link = link_target.canonical_url if link_target else None
    else:
        transforms.append("no_attribution")
    if "canonical_to_origin" in flags and origin is not None and source is None:
        transforms.append("canonical_to_origin")
    if "copy_of_copy" in flags:
        transforms.append("copy_of_copy")

    anchor = source.published if source else (origin.published if origin else b.published)
    if "published_before_origin" in flags:
        transforms.append("published_before_origin")
    published = anchor + timedelta(minutes=plan.delay_minutes)

    if copier.role is OutletRole.AGGREGATOR:
        author = copier.house_author
    elif plan.form == "avec" and credited is not None:
        author = f"{copier.name} avec {credited.name}"
    else:
        author = origin_outlet.name
    url_path = _url_path(copier, title, published, b.topic, rng, paths)
    own_canonical = copier.canonical(url_path)
    canonical = (
        origin.canonical_url if "canonical_to_origin" in transforms and origin else own_canonical
    )
    if source is not None:
        derived_from: str | None = source.path
    else:
        derived_from = origin.path if origin else None
    article = CorpusArticle(
        path=f"/{copier.key}{url_path}",
        outlet=copier.key,
        url_path=url_path,
        title=title,
        paragraphs=tuple(paragraphs),
        published=published,
        canonical_url=canonical,
        story=b.id,
        is_origin=False,
        derived_from_path=derived_from,
        transforms=tuple(transforms),
        lang=b.lang,
        author=author,
        topic=b.topic,
        origin_outlet=origin_outlet.name,
        attributed_to=credited.name if plan.form is not None and credited else None,
        attribution_line=attribution_line,
        source_link=source_link,
        inserted=tuple(sorted(inserted)),
        hard_negative=b.hard_negative.label if b.hard_negative else None,
    )
    plan.built = article
    return article


def _keep_source_whole(
    plan: _Plan, source: CorpusArticle, origin_outlet: Outlet, rng: random.Random, paths: set[str]
) -> CorpusArticle:
    """C: B's page text whole (B's promos and its credit of the origin included)."""
    b, copier = plan.base, plan.copier
    plan.core = plan.source_plan.core if plan.source_plan else ()
    published = source.published + timedelta(minutes=plan.delay_minutes)
    url_path = _url_path(copier, source.title, published, b.topic, rng, paths)
    article = CorpusArticle(
        path=f"/{copier.key}{url_path}",
        outlet=copier.key,
        url_path=url_path,
        title=source.title,
        paragraphs=source.paragraphs,
        published=published,
        canonical_url=copier.canonical(url_path),
        story=b.id,
        is_origin=False,
        derived_from_path=source.path,
        transforms=("copy_of_copy", "keeps_source_credit", "attribution:source"),
        lang=b.lang,
        author=copier.house_author,
        topic=b.topic,
        origin_outlet=origin_outlet.name,
        attributed_to=source.attributed_to,
        attribution_line=source.attribution_line,
        inserted=source.inserted,
        hard_negative=source.hard_negative,
    )
    plan.built = article
    return article


def _check(corpus: Corpus) -> None:
    seen: set[tuple[str, str]] = set()
    for a in corpus.articles:
        if {"update_new_url", "double_post"} & set(a.transforms):
            continue  # the origin outlet's own second URL for its story
        if (a.story, a.outlet) in seen:
            raise ValueError(f"{a.story}: outlet {a.outlet} carries the story twice")
        seen.add((a.story, a.outlet))
    used = Counter(t for a in corpus.articles for t in a.transforms)
    kinds = [*TRANSFORM_KINDS, *(f"attribution:{f}" for f in ATTRIBUTION_FORMS)]
    short = {k: used[k] for k in kinds if used[k] < _MIN_PER_KIND}
    if short:
        raise ValueError(f"seed {corpus.seed}: transformations used too rarely: {short}")


# ---------------------------------------------------------------------------
# Text transformations


def _substitution_table(lang: str) -> tuple[tuple[str, str], ...]:
    if lang in _OTHER_SUBSTITUTIONS:
        return _OTHER_SUBSTITUTIONS[lang]
    return _FR_SUBSTITUTIONS if lang == "fr" else _EN_SUBSTITUTIONS


def _substitutable(b: BaseArticle) -> bool:
    table = _substitution_table(b.lang)
    text = "\n".join(b.paragraphs)
    return any(re.search(pattern, text) for pattern, _ in table)


def _substitute_words(
    paragraphs: list[str], lang: str, rng: random.Random
) -> tuple[list[str], bool]:
    table = _substitution_table(lang)
    text = "\n".join(paragraphs)
    usable = [(p, r) for p, r in table if re.search(p, text)]
    chosen = rng.sample(usable, min(len(usable), rng.randint(2, 4)))
    out = list(paragraphs)
    for pattern, replacement in chosen:
        for i, paragraph in enumerate(out):
            new = re.sub(pattern, replacement, paragraph, count=1)
            if new != paragraph:
                out[i] = new
                break
    return out, out != paragraphs


def _sentence_gaps(paragraph: str) -> list[int]:
    gaps = []
    for match in _SENTENCE_GAP.finditer(paragraph):
        if not _ABBREVIATION.search(paragraph[: match.start()]):
            gaps.append(match.start())
    return gaps


def _rewrappable(b: BaseArticle, kind: str) -> bool:
    if kind == "rewrap_merge":
        return len(b.paragraphs) >= 3
    return any(_sentence_gaps(p) for p in b.paragraphs[:2])


def _split_paragraph(paragraphs: list[str]) -> list[str] | None:
    # Split the first of the two leading paragraphs that has several
    # sentences (truncation keeps at least two), at its middle sentence gap.
    for i, paragraph in enumerate(paragraphs[:2]):
        gaps = _sentence_gaps(paragraph)
        if gaps:
            cut = min(gaps, key=lambda g: abs(g - len(paragraph) / 2))
            head, tail = paragraph[:cut].rstrip(), paragraph[cut:].lstrip()
            return [*paragraphs[:i], head, tail, *paragraphs[i + 1 :]]
    return None


def _retitle(b: BaseArticle, current: str, rng: random.Random) -> str:
    alternatives = [t for t in b.alt_titles if t != current]
    if alternatives and rng.random() < 0.65:
        return rng.choice(alternatives)
    short = re.split(r" : | – |: ", current, maxsplit=1)
    if len(short) == 2 and rng.random() < 0.5:
        rest = short[1]
        return rest[:1].upper() + rest[1:]
    return rng.choice(_RETITLE_PREFIXES[b.lang]) + current


def _typography(text: str, lang: str, style: str) -> str:
    if style == "loose":  # non-breaking spaces lost, glyphs kept
        return text.replace("\u00a0", " ").replace("\u202f", " ")
    if style == "ascii":  # a CMS that drops every accent and typographic glyph
        flat = _typography(text, lang, "flatten")
        decomposed = unicodedata.normalize("NFKD", flat)
        return "".join(c for c in decomposed if not unicodedata.combining(c))
    if style == "swap" and ('"' in text or "'" in text):
        return _curl(text)
    flat = text.replace("«\u00a0", '"').replace("\u00a0»", '"').replace("«", '"').replace("»", '"')
    for glyph, plain in (("’", "'"), ("‘", "'"), ("“", '"'), ("”", '"'), ("–", "-"), ("—", "-")):
        flat = flat.replace(glyph, plain)
    return flat.replace("\u00a0", " ").replace("\u202f", " ")


def _curl(text: str) -> str:
    out = []
    for i, char in enumerate(text):
        if char == '"':
            out.append("“" if i == 0 or text[i - 1] in " (—–" else "”")
        elif char == "'":
            out.append("’")
        else:
            out.append(char)
    return "".join(out).replace(" - ", " – ")


def _attribution_text(form: str, copier: Outlet, credited: Outlet, rng: random.Random) -> str:
    if copier.lang in OTHER_LANGUAGES:
        if form == "bare_domain":
            return credited.domain
        return rng.choice(_OTHER_CREDITS[copier.lang][form]).format(
            name=credited.name, domain=credited.domain
        )
    fr = copier.lang == "fr"
    variants: dict[str, tuple[str, ...]] = {
        "bare_domain": (credited.domain,),
        "source": (f"Source : {credited.name}",) if fr else (f"Source: {credited.name}",),
        "avec": (f"{copier.name} avec {credited.name}", f"(avec {credited.name})"),
        "paren": (f"({credited.name})",),
        "copyright": (f"© {credited.name}", f"© {credited.name} 2026"),
        "read_more": (
            (f"Lire la suite sur {credited.domain}", f"Lire l’article complet sur {credited.name}")
            if fr
            else (f"Read more at {credited.domain}", f"Read the full story at {credited.name}")
        ),
        "first_appeared": (f"This article first appeared on {credited.name}.",),
        "paru_dans": (f"Cet article est paru dans {credited.name}.",),
    }
    return rng.choice(variants[form])


# ---------------------------------------------------------------------------
# Small helpers


def _slug(text: str, limit: int = 80) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > limit:
        slug = slug[:limit].rsplit("-", 1)[0]
    return slug or "article"


def _url_path(
    outlet: Outlet, title: str, published: datetime, topic: str, rng: random.Random, paths: set[str]
) -> str:
    values = {
        "section": _SECTIONS[outlet.lang][topic][0],
        "yyyy": f"{published.year:04d}",
        "mm": f"{published.month:02d}",
        "dd": f"{published.day:02d}",
        "slug": _slug(title),
        "n4": str(rng.randint(1000, 9999)),
        "n6": str(rng.randint(100_000, 999_999)),
        "n7": str(rng.randint(6_000_000, 6_999_999)),
    }
    url_path = outlet.url_pattern.format(**values)
    full = f"/{outlet.key}{url_path}"
    suffix = 2
    while full in paths:  # one title used twice by one outlet: keep paths unique
        values["slug"] = f"{_slug(title)}-{suffix}"
        url_path = outlet.url_pattern.format(**values)
        full = f"/{outlet.key}{url_path}"
        suffix += 1
    paths.add(full)
    return url_path


def _word_count(paragraphs: Iterable[str]) -> int:
    return sum(len(p.split()) for p in paragraphs)


def _summary(paragraphs: Sequence[str], limit: int = 200) -> str:
    first = next((p for p in paragraphs if len(p.split()) > 3), paragraphs[0] if paragraphs else "")
    if len(first) <= limit:
        return first
    return first[:limit].rsplit(" ", 1)[0] + "…"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _display_date(moment: datetime, style: str) -> str:
    if style == "iso":
        return f"{moment:%Y-%m-%d %H:%M} UTC"
    # March 2026 is winter time in Paris (UTC+1) and in London (UTC+0).
    if style == "fr":
        local = moment + timedelta(hours=1)
        return f"Publié le {local.day} {_FR_MONTHS[local.month - 1]} {local.year} à {local:%Hh%M}"
    if style == "en_uk":
        return f"{moment:%a} {moment.day} {moment:%b %Y %H.%M} GMT"
    hour = moment.hour % 12 or 12
    suffix = "AM" if moment.hour < 12 else "PM"
    month = _EN_MONTHS[moment.month - 1]
    return f"{month} {moment.day}, {moment.year} {hour}:{moment:%M} {suffix} UTC"


def _guid(outlet: Outlet, article: CorpusArticle, base: str) -> tuple[str, bool]:
    """The feed GUID of an article and whether it is a permalink.

    WordPress feeds use ``?p=<id>`` GUIDs, agencies opaque tags, the others
    the article's link.
    """
    number = sum(ord(c) for c in article.path) * 7 + len(article.path)
    if article.lang in OTHER_LANGUAGES:
        # Their all-digit paths would give equal character sums.
        number = zlib.crc32(article.path.encode("utf-8"))
    if outlet.template == "wordpress":
        return f"https://www.{outlet.domain}/?p={number}", False
    if outlet.role is OutletRole.WIRE:
        return f"tag:{outlet.domain},2026:{_slug(article.story)}", False
    return base + article.path, True


def _jsonld(outlet: Outlet, article: CorpusArticle) -> str:
    data = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": article.title,
        "datePublished": _iso(article.published),
        "inLanguage": outlet.html_lang,
        "author": {"@type": "Person", "name": article.author},
        "publisher": {"@type": "Organization", "name": outlet.name},
        "mainEntityOfPage": article.canonical_url or outlet.canonical(article.url_path),
    }
    text = json.dumps(data, ensure_ascii=False).replace("</", "<\\/")
    return f'<script type="application/ld+json">{text}</script>'


def _h(text: str) -> str:
    return html.escape(text, quote=True)


# ---------------------------------------------------------------------------
# Reporting


def stats_markdown(stats: Mapping[str, Any]) -> str:
    """The stats of a corpus as Markdown tables (the README's generated part)."""
    lines = [
        f"Built with seed {stats['seed']}: {stats['articles']} articles "
        f"({stats['originals']} originals, {stats['copies']} copies) in {stats['stories']} "
        f"stories over {stats['outlets']} outlets; {stats['briefs']} originals are short briefs; "
        f"{stats['absent_origin_stories']} stories have their origin absent from the corpus"
        " (an agency dispatch never served, a page that answers 404).",
        "",
        "| language | articles |",
        "|---|---|",
        *(f"| {lang} | {n} |" for lang, n in stats["languages"].items()),
        "",
        "| outlet | articles |",
        "|---|---|",
        *(f"| {name} | {n} |" for name, n in stats["articles_per_outlet"].items()),
        "",
        "| transformation (copies) | uses |",
        "|---|---|",
        *(f"| `{kind}` | {n} |" for kind, n in stats["transforms"].items()),
        "",
        f"Hard-negative originals: {stats['hard_negative_articles']}.",
        "",
        "| hard-negative kind | groups | originals | copies of them |",
        "|---|---|---|---|",
        *(
            f"| `{kind}` | {v['groups']} | {v['articles']} | {v['copies_of_them']} |"
            for kind, v in stats["hard_negatives"].items()
        ),
    ]
    return "\n".join(lines) + "\n"


def render_document(corpus: Corpus) -> dict[str, Any]:
    """The corpus as ``ingestd eval`` reads it (see :mod:`ingestd.evaluation.rendered`)."""
    routes = corpus.routes(PLACEHOLDER_BASE)
    return {
        "format": FORMAT,
        "seed": corpus.seed,
        "base_url": PLACEHOLDER_BASE,
        "outlets": [
            {
                "name": o.name,
                "domain": o.domain,
                "role": o.role.value,
                "feeds": corpus.feed_paths(o),
            }
            for o in corpus.outlets
        ],
        "routes": {path: [ctype, body.decode("utf-8")] for path, (ctype, body) in routes.items()},
        "labels": corpus.labels(),
    }


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Build the syndication corpus and print its stats."
    )
    parser.add_argument("spec_dir", type=Path, help="the corpus spec directory (tests/data/corpus)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--out", type=Path, help="also write every route and labels.json here")
    parser.add_argument("--base-url", default="http://127.0.0.1:8000")
    parser.add_argument(
        "--render",
        type=Path,
        help="write the rendering `ingestd eval` reads here (.json.gz), e.g. "
        "ingestd/evaluation/data/corpus.json.gz",
    )
    args = parser.parse_args(argv)
    corpus = build_corpus(args.spec_dir, args.seed)
    if args.render is not None:
        args.render.parent.mkdir(parents=True, exist_ok=True)
        args.render.write_bytes(dump_document(render_document(corpus)))
    if args.out is not None:
        for path, (_, body) in corpus.routes(args.base_url).items():
            target = args.out / path.lstrip("/")
            if path.endswith("/"):
                target = target / "index.html"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(body)
        labels = json.dumps(corpus.labels(), ensure_ascii=False, indent=1)
        (args.out / "labels.json").write_text(labels + "\n", encoding="utf-8")
    sys.stdout.write(stats_markdown(corpus.stats()))
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
