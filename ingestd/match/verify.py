"""Exact verification of a candidate pair: is one text a copy of the other?

LSH only proposes; this module decides, on the real shingle sets, with the
numbers in :mod:`ingestd.match.thresholds`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ingestd.fingerprint.shingles import U32Array
from ingestd.match.features import TextFeatures
from ingestd.match.thresholds import Thresholds


@dataclass(frozen=True, slots=True)
class PairScore:
    """Overlap of two texts A and B.

    ``containment`` is shared / size of the smaller set; ``covered_paragraphs``
    and ``coverage`` describe how much of the SHORTER text (by shingles) is
    found in the longer one, paragraph by paragraph; ``lead_covered`` tells
    whether the shorter text's first paragraph is among them, and
    ``lead_aligned`` whether, in addition, the longer text's first paragraph
    is found in the shorter one (the two texts start alike).
    """

    shared: int
    size_a: int
    size_b: int
    jaccard: float
    containment: float
    covered_paragraphs: int
    coverage: float
    lead_covered: bool
    lead_aligned: bool
    exact: bool

    def containment_of(self, a_side: bool) -> float:
        """Share of A's (or B's) shingles found in the other text."""
        size = self.size_a if a_side else self.size_b
        return self.shared / size if size else 0.0


@dataclass(frozen=True, slots=True)
class Verdict:
    """The decision on a pair and the rule that made it."""

    linked: bool
    rule: str
    score: PairScore


def _found_per_paragraph(paragraphs: Sequence[U32Array], other: U32Array) -> list[int]:
    """How many of each paragraph's shingles are in ``other`` (sorted, unique).

    One vectorised look-up over all paragraphs (a binary search in the
    other text's sorted shingles) instead of one ``np.isin`` per paragraph:
    numpy's per-call cost, not the arithmetic, dominated verification.
    """
    sizes = [paragraph.size for paragraph in paragraphs]
    if not other.size or not any(sizes):
        return [0] * len(sizes)
    values = np.concatenate(paragraphs)
    spots = np.searchsorted(other, values)
    np.minimum(spots, other.size - 1, out=spots)
    hits = np.cumsum(other[spots] == values, dtype=np.int64)
    counts: list[int] = []
    end = 0
    for size in sizes:
        before = int(hits[end - 1]) if end else 0
        end += size
        counts.append(int(hits[end - 1]) - before if size else 0)
    return counts


def score_pair(a: TextFeatures, b: TextFeatures, thresholds: Thresholds) -> PairScore:
    """Measure how much of A and B is shared."""
    shared = int(np.intersect1d(a.shingles, b.shingles, assume_unique=True).size)
    union = a.size + b.size - shared
    shorter, longer = (a, b) if a.size <= b.size else (b, a)
    covered = 0
    covered_words = 0
    lead_covered = False
    found_by_paragraph = _found_per_paragraph(shorter.paragraph_shingles, longer.shingles)
    for index, (paragraph, found) in enumerate(
        zip(shorter.paragraph_shingles, found_by_paragraph, strict=True)
    ):
        if paragraph.size and found / paragraph.size >= thresholds.paragraph_covered_share:
            covered += 1
            covered_words += shorter.paragraph_words[index]
            if index == 0:
                lead_covered = True
    lead_aligned = False
    if lead_covered and longer.paragraph_shingles and longer.paragraph_shingles[0].size:
        first = longer.paragraph_shingles[0]
        found = _found_per_paragraph((first,), shorter.shingles)[0]
        lead_aligned = found / first.size >= thresholds.paragraph_covered_share
    return PairScore(
        shared=shared,
        size_a=a.size,
        size_b=b.size,
        jaccard=shared / union if union else 0.0,
        containment=shared / shorter.size if shorter.size else 0.0,
        covered_paragraphs=covered,
        coverage=covered_words / shorter.word_count if shorter.word_count else 0.0,
        lead_covered=lead_covered,
        lead_aligned=lead_aligned,
        exact=a.exact_hash == b.exact_hash and a.word_count > 0,
    )


def verify(a: TextFeatures, b: TextFeatures, thresholds: Thresholds) -> Verdict:
    """Decide whether A and B carry the same piece."""
    score = score_pair(a, b, thresholds)
    if min(a.size, b.size) < thresholds.min_judgeable_shingles:
        # Too short to judge by overlap: only the very same text links.
        if score.exact and min(a.word_count, b.word_count) >= thresholds.min_shared_shingles // 2:
            return Verdict(True, "exact_short", score)
        return Verdict(False, "too_short", score)
    if score.shared < thresholds.min_shared_shingles:
        return Verdict(False, "too_little_shared", score)
    if score.exact:
        return Verdict(True, "exact", score)
    if score.jaccard >= thresholds.near_duplicate_jaccard:
        return Verdict(True, "near_duplicate", score)
    if a.outlet_id is not None and a.outlet_id == b.outlet_id:
        if score.lead_aligned and score.containment >= thresholds.same_outlet_min_containment:
            return Verdict(True, "same_outlet_update", score)
        return Verdict(False, "same_outlet_follow_up", score)
    if score.containment >= thresholds.min_containment and score.coverage >= (
        thresholds.min_containment
    ):
        if score.covered_paragraphs >= thresholds.min_covered_paragraphs:
            return Verdict(True, "contained", score)
        if score.lead_aligned:
            # A one-paragraph excerpt of the lead ("first paragraph + read
            # more"): the texts start alike, which a shared quotation does not.
            return Verdict(True, "contained_lead", score)
        return Verdict(False, "one_shared_paragraph", score)
    return Verdict(False, "low_overlap", score)
