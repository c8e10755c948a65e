"""Every number the matcher decides with, in one table, with where it came from.

Change a number here only with a run of ``ingestd eval`` before and after
(the labelled corpus under tests/data/corpus) and the figures in CHANGELOG.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Matching thresholds. Defaults are the tuned values."""

    # Candidate retrieval -------------------------------------------------
    # MinHashLSH threshold on estimated Jaccard. A copy cut to 40% of its
    # original has a Jaccard near 0.4 (lower with edits); 0.3 with equal
    # false-positive/negative weights gives datasketch's 37 bands x 3 rows,
    # which finds a J=0.4 pair 91% of the time and a J=0.5 pair 99%.
    # The lead-sentence index below catches the rest of the cut copies.
    lsh_threshold: float = 0.3
    lsh_weights: tuple[float, float] = (0.5, 0.5)
    # Sentences of the first `lead_sentences` of an article are indexed by
    # exact normalised hash: a cut-down copy keeps the lead, whatever it
    # does to the end. Sentences under `sentence_min_words` words ("Lire
    # aussi", datelines) are too common to mean anything.
    lead_sentences: int = 8
    sentence_min_words: int = 8
    # A candidate whose signature estimate is hopeless is not verified.
    # 0.15 is half the LSH threshold: below it, even a 20%-excerpt would not
    # reach min_containment after verification.
    min_estimated_containment: float = 0.15
    # At most this many candidates, the best estimates first, are verified
    # per article: a text whose common words or character n-grams are shared
    # by hundreds of windowed articles (measured: 200 for synthetic Japanese
    # at 745,000 windowed) must not cost hundreds of exact comparisons. A
    # real source estimates high and ranks first.
    max_candidates: int = 48

    # Verification (exact, on shingle sets) -----------------------------
    # Fewer shared shingles than this is never a link: a shared 20-word
    # quotation or a formula ("le match a été reporté à une date
    # ultérieure") is not syndication.
    min_shared_shingles: int = 20
    # Texts with fewer shingles than this (~30 words) are too short to
    # judge by overlap: they link only when their normalised text is equal.
    min_judgeable_shingles: int = 25
    # Near-duplicate: Jaccard alone decides (re-templated, lightly edited).
    near_duplicate_jaccard: float = 0.6
    # Cut-down copy: most of the shorter text is found in the longer one...
    min_containment: float = 0.5
    # ...and the shared part is not one paragraph that happens to be the
    # same quotation: it spans two paragraphs, or the leads coincide.
    min_covered_paragraphs: int = 2
    # A paragraph counts as covered when this share of its shingles is
    # found in the other text (word edits leave most shingles intact).
    paragraph_covered_share: float = 0.5

    # Two texts of ONE outlet ----------------------------------------------
    # An outlet tells a story once: two of its texts are one story when one
    # is a re-post (exact) or an edited version (near-duplicate) of the
    # other, or an update under a new URL that keeps the first version whole
    # and adds to it: the leads align and at least this share of the shorter
    # text is in the longer. A follow-up that reuses 40-60 % of an earlier
    # piece's background under a new headline and lead is another story.
    same_outlet_min_containment: float = 0.8

    # Boilerplate ---------------------------------------------------------
    # A paragraph seen in this many articles of one outlet is that
    # outlet's boilerplate (newsletter pitch, "Lire aussi", a credit line)
    # and never enters the shingles. 3, not 2: an outlet's follow-up reuses
    # an earlier piece's background paragraphs, and at 2 that background,
    # seen once in the follow-up, was stripped from the next article of the
    # outlet that carried it: an update under a new URL, fetched before its
    # first version (feeds are read newest first), then kept too little of
    # that version's text to be recognised as the same story.
    boilerplate_min_articles: int = 3


DEFAULT_THRESHOLDS = Thresholds()
