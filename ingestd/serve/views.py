"""Page models for ``ingestd serve``: pure functions from rows to what a page draws.

No store, no web: the query-string parsing (with its bounds), the source
chain laid out as a graph, members' evidence in words, the outlet's copy
share over time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ingestd.durations import parse_since
from ingestd.ops.tree import ChainMember, ChainNode, StoryDetail, chain_tree
from ingestd.report.evidence import credit_words, link_words, origin_words
from ingestd.serve.queries import MAX_PAGE_SIZE, PAGE_SIZE, Cursor, StoryFilter

MAX_QUERY_CHARS = 200
MAX_MIN_MEMBERS = 10_000


class BadRequest(ValueError):
    """A query-string value that is not one this page takes (HTTP 400)."""


@dataclass(frozen=True, slots=True)
class ListRequest:
    """The story list's parameters, validated."""

    since_text: str
    outlet_text: str
    filter: StoryFilter
    cursor: Cursor | None
    limit: int


def parse_list(params: Mapping[str, str], now: datetime) -> ListRequest:
    """Read the story list's query string; BadRequest names the bad parameter."""
    since_text = params.get("since", "").strip()
    since = None
    if since_text:
        try:
            since = parse_since(since_text, now)
        except ValueError as error:
            raise BadRequest(f"since: {error}") from None
    query = params.get("q", "").strip()
    if len(query) > MAX_QUERY_CHARS:
        raise BadRequest(f"q: at most {MAX_QUERY_CHARS} characters")
    language = params.get("language", "").strip() or None
    if language is not None and (len(language) > 20 or not language.replace("-", "").isalnum()):
        raise BadRequest("language: a language code such as fr or en-GB")
    min_members = _integer(params, "min_members", 1, 1, MAX_MIN_MEMBERS)
    limit = _integer(params, "limit", PAGE_SIZE, 1, MAX_PAGE_SIZE)
    cursor = None
    if params.get("after"):
        try:
            cursor = Cursor.parse(params["after"])
        except ValueError as error:
            raise BadRequest(f"after: {error}") from None
    copies = params.get("copies", "") in ("1", "on", "true", "yes")
    return ListRequest(
        since_text=since_text,
        outlet_text=params.get("outlet", "").strip()[:200],
        filter=StoryFilter(
            since=since,
            language=language,
            copies_only=copies,
            min_members=min_members,
            query=query or None,
        ),
        cursor=cursor,
        limit=limit,
    )


def _integer(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    text = params.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit():
        raise BadRequest(f"{name}: a whole number from {low} to {high}")
    value = int(text)
    if not low <= value <= high:
        raise BadRequest(f"{name}: a whole number from {low} to {high}")
    return value


def integer(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """A bounded whole-number parameter, or BadRequest."""
    return _integer(params, name, default, low, high)


# -- the source chain as a graph ---------------------------------------------

NODE_HEIGHT = 44
ROW_GAP = 14
COLUMN_GAP = 56
CHAR_WIDTH = 7.4  # px per character at the graph's 13 px font, generous
MIN_NODE_WIDTH = 120


@dataclass(frozen=True, slots=True)
class GraphNode:
    """A member (or the attributed origin) drawn as a box."""

    article_id: int | None
    label: str
    sublabel: str
    role: str  # origin | copy | attributed
    x: float
    y: float
    width: float


@dataclass(frozen=True, slots=True)
class GraphEdge:
    """An arrow from a source to the copy taken from it."""

    x1: float
    y1: float
    x2: float
    y2: float
    label: str
    source_id: int | None
    copy_id: int


@dataclass(frozen=True, slots=True)
class Graph:
    """The chain laid out left to right: origin first, each copy right of its source."""

    width: float
    height: float
    nodes: tuple[GraphNode, ...]
    edges: tuple[GraphEdge, ...]


def chain_graph(detail: StoryDetail) -> Graph:
    """Columns by depth in the chain, one row per leaf; sizes fit the longest name."""
    root = chain_tree(detail)
    order: list[tuple[ChainNode, int]] = []

    def visit(node: ChainNode, depth: int) -> None:
        order.append((node, depth))
        for child in node.children:
            visit(child, depth + 1)

    visit(root, 0)
    labels = [_node_label(node, detail) for node, _ in order]
    width: float = max(
        MIN_NODE_WIDTH,
        *(CHAR_WIDTH * max(len(a), len(b)) + 20 for a, b in labels),
    )
    nodes: list[GraphNode] = []
    positions: dict[int, tuple[float, float]] = {}
    for row, ((node, depth), (label, sub)) in enumerate(zip(order, labels, strict=True)):
        x: float = depth * (width + COLUMN_GAP)
        y: float = row * (NODE_HEIGHT + ROW_GAP)
        member = node.member
        article_id = member.article_id if member else None
        role = (
            "attributed"
            if member is None
            else ("origin" if member.article_id == detail.origin_article_id else "copy")
        )
        nodes.append(GraphNode(article_id, label, sub, role, x, y, width))
        positions[id(node)] = (x, y)
    edges: list[GraphEdge] = []
    for node, _ in order:
        left, top = positions[id(node)]
        for child in node.children:
            cx, cy = positions[id(child)]
            assert child.member is not None  # only the root can be an attributed origin
            edges.append(
                GraphEdge(
                    x1=left + width,
                    y1=top + NODE_HEIGHT / 2,
                    x2=cx,
                    y2=cy + NODE_HEIGHT / 2,
                    label=str(child.member.evidence.get("via") or ""),
                    source_id=node.member.article_id if node.member else None,
                    copy_id=child.member.article_id,
                )
            )
    columns = max(depth for _, depth in order) + 1
    return Graph(
        width=columns * width + (columns - 1) * COLUMN_GAP,
        height=len(order) * (NODE_HEIGHT + ROW_GAP) - ROW_GAP,
        nodes=tuple(nodes),
        edges=tuple(edges),
    )


def _node_label(node: ChainNode, detail: StoryDetail) -> tuple[str, str]:
    member = node.member
    if member is None:
        return detail.origin_outlet, "named by credit, not ingested"
    when = member.published_at or member.first_seen_at
    stamp = when.strftime("%Y-%m-%d %H:%M") if when else "time unknown"
    if member.article_id == detail.origin_article_id:
        return member.outlet, f"origin · {stamp}"
    return member.outlet, f"copy · {stamp}"


# -- members in words ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MemberView:
    """A member with its evidence in words and the comparisons to offer."""

    member: ChainMember
    is_origin: bool
    source: ChainMember | None
    link: str
    credits: tuple[str, ...]
    compare_source: int | None
    compare_origin: int | None


def member_views(detail: StoryDetail) -> tuple[MemberView, ...]:
    """Every member, origin first then by time, with what links it."""
    by_id = {m.article_id: m for m in detail.members}
    origin = by_id.get(detail.origin_article_id or -1)
    ordered = sorted(
        detail.members,
        key=lambda m: (m is not origin, m.published_at or m.first_seen_at or _EPOCH, m.article_id),
    )
    views = []
    for member in ordered:
        is_origin = member is origin
        source = by_id.get(member.derived_from or -1)
        views.append(
            MemberView(
                member=member,
                is_origin=is_origin,
                source=source,
                link=(
                    origin_words(detail.origin_reason, detail.origin_evidence)
                    if is_origin
                    else link_words(member.evidence, source.outlet if source else None)
                ),
                credits=tuple(credit_words(c) for c in member.credits),
                compare_source=source.article_id if source and not is_origin else None,
                compare_origin=(
                    origin.article_id
                    if origin is not None and not is_origin and origin is not source
                    else None
                ),
            )
        )
    return tuple(views)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


# -- an outlet's copy share over time ------------------------------------------


@dataclass(frozen=True, slots=True)
class ShareBar:
    """One period of the chart: articles first seen then, and how many were copies."""

    start: datetime
    articles: int
    copies: int
    x: float
    height: float
    copies_height: float

    @property
    def share(self) -> float:
        """Copies over articles (0 when none)."""
        return self.copies / self.articles if self.articles else 0.0


@dataclass(frozen=True, slots=True)
class ShareChart:
    """Bars per day or per week (whichever gives at most 30 bars)."""

    period: str
    width: float
    height: float
    bars: tuple[ShareBar, ...]


CHART_HEIGHT = 120.0
BAR_STEP = 22.0
MAX_BARS = 30


def share_chart(articles: Sequence[tuple[datetime, str]]) -> ShareChart:
    """The share of copies among ``(first seen, role)`` articles, per period, oldest first."""
    if not articles:
        return ShareChart("day", BAR_STEP, CHART_HEIGHT, ())
    first = min(t for t, _ in articles)
    last = max(t for t, _ in articles)
    days = (last.date() - first.date()).days + 1
    step = timedelta(days=1) if days <= MAX_BARS else timedelta(weeks=1)
    period = "day" if days <= MAX_BARS else "week"
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    if period == "week":
        start -= timedelta(days=start.weekday())
    buckets: dict[int, list[int]] = {}
    for moment, role in articles:
        index = int((moment - start) / step)
        counts = buckets.setdefault(index, [0, 0])
        counts[0] += 1
        counts[1] += role == "copy"
    span = max(buckets) + 1
    first_index = max(0, span - MAX_BARS)
    largest = max(c[0] for c in buckets.values())
    bars = []
    for index in range(first_index, span):
        total, copies = buckets.get(index, [0, 0])
        bars.append(
            ShareBar(
                start=start + index * step,
                articles=total,
                copies=copies,
                x=(index - first_index) * BAR_STEP,
                height=round(CHART_HEIGHT * total / largest, 1),
                copies_height=round(CHART_HEIGHT * copies / largest, 1),
            )
        )
    return ShareChart(period, len(bars) * BAR_STEP, CHART_HEIGHT, tuple(bars))
