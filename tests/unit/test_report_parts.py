"""The report's pure parts: window parsing, formats, layout, close calls, colour, links."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ingestd.durations import parse_since
from ingestd.report.format import duration, percent
from ingestd.report.html import web_link
from ingestd.report.layout import bar_chart, circle_graph
from ingestd.report.model import CopyEdge, OutletFigures, ReportThresholds, near_decisions
from ingestd.report.rows import ArticleRef
from ingestd.report.text import table
from ingestd.store.records import EdgeRecord
from ingestd.terminal import clean, wants_colour
from tests.support import browser

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24h", NOW - timedelta(hours=24)),
        ("7d", NOW - timedelta(days=7)),
        ("90m", NOW - timedelta(minutes=90)),
        ("2w", NOW - timedelta(weeks=2)),
        (" 7D ", NOW - timedelta(days=7)),
        ("2026-03-01", datetime(2026, 3, 1, tzinfo=UTC)),
        ("2026-03-01T08:30:00", datetime(2026, 3, 1, 8, 30, tzinfo=UTC)),
        ("2026-03-01T10:30:00+02:00", datetime(2026, 3, 1, 8, 30, tzinfo=UTC)),
    ],
)
def test_since_accepts_durations_and_dates(text: str, expected: datetime) -> None:
    assert parse_since(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("yesterday", "not a duration"),
        ("24", "not a duration"),
        ("-3d", "not a duration"),
        ("3y", "not a duration"),
        ("2026-13-01", "not a duration"),
        ("0d", "must be positive"),
    ],
)
def test_since_refuses_what_it_cannot_read(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_since(text, NOW)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (None, "-"),
        (0, "+0s"),
        (45, "+45s"),
        (720, "+12m"),
        (7500, "+2h05m"),
        (3 * 86400 + 4 * 3600 + 59, "+3d04h"),
        (-1860, "-31m"),
    ],
)
def test_duration(seconds: int | None, text: str) -> None:
    assert duration(seconds) == text


def test_percent() -> None:
    assert (percent(0.625), percent(0.3333), percent(0.0), percent(1.0)) == (
        "62.5%",
        "33.3%",
        "0.0%",
        "100.0%",
    )


@pytest.mark.parametrize(
    ("url", "link"),
    [
        ("https://a.example/x?y=1", "https://a.example/x?y=1"),
        ("HTTP://a.example/", "HTTP://a.example/"),
        ("javascript:alert(1)", "#"),
        (" JavaScript:alert(1)", "#"),
        ("data:text/html,<script>", "#"),
        ("//evil.example/", "#"),
        (None, "#"),
    ],
)
def test_only_web_addresses_become_links(url: str | None, link: str) -> None:
    assert web_link(url) == link


def test_clean_removes_control_characters() -> None:
    assert clean("a\x1b[2Jb\nc\td\x9b") == "a [2Jb c d "
    assert clean(None) == ""


def test_table_aligns_numbers_right() -> None:
    assert table(["name", "n"], [["a", 5], ["long name", 12]], {1}) == [
        "name        n",
        "---------  --",
        "a           5",
        "long name  12",
    ]


class FakeStream(io.StringIO):
    def __init__(self, tty: bool):
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


def test_colour_only_on_a_terminal_without_no_color(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert wants_colour(FakeStream(True))
    assert not wants_colour(FakeStream(False))
    monkeypatch.setenv("NO_COLOR", "1")
    assert not wants_colour(FakeStream(True))


def outlet(name: str, articles: int, copies: int) -> OutletFigures:
    return OutletFigures(name, None, None, articles, articles - copies, copies, 0.0, (), ())


def test_bar_chart_scales_to_the_largest_outlet_and_skips_empty_ones() -> None:
    chart = bar_chart([outlet("A", 4, 1), outlet("B", 2, 2), outlet("C", 0, 0)])
    assert [b.name for b in chart.bars] == ["A", "B"]
    a, b = chart.bars
    assert a.originals_width + a.copies_width == pytest.approx(190)
    assert (a.originals_width, a.copies_width) == (142.5, 47.5)
    assert (b.originals_width, b.copies_width) == (0.0, 95.0)
    assert b.y == a.y + 26


def test_circle_graph_is_deterministic_and_leaves_out_self_copies() -> None:
    names = ["A", "B", "C", "D"]
    edges = [CopyEdge("A", "B", 3, 0), CopyEdge("B", "A", 1, 0), CopyEdge("C", "C", 2, 0)]
    graph = circle_graph(names, edges)
    assert graph == circle_graph(names, edges)
    nodes = {n.name: n for n in graph.nodes}
    # First at the top, then clockwise: right, bottom, left.
    assert nodes["A"].x == graph.width / 2 and nodes["A"].y < nodes["C"].y
    assert nodes["B"].x > nodes["A"].x and nodes["D"].x < nodes["A"].x
    assert (nodes["B"].anchor, nodes["D"].anchor, nodes["A"].anchor) == ("start", "end", "middle")
    assert [(a.source, a.copier) for a in graph.arrows] == [("A", "B"), ("B", "A")]
    heavy, light = graph.arrows
    assert heavy.stroke > light.stroke
    # A->B and B->A are drawn apart, not on top of each other.
    assert (heavy.x1, heavy.y1) != (light.x2, light.y2)
    for node in graph.nodes:
        assert 0 < node.x < graph.width and 0 < node.y < graph.height


LIMITS = ReportThresholds(0.6, 0.5, 20, 0.05, 5)


def ref(article_id: int, outlet_name: str) -> ArticleRef:
    return ArticleRef(article_id, article_id, outlet_name, f"https://x/{article_id}", None, NOW)


def test_only_deciding_measures_near_their_line_are_close_calls() -> None:
    refs = [ref(i, "O" if i % 2 else "P") for i in range(1, 13)]
    edges = [
        # contained link whose Jaccard is near 0.6: containment decided, not a close call
        EdgeRecord(1, 2, 116, 200, 200, 0.58, "contained", True),
        # contained link with containment 0.52: close
        EdgeRecord(3, 4, 104, 300, 200, 0.2, "contained", True),
        # low overlap at containment 0.46 (0.04 from the line): close
        EdgeRecord(5, 6, 92, 200, 200, 0.3, "low_overlap", False),
        # low overlap at containment 0.44: outside the margin
        EdgeRecord(7, 8, 88, 200, 200, 0.3, "low_overlap", False),
        # exact: never a close call, whatever the numbers
        EdgeRecord(9, 10, 21, 21, 21, 1.0, "exact_short", True),
        # too little shared, 19 of 20: close
        EdgeRecord(11, 12, 19, 200, 200, 0.05, "too_little_shared", False),
    ]
    found = near_decisions(edges, refs, LIMITS)
    assert [(d.a.article_id, [n.measure for n in d.near]) for d in found] == [
        (11, ["shared"]),  # 1 of 5 shingles away
        (3, ["containment"]),  # 0.02 of 0.05
        (5, ["containment"]),  # 0.04 of 0.05
    ]
    assert found[1].near[0].distance == 0.02 and found[1].containment == 0.52
    only_p = near_decisions(edges, refs, LIMITS, outlet="P")
    assert [d.a.article_id for d in only_p] == [11, 3, 5]  # every pair has a P side
    assert near_decisions(edges, refs, LIMITS, outlet="Q") == ()


def test_missing_browser_is_an_error_not_a_skip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(browser, "CHROMIUM", Path("/nonexistent/chromium"))
    with pytest.raises(RuntimeError, match="chromium chromium-driver"), browser.chromium():
        pass
