"""What the matcher knows of one article's text: shingles by paragraph, lead sentences.

Built from the extracted text minus the outlet's boilerplate paragraphs and
minus paragraphs that are nothing but a credit line, so that neither makes
two texts look alike.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from ingestd.fingerprint.params import SignatureParams
from ingestd.fingerprint.shingles import (
    U32Array,
    paragraph_key,
    sentence_keys,
    shingle_hashes,
    stable_hash,
)
from ingestd.match.thresholds import Thresholds
from ingestd.text.normalize import normalize


@dataclass(frozen=True, slots=True)
class TextFeatures:
    """Matching features of one article text.

    ``paragraph_shingles[i]`` are the shingle hashes of content paragraph i;
    ``shingles`` their union. ``exact_hash`` identifies the normalised
    content, ``lead_keys`` the lead sentences. ``paragraph_keys`` are the
    keys of ALL paragraphs (boilerplate included), for the outlet's
    boilerplate statistics.
    """

    paragraph_shingles: tuple[U32Array, ...]
    paragraph_words: tuple[int, ...]
    shingles: U32Array
    word_count: int
    exact_hash: int
    lead_keys: tuple[int, ...]
    paragraph_keys: tuple[int, ...]

    @property
    def size(self) -> int:
        """Number of distinct shingles."""
        return len(self.shingles)


# Characters a prose paragraph ends with. Headlines, section labels, bylines
# and date lines ("Publié le 2 mars 2026 à 22h55", "Business", "March 7,
# 2026 6:24 PM UTC | Staff") do not, and extractors keep them beside the body
# in outlet-specific forms: they must not count as shared or unshared text.
_PROSE_END = frozenset('.!?…»"”’):;')
_LONG_PARAGRAPH_WORDS = 25


def is_prose(paragraph: str) -> bool:
    """Whether a paragraph is body text rather than a heading, byline or date line."""
    text = paragraph.rstrip()
    if not text:
        return False
    return text[-1] in _PROSE_END or len(text.split()) >= _LONG_PARAGRAPH_WORDS


def build_features(
    paragraphs: list[str],
    *,
    boilerplate: Collection[int],
    credit_paragraphs: Collection[int],
    params: SignatureParams,
    thresholds: Thresholds,
) -> TextFeatures:
    """Features of a text given as paragraphs.

    ``boilerplate`` holds paragraph keys known as the outlet's boilerplate;
    ``credit_paragraphs`` the indexes of paragraphs that are only a credit.
    """
    all_keys = tuple(paragraph_key(p) for p in paragraphs)
    prose = {index for index, paragraph in enumerate(paragraphs) if is_prose(paragraph)}
    if not prose - set(credit_paragraphs):
        prose = set(range(len(paragraphs)))  # a text with no prose: judge it whole
    per_paragraph: list[U32Array] = []
    word_counts: list[int] = []
    normalised: list[str] = []
    lead: list[int] = []
    for index, paragraph in enumerate(paragraphs):
        if index in credit_paragraphs or index not in prose or all_keys[index] in boilerplate:
            continue
        norm = normalize(paragraph)
        words = norm.split()
        if not words:
            continue
        normalised.append(norm)
        per_paragraph.append(shingle_hashes(words, params.shingle_size))
        word_counts.append(len(words))
        if len(lead) < thresholds.lead_sentences:
            lead.extend(sentence_keys(paragraph, thresholds.sentence_min_words))
    shingles = np.unique(np.concatenate(per_paragraph)) if per_paragraph else np.empty(0, np.uint32)
    return TextFeatures(
        paragraph_shingles=tuple(per_paragraph),
        paragraph_words=tuple(word_counts),
        shingles=shingles,
        word_count=sum(word_counts),
        exact_hash=stable_hash("\n".join(normalised)),
        lead_keys=tuple(dict.fromkeys(lead[: thresholds.lead_sentences])),
        paragraph_keys=all_keys,
    )
