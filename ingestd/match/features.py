"""What the matcher knows of one article's text: shingles by paragraph, lead sentences.

Built from the extracted text minus the outlet's boilerplate paragraphs and
minus paragraphs that are nothing but a credit line, so that neither makes
two texts look alike.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ingestd.fingerprint.params import SignatureParams
from ingestd.fingerprint.shingles import (
    U32Array,
    paragraph_shingle_hashes,
    sentence_keys,
    stable_hash,
)
from ingestd.match.thresholds import Thresholds
from ingestd.text.normalize import UNSPACED_RANGES, normalize


@dataclass(frozen=True, slots=True)
class PreparedText:
    """An article's paragraphs, each normalised once, with its paragraph keys.

    Everything the matcher derives from text (boilerplate keys, shingles,
    the exact hash) reads ``normalised``: normalisation is the costly step
    and is done once per paragraph (``keys[i]`` is ``paragraph_key`` of
    paragraph i).

    Made by :func:`prepare_text` with a :class:`TextRules`, it also holds
    what :func:`build_features` would compute per paragraph from text alone
    (shingle hashes, lead-sentence keys), so that the extraction worker can
    do that work and the main process only chooses among paragraphs (which
    needs the store's boilerplate statistics).
    """

    paragraphs: tuple[str, ...]
    normalised: tuple[str, ...]
    keys: tuple[int, ...]
    rules: TextRules | None = None
    paragraph_shingles: tuple[U32Array, ...] = ()
    paragraph_sentence_keys: tuple[tuple[int, ...], ...] = ()

    @property
    def full_text_hash(self) -> int:
        """Hash of the whole normalised text, boilerplate included."""
        return stable_hash("\n".join(self.normalised))


@dataclass(frozen=True, slots=True)
class TextRules:
    """The settings per-paragraph features depend on (shingle size, lead sentences)."""

    shingle_size: int
    sentence_min_words: int
    lead_sentences: int

    @classmethod
    def of(cls, params: SignatureParams, thresholds: Thresholds) -> TextRules:
        """The rules a matcher with these parameters applies."""
        return cls(params.shingle_size, thresholds.sentence_min_words, thresholds.lead_sentences)


def prepare_text(paragraphs: Sequence[str], rules: TextRules | None = None) -> PreparedText:
    """Normalise each paragraph once and key it; with ``rules``, shingle and key its sentences."""
    normalised = tuple(normalize(p) for p in paragraphs)
    keys = tuple(stable_hash(n) for n in normalised)
    if rules is None:
        return PreparedText(tuple(paragraphs), normalised, keys)
    shingles = paragraph_shingle_hashes([n.split() for n in normalised], rules.shingle_size)
    sentences = tuple(
        tuple(sentence_keys(p, rules.sentence_min_words, limit=rules.lead_sentences))
        for p in paragraphs
    )
    return PreparedText(tuple(paragraphs), normalised, keys, rules, tuple(shingles), sentences)


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
    full_text_hash: int = 0
    # The publishing outlet, when known: one outlet tells one story once, so
    # two of its texts are one story only as a re-post or an update.
    outlet_id: int | None = None

    @property
    def size(self) -> int:
        """Number of distinct shingles."""
        return len(self.shingles)


# Characters a prose paragraph ends with. Headlines, section labels, bylines
# and date lines ("Publié le 2 mars 2026 à 22h55", "Business", "March 7,
# 2026 6:24 PM UTC | Staff") do not, and extractors keep them beside the body
# in outlet-specific forms: they must not count as shared or unshared text.
# CJK stops and closing brackets (。！？」』）), Arabic ؟ and Urdu ۔,
# Devanagari । ॥, Khmer ។ and Myanmar ။ end prose too.
_PROSE_END = frozenset('.!?…»"”’):;。！？」』）｡؟۔।॥។။')
_LONG_PARAGRAPH_WORDS = 25
# Thai and Lao put no stop at a paragraph's end and few spaces inside it:
# there a paragraph is long by its characters in unspaced scripts (a Thai
# headline runs 40-80 of them, a body paragraph 150 and more).
_LONG_PARAGRAPH_UNSPACED_CHARS = 100
_UNSPACED_CHAR = re.compile(f"[{UNSPACED_RANGES}]")


def is_prose(paragraph: str) -> bool:
    """Whether a paragraph is body text rather than a heading, byline or date line."""
    text = paragraph.rstrip()
    if not text:
        return False
    if text[-1] in _PROSE_END or len(text.split()) >= _LONG_PARAGRAPH_WORDS:
        return True
    if text.isascii() or len(text) < _LONG_PARAGRAPH_UNSPACED_CHARS:
        return False
    return len(_UNSPACED_CHAR.findall(text)) >= _LONG_PARAGRAPH_UNSPACED_CHARS


def choose_boilerplate(keys: Sequence[int], counts: Mapping[int, int], needed: int) -> set[int]:
    """The paragraph keys to treat as the outlet's boilerplate.

    ``counts`` says in how many stored articles of the outlet each paragraph
    appears; ``needed`` is the count that makes boilerplate. When that would
    take away half the text or more, the repeated paragraphs are not chrome
    but the outlet's own earlier text of this story (a double post, an
    update under a new URL): only paragraphs seen more often than the
    story's own stay boilerplate (the newsletter box every article carries).
    """
    chosen = {key for key, count in counts.items() if count >= needed}
    distinct = set(keys)
    removed = sorted(counts[key] for key in distinct & chosen)
    if len(removed) >= 2 and 2 * len(removed) >= len(distinct):
        # The story's own paragraphs make up most of what repeats: chrome is
        # what repeats more often than they do.
        typical = removed[len(removed) // 2]
        return {key for key, count in counts.items() if count > max(typical, needed)}
    return chosen


def build_features(
    paragraphs: Sequence[str] | PreparedText,
    *,
    boilerplate: Collection[int],
    credit_paragraphs: Collection[int],
    params: SignatureParams,
    thresholds: Thresholds,
    outlet_id: int | None = None,
) -> TextFeatures:
    """Features of a text given as paragraphs (published by ``outlet_id``, when known).

    ``boilerplate`` holds paragraph keys known as the outlet's boilerplate;
    ``credit_paragraphs`` the indexes of paragraphs that are only a credit.
    Pass a :class:`PreparedText` when its keys were needed before (the
    boilerplate look-up): nothing is normalised twice; when it was prepared
    with these parameters' :class:`TextRules` (in the extraction worker), its
    per-paragraph shingles and sentence keys are used as they are.
    """
    prepared = paragraphs if isinstance(paragraphs, PreparedText) else prepare_text(paragraphs)
    ready = prepared.rules == TextRules.of(params, thresholds)
    texts = prepared.paragraphs
    all_keys = prepared.keys
    prose = {index for index, paragraph in enumerate(texts) if is_prose(paragraph)}
    if not prose - set(credit_paragraphs):
        prose = set(range(len(texts)))  # a text with no prose: judge it whole
    token_lists: list[list[str]] = []
    chosen: list[int] = []
    word_counts: list[int] = []
    normalised: list[str] = []
    lead: list[int] = []
    for index, paragraph in enumerate(texts):
        if index in credit_paragraphs or index not in prose or all_keys[index] in boilerplate:
            continue
        norm = prepared.normalised[index]
        words = norm.split()
        if not words:
            continue
        normalised.append(norm)
        token_lists.append(words)
        chosen.append(index)
        word_counts.append(len(words))
        if len(lead) < thresholds.lead_sentences:
            missing = thresholds.lead_sentences - len(lead)
            if ready:
                # The first keys of a paragraph are the same whatever the limit.
                lead.extend(prepared.paragraph_sentence_keys[index][:missing])
            else:
                lead.extend(sentence_keys(paragraph, thresholds.sentence_min_words, limit=missing))
    if ready:
        per_paragraph = [prepared.paragraph_shingles[index] for index in chosen]
    else:
        per_paragraph = paragraph_shingle_hashes(token_lists, params.shingle_size)
    shingles = np.unique(np.concatenate(per_paragraph)) if per_paragraph else np.empty(0, np.uint32)
    return TextFeatures(
        paragraph_shingles=tuple(per_paragraph),
        paragraph_words=tuple(word_counts),
        shingles=shingles,
        word_count=sum(word_counts),
        exact_hash=stable_hash("\n".join(normalised)),
        lead_keys=tuple(dict.fromkeys(lead[: thresholds.lead_sentences])),
        paragraph_keys=all_keys,
        full_text_hash=prepared.full_text_hash,
        outlet_id=outlet_id,
    )
