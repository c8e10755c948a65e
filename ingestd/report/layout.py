"""Geometry of the HTML report's inline SVG charts: pure, deterministic.

Coordinates are in SVG user units inside a ``viewBox``; the page scales
the drawing to its width, so one geometry serves a phone and a wide screen.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ingestd.report.model import CopyEdge, OutletFigures

BAR_ROW = 26
BAR_LABEL = 140
BAR_WIDTH = 190
BAR_TEXT = 90
LABEL_CHAR_WIDTH = 7.5
"""Width of one character of a label (13 px text), generous: names are never cut."""


@dataclass(frozen=True, slots=True)
class Bar:
    """One outlet's row: originals then copies, stacked, scaled to the largest outlet."""

    name: str
    y: float
    originals_width: float
    copies_width: float
    copies: int
    articles: int
    share: float


@dataclass(frozen=True, slots=True)
class BarChart:
    """Horizontal stacked bars of originals and copies per outlet."""

    width: float
    height: float
    label_width: float
    bars: tuple[Bar, ...]


def bar_chart(outlets: Sequence[OutletFigures]) -> BarChart:
    """Bars for every outlet with at least one article."""
    rows = [o for o in outlets if o.articles]
    largest = max((o.articles for o in rows), default=1)
    label = max([BAR_LABEL, *(LABEL_CHAR_WIDTH * len(o.name) + 12 for o in rows)])
    bars = tuple(
        Bar(
            name=o.name,
            y=index * BAR_ROW,
            originals_width=round(BAR_WIDTH * o.originals / largest, 1),
            copies_width=round(BAR_WIDTH * o.copies / largest, 1),
            copies=o.copies,
            articles=o.articles,
            share=o.copy_share,
        )
        for index, o in enumerate(rows)
    )
    return BarChart(
        width=label + BAR_WIDTH + BAR_TEXT,
        height=max(len(bars), 1) * BAR_ROW,
        label_width=label,
        bars=bars,
    )


@dataclass(frozen=True, slots=True)
class Node:
    """An outlet on the circle; ``anchor`` places its label outside the circle."""

    name: str
    x: float
    y: float
    label_x: float
    label_y: float
    anchor: str


@dataclass(frozen=True, slots=True)
class Arrow:
    """A copy edge from the source's rim to the copier's rim, with its count."""

    source: str
    copier: str
    count: int
    x1: float
    y1: float
    x2: float
    y2: float
    label_x: float
    label_y: float
    stroke: float


@dataclass(frozen=True, slots=True)
class Graph:
    """The copy graph in circle layout."""

    width: float
    height: float
    node_radius: float
    nodes: tuple[Node, ...]
    arrows: tuple[Arrow, ...]


GRAPH_WIDTH = 600.0
GRAPH_HEIGHT = 380.0
NODE_RADIUS = 9.0


def circle_graph(names: Sequence[str], edges: Sequence[CopyEdge]) -> Graph:
    """Nodes evenly on a circle in the given order (first at the top, clockwise).

    Self-copies are left out of the drawing (the matrix shows them). Each
    arrow is bent slightly sideways so that A→B and B→A stay apart.
    """
    # Wider than tall: outlet names sit left and right of the circle, whole.
    radius = GRAPH_HEIGHT / 2 - 45
    longest = max((len(name) for name in names), default=0)
    width = max(GRAPH_WIDTH, 2 * (radius + 16 + LABEL_CHAR_WIDTH * longest + 8))
    cx, cy = width / 2, GRAPH_HEIGHT / 2
    nodes: list[Node] = []
    where: dict[str, tuple[float, float]] = {}
    for index, name in enumerate(names):
        angle = -math.pi / 2 + 2 * math.pi * index / max(len(names), 1)
        x, y = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
        lx, ly = cx + (radius + 16) * math.cos(angle), cy + (radius + 16) * math.sin(angle)
        cos = math.cos(angle)
        anchor = "middle" if abs(cos) < 0.3 else ("start" if cos > 0 else "end")
        nodes.append(Node(name, round(x, 1), round(y, 1), round(lx, 1), round(ly + 4, 1), anchor))
        where[name] = (x, y)
    heaviest = max((e.count for e in edges), default=1)
    arrows: list[Arrow] = []
    for edge in edges:
        if edge.source == edge.copier or edge.source not in where or edge.copier not in where:
            continue
        (sx, sy), (tx, ty) = where[edge.source], where[edge.copier]
        length = math.hypot(tx - sx, ty - sy) or 1.0
        ux, uy = (tx - sx) / length, (ty - sy) / length
        # Offset perpendicular to the direction: opposite edges do not overlap.
        ox, oy = -uy * 4, ux * 4
        gap = NODE_RADIUS + 3
        x1, y1 = sx + ux * gap + ox, sy + uy * gap + oy
        x2, y2 = tx - ux * (gap + 4) + ox, ty - uy * (gap + 4) + oy
        arrows.append(
            Arrow(
                source=edge.source,
                copier=edge.copier,
                count=edge.count,
                x1=round(x1, 1),
                y1=round(y1, 1),
                x2=round(x2, 1),
                y2=round(y2, 1),
                label_x=round((x1 + x2) / 2 + ox * 2, 1),
                label_y=round((y1 + y2) / 2 + oy * 2 + 4, 1),
                stroke=round(1.5 + 3.5 * edge.count / heaviest, 1),
            )
        )
    return Graph(round(width, 1), GRAPH_HEIGHT, NODE_RADIUS, tuple(nodes), tuple(arrows))
