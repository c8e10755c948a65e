"""What was copied: a copy beside its source, computed as the matcher computed it.

Pure (no store, no web). Both texts go through the matcher's own code:
:func:`ingestd.text.normalize.split_paragraphs`, the credit finder
(:func:`ingestd.match.attribution.find_attributions`), the features
(:func:`ingestd.match.features.build_features`, which leaves out the
outlet's boilerplate, credit-only paragraphs and headings) and the verdict
(:func:`ingestd.match.verify.verify`). So the figures shown are the ones
the link was decided on, and a highlighted passage is one whose shingles
the two texts share::

    copy, source = side(...), side(...)            # text, outlet, boilerplate keys
    view = compare(copy, source, known_outlets)    # Comparison: verdict, rows
    for row in view.rows: row.copy, row.source     # paragraphs side by side

Paragraphs are matched in order (the heaviest chain of shared shingles);
inside a matched paragraph each word is marked shared when a shingle that
covers it is found in the other text, else changed. Word marks need the
tokens of a paragraph to be the words of its normalised form; when the
tokeniser works otherwise (a script without spaces, say), the view keeps the
paragraph-level marks, which always come from the matcher's own features.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np

from ingestd.fingerprint.params import DEFAULT_PARAMS, SignatureParams
from ingestd.fingerprint.shingles import paragraph_key, shingle_hashes
from ingestd.match.attribution import Attribution, KnownOutlet, find_attributions
from ingestd.match.features import TextFeatures, build_features
from ingestd.match.thresholds import DEFAULT_THRESHOLDS, Thresholds
from ingestd.match.verify import verify
from ingestd.text.normalize import normalize, split_paragraphs

MAX_PARAGRAPHS = 400
"""Paragraphs compared per side; the rest is shown unmarked (a bound on the work)."""
_PAIRS_PER_PARAGRAPH = 3
_SPACE = re.compile(r"(\s+)")


@dataclass(frozen=True, slots=True)
class Side:
    """One text to compare: its paragraphs and the outlet facts the matcher used.

    ``boilerplate``: keys (:func:`paragraph_keys`) of the paragraphs that are
    this outlet's boilerplate.
    """

    article_id: int
    outlet: str
    domain: str
    paragraphs: tuple[str, ...]
    boilerplate: frozenset[int]


def paragraph_keys(text: str) -> list[int]:
    """The boilerplate keys of a text's paragraphs (to look their counts up)."""
    return [paragraph_key(p) for p in split_paragraphs(text)]


def side(
    article_id: int,
    outlet: str,
    domain: str,
    text: str,
    counts: dict[int, int],
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> Side:
    """A :class:`Side` from a stored text and its outlet's paragraph counts.

    A stored article counts itself among the outlet's articles, so a
    paragraph is boilerplate at ``boilerplate_min_articles``, as the matcher
    judges stored texts.
    """
    boilerplate = frozenset(
        key for key, count in counts.items() if count >= thresholds.boilerplate_min_articles
    )
    return Side(article_id, outlet, domain, tuple(split_paragraphs(text)), boilerplate)


@dataclass(frozen=True, slots=True)
class Span:
    """A run of a paragraph's text: ``shared`` (True), changed (False), or not compared (None)."""

    text: str
    shared: bool | None


@dataclass(frozen=True, slots=True)
class CreditNote:
    """A credit the matcher read in a paragraph."""

    kind: str
    phrase: str
    outlet: str | None
    domain: str | None


@dataclass(frozen=True, slots=True)
class Paragraph:
    """One paragraph of one side.

    ``kind``: ``content`` (matched on), ``heading`` (no prose: left out),
    ``boilerplate`` (the outlet's own repeated text: left out) or ``credit``
    (nothing but a credit line: left out). ``status`` for content:
    ``same`` (every shingle found in the other text), ``edited`` (enough
    found for the paragraph to count as covered), ``partly`` (some, under
    that), ``added`` (on the copy: none found) or ``cut`` (on the source:
    none found); ``excluded`` otherwise. ``share`` is the share of its
    shingles found in the other text.
    """

    index: int
    kind: str
    status: str
    share: float | None
    shingles: int
    spans: tuple[Span, ...]
    credits: tuple[CreditNote, ...]


@dataclass(frozen=True, slots=True)
class Row:
    """A line of the side-by-side view: a copy paragraph, its source paragraph, or both."""

    copy: Paragraph | None
    source: Paragraph | None


@dataclass(frozen=True, slots=True)
class Comparison:
    """The verdict on a copy and its source, and both texts paragraph by paragraph.

    ``rule``/``linked`` are :func:`ingestd.match.verify.verify`'s decision;
    ``containment`` is shared shingles over the smaller text's (as the
    matcher measures it), ``copy_share`` the share of the copy's shingles
    found in the source. ``word_marks``: whether word-level marks were
    drawn (see the module notes).
    """

    copy_id: int
    source_id: int
    rule: str
    linked: bool
    exact: bool
    shared: int
    copy_size: int
    source_size: int
    jaccard: float
    containment: float
    coverage: float
    copy_share: float
    source_share: float
    covered_paragraphs: int
    word_marks: bool
    rows: tuple[Row, ...]
    copy_credits: tuple[CreditNote, ...]
    source_credits: tuple[CreditNote, ...]

    def counts(self) -> dict[str, int]:
        """How many paragraphs of each status each side has (``copy.same``, ``source.cut``, …)."""
        totals: dict[str, int] = {}
        for row in self.rows:
            for name, paragraph in (("copy", row.copy), ("source", row.source)):
                if paragraph is not None:
                    key = f"{name}.{paragraph.status}"
                    totals[key] = totals.get(key, 0) + 1
        return totals


@dataclass(frozen=True, slots=True)
class _Analysed:
    side: Side
    paragraphs: tuple[str, ...]
    features: TextFeatures
    attributions: tuple[Attribution, ...]
    kept: dict[int, int]  # paragraph index -> position in features.paragraph_shingles
    credit_paragraphs: frozenset[int]


def _analyse(
    text_side: Side,
    known: Sequence[KnownOutlet],
    params: SignatureParams,
    thresholds: Thresholds,
) -> _Analysed:
    paragraphs = text_side.paragraphs[:MAX_PARAGRAPHS]
    attributions = tuple(find_attributions(paragraphs, known, own_domain=text_side.domain))
    credit_paragraphs = frozenset(a.paragraph_index for a in attributions if a.whole_paragraph)
    features = build_features(
        list(paragraphs),
        boilerplate=text_side.boilerplate,
        credit_paragraphs=credit_paragraphs,
        params=params,
        thresholds=thresholds,
    )
    return _Analysed(
        text_side,
        paragraphs,
        features,
        attributions,
        _kept_paragraphs(paragraphs, features, params, thresholds),
        credit_paragraphs,
    )


def _kept_paragraphs(
    paragraphs: Sequence[str],
    features: TextFeatures,
    params: SignatureParams,
    thresholds: Thresholds,
) -> dict[int, int]:
    """Which paragraphs the features kept, found by re-shingling each one alone.

    ``build_features`` keeps content paragraphs in order; a paragraph built
    alone gives the very shingles it contributed, so walking both in order
    pairs them up without reimplementing the matcher's choice.
    """
    kept: dict[int, int] = {}
    position = 0
    for index, paragraph in enumerate(paragraphs):
        if position >= len(features.paragraph_shingles):
            break
        alone = build_features(
            [paragraph], boilerplate=(), credit_paragraphs=(), params=params, thresholds=thresholds
        )
        if alone.paragraph_shingles and np.array_equal(
            alone.paragraph_shingles[0], features.paragraph_shingles[position]
        ):
            kept[index] = position
            position += 1
    return kept


def compare(
    copy: Side,
    source: Side,
    known: Sequence[KnownOutlet],
    *,
    params: SignatureParams = DEFAULT_PARAMS,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> Comparison:
    """The copy beside its source, with the matcher's verdict on the pair."""
    a = _analyse(copy, known, params, thresholds)
    b = _analyse(source, known, params, thresholds)
    verdict = verify(a.features, b.features, thresholds)
    score = verdict.score
    marks = True
    copy_paragraphs: list[Paragraph] = []
    source_paragraphs: list[Paragraph] = []
    for mine, other, out, missing in (
        (a, b, copy_paragraphs, "added"),
        (b, a, source_paragraphs, "cut"),
    ):
        for index in range(len(mine.side.paragraphs)):
            paragraph, exact_marks = _paragraph(mine, other, index, missing, params, thresholds)
            marks = marks and exact_marks
            out.append(paragraph)
    rows = _rows(a, b, copy_paragraphs, source_paragraphs)
    return Comparison(
        copy_id=copy.article_id,
        source_id=source.article_id,
        rule=verdict.rule,
        linked=verdict.linked,
        exact=score.exact,
        shared=score.shared,
        copy_size=score.size_a,
        source_size=score.size_b,
        jaccard=round(score.jaccard, 4),
        containment=round(score.containment, 4),
        coverage=round(score.coverage, 4),
        copy_share=round(score.containment_of(True), 4),
        source_share=round(score.containment_of(False), 4),
        covered_paragraphs=score.covered_paragraphs,
        word_marks=marks,
        rows=rows,
        copy_credits=tuple(_note(x) for x in a.attributions),
        source_credits=tuple(_note(x) for x in b.attributions),
    )


def _note(attribution: Attribution) -> CreditNote:
    return CreditNote(
        attribution.kind, attribution.phrase, attribution.outlet_name, attribution.domain
    )


def _paragraph(
    mine: _Analysed,
    other: _Analysed,
    index: int,
    missing: str,
    params: SignatureParams,
    thresholds: Thresholds,
) -> tuple[Paragraph, bool]:
    """One paragraph with its status and spans; the flag says whether word marks held."""
    text = mine.side.paragraphs[index]
    credits = tuple(_note(x) for x in mine.attributions if x.paragraph_index == index)
    position = mine.kept.get(index)
    if position is None:
        if index >= len(mine.paragraphs):
            kind = "heading"  # beyond MAX_PARAGRAPHS: shown, not compared
        elif index in mine.credit_paragraphs:
            kind = "credit"
        elif paragraph_key(text) in mine.side.boilerplate:
            kind = "boilerplate"
        else:
            kind = "heading"
        return Paragraph(index, kind, "excluded", None, 0, (Span(text, None),), credits), True
    shingles = mine.features.paragraph_shingles[position]
    found = np.isin(shingles, other.features.shingles, assume_unique=True)
    share = float(found.mean()) if shingles.size else 0.0
    if share >= 1.0:
        status = "same"
    elif share >= thresholds.paragraph_covered_share:
        status = "edited"
    elif share > 0:
        status = "partly"
    else:
        status = missing
    spans, exact = _word_spans(text, shingles, other.features.shingles, params.shingle_size)
    return (
        Paragraph(index, "content", status, round(share, 4), int(shingles.size), spans, credits),
        exact,
    )


def _word_spans(
    text: str, own: np.ndarray, others: np.ndarray, size: int
) -> tuple[tuple[Span, ...], bool]:
    """Each word marked shared when a shingle covering it is in ``others``.

    Falls back to one unmarked-by-word span (False) when the paragraph's
    shingles are not the windows of its normalised words.
    """
    pieces = _SPACE.split(text)
    owners: list[int] = []  # token -> index of the piece it comes from
    tokens: list[str] = []
    for number, piece in enumerate(pieces):
        if number % 2 == 0 and piece:
            for token in normalize(piece).split():
                tokens.append(token)
                owners.append(number)
    if not tokens or tokens != normalize(text).split():
        return (Span(text, bool(np.isin(own, others).any())),), False
    width = min(size, len(tokens))
    windows = [
        int(shingle_hashes(tokens[start : start + width], width)[0])
        for start in range(len(tokens) - width + 1)
    ]
    if sorted(set(windows)) != [int(h) for h in own]:
        return (Span(text, bool(np.isin(own, others).any())),), False
    hits = np.isin(np.array(windows, dtype=np.uint32), others)
    covered = [False] * len(tokens)
    for start, hit in enumerate(hits):
        if hit:
            for t in range(start, start + width):
                covered[t] = True
    piece_mark: dict[int, bool] = {}
    for token_index, piece in enumerate(owners):
        piece_mark[piece] = piece_mark.get(piece, False) or covered[token_index]
    texts: list[str] = []
    marks: list[bool | None] = []
    pending = ""
    for number, piece in enumerate(pieces):
        if number % 2 == 1:
            pending += piece
            continue
        if not piece:
            continue
        mark = piece_mark.get(number)
        if mark is None and marks:
            mark = marks[-1]  # punctuation alone takes its neighbour's mark
        if marks and marks[-1] == mark:
            texts[-1] += pending + piece
        else:
            if texts:
                texts[-1] += pending  # spaces between two runs end the first
            texts.append(piece if texts else pending + piece)
            marks.append(mark)
        pending = ""
    if pending and texts:
        texts[-1] += pending
    if len(marks) > 1 and marks[0] is None:
        # Leading punctuation (an opening « or —) belongs with the word after it.
        first = texts.pop(0)
        texts[0] = first + texts[0]
        marks.pop(0)
    return tuple(Span(t, m) for t, m in zip(texts, marks, strict=True)), True


def _rows(
    a: _Analysed, b: _Analysed, copy_side: list[Paragraph], source_side: list[Paragraph]
) -> tuple[Row, ...]:
    """Pair the paragraphs in order along the heaviest chain of shared shingles."""
    owner: dict[int, list[int]] = {}
    for index, position in b.kept.items():
        for value in b.features.paragraph_shingles[position].tolist():
            owner.setdefault(value, []).append(index)
    pairs: list[tuple[int, int, int]] = []
    for index, position in a.kept.items():
        weights: dict[int, int] = {}
        for value in a.features.paragraph_shingles[position].tolist():
            for j in owner.get(value, ()):
                weights[j] = weights.get(j, 0) + 1
        best = sorted(weights.items(), key=lambda jw: (-jw[1], jw[0]))[:_PAIRS_PER_PARAGRAPH]
        pairs.extend((index, j, w) for j, w in best)
    pairs.sort()
    chain = _heaviest_chain(pairs)
    rows: list[Row] = []
    i = j = 0
    for ci, cj in [*chain, (len(copy_side), len(source_side))]:
        while j < cj:
            rows.append(Row(None, source_side[j]))
            j += 1
        while i < ci:
            rows.append(Row(copy_side[i], None))
            i += 1
        if ci < len(copy_side) and cj < len(source_side):
            rows.append(Row(copy_side[ci], source_side[cj]))
            i, j = ci + 1, cj + 1
    return tuple(rows)


def _heaviest_chain(pairs: Sequence[tuple[int, int, int]]) -> list[tuple[int, int]]:
    """The (i, j) pairs increasing in both with the largest total weight."""
    if not pairs:
        return []
    best = [w for _, _, w in pairs]
    back = [-1] * len(pairs)
    for k, (i, j, w) in enumerate(pairs):
        for p in range(k):
            pi, pj, _ = pairs[p]
            if pi < i and pj < j and best[p] + w > best[k]:
                best[k] = best[p] + w
                back[k] = p
    k = max(range(len(pairs)), key=lambda x: (best[x], -x))
    chain: list[tuple[int, int]] = []
    while k != -1:
        chain.append((pairs[k][0], pairs[k][1]))
        k = back[k]
    return chain[::-1]


def known_outlets(rows: Collection[tuple[str, str, Sequence[str]]]) -> list[KnownOutlet]:
    """The outlet directory the credit finder reads credits against: (name, domain, aliases)."""
    return [KnownOutlet(name, domain, tuple(aliases)) for name, domain, aliases in rows]
