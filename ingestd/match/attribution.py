"""Credit lines: where a syndicated copy says its text came from.

A site that reposts another outlet's piece often says so at the edges of the
text: a bare ``lemonde.fr`` line at the end, ``Source : AFP``, ``Lire la
suite sur …``, a ``PARIS (AFP) -`` dateline, ``© Le Monde 2026``. This module
reads that evidence from extracted text (one paragraph per item) and resolves
each credit to a configured outlet, or at least to a domain.

    paragraphs ─▶ edge window (first 2, last 4) ─▶ fold (case, accents,
        typography; length-preserving) ─▶ recognisers ─▶ resolve names and
        domains ─▶ drop own credits ─▶ Attribution records, in text order

Credit forms are read in French and English and in the languages of the big
wire agencies' clients: Chinese (来源：…, 据新华社报道, 新华社北京3月5日电), Japanese
(出典：…, 【ワシントン共同】, 共同通信によると), Arabic (المصدر: …, ذكرت وكالة …),
Russian (Источник: …, по данным ТАСС, /ТАСС/), German (Quelle: dpa, wie dpa
berichtet), Spanish and Portuguese (Fuente: EFE, Fonte: …, según EFE), Turkish
(Kaynak: AA), Hindi and Thai (स्रोत:, ที่มา:), with "read more" lines in each.
The agencies in ``WIRE_AGENCIES`` (Xinhua, Kyodo, TASS, dpa, EFE, ANSA,
Anadolu, Reuters, AP, AFP, …) resolve under their names in those scripts
even when no outlet is configured for them. A bare link is a credit only
when it names a site or an article page: short links, shop and affiliate
links on their own line are advertisements.

It is a pure function of its inputs with no I/O. The recognisers err on the
side of silence: a credit that names neither a known outlet nor a domain is
kept only under a strong keyword (``Source :``, ``Cet article est paru
dans``, ``©``) and only when it looks like a proper name.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "WIRE_AGENCIES",
    "Attribution",
    "AttributionKind",
    "KnownOutlet",
    "find_attributions",
]

AttributionKind = Literal[
    "bare_domain",
    "source",
    "read_more",
    "first_appeared",
    "wire_credit",
    "dateline",
    "copyright",
    "with",
    "according_to",
    "bare_name",
]


@dataclass(frozen=True, slots=True)
class KnownOutlet:
    """What the parser knows of one outlet.

    ``domain`` is the registrable domain without ``www.`` (``lemonde.fr``);
    credits naming it or any of its subdomains resolve to this outlet.
    ``aliases`` are further names the outlet is credited under, for example
    ``("Agence France-Presse",)`` for AFP.
    """

    name: str
    domain: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Attribution:
    """One credit found in an article's text.

    ``phrase`` is the credit exactly as found (``"Source : AFP"``,
    ``"(AFP)"``, ``"lemonde.fr"``). ``named`` is the outlet name or domain as
    written in it. ``outlet_name`` is the resolved ``KnownOutlet.name``, or
    None when the credit names no configured outlet. ``domain`` is the
    resolved outlet's domain, the domain named, or a wire agency's domain;
    None when only an unknown name was given. ``whole_paragraph`` is true when
    the paragraph holds nothing but credits, so that matching can leave it
    out of the similarity shingles.
    """

    phrase: str
    kind: AttributionKind
    outlet_name: str | None
    domain: str | None
    named: str
    paragraph_index: int
    whole_paragraph: bool


# Wire agencies known even when no outlet is configured for them: their
# credits are the commonest syndication evidence, so their names must resolve
# to a domain. A configured outlet with the same domain takes precedence and
# lends its name. APS is taken to be Algérie Presse Service (the APS most
# often credited in French-language copies).
WIRE_AGENCIES: Final[tuple[KnownOutlet, ...]] = (
    KnownOutlet(
        "AFP",
        "afp.com",
        (
            "Agence France-Presse",
            "Agence France Presse",
            "A.F.P.",
            "法新社",
            "フランス通信",
            "AFP通信",
            "وكالة الصحافة الفرنسية",
            "فرانس برس",
            "Франс Пресс",
            "Франс-Пресс",
        ),
    ),
    KnownOutlet(
        "Reuters",
        "reuters.com",
        (
            "Thomson Reuters",
            "路透社",
            "ロイター",
            "ロイター通信",
            "رويترز",
            "Рейтер",
            "Рейтерс",
            "रॉयटर्स",
            "รอยเตอร์",
        ),
    ),
    KnownOutlet(
        "AP",
        "apnews.com",
        ("Associated Press", "美联社", "AP通信", "أسوشيتد برس", "Ассошиэйтед Пресс"),
    ),
    KnownOutlet("ANSA", "ansa.it", ("Agenzia Nazionale Stampa Associata",)),
    KnownOutlet("EFE", "efe.com", ("Agencia EFE", "Agence EFE", "Agência EFE", "埃菲社")),
    KnownOutlet("DPA", "dpa.com", ("Deutsche Presse-Agentur", "dpa-AFX", "德新社")),
    KnownOutlet("Belga", "belga.be", ("Agence Belga",)),
    KnownOutlet(
        "Keystone-ATS",
        "keystone-sda.ch",
        ("ATS", "Keystone ATS", "Agence télégraphique suisse", "Keystone-SDA"),
    ),
    KnownOutlet("APS", "aps.dz", ("Algérie Presse Service",)),
    KnownOutlet("MAP", "mapexpress.ma", ("Maghreb Arabe Presse",)),
    KnownOutlet(
        "Xinhua",
        "xinhuanet.com",
        (
            "Xinhua News Agency",
            "Agence Chine nouvelle",
            "新华社",
            "新華社",
            "新华网",
            "新華社通信",
            "شينخوا",
            "Синьхуа",
            "ซินหัว",
            "शिन्हुआ",
        ),
    ),
    KnownOutlet("China News Service", "chinanews.com.cn", ("中新社", "中国新闻社", "中新网")),
    KnownOutlet(
        "Kyodo", "kyodonews.jp", ("Kyodo News", "共同通信", "共同通信社", "共同", "共同社")
    ),
    KnownOutlet("Jiji", "jiji.com", ("Jiji Press", "時事通信", "時事通信社", "時事")),
    KnownOutlet("Yonhap", "yna.co.kr", ("Yonhap News Agency", "연합뉴스", "聯合ニュース")),
    KnownOutlet(
        "TASS",
        "tass.ru",
        ("ТАСС", "Information Telegraph Agency of Russia", "تاس", "塔斯社", "タス通信"),
    ),
    KnownOutlet("RIA Novosti", "ria.ru", ("РИА Новости", 'РИА "Новости"', "RIA")),
    KnownOutlet("Interfax", "interfax.ru", ("Интерфакс",)),
    KnownOutlet(
        "Anadolu",
        "aa.com.tr",
        ("Anadolu Agency", "Agence Anadolu", "Anadolu Ajansı", "AA", "الأناضول", "Анадолу"),
    ),
    KnownOutlet("KUNA", "kuna.net.kw", ("كونا", "وكالة الأنباء الكويتية")),
    KnownOutlet("WAM", "wam.ae", ("وام", "وكالة أنباء الإمارات")),
    KnownOutlet("SPA", "spa.gov.sa", ("واس", "وكالة الأنباء السعودية", "Saudi Press Agency")),
    KnownOutlet("MENA", "mena.org.eg", ("أ ش أ", "وكالة أنباء الشرق الأوسط")),
    KnownOutlet("PTI", "ptinews.com", ("Press Trust of India", "पीटीआई", "भाषा")),
    KnownOutlet("IANS", "ians.in", ("Indo-Asian News Service", "आईएएनएस")),
    KnownOutlet("ANI", "aninews.in", ("Asian News International", "एएनआई")),
    KnownOutlet("Agência Brasil", "agenciabrasil.ebc.com.br", ("Agencia Brasil",)),
    KnownOutlet("Europa Press", "europapress.es", ()),
    KnownOutlet("Notimex", "notimex.gob.mx", ()),
    KnownOutlet("Lusa", "lusa.pt", ("Agência Lusa",)),
    KnownOutlet("PAP", "pap.pl", ("Polska Agencja Prasowa",)),
    KnownOutlet("APA", "apa.at", ("Austria Presse Agentur",)),
    KnownOutlet("Bloomberg", "bloomberg.com", ("Bloomberg News", "彭博社", "بلومبرغ")),
    KnownOutlet("UPI", "upi.com", ("United Press International",)),
)

_WIRE_DOMAINS: Final = frozenset(agency.domain for agency in WIRE_AGENCIES)

# Credits live at the edges of a text: bylines and datelines at the top,
# source lines at the bottom. A name inside the body is a mention, not a
# credit, so only these paragraphs (counted among the non-blank ones) are read.
HEAD_PARAGRAPHS: Final = 2
TAIL_PARAGRAPHS: Final = 4
# An unknown name longer than this is a description ("a government
# spokesperson said …"), not an outlet.
MAX_UNKNOWN_NAME_WORDS: Final = 4
# Longest name, list of names or prefix the recognisers consider.
_MAX_NAME_CHARS: Final = 60
# Longest clause that can be a credit line; longer clauses are body text and
# are not matched at all (credits are short, and this keeps scanning cheap).
_MAX_CREDIT_CHARS: Final = 200

# Leading words dropped from a written name when the rest matches a known
# name exactly ("The Associated Press" → "Associated Press"). Never added:
# "Monde" alone is a common noun, not "Le Monde".
_ARTICLES: Final = frozenset(
    {"le", "la", "les", "l", "the", "die", "der", "das", "el", "los"}
    # "agency" before a name ("وكالة الأناضول", "agencia EFE", "агентство ТАСС")
    | {"وكالة", "agencia", "agentur", "агентство", "ajansı", "agenzia"}
)
# Lower-case words allowed inside an unknown proper name ("Ministère de la
# Santé" has them; "a government spokesperson" starts with one and fails).
_NAME_CONNECTORS: Final = frozenset(
    {"de", "du", "des", "d", "la", "le", "les", "l", "of", "the", "and", "et", "&", "y", "di"}
    | {"del", "van", "von", "for", "en", "on", "am", "im"}
)
# Words that make a credit a picture credit ("AFP/Getty Images", "© AFP
# Photo"), which says nothing about who wrote the text.
_PICTURE_WORDS: Final = frozenset(
    {"photo", "photos", "image", "images", "getty", "illustration", "illustrations"}
    | {"archives", "archive", "video", "videos", "pool", "shutterstock", "dr", "str"}
    | {"infographie", "dessin", "cliche", "picture", "pictures"}
)
# Bare links to these are share buttons and embeds, not credits.
_SHARE_DOMAINS: Final = frozenset(
    {"twitter.com", "x.com", "t.co", "facebook.com", "fb.me", "instagram.com"}
    | {"youtube.com", "youtu.be", "linkedin.com", "whatsapp.com", "wa.me", "t.me"}
    | {"telegram.org", "tiktok.com", "bit.ly", "google.com", "news.google.com"}
    # Short links and shops: an affiliate or shortened link on its own line
    # is an advertisement, never the text's source.
    | {"amzn.to", "amzn.eu", "a.co", "tinyurl.com", "ow.ly", "goo.gl", "buff.ly", "is.gd"}
    | {"cutt.ly", "rebrand.ly", "t.ly", "shorturl.at", "lnkd.in", "tr.ee", "linktr.ee"}
    | {"amazon.com", "amazon.fr", "amazon.de", "amazon.es", "amazon.co.uk", "amazon.co.jp"}
    | {"aliexpress.com", "ebay.com", "taobao.com", "jd.com", "rakuten.co.jp", "vk.com", "vk.cc"}
)
# Query parameters of affiliate and tracking links.
_AFFILIATE_QUERY_RE: Final = re.compile(
    r"[?&](?:tag|ref|aff|affiliate|aff_id|affid|utm_[a-z]+|campaign|coupon|promo|linkcode)="
)


# --- folding ----------------------------------------------------------------
#
# Patterns run on a folded copy of each paragraph: case-folded, accents
# stripped, NBSP and narrow NBSP made spaces, typographic quotes and dashes
# unified. Folding maps every character to exactly one character, so a match
# in the folded copy is the same span in the original text and ``phrase`` and
# ``named`` can be cut from the original as found.

_SPECIAL_FOLDS: Final = {
    "\u2019": "'",  # ’
    "\u2018": "'",  # ‘
    "\u02bc": "'",  # ʼ
    "\u2032": "'",  # ′
    "`": "'",
    "\u00b4": "'",  # ´
    "\u00ab": '"',  # «
    "\u00bb": '"',  # »
    "\u201c": '"',  # “
    "\u201d": '"',  # ”
    "\u201e": '"',  # „
    "\u2039": '"',  # ‹
    "\u203a": '"',  # ›
    "\u2010": "-",  # hyphen
    "\u2011": "-",  # non-breaking hyphen
    "\u2012": "-",  # figure dash
    "\u2013": "-",  # – en dash
    "\u2014": "-",  # — em dash
    "\u2015": "-",  # horizontal bar
    "\u2212": "-",  # minus
    "\ufe63": "-",
    "\uff0d": "-",
}


def _is_typographic_mark(char: str) -> bool:
    code = ord(char)
    return bool(unicodedata.combining(char)) and (
        0x0300 <= code < 0x0370 or 0x064B <= code < 0x0660
    )


def _fold_char(char: str) -> str:
    special = _SPECIAL_FOLDS.get(char)
    if special is not None:
        return special
    if char.isspace():
        return " "
    decomposed = unicodedata.normalize("NFKD", char.casefold())
    # Only typographic marks go: Latin/Greek/Cyrillic accents and Arabic hamza
    # seats and vowel marks (spelling variants: "أفادت" is also written
    # "افادت"). Japanese voicing marks and Indic signs are letters and stay.
    base = "".join(c for c in decomposed if not _is_typographic_mark(c))
    if len(base) == 1:
        return base
    # "ß" → "ss", "ﬁ" → "fi": keep one character so spans stay aligned.
    lower = char.lower()
    return lower if len(lower) == 1 else char


class _FoldTable(dict[int, str]):
    """A ``str.translate`` table filled lazily, one code point at a time."""

    def __missing__(self, code: int) -> str:
        folded = _fold_char(chr(code))
        self[code] = folded
        return folded


_FOLD_TABLE: Final = _FoldTable()


# ASCII characters that ``str.lower`` does not fold as the table does:
# control characters (whitespace ones become spaces) and the backtick.
_ASCII_SPECIAL_RE: Final = re.compile(r"[\x00-\x1f`]")


def _fold(text: str) -> str:
    """Length-preserving fold of NFC text (see above)."""
    if text.isascii() and _ASCII_SPECIAL_RE.search(text) is None:
        return text.lower()
    # One C-level pass through the lazily filled table (a regex callback per
    # non-ASCII character would cost more on CJK, Arabic or Cyrillic text).
    return text.translate(_FOLD_TABLE)


_NON_ALNUM_RE: Final = re.compile(r"[\W_]+")


def _name_key(name: str) -> str:
    """Lookup key of a written name: folded, punctuation gone, spaces collapsed."""
    return _NON_ALNUM_RE.sub(" ", _fold(unicodedata.normalize("NFC", name))).strip()


# --- resolution ---------------------------------------------------------------

_HOST_PATTERN: Final = r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}"
# A domain or URL standing alone (fullmatch): the host is what resolves.
_URL_RE: Final = re.compile(
    rf"(?:https?://)?(?P<host>{_HOST_PATTERN})\.?(?::\d{{1,5}})?(?:[/?#]\S*)?"
)


def _normalise_host(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    if "://" in host:
        host = host.split("://", 1)[1]
    host = re.split(r"[/?#:]", host, maxsplit=1)[0]
    return host.removeprefix("www.")


@dataclass(frozen=True, slots=True)
class _Index:
    """Name and domain lookups built once per set of known outlets."""

    by_name: dict[str, tuple[str | None, str]]  # name key → (configured name, domain)
    by_domain: dict[str, str | None]  # domain → configured name (None: wire agency)

    def domain_owner(self, host: str) -> tuple[str | None, str] | None:
        """The outlet owning ``host`` or a parent domain of it, most specific first."""
        labels = host.split(".")
        for i in range(len(labels) - 1):
            candidate = ".".join(labels[i:])
            if candidate in self.by_domain:
                return self.by_domain[candidate], candidate
        return None

    def name_owner(self, key: str) -> tuple[str | None, str] | None:
        """The outlet credited under ``key``, allowing a dropped leading article."""
        hit = self.by_name.get(key)
        if hit is None:
            first, _, rest = key.partition(" ")
            if first in _ARTICLES and rest:
                hit = self.by_name.get(rest)
        if hit is None:
            return None
        name, domain = hit
        return (name if name is not None else self.by_domain.get(domain)), domain


def _build_index(outlets: tuple[KnownOutlet, ...]) -> _Index:
    by_name: dict[str, tuple[str | None, str]] = {}
    by_domain: dict[str, str | None] = {}
    for agency in WIRE_AGENCIES:
        by_domain[agency.domain] = None
        for written in (agency.name, *agency.aliases):
            by_name[_name_key(written)] = (None, agency.domain)
    configured_names: dict[str, tuple[str | None, str]] = {}
    for outlet in outlets:
        domain = _normalise_host(outlet.domain)
        # First configured outlet of a domain wins; configured beats built-in.
        if by_domain.get(domain) is None:
            by_domain[domain] = outlet.name
        for written in (outlet.name, *outlet.aliases):
            key = _name_key(written)
            if key:
                configured_names.setdefault(key, (outlet.name, domain))
    by_name.update(configured_names)
    return _Index(by_name, by_domain)


_cached_index = functools.lru_cache(maxsize=16)(_build_index)


def _index_for(outlets: Sequence[KnownOutlet]) -> _Index:
    as_tuple = tuple(outlets)
    try:
        return _cached_index(as_tuple)
    except TypeError:  # an outlet built with a list of aliases is not hashable
        return _build_index(as_tuple)


@dataclass(frozen=True, slots=True)
class _Resolved:
    outlet_name: str | None
    domain: str | None
    named: str
    start: int  # span of ``named`` in the paragraph
    known: bool  # a configured outlet or a wire agency
    is_domain: bool


# What a recogniser accepts as the thing credited.
_KNOWN: Final = 0  # a configured outlet or a wire agency only
_DOMAIN: Final = 1  # …or any domain
_ANY: Final = 2  # …or an unknown name that looks like a proper name


def _looks_like_proper_name(text: str) -> bool:
    """Short, starts with a capital, and mostly capitalised words.

    "Le Monde diplomatique" passes; "a government spokesperson", "Un
    porte-parole" and "le ministère de l'Intérieur" do not.
    """
    words = text.split()
    if not 1 <= len(words) <= MAX_UNKNOWN_NAME_WORDS or not any(c.isalpha() for c in text):
        return False
    capitalised = [w[:1].isupper() or w[:1].isdigit() for w in words]
    if not capitalised[0]:
        return False
    counted = [
        cap
        for i, (w, cap) in enumerate(zip(words, capitalised, strict=True))
        if i == 0 or _name_key(w) not in _NAME_CONNECTORS
    ]
    return 2 * sum(counted) > len(counted)


def _is_picture_credit(text: str) -> bool:
    return not _PICTURE_WORDS.isdisjoint(_name_key(text).split())


@dataclass(frozen=True, slots=True)
class _Paragraph:
    text: str  # NFC original
    folded: str  # same length as text

    def resolve(self, start: int, end: int, index: _Index) -> _Resolved | None:
        """Resolve the credited name or domain at ``text[start:end]``."""
        start, end = _trim(self.folded, start, end, _ITEM_JUNK)
        if start >= end:
            return None
        written = self.text[start:end]
        if "@" in written or _is_picture_credit(written):
            return None  # an email address, or a picture credit
        url = _URL_RE.fullmatch(self.folded, start, end)
        if url is not None:
            host = _normalise_host(url.group("host"))
            owner = index.domain_owner(host)
            named = self.text[url.start("host") : url.end("host")]
            if owner is None:
                # An unknown host may still be a configured name ("Figaro.fr").
                by_name = index.name_owner(_name_key(written))
                if by_name is not None:
                    return _Resolved(by_name[0], by_name[1], written, start, True, False)
                return _Resolved(None, host, named, url.start("host"), False, True)
            return _Resolved(owner[0], owner[1], named, url.start("host"), True, True)
        by_name = index.name_owner(_name_key(written))
        if by_name is not None:
            return _Resolved(by_name[0], by_name[1], written, start, True, False)
        if _looks_like_proper_name(written):
            return _Resolved(None, None, written, start, False, False)
        return None


def _accepts(resolved: _Resolved, policy: int) -> bool:
    if resolved.known:
        return True
    if resolved.is_domain:
        return policy >= _DOMAIN
    return policy >= _ANY


# --- recognisers ------------------------------------------------------------------
#
# Every pattern below runs on folded text: lower case, no accents, "'" for
# apostrophes, '"' for guillemets, "-" for dashes, " " for every space.

_ITEM_JUNK: Final = " \"'()[]*.,;:!?-_"
_SEGMENT_HEAD_JUNK: Final = " \"'*_~>=+-"
_SEGMENT_TAIL_JUNK: Final = " *_.,;:!?-"


def _trim(
    folded: str, start: int, end: int, junk: str, tail_junk: str | None = None
) -> tuple[int, int]:
    """Narrow ``start:end`` past leading ``junk`` and trailing ``tail_junk`` (or ``junk``)."""
    while start < end and folded[start] in junk:
        start += 1
    tail_junk = junk if tail_junk is None else tail_junk
    while end > start and folded[end - 1] in tail_junk:
        end -= 1
    return start, end


# Clause boundaries: sentence ends (a dot followed by a space, so that
# "lemonde.fr" stays whole), bars and bullets, brackets, spaced dashes.
_SEGMENT_BREAK_RE: Final = re.compile(
    r"[.!?\u2026]+[\"')\]]*(?: |$)|[|\u2022\u00b7()\[\]]| -+ "
    # CJK full stop, Arabic question mark, Urdu full stop, Devanagari dandas
    # and CJK brackets end a clause whatever follows.
    r"|[\u3002\u061f\u06d4\u0964\u0965\u3010\u3011\u300c\u300d]"
)

# Separators inside a list of credited names; years and rights notices are
# separators too, so "© Le Monde 2026. Tous droits réservés" leaves "Le Monde".
_LIST_SPLIT_RE: Final = re.compile(
    r"[,;/|&+]| -+ | et | and |\b(?:19|20)\d\d\b|tous droits reserves|all rights reserved"
    r"|droits reserves|reproduction interdite"
)

_MONTHS: Final = (
    r"janv(?:ier)?|fevr?(?:ier)?|mars|avr(?:il)?|mai|juin|juil(?:let)?|aout|sept(?:embre)?"
    r"|oct(?:obre)?|nov(?:embre)?|dec(?:embre)?|jan(?:uary)?|feb(?:ruary)?|march|apr(?:il)?"
    r"|may|june?|july?|aug(?:ust)?|sep(?:tember)?|october|november|december"
)
_WEEKDAYS: Final = (
    r"lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
)
# After "first appeared in X" the sentence may go on with a date or a
# licence note; the credited name ends there.
_TAIL_CUT_RE: Final = re.compile(
    r",|;| (?:and|et|under|sous|which|qui|where|avec|with|ou|or) "
    rf"| (?:(?:on|le|du|en|in|at|,) )?(?:\d|(?:{_WEEKDAYS}|{_MONTHS})\b)"
)

# "Source :" in the languages of the corpus and of the big wire agencies'
# clients (folded: lower case, no Latin accents, full-width colons made ":").
_SOURCE_WORDS: Final = (
    r"sources?|quelle|quellen|fuente|fuentes|fonte|fontes|kaynak|fonti|fonte|zrodlo"
    r"|источник|источники|المصدر|مصدر|出典|出所|来源|來源|消息来源|稿源|出处|स्रोत|सूत्र|ที่มา"
)
_SOURCE_RE: Final = re.compile(rf"(?:{_SOURCE_WORDS}) *: *(?P<rest>.+)")
_VIA_RE: Final = re.compile(r"via *:? +(?P<rest>.+)")
_WITH_RE: Final = re.compile(
    rf"(?:(?P<pre>.{{1,{_MAX_NAME_CHARS}}}?) +)?(?:avec|with) *:? +(?P<rest>.+)"
)
_PREPOSITION: Final = r" +(?:at|on|in|sur|dans|chez) *:? +(?P<rest>.+)"
# "Read more on Ukraine" is a related-links line: the short form needs a domain.
_READ_MORE_SHORT_RE: Final = re.compile(r"(?:read more|continue reading)" + _PREPOSITION)
# The same in other languages; what follows must be a domain or a known
# outlet (the policy of the short form), with or without a preposition.
_READ_MORE_INTL_RE: Final = re.compile(
    r"(?:weiterlesen|mehr lesen|den ganzen artikel lesen|leer mas|lea mas|sigue leyendo"
    r"|lee la nota completa|leia mais|continue lendo|leia a materia completa"
    r"|читать далее|читайте далее|читать полностью|подробнее|devamini oku|haberin devami"
    r"|devami|اقرا المزيد|اقرا التفاصيل|التفاصيل|阅读全文|阅读原文|查看原文|原文链接|続きを読む"
    r"|続きは|全文は|और पढ़ें|आगे पढ़ें|पूरी खबर पढ़ें|อ่านต่อ|อ่านเพิ่มเติม|อ่านข่าวเต็ม)"
    r"(?: *(?:auf|bei|unter|en|em|no|na|на|в|في|على|عبر|at|on|in|में|पर|ที่|で|は|:|-+))* *:? *"
    r"(?P<rest>.+?)(?: *(?:で|にて|पर))?"
)
_READ_MORE_FULL_RE: Final = re.compile(
    r"(?:read (?:the (?:full|whole|complete|original|rest of the) (?:story|article|piece|report)"
    r"|the rest)"
    r"|lire (?:la suite|l'article(?: (?:complet|original|entier|en entier|integral))?"
    r"|l'integralite(?: de l'article)?)"
    r"|(?:retrouvez|a lire|voir) (?:la suite|cet article|l'integralite(?: de l'article)?"
    r"|l'article(?: (?:complet|original|en entier|integral))?)"
    r"|(?:la )?suite de l'article)" + _PREPOSITION
)
_FIRST_APPEARED_RE: Final = re.compile(
    r"(?:"
    r"ce(?:t|tte)? (?:article|texte|tribune|chronique|enquete|reportage|papier|billet) "
    r"(?:(?:a|est) )?(?:(?:initialement|d'abord|originellement|a l'origine) )?(?:ete )?"
    r"(?:(?:initialement|d'abord|originellement|originalement|a l'origine) )?"
    r"(?:paru|publie|diffuse|mis en ligne)e?"
    r"(?: (?:initialement|d'abord|originellement|originalement|a l'origine|en premier"
    r"|pour la premiere fois))?"
    r"|(?:article )?(?:initialement|originellement|d'abord) (?:paru|publie)e?"
    r"|(?:article )?(?:paru|publie)e? (?:initialement|originellement|a l'origine|d'abord)"
    r"|(?:this|the) (?:article|story|piece|post|report|essay|column) "
    r"(?:(?:was|has been) )?(?:first|originally|initially) (?:appeared|published|ran|posted)"
    r"|(?:first|originally|initially) (?:appeared|published|posted)"
    r"|(?:republished|reprinted|reproduced)(?: with permission)?"
    r") +(?:on|in|by|at|from|dans|par|sur|chez|(?:sur )?le site(?: (?:web|internet))?)"
    r" *:? +(?P<rest>.+)"
)
# A date between list separators ("Source : AFP, 12 janvier 2022") is no name.
_DATE_ITEM_RE: Final = re.compile(
    rf"(?:(?:{_WEEKDAYS}) )?\d{{1,2}}(?:er|st|nd|rd|th)? (?:{_MONTHS})\.?(?: \d{{2,4}})?"
    rf"|(?:(?:{_WEEKDAYS}),? )?(?:{_MONTHS})\.? \d{{1,2}}(?:st|nd|rd|th)?(?:,? \d{{4}})?"
    rf"|{_WEEKDAYS}|{_MONTHS}"
)
# Left over beside a credit, these still leave the paragraph nothing but credit.
_RIGHTS_RE: Final = re.compile(
    r"tous droits reserves|all rights reserved|droits reserves|reproduction interdite"
)
_COPYRIGHT_RE: Final = re.compile(r"\u00a9|\bcopyright\b")
_PICTURE_CONTEXT_RE: Final = re.compile(
    r"\b(?:photos?|credits?(?: photos?)?|images?|illustrations?|videos?|dessins?"
    r"|infographies?|cliches?|pictures?)\b[ :.-]*(?:\u00a9 *)?$"
)

# "According to X" openings of a head paragraph that name a known outlet or
# agency: the way Chinese, Russian, Arabic, Japanese, German, Spanish,
# Portuguese and Turkish copies credit a wire story inside its lead.
_ACCORDING_TO_RES: Final = (
    re.compile(r"据(?:悉[,，]? *)?(?P<names>[^,，。、]{2,20}?)(?:报道|报导|消息|电|援引|称)"),
    re.compile(r"(?P<names>[^,，。、]{2,20}?)(?:によると|によれば|が報じた|の報道では)"),
    re.compile(
        r"(?:как )?(?:сообщает|сообщил[аио]?|передает|по данным|по сообщению|по информации"
        r"|со ссылкой на) (?:агентства )?(?P<names>[^,.]{2,40}?)(?:[,.]| со ссылкой)"
    ),
    re.compile(
        # Folded: hamza seats and tanwin are gone ("أفادت" reads "افادت").
        r"(?:نقلا عن|بحسب|حسب|وفقا ل|ذكرت|افادت|قالت) "
        r"(?P<names>[^,،.]{2,40}?)(?:[,،.]| ان )"
    ),
    re.compile(
        r"(?:wie|laut|nach angaben (?:von|der)) (?:die |der )?(?:nachrichtenagentur )?"
        r"(?P<names>[^,.]{2,40}?)(?: (?:berichtet|berichtete|meldet|meldete|mitteilte))?[,.]"
    ),
    re.compile(
        r"(?:segun|segundo|de acuerdo con|conforme|informa|informo|informou) "
        r"(?:(?:informo|informa|informou|a|o|la|el|a agencia|la agencia) )?"
        r"(?P<names>[^,.]{2,40}?)[,.]"
    ),
    re.compile(
        r"(?P<names>[^,.']{2,30}?)'(?:nin|nın|in|ın|nun|nün|un|ün|ya|ye|a|e) "
        r"(?:haberine|aktard[iı]g[iı]na|bildird[iı]g[iı]ne) gore"
    ),
)
# Datelines of Chinese, Japanese and Russian wire copy:
# "新华社北京3月5日电（记者 张三）", "【ワシントン共同】", "МОСКВА, 5 марта. /ТАСС/.".
_ZH_DATELINE_RE: Final = re.compile(
    r" *(?P<pre>[^\s,，。(（]{2,18}?) *\d{1,2} *月 *\d{1,2} *日 *(?:电|電|讯|訊)"
    r"(?: *[(（] *记者[^)）]{1,40}[)）])?"
)
_JA_DATELINE_RE: Final = re.compile(r" *【(?P<inner>[^】]{1,24})】")
_SLASH_DATELINE_RE: Final = re.compile(r"[^/]{0,60}?/ *(?P<names>[^/]{2,30}?) *[/]\.?")

# "(AFP)", "(Reuters)", "(AFP/Reuters)".
_PARENTHESISED_RE: Final = re.compile(rf"\( *(?P<names>[^()]{{1,{_MAX_NAME_CHARS}}}?) *\)")
# "… a-t-il dit. – AFP" closing a paragraph.
_DASH_CREDIT_RE: Final = re.compile(
    rf"(?:^| )-+ *(?P<names>(?:(?! -).){{1,{_MAX_NAME_CHARS}}}?)[ .]*$"
)
# "PARIS (AFP) - ", "LONDON (Reuters) – ", "Bamako, 12 janv. (AFP) —".
_DATELINE_RE: Final = re.compile(
    r" *(?P<place>[^\W\d_][^\W\d_'.-]*(?: [^\W\d_][^\W\d_'.-]*){0,4})"
    r"(?: *, *[^()]{1,40}?)? *"
    rf"\( *(?P<names>[^()]{{1,{_MAX_NAME_CHARS}}}?) *\)\.? *(?:-+|:)"
)


@dataclass(slots=True)
class _Found:
    """A recognised credit before own-domain suppression."""

    start: int
    end: int
    kind: AttributionKind
    credited: list[_Resolved]


def _split_items(folded: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    position = start
    for sep in _LIST_SPLIT_RE.finditer(folded, start, end):
        yield position, sep.start()
        position = sep.end()
    yield position, end


def _resolve_list(
    para: _Paragraph, start: int, end: int, index: _Index, policy: int
) -> list[_Resolved] | None:
    """Resolve ``A, B et C``; None unless every listed item is acceptable."""
    whole = para.resolve(start, end, index)
    if whole is not None and (whole.known or whole.is_domain):
        return [whole] if _accepts(whole, policy) else None
    items: list[_Resolved] = []
    for item_start, item_end in _split_items(para.folded, start, end):
        a, b = _trim(para.folded, item_start, item_end, _ITEM_JUNK)
        if (
            a >= b
            or not any(c.isalpha() for c in para.folded[a:b])
            or _DATE_ITEM_RE.fullmatch(para.folded, a, b)
        ):
            continue  # an empty slot or a bare date between separators
        resolved = para.resolve(a, b, index)
        if resolved is None or not _accepts(resolved, policy):
            return None
        items.append(resolved)
    return items or None


def _resolve_single(
    para: _Paragraph, start: int, end: int, index: _Index, policy: int
) -> list[_Resolved] | None:
    """Resolve one name followed perhaps by a date or a licence note."""
    cut = _TAIL_CUT_RE.search(para.folded, start, end)
    resolved = para.resolve(start, cut.start() if cut else end, index)
    if resolved is None or not _accepts(resolved, policy):
        return None
    return [resolved]


_SEGMENT_RULES: Final[tuple[tuple[re.Pattern[str], AttributionKind, bool, int], ...]] = (
    # (pattern, kind, names a list, policy)
    (_SOURCE_RE, "source", True, _ANY),
    (_VIA_RE, "source", True, _DOMAIN),
    (_READ_MORE_FULL_RE, "read_more", False, _ANY),
    (_READ_MORE_SHORT_RE, "read_more", False, _DOMAIN),
    (_READ_MORE_INTL_RE, "read_more", False, _DOMAIN),
    (_FIRST_APPEARED_RE, "first_appeared", False, _ANY),
)


def _segments(folded: str) -> Iterator[tuple[int, int]]:
    position = 0
    for brk in _SEGMENT_BREAK_RE.finditer(folded):
        yield position, brk.start()
        position = brk.end()
    yield position, len(folded)


def _scan_segment(para: _Paragraph, start: int, end: int, index: _Index) -> _Found | None:
    folded = para.folded
    # Closing quotes stay: « Le Monde » is quoted whole in the phrase.
    start, end = _trim(folded, start, end, _SEGMENT_HEAD_JUNK, _SEGMENT_TAIL_JUNK)
    if not 0 < end - start <= _MAX_CREDIT_CHARS:
        return None
    for pattern, kind, is_list, policy in _SEGMENT_RULES:
        match = pattern.fullmatch(folded, start, end)
        if match is None:
            continue
        resolve = _resolve_list if is_list else _resolve_single
        credited = resolve(para, match.start("rest"), match.end("rest"), index, policy)
        return _Found(start, end, kind, credited) if credited else None
    with_match = _WITH_RE.fullmatch(folded, start, end)
    if with_match is not None:
        credited = []
        if with_match.group("pre") is not None:
            # "Le Monde avec AFP" credits both; "il a parlé avec Reuters" neither.
            pre = para.resolve(with_match.start("pre"), with_match.end("pre"), index)
            if pre is None or not _accepts(pre, _DOMAIN):
                return None
            credited.append(pre)
        rest = _resolve_list(para, with_match.start("rest"), end, index, _DOMAIN)
        if rest is None:
            return None
        return _Found(start, end, "with", credited + rest)
    has_mark = folded.find("\u00a9", start, end) >= 0 or folded.find("copyright", start, end) >= 0
    mark = _COPYRIGHT_RE.search(folded, start, end) if has_mark else None
    if mark is not None and _PICTURE_CONTEXT_RE.search(folded, start, mark.start()) is None:
        rest_start = mark.end()
        while rest_start < end and folded[rest_start] in " \u00a9:":
            rest_start += 1  # "Copyright © 2026 …"
        credited_names = _resolve_list(para, rest_start, end, index, _ANY)
        if credited_names:
            return _Found(mark.start(), end, "copyright", credited_names)
    return None


def _expands(para: _Paragraph, before: int, names: Sequence[_Resolved], index: _Index) -> bool:
    """Whether the words before ``before`` spell out the bracketed name.

    "un porte-parole a déclaré à l'Agence France-Presse (AFP)" introduces an
    acronym; it is a mention of AFP, not a credit line.
    """
    words = para.folded[max(0, before - _MAX_NAME_CHARS) : before].split()
    domains = {r.domain for r in names}
    for count in range(1, min(len(words), MAX_UNKNOWN_NAME_WORDS) + 1):
        owner = index.name_owner(_name_key(" ".join(words[-count:])))
        if owner is not None and owner[1] in domains:
            return True
    return False


def _overlaps(found: Sequence[_Found], start: int, end: int) -> bool:
    return any(start < f.end and f.start < end for f in found)


def _scan_paragraph(para: _Paragraph, index: _Index, *, head: bool) -> list[_Found]:
    folded = para.folded
    start, end = _trim(folded, 0, len(folded), " \"'()[]*.")
    if start >= end:
        return []
    bare = _URL_RE.fullmatch(folded, start, end)
    if bare is not None:
        resolved = para.resolve(start, end, index)
        if resolved is None:
            return []
        if not resolved.known and (
            _is_share_host(resolved.domain) or _is_link_not_credit(folded, bare.end("host"), end)
        ):
            return []  # a share button, short link or shop link: an ad, not a source
        return [_Found(start, end, "bare_domain", [resolved])]

    found: list[_Found] = []
    if head:
        dateline = _DATELINE_RE.match(folded)
        if dateline is not None and _may_start_a_dateline(para.text[dateline.start("place")]):
            names = _resolve_list(
                para, dateline.start("names"), dateline.end("names"), index, _KNOWN
            )
            if names:
                closing = folded.index(")", dateline.end("names"))
                found.append(_Found(dateline.start("place"), closing + 1, "dateline", names))
        found.extend(_scan_head_forms(para, index, found))

    for seg_start, seg_end in _segments(folded):
        credit = _scan_segment(para, seg_start, seg_end, index)
        if credit is not None and not _overlaps(found, credit.start, credit.end):
            found.append(credit)

    for paren in _PARENTHESISED_RE.finditer(folded):
        if _overlaps(found, paren.start(), paren.end()):
            continue
        if _PICTURE_CONTEXT_RE.search(folded, max(0, paren.start() - 30), paren.start()):
            continue  # "Photo (AFP)"
        names = _resolve_list(para, paren.start("names"), paren.end("names"), index, _KNOWN)
        if names and not _expands(para, paren.start(), names, index):
            found.append(_Found(paren.start(), paren.end(), "wire_credit", names))

    # A closing "– AFP" sits in the paragraph's last few characters.
    dash = _DASH_CREDIT_RE.search(folded, max(0, len(folded) - _MAX_NAME_CHARS - 8))
    if dash is not None:
        dash_start = dash.start() + (folded[dash.start()] == " ")
        names_end = _trim(folded, dash.start("names"), dash.end("names"), _ITEM_JUNK)[1]
        if not _overlaps(found, dash_start, names_end):
            names = _resolve_list(para, dash.start("names"), names_end, index, _KNOWN)
            if names:
                found.append(_Found(dash_start, names_end, "wire_credit", names))
    if not found and end - start <= _MAX_NAME_CHARS:
        # A paragraph that is nothing but a wire agency's name ("共同通信",
        # "ТАСС", "Reuters") credits it. Other outlets' names alone are too
        # often site chrome (a masthead, the publisher's own name) to count.
        alone = para.resolve(start, end, index)
        if alone is not None and not alone.is_domain and alone.domain in _WIRE_DOMAINS:
            found.append(_Found(start, end, "bare_name", [alone]))
    return found


def _may_start_a_dateline(char: str) -> bool:
    """A dateline's place is in capitals, or in a script without case (Arabic, CJK)."""
    return char.isupper() or char.lower() == char.upper()


def _is_share_host(host: str | None) -> bool:
    if host is None:
        return False
    labels = host.split(".")
    return any(".".join(labels[i:]) in _SHARE_DOMAINS for i in range(len(labels) - 1))


def _is_link_not_credit(folded: str, path_start: int, end: int) -> bool:
    """Whether a bare link to an unknown site is an ad link rather than a credit.

    A bare domain ("example.org") or a link to an article page
    ("example.org/politique/2026/03/05/un-titre") can be a credit; a link
    with a query string (affiliate tags, tracking) or a single opaque path
    segment (a short link: "example.to/3xYz9") is an advertisement.
    """
    path = folded[path_start:end]
    if path.startswith(":"):
        path = path.lstrip(":0123456789")
    if path in ("", "/"):
        return False
    if "?" in path or _AFFILIATE_QUERY_RE.search(path):
        return True
    segments = [segment for segment in re.split(r"[/#]", path) if segment]
    return len(segments) == 1 and not re.search(r"[-_.]", segments[0])


def _scan_head_forms(para: _Paragraph, index: _Index, found: Sequence[_Found]) -> list[_Found]:
    """Credits that open a lead paragraph in other languages' wire copy.

    "据新华社报道，…", "По данным ТАСС, …", "Según EFE, …", "AA'nın haberine
    göre …" (according-to openings), and the datelines "新华社北京3月5日电",
    "【ワシントン共同】", "МОСКВА, 5 марта. /ТАСС/.": each must name a known
    outlet or agency.
    """
    folded = para.folded
    lead = len(folded) - len(folded.lstrip())
    result: list[_Found] = []

    def add(start: int, end: int, kind: AttributionKind, names: list[_Resolved] | None) -> None:
        if names and not _overlaps([*found, *result], start, end):
            result.append(_Found(start, end, kind, names))

    for pattern in _ACCORDING_TO_RES:
        match = pattern.match(folded, lead)
        if match is not None:
            names = _resolve_list(para, match.start("names"), match.end("names"), index, _KNOWN)
            add(match.start(), match.end(), "according_to", names)
            break
    zh = _ZH_DATELINE_RE.match(folded, lead)
    if zh is not None:
        start, end = zh.start("pre"), zh.end("pre")
        for cut in range(end, start + 1, -1):  # the agency is the longest known prefix
            resolved = para.resolve(start, cut, index)
            if resolved is not None and resolved.known:
                add(start, zh.end(), "dateline", [resolved])
                break
    ja = _JA_DATELINE_RE.match(folded, lead)
    if ja is not None:
        start, end = ja.start("inner"), ja.end("inner")
        for cut in range(start, end - 1):  # the agency is the longest known suffix
            resolved = para.resolve(cut, end, index)
            if resolved is not None and resolved.known:
                add(ja.start(), ja.end(), "dateline", [resolved])
                break
    slash = _SLASH_DATELINE_RE.match(folded, lead)
    if slash is not None:
        names = _resolve_list(para, slash.start("names"), slash.end("names"), index, _KNOWN)
        add(slash.start("names") - 1, slash.end(), "dateline", names)
    return result


def _edge_indices(paragraphs: Sequence[str]) -> list[tuple[int, bool]]:
    """(paragraph index, is a head paragraph) for the paragraphs to read."""
    non_blank = [i for i, p in enumerate(paragraphs) if p.strip()]
    head = set(non_blank[:HEAD_PARAGRAPHS])
    chosen = sorted(head | set(non_blank[-TAIL_PARAGRAPHS:]))
    return [(i, i in head) for i in chosen]


def _is_own(domain: str | None, own: str | None) -> bool:
    if domain is None or own is None:
        return False
    return domain == own or domain.endswith("." + own) or own.endswith("." + domain)


def find_attributions(
    paragraphs: Sequence[str],
    outlets: Sequence[KnownOutlet],
    *,
    own_domain: str | None = None,
) -> tuple[Attribution, ...]:
    """Find the credit lines of an article and resolve what they name.

    Reads the first 2 and the last 4 non-blank paragraphs. ``outlets`` are
    the configured outlets names and domains resolve to; the wire agencies
    in ``WIRE_AGENCIES`` resolve to their domains even when not configured.
    Credits naming ``own_domain`` (the publishing outlet itself) are left
    out. The result is ordered by paragraph, then by position in it.

        >>> find_attributions(["Texte.", "lemonde.fr"], [KnownOutlet("Le Monde", "lemonde.fr")])
        ... # doctest: +NORMALIZE_WHITESPACE
        (Attribution(phrase='lemonde.fr', kind='bare_domain', outlet_name='Le Monde',
                     domain='lemonde.fr', named='lemonde.fr', paragraph_index=1,
                     whole_paragraph=True),)
    """
    index = _index_for(outlets)
    own = _normalise_host(own_domain) if own_domain else None
    result: list[Attribution] = []
    for paragraph_index, head in _edge_indices(paragraphs):
        text = unicodedata.normalize("NFC", paragraphs[paragraph_index])
        para = _Paragraph(text, _fold(text))
        found = sorted(_scan_paragraph(para, index, head=head), key=lambda f: f.start)
        if not found:
            continue
        # The paragraph is nothing but credits when removing them leaves no
        # letter or digit (own credits count: they are boilerplate too).
        leftover = list(para.folded)
        for f in found:
            leftover[f.start : f.end] = " " * (f.end - f.start)
        whole = not any(c.isalnum() for c in _RIGHTS_RE.sub(" ", "".join(leftover)))
        for f in found:
            phrase = text[f.start : f.end]
            seen: set[str | None] = set()
            for credited in sorted(f.credited, key=lambda r: r.start):
                if _is_own(credited.domain, own):
                    continue
                if credited.domain is not None and credited.domain in seen:
                    continue  # "ที่มา: รอยเตอร์ / Reuters": one agency, named twice
                seen.add(credited.domain)
                result.append(
                    Attribution(
                        phrase=phrase,
                        kind=f.kind,
                        outlet_name=credited.outlet_name,
                        domain=credited.domain,
                        named=credited.named,
                        paragraph_index=paragraph_index,
                        whole_paragraph=whole,
                    )
                )
    return tuple(result)
