"""The report for a terminal: aligned plain-text tables, colour only when asked.

Colour is the caller's decision (:func:`wants_colour`: a terminal and no
``NO_COLOR``). Every string from the store is stripped of control
characters first: a title is hostile input and must not move the cursor.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import click

from ingestd.report.evidence import evidence_words
from ingestd.report.format import duration, moment, number, percent
from ingestd.report.model import Report
from ingestd.terminal import clean

_TOP_NAMES = 3


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], numeric: set[int]) -> list[str]:
    """Rows aligned in columns; columns in ``numeric`` right-aligned."""
    cells = [[clean(c) for c in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], len(cell))

    def line(values: Sequence[str]) -> str:
        parts = [
            v.rjust(widths[i]) if i in numeric else v.ljust(widths[i]) for i, v in enumerate(values)
        ]
        return "  ".join(parts).rstrip()

    return [line(headers), line(["-" * w for w in widths]), *(line(row) for row in cells)]


def render_text(report: Report, *, colour: bool = False) -> str:
    """The whole report as text."""

    def head(title: str) -> str:
        return click.style(title, bold=True) if colour else title

    def warn(text: str) -> str:
        return click.style(text, fg="red") if colour else text

    out: list[str] = []
    window = f"since {moment(report.since)}" if report.since else "all time"
    scope = f", outlet {clean(report.outlet_filter)}" if report.outlet_filter else ""
    out.append(head("ingestd report"))
    out.append(f"generated {moment(report.generated_at)}; window: {window}{scope}")
    out.append("")

    t = report.totals
    out.append(head("Totals"))
    out += table(
        ["figure", "value"],
        [
            ["articles", t.articles],
            ["stories", t.stories],
            ["syndicated stories", t.syndicated_stories],
            ["originals", t.originals],
            ["copies", t.copies],
            ["share of articles that are copies", percent(t.copy_share)],
            ["exact copies", t.exact_copies],
            ["partial copies", t.partial_copies],
            ["unsourced copies", t.unsourced_copies],
        ],
        {1},
    )
    out.append("")

    out.append(head("Outlets"))
    out += table(
        [
            "outlet",
            "articles",
            "originals",
            "copies",
            "% are copies",
            "copies most from",
            "copied most by",
        ],
        [
            [
                o.name,
                o.articles,
                o.originals,
                o.copies,
                percent(o.copy_share),
                _names(o.copies_from),
                _names(o.copied_by),
            ]
            for o in report.outlets
        ],
        {1, 2, 3, 4},
    )
    out.append("")

    out.append(head("Who copies whom (row copied from column)"))
    if report.copy_edges:
        names = report.matrix.outlets
        out += table(
            ["copier \\ source", *(f"[{i + 1}]" for i in range(len(names)))],
            [
                [f"[{i + 1}] {name}", *(c or "." for c in report.matrix.counts[i])]
                for i, name in enumerate(names)
            ],
            set(range(1, len(names) + 1)),
        )
        out.append("")
        out.append("Copy graph (source -> copier):")
        for edge in report.copy_edges:
            exact = f" ({edge.exact} exact)" if edge.exact else ""
            out.append(f"  {clean(edge.source)} -> {clean(edge.copier)}: {edge.count}{exact}")
    else:
        out.append("no copies in this window")
    out.append("")

    out.append(head("Most syndicated stories"))
    if not report.stories:
        out.append("none")
    for rank, story in enumerate(report.stories, 1):
        attributed = " (attributed, not ingested)" if story.origin_attributed else ""
        out.append(f"{rank}. {clean(story.title or story.canonical_url)}  [story {story.story_id}]")
        out.append(
            f"   origin: {clean(story.origin_outlet)}{attributed}; reason: "
            f"{clean(story.origin_reason)}; outlets: {story.reach}, copies: {story.copies}"
        )
        for evidence in story.origin_evidence:
            out.append(f"   evidence: {_evidence(evidence)}")
        rows = []
        for m in story.members:
            rows.append(
                [
                    m.role if m.role == "origin" else f"{m.copy_kind} copy",
                    m.outlet,
                    m.derived_from_outlet or "",
                    m.via or "",
                    percent(m.similarity) if m.role == "copy" else "",
                    duration(m.after_origin_seconds),
                    moment(m.time) + ("" if m.in_window else " (before window)"),
                    "; ".join(m.credits),
                    m.language or "",
                ]
            )
        out += [
            "   " + line
            for line in table(
                [
                    "role",
                    "outlet",
                    "from",
                    "via",
                    "in source",
                    "after origin",
                    "time",
                    "credits",
                    "lang",
                ],
                rows,
                {4, 5},
            )
        ]
        out.append("")

    out.append(head("Feed health"))
    if report.failing_feeds:
        out.append(warn(f"failing feeds: {len(report.failing_feeds)}"))
        out += table(
            ["outlet", "feed", "errors", "kind", "last error", "since", "last success"],
            [
                [
                    f.outlet,
                    f.url,
                    f.error_count,
                    f.last_error_kind or "",
                    f.last_error or "",
                    moment(f.last_error_at),
                    moment(f.last_success_at),
                ]
                for f in report.failing_feeds
            ],
            {2},
        )
    else:
        out.append("failing feeds: 0")
    out.append("")
    if report.silent_feeds:
        out.append(warn(f"feeds that never produced an article: {len(report.silent_feeds)}"))
        out += table(
            ["outlet", "feed", "entries", "pending", "last polled"],
            [
                [f.outlet, f.url, f.entries, f.pending, moment(f.last_polled_at)]
                for f in report.silent_feeds
            ],
            {2, 3},
        )
    else:
        out.append("feeds that never produced an article: 0")
    out.append("")

    th = report.thresholds
    out.append(head("Matching decisions near a threshold"))
    out.append(
        f"(Jaccard {number(th.near_duplicate_jaccard)}, containment {number(th.min_containment)}"
        f" within {number(th.margin)}; shared shingles {th.min_shared_shingles}"
        f" within {th.shared_margin})"
    )
    if report.near_threshold:
        out += table(
            ["article a", "article b", "rule", "linked", "jaccard", "contain.", "shared", "near"],
            [
                [
                    f"#{d.a.article_id} {d.a.outlet}",
                    f"#{d.b.article_id} {d.b.outlet}",
                    d.rule,
                    "yes" if d.linked else "no",
                    number(d.jaccard),
                    number(d.containment),
                    d.shared,
                    ", ".join(f"{n.measure} {n.distance:+g}" for n in d.near),
                ]
                for d in report.near_threshold
            ],
            {4, 5, 6},
        )
    else:
        out.append("none")
    return "\n".join(out) + "\n"


def _names(counts: Sequence[Any]) -> str:
    return ", ".join(f"{c.outlet} ({c.count})" for c in counts[:_TOP_NAMES])


def _evidence(evidence: dict[str, Any]) -> str:
    return clean(evidence_words(evidence))
