"""Text normalisation for matching: typography, case and spacing erased, script by script.

Two copies of one article differ in typography (« » against ", ’ against ',
– against -), non-breaking spaces, accents dropped by a CMS, and case in
titles. None of that is a difference of content, so every matching step
works on the normalised form built here, one paragraph at a time.

The normalised form is a string of tokens separated by single spaces, so
that ``normalize(text).split()`` is the token list in every script:

* spaced scripts (Latin, Cyrillic, Greek, Arabic, Devanagari, Hangul, …):
  one token per word; combining marks stay inside their word ("दिल्ली" is
  one token, not two);
* unspaced scripts (Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar):
  one token per character with its combining marks (a grapheme), so that
  shingles of ``shingle_size`` tokens are character n-grams there. Why
  n-grams and not a word segmenter: see "Scripts" in README.md (measured
  against ICU word break on the labelled corpus).

Folding is deliberate per script: accents are dropped only where they are
typography (Latin letters, and the generic combining diacritics block that
Latin, Greek and Cyrillic share, e.g. Russian stress marks), never where they
are letters (Japanese voicing marks, Devanagari and Thai vowel signs).
Arabic's optional vowel marks (harakat) and the kashida stretch (tatweel)
are dropped: writers add or leave them at will, like typography.

``normalize`` takes a fast path for the commonest case, ASCII text, which
needs no Unicode normalisation and no folding at all.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

# Characters that only change typography. Dashes and quotes become spaces:
# "OTAN-Russie" and "OTAN – Russie" must give the same words.
_TYPOGRAPHY: Final = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u02bc": "'", "`": "'", "\u00b4": "'",
    "\u201c": " ", "\u201d": " ", "\u201e": " ", "\u00ab": " ", "\u00bb": " ",
    "\u2039": " ", "\u203a": " ", '"': " ",
    "\u2010": " ", "\u2011": " ", "\u2012": " ", "\u2013": " ", "\u2014": " ",
    "\u2015": " ", "\u2212": " ", "-": " ",
    "\u00a0": " ", "\u202f": " ", "\u2009": " ",
    # Invisible characters a CMS adds or drops: never content.
    "\u200b": "", "\u200c": "", "\u200d": "", "\u2060": "", "\ufeff": "", "\u00ad": "",
    # Arabic tatweel (kashida) only stretches a word for justification.
    "\u0640": "",
}  # fmt: skip
# ASCII in one pass: letters lower-cased, digits kept, everything else a
# separator (apostrophes too: "l'OTAN" -> "l", "otan").
_ASCII_TABLE: Final = str.maketrans(
    {chr(c): (chr(c).lower() if chr(c).isalnum() else " ") for c in range(128)}
)

# Optional Arabic vowel and reading marks (harakat, shadda, sukun, Quranic
# annotation signs): present or absent at the writer's whim.
_ARABIC_OPTIONAL_MARKS: Final = frozenset(
    [
        *range(0x064B, 0x0660),
        0x0670,
        *range(0x06D6, 0x06DD),
        *range(0x06DF, 0x06E9),
        *range(0x06EA, 0x06EE),
        *range(0x08D3, 0x08E2),
        *range(0x08E3, 0x0900),
    ]
)


def _is_latin_letter(char: str) -> bool:
    return unicodedata.name(char, "").startswith("LATIN ")


# The generic diacritics Latin, Greek and Cyrillic share, left standing after
# NFKC when no precomposed letter exists (stress marks, "n̈"): typography.
_GENERIC_DIACRITICS: Final = frozenset(
    [*range(0x0300, 0x0370), *range(0x1AB0, 0x1B00), *range(0x1DC0, 0x1E00), *range(0xFE20, 0xFE30)]
)


def _fold_code_point(code: int) -> str:
    """The folded form of one (casefolded, NFKC) character; " " for a separator.

    Letters, digits and combining marks are word characters; every other
    character (punctuation, symbols, spaces, controls, "_") separates words.
    """
    char = chr(code)
    typography = _TYPOGRAPHY.get(char)
    if typography is not None:
        return typography if typography == "" else " "
    if code in _ARABIC_OPTIONAL_MARKS or code in _GENERIC_DIACRITICS:
        return ""
    category = unicodedata.category(char)
    if category[0] not in "LNM":
        return " "
    if category[0] != "M" and _UNSPACED.match(char):
        # A character of an unspaced script starts a token of its own; the
        # combining marks after it (kept as they are) stay in that token.
        return " " + char
    if _is_latin_letter(char):
        decomposed = unicodedata.normalize("NFKD", char)
        base = "".join(c for c in decomposed if not unicodedata.combining(c))
        return base or char
    return char


class _FoldTable(dict[int, str]):
    """A ``str.translate`` table filled lazily, one code point at a time.

    Each code point is decided once per process; afterwards folding is one
    C-level dictionary look-up per character.
    """

    def __missing__(self, code: int) -> str:
        folded = _fold_code_point(code)
        self[code] = folded
        return folded


_FOLD_TABLE: Final = _FoldTable()


class _AccentTable(dict[int, str]):
    """Lazy table for :func:`strip_accents`: Latin accents only, nothing else."""

    def __missing__(self, code: int) -> str:
        char = chr(code)
        if code in _GENERIC_DIACRITICS:
            folded = ""
        elif _is_latin_letter(char):
            folded = "".join(
                c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
            )
        else:
            folded = char
        self[code] = folded
        return folded


_ACCENT_TABLE: Final = _AccentTable()


def _ranges(predicate_codes: list[int]) -> str:
    """A regex character-class body for a sorted list of code points."""
    parts: list[str] = []
    start = previous = predicate_codes[0]
    for code in [*predicate_codes[1:], -1]:
        if code == previous + 1:
            previous = code
            continue
        tail = "-" + re.escape(chr(previous)) if previous > start else ""
        parts.append(re.escape(chr(start)) + tail)
        start = previous = code
    return "".join(parts)


# Scripts written without spaces between words. Their characters (with
# their combining marks) become one token each.
UNSPACED_RANGES: Final = (
    "\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3038-\u303b\u3040-\u30ff\u31f0-\u31ff"
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"  # Han, kana
    "\u0e00-\u0eff"  # Thai, Lao
    "\u1780-\u17ff\u19e0-\u19ff"  # Khmer
    "\u1000-\u109f\uaa60-\uaa7f\ua9e0-\ua9ff"  # Myanmar
)
_UNSPACED: Final = re.compile(f"[{UNSPACED_RANGES}]")
# The combining marks that can follow an unspaced-script character: the
# scripts' own vowel and tone signs, kana voicing marks, variation selectors
# (used with Han). Taken from the running Python's Unicode database.
_UNSPACED_MARKS: Final = _ranges(
    [
        c
        for block in (
            (0x0E00, 0x0F00),
            (0x1000, 0x10A0),
            (0x1780, 0x1800),
            (0x3099, 0x309B),
            (0xA9E0, 0xAA00),
            (0xAA60, 0xAA80),
            (0xFE00, 0xFE10),
            (0xE0100, 0xE01F0),
        )
        for c in range(*block)
        if unicodedata.category(chr(c)).startswith("M")
    ]
)
# After the table, an unspaced grapheme is preceded by a space; a word of
# another script glued after it ("日本語NATO") still needs one.
_AFTER_UNSPACED: Final = re.compile(
    f"(?<=[{UNSPACED_RANGES}{_UNSPACED_MARKS}])(?=[^\\s{UNSPACED_RANGES}{_UNSPACED_MARKS}])"
)

_PARAGRAPH_SPLIT: Final = re.compile(r"\s*\n\s*")


def strip_accents(text: str) -> str:
    """Remove the accents of Latin letters: "Élargissement" -> "Elargissement".

    Marks that are letters of other scripts stay: "が" and "दिल्ली" are unchanged.
    """
    return unicodedata.normalize("NFC", text).translate(_ACCENT_TABLE)


def normalize(text: str) -> str:
    """One line of text reduced to lower-case, folded tokens separated by single spaces.

    Words in spaced scripts, single characters (graphemes) in unspaced ones
    (see the module docstring); ``normalize(text).split()`` is the token list.
    """
    if text.isascii():
        # No Unicode normalisation, no accents, no unspaced script: the
        # commonest case (English text) is two C-level passes.
        return " ".join(text.translate(_ASCII_TABLE).split())
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    # casefold before the table: "İ" casefolds to "i" + a combining dot,
    # which the table then drops. The table does the rest in one pass:
    # typography, Latin accents, Arabic optional marks, separators.
    text = text.casefold().translate(_FOLD_TABLE)
    if _UNSPACED.search(text) is not None:
        text = _AFTER_UNSPACED.sub(" ", text)
    return " ".join(text.split())


def words(text: str) -> list[str]:
    """The normalised tokens of a text (words, or characters of unspaced scripts)."""
    return normalize(text).split()


def split_paragraphs(text: str) -> list[str]:
    """Extracted text (one paragraph per line) into its non-empty paragraphs."""
    return [part.strip() for part in _PARAGRAPH_SPLIT.split(text) if part.strip()]
