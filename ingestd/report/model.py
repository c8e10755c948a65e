"""Every figure of the report, computed from plain rows (no I/O).

Scope: the report covers the articles first seen in the window (``since``
to ``now``, or all time). A story is in scope when one of its articles is;
its chain is shown whole, earlier members included (flagged
``in_window=False``), but only in-window articles are counted in totals,
per-outlet figures and the copy matrix. ``outlet`` restricts the scope to
stories that outlet has an article in, and the feed and near-threshold
sections to that outlet.

A *copy* is an article whose story names another member or an attributed
outlet as its origin. Its *source* is the member it derives from (the
source chain), or, when the story's origin was only named by a credit line
and never ingested, the attributed outlet. A copy is *exact* when the
verified comparison with its source says the texts are the same (rule
``exact`` or ``exact_short``), *partial* when it derives from a member
otherwise, and *unsourced* when no member is its source.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ingestd.match.thresholds import DEFAULT_THRESHOLDS, Thresholds
from ingestd.report.evidence import credit_words
from ingestd.report.rows import ArticleRef, MemberIn, ReportInput, StoryIn
from ingestd.store.records import EdgeRecord

SCHEMA_VERSION = 2
"""Version of the report document (JSON); bump on any incompatible change."""

EXACT_RULES = frozenset({"exact", "exact_short"})

# Which measures decided each verification rule (ingestd.match.verify), so
# a pair is flagged only when a measure that mattered sat near its line:
# a `contained` link with a Jaccard of 0.58 is not a close call.
DECIDING_MEASURES: dict[str, tuple[str, ...]] = {
    "near_duplicate": ("jaccard", "shared"),
    "contained": ("containment", "shared"),
    "contained_lead": ("containment", "shared"),
    "one_shared_paragraph": ("jaccard",),
    "low_overlap": ("jaccard", "containment"),
    "too_little_shared": ("shared",),
}
DEFAULT_MARGIN = 0.05
"""How close (absolute) a Jaccard or containment must be to its threshold."""
SHARED_MARGIN = 5
"""How close (in shingles) the shared count must be to ``min_shared_shingles``."""
DEFAULT_TOP = 10


@dataclass(frozen=True, slots=True)
class Totals:
    """Counts over the in-scope articles."""

    articles: int
    stories: int
    syndicated_stories: int
    originals: int
    copies: int
    copy_share: float
    exact_copies: int
    partial_copies: int
    unsourced_copies: int


@dataclass(frozen=True, slots=True)
class OutletCount:
    """An outlet and a number of copies."""

    outlet: str
    count: int


@dataclass(frozen=True, slots=True)
class OutletFigures:
    """One outlet's articles, originals, copies, and whom it copies / is copied by."""

    name: str
    domain: str | None
    role: str | None
    articles: int
    originals: int
    copies: int
    copy_share: float
    copies_from: tuple[OutletCount, ...]
    copied_by: tuple[OutletCount, ...]


@dataclass(frozen=True, slots=True)
class CopyEdge:
    """``count`` in-scope articles of ``copier`` were copied from ``source``."""

    source: str
    copier: str
    count: int
    exact: int


@dataclass(frozen=True, slots=True)
class CopyMatrix:
    """``counts[i][j]``: articles of ``outlets[i]`` copied from ``outlets[j]``."""

    outlets: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]


@dataclass(frozen=True, slots=True)
class ChainMember:
    """One member of a story's source chain."""

    article_id: int
    outlet: str
    url: str
    title: str | None
    role: str
    copy_kind: str | None  # exact | partial | unsourced; None for the origin
    derived_from: int | None
    derived_from_outlet: str | None
    via: str | None
    similarity: float
    credits: tuple[str, ...]
    language: str | None
    published_at: datetime | None
    first_seen_at: datetime
    time: datetime
    after_origin_seconds: int | None
    in_window: bool


@dataclass(frozen=True, slots=True)
class StoryFigures:
    """A syndicated story: origin, evidence and chain."""

    story_id: int
    title: str | None
    canonical_url: str
    origin_outlet: str
    origin_domain: str | None
    origin_attributed: bool
    origin_reason: str
    origin_evidence: tuple[dict[str, Any], ...]
    reach: int
    copies: int
    members: tuple[ChainMember, ...]


@dataclass(frozen=True, slots=True)
class FailingFeed:
    """A feed whose last poll failed."""

    url: str
    outlet: str
    last_error: str | None
    last_error_kind: str | None
    last_error_at: datetime | None
    error_count: int
    last_success_at: datetime | None


@dataclass(frozen=True, slots=True)
class SilentFeed:
    """A feed that never produced an article."""

    url: str
    outlet: str
    entries: int
    pending: int
    last_polled_at: datetime | None


@dataclass(frozen=True, slots=True)
class ArticleSide:
    """One side of a compared pair."""

    article_id: int
    story_id: int
    outlet: str
    url: str
    title: str | None


@dataclass(frozen=True, slots=True)
class NearMeasure:
    """A measure that sat within the margin of its threshold."""

    measure: str
    value: float
    threshold: float
    distance: float


@dataclass(frozen=True, slots=True)
class NearDecision:
    """A matching decision close to a threshold, for a person to check."""

    a: ArticleSide
    b: ArticleSide
    rule: str
    linked: bool
    jaccard: float
    containment: float
    shared: int
    near: tuple[NearMeasure, ...]


@dataclass(frozen=True, slots=True)
class ReportThresholds:
    """The thresholds and margins the near-threshold section used."""

    near_duplicate_jaccard: float
    min_containment: float
    min_shared_shingles: int
    margin: float
    shared_margin: int


@dataclass(frozen=True, slots=True)
class Report:
    """The whole report; every renderer reads this and nothing else."""

    schema_version: int
    generated_at: datetime
    since: datetime | None
    outlet_filter: str | None
    thresholds: ReportThresholds
    totals: Totals
    outlets: tuple[OutletFigures, ...]
    matrix: CopyMatrix
    copy_edges: tuple[CopyEdge, ...]
    stories: tuple[StoryFigures, ...]
    failing_feeds: tuple[FailingFeed, ...]
    silent_feeds: tuple[SilentFeed, ...]
    near_threshold: tuple[NearDecision, ...]


def share(part: int, whole: int) -> float:
    """``part / whole`` rounded to 4 places; 0 when there is nothing."""
    return round(part / whole, 4) if whole else 0.0


def _name_key(name: str) -> tuple[str, str]:
    return (name.casefold(), name)


def build_report(
    data: ReportInput,
    *,
    outlet: str | None = None,
    top: int = DEFAULT_TOP,
    margin: float = DEFAULT_MARGIN,
    thresholds: Thresholds = DEFAULT_THRESHOLDS,
) -> Report:
    """Compute the report. ``outlet`` must be a configured outlet's exact name."""
    stories = {s.story_id: s for s in data.stories}
    by_story: dict[int, list[MemberIn]] = {}
    for member in data.members:
        by_story.setdefault(member.story_id, []).append(member)
    if outlet is not None:
        by_story = {sid: ms for sid, ms in by_story.items() if any(m.outlet == outlet for m in ms)}

    def in_window(member: MemberIn) -> bool:
        return data.since is None or member.first_seen_at >= data.since

    edge_rule = {(e.article_a, e.article_b): e.rule for e in data.edges if e.linked}
    kinds: dict[int, str] = {}
    sources: dict[int, str] = {}
    for sid, members in by_story.items():
        story = stories.get(sid)
        for m in members:
            if m.role != "copy":
                continue
            kinds[m.article_id] = _copy_kind(m, edge_rule)
            source = m.derived_from_outlet if m.derived_from is not None else None
            if source is None and story is not None and story.origin_attributed:
                source = story.origin_outlet
            if source is not None:
                sources[m.article_id] = source

    scoped = [m for ms in by_story.values() for m in ms if in_window(m)]
    copies = [m for m in scoped if m.role == "copy"]
    kind_counts = Counter(kinds[m.article_id] for m in copies)
    totals = Totals(
        articles=len(scoped),
        stories=len({m.story_id for m in scoped}),
        syndicated_stories=sum(1 for ms in by_story.values() if any(m.role == "copy" for m in ms)),
        originals=len(scoped) - len(copies),
        copies=len(copies),
        copy_share=share(len(copies), len(scoped)),
        exact_copies=kind_counts["exact"],
        partial_copies=kind_counts["partial"],
        unsourced_copies=kind_counts["unsourced"],
    )

    pairs = Counter((sources[m.article_id], m.outlet) for m in copies if m.article_id in sources)
    exact_pairs = Counter(
        (sources[m.article_id], m.outlet)
        for m in copies
        if m.article_id in sources and kinds[m.article_id] == "exact"
    )
    outlet_rows = _outlet_figures(data, scoped, pairs, outlet)
    names = [o.name for o in outlet_rows]
    extra = sorted({s for s, _ in pairs} - set(names), key=_name_key)
    matrix_names = (*names, *extra)
    matrix = CopyMatrix(
        outlets=matrix_names,
        counts=tuple(
            tuple(pairs.get((source, copier), 0) for source in matrix_names)
            for copier in matrix_names
        ),
    )
    copy_edges = tuple(
        CopyEdge(source, copier, count, exact_pairs.get((source, copier), 0))
        for (source, copier), count in sorted(
            pairs.items(), key=lambda item: (-item[1], _name_key(item[0][0]), _name_key(item[0][1]))
        )
    )

    story_rows = [
        _story_figures(stories[sid], ms, kinds, in_window)
        for sid, ms in by_story.items()
        if sid in stories and any(m.role == "copy" for m in ms)
    ]
    story_rows.sort(key=lambda s: (-s.reach, -s.copies, min(m.time for m in s.members), s.story_id))

    feeds = sorted(
        (f for f in data.feeds if outlet is None or f.outlet == outlet),
        key=lambda f: (_name_key(f.outlet), f.url),
    )
    failing = tuple(
        FailingFeed(
            f.url,
            f.outlet,
            f.last_error,
            f.last_error_kind,
            f.last_error_at,
            f.error_count,
            f.last_success_at,
        )
        for f in feeds
        if f.error_count > 0
    )
    silent = tuple(
        SilentFeed(f.url, f.outlet, f.entry_count, f.pending_count, f.last_polled_at)
        for f in feeds
        if f.article_count == 0
    )
    report_thresholds = ReportThresholds(
        near_duplicate_jaccard=thresholds.near_duplicate_jaccard,
        min_containment=thresholds.min_containment,
        min_shared_shingles=thresholds.min_shared_shingles,
        margin=margin,
        shared_margin=SHARED_MARGIN,
    )
    return Report(
        schema_version=SCHEMA_VERSION,
        generated_at=data.now,
        since=data.since,
        outlet_filter=outlet,
        thresholds=report_thresholds,
        totals=totals,
        outlets=outlet_rows,
        matrix=matrix,
        copy_edges=copy_edges,
        stories=tuple(story_rows[:top]),
        failing_feeds=failing,
        silent_feeds=silent,
        near_threshold=near_decisions(data.edges, data.articles, report_thresholds, outlet),
    )


def _copy_kind(member: MemberIn, linked_rules: dict[tuple[int, int], str]) -> str:
    if member.derived_from is None:
        return "unsourced"
    pair = (
        min(member.article_id, member.derived_from),
        max(member.article_id, member.derived_from),
    )
    return "exact" if linked_rules.get(pair) in EXACT_RULES else "partial"


def _ranked(counter: Counter[str]) -> tuple[OutletCount, ...]:
    return tuple(
        OutletCount(name, count)
        for name, count in sorted(counter.items(), key=lambda kv: (-kv[1], _name_key(kv[0])))
    )


def _outlet_figures(
    data: ReportInput,
    scoped: Sequence[MemberIn],
    pairs: Counter[tuple[str, str]],
    outlet: str | None,
) -> tuple[OutletFigures, ...]:
    configured = {o.name: o for o in data.outlets}
    articles = Counter(m.outlet for m in scoped)
    copies = Counter(m.outlet for m in scoped if m.role == "copy")
    # Everything configured; under --outlet, only the outlets in its stories.
    names = set(configured) | set(articles) if outlet is None else set(articles) | {outlet}
    rows = []
    for name in names:
        info = configured.get(name)
        copies_from: Counter[str] = Counter()
        copied_by: Counter[str] = Counter()
        for (source, copier), count in pairs.items():
            if copier == name:
                copies_from[source] += count
            if source == name:
                copied_by[copier] += count
        rows.append(
            OutletFigures(
                name=name,
                domain=info.domain if info else None,
                role=info.role if info else None,
                articles=articles[name],
                originals=articles[name] - copies[name],
                copies=copies[name],
                copy_share=share(copies[name], articles[name]),
                copies_from=_ranked(copies_from),
                copied_by=_ranked(copied_by),
            )
        )
    rows.sort(key=lambda o: (-o.articles, _name_key(o.name)))
    return tuple(rows)


def _story_figures(
    story: StoryIn,
    members: Sequence[MemberIn],
    kinds: dict[int, str],
    in_window: Any,
) -> StoryFigures:
    origin = next((m for m in members if m.article_id == story.origin_article_id), None)
    origin_time = origin.effective_time if origin is not None else None
    ordered = sorted(
        members,
        key=lambda m: (m.article_id != story.origin_article_id, m.effective_time, m.article_id),
    )
    chain = tuple(
        ChainMember(
            article_id=m.article_id,
            outlet=m.outlet,
            url=m.url,
            title=m.title,
            role=m.role,
            copy_kind=kinds.get(m.article_id) if m.role == "copy" else None,
            derived_from=m.derived_from,
            derived_from_outlet=m.derived_from_outlet,
            via=m.evidence.get("via") if isinstance(m.evidence.get("via"), str) else None,
            similarity=m.similarity,
            credits=tuple(credit_words(c) for c in m.credits),
            language=m.language,
            published_at=m.published_at,
            first_seen_at=m.first_seen_at,
            time=m.effective_time,
            after_origin_seconds=(
                round((m.effective_time - origin_time).total_seconds())
                if origin_time is not None
                else None
            ),
            in_window=bool(in_window(m)),
        )
        for m in ordered
    )
    reach = len({m.outlet for m in members} | {story.origin_outlet})
    return StoryFigures(
        story_id=story.story_id,
        title=story.title,
        canonical_url=story.canonical_url,
        origin_outlet=story.origin_outlet,
        origin_domain=story.origin_domain,
        origin_attributed=story.origin_attributed,
        origin_reason=story.origin_reason,
        origin_evidence=tuple(story.origin_evidence),
        reach=reach,
        copies=sum(1 for m in members if m.role == "copy"),
        members=chain,
    )


def near_decisions(
    edges: Iterable[EdgeRecord],
    articles: Iterable[ArticleRef],
    limits: ReportThresholds,
    outlet: str | None = None,
) -> tuple[NearDecision, ...]:
    """Verified comparisons where a deciding measure sat within the margin of its threshold."""
    refs = {a.article_id: a for a in articles}
    found: list[tuple[float, NearDecision]] = []
    for edge in edges:
        a, b = refs.get(edge.article_a), refs.get(edge.article_b)
        if a is None or b is None:
            continue
        if outlet is not None and outlet not in (a.outlet, b.outlet):
            continue
        smaller = min(edge.size_a, edge.size_b)
        containment = edge.shared / smaller if smaller else 0.0
        values = {"jaccard": edge.jaccard, "containment": containment, "shared": edge.shared}
        lines: dict[str, tuple[float, float]] = {
            "jaccard": (limits.near_duplicate_jaccard, limits.margin),
            "containment": (limits.min_containment, limits.margin),
            "shared": (limits.min_shared_shingles, limits.shared_margin),
        }
        near: list[NearMeasure] = []
        closeness = float("inf")
        for measure in DECIDING_MEASURES.get(edge.rule, ()):
            threshold, allowed = lines[measure]
            distance = values[measure] - threshold
            if abs(distance) <= allowed + 1e-9:
                near.append(
                    NearMeasure(measure, round(values[measure], 4), threshold, round(distance, 4))
                )
                closeness = min(closeness, abs(distance) / allowed)
        if not near:
            continue
        found.append(
            (
                closeness,
                NearDecision(
                    a=_side(a),
                    b=_side(b),
                    rule=edge.rule,
                    linked=edge.linked,
                    jaccard=round(edge.jaccard, 4),
                    containment=round(containment, 4),
                    shared=edge.shared,
                    near=tuple(near),
                ),
            )
        )
    found.sort(key=lambda item: (item[0], item[1].a.article_id, item[1].b.article_id))
    return tuple(decision for _, decision in found)


def _side(ref: ArticleRef) -> ArticleSide:
    return ArticleSide(ref.article_id, ref.story_id, ref.outlet, ref.url, ref.title)
