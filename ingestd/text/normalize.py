"""Text normalisation for matching: typography, case and spacing erased.

Two copies of one article differ in typography (« » against ", ’ against ',
– against -), non-breaking spaces, accents dropped by a CMS, and case in
titles. None of that is a difference of content, so every matching step
works on the normalised form built here, one paragraph at a time.
"""

from __future__ import annotations

import re
import unicodedata

# Characters that only change typography. Dashes and quotes become spaces:
# "OTAN-Russie" and "OTAN – Russie" must give the same words.
_TYPOGRAPHY = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u02bc": "'", "`": "'", "\u00b4": "'",
        "\u201c": " ", "\u201d": " ", "\u201e": " ", "\u00ab": " ", "\u00bb": " ",
        "\u2039": " ", "\u203a": " ", '"': " ",
        "\u2010": " ", "\u2011": " ", "\u2012": " ", "\u2013": " ", "\u2014": " ",
        "\u2015": " ", "\u2212": " ", "-": " ",
        "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u200b": "",
    }
)  # fmt: skip

# After the table: anything that is not a letter, digit or apostrophe
# separates words. Apostrophes split too ("l'OTAN" -> "l", "otan") so that
# "l’OTAN" and "l'OTAN" tokenise alike whatever the glyph was.
_NON_WORD = re.compile(r"[^\w]+|_", re.UNICODE)
_PARAGRAPH_SPLIT = re.compile(r"\s*\n\s*")


def strip_accents(text: str) -> str:
    """Remove combining marks: "Élargissement" -> "Elargissement"."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def normalize(text: str) -> str:
    """One line of text reduced to lower-case, accent-free words and single spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_TYPOGRAPHY)
    text = strip_accents(text).casefold()
    return _NON_WORD.sub(" ", text).strip()


def words(text: str) -> list[str]:
    """The normalised words of a text."""
    return normalize(text).split()


def split_paragraphs(text: str) -> list[str]:
    """Extracted text (one paragraph per line) into its non-empty paragraphs."""
    return [part.strip() for part in _PARAGRAPH_SPLIT.split(text) if part.strip()]
