"""A story's source chain as a tree: origin at the root, each copy under its source.

Usage::

    root = chain_tree(detail)            # detail: StoryDetail read from the store
    for line in render_story(detail):    # plain text, one line each
        print(line)
    data = story_json(detail)            # the same, nested, JSON-ready

Pure: no store, no terminal. A member whose ``derived_from`` is missing,
outside the story or part of a loop hangs under the root, so every member
is shown exactly once whatever the stored chain looks like. The text lines
carry every store string (titles, outlet names, URLs, evidence phrases)
without its control characters: they come from other people's pages and
feeds and are printed on an operator's terminal.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from typing import Any

from ingestd.report.evidence import evidence_words, link_words
from ingestd.terminal import clean

Style = Callable[[str], str]


def _plain(text: str) -> str:
    return text


@dataclass(frozen=True, slots=True)
class ChainMember:
    """One story member as the ``story_members`` view gives it."""

    article_id: int
    outlet: str
    outlet_domain: str
    url: str
    title: str | None
    role: str
    similarity: float
    derived_from: int | None
    evidence: Mapping[str, Any]
    credits: Sequence[Mapping[str, Any]]
    published_at: datetime | None
    first_seen_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoryDetail:
    """One story as the ``stories`` view gives it, with its members."""

    story_id: int
    title: str | None
    canonical_url: str
    origin_outlet: str
    origin_domain: str | None
    origin_article_id: int | None
    origin_attributed: bool
    origin_reason: str
    origin_evidence: Sequence[Mapping[str, Any]]
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    member_count: int
    outlet_count: int
    members: tuple[ChainMember, ...]


@dataclass(slots=True)
class ChainNode:
    """A tree node; ``member`` is None for an attributed origin not ingested."""

    member: ChainMember | None
    children: list[ChainNode] = field(default_factory=list)


def _order(member: ChainMember) -> tuple[datetime | None, int]:
    return (member.first_seen_at, member.article_id)


def chain_tree(detail: StoryDetail) -> ChainNode:
    """The source chain of a story as a tree rooted at its origin."""
    by_id = {m.article_id: m for m in detail.members}
    origin = by_id.get(detail.origin_article_id or -1)
    root = ChainNode(origin)
    parent: dict[int, int | None] = {}
    for member in detail.members:
        if member is origin:
            continue
        source = member.derived_from
        parent[member.article_id] = (
            source if source in by_id and source != member.article_id else None
        )
    # Break loops and chains that never reach the origin: such members hang
    # under the root.
    root_id = origin.article_id if origin else None
    for start in list(parent):
        seen = {start}
        current = parent[start]
        while current is not None and current != root_id:
            if current in seen:
                parent[start] = None
                break
            seen.add(current)
            current = parent.get(current)
    nodes = {article_id: ChainNode(by_id[article_id]) for article_id in parent}
    for member in sorted((by_id[i] for i in parent), key=_order):
        source = parent[member.article_id]
        holder = nodes.get(source) if source is not None else None
        (holder or root).children.append(nodes[member.article_id])
    return root


# -- text ------------------------------------------------------------------


def _time(value: datetime | None) -> str:
    return "unknown" if value is None else value.strftime("%Y-%m-%d %H:%M UTC")


def describe_evidence(item: Mapping[str, Any]) -> str:
    """One evidence item in words (the formatter the reports share)."""
    return evidence_words(item)


def _node_lines(node: ChainNode, detail: StoryDetail, emph: Style) -> tuple[str, list[str]]:
    member = node.member
    source_outlet = {m.article_id: m.outlet for m in detail.members}
    if member is None:
        domain = f" ({detail.origin_domain})" if detail.origin_domain else ""
        return (
            f"{emph(detail.origin_outlet)}{domain} — attributed origin, article not ingested",
            [],
        )
    if member.article_id == detail.origin_article_id:
        head = f"{emph(member.outlet)} — origin"
    else:
        head = f"{emph(member.outlet)} — copy, {member.similarity:.0%} of its text in its source"
    lines = [member.url]
    if member.title and member.title != detail.title:
        lines.append(f"title: {member.title}")
    lines.append(
        f"published {_time(member.published_at)}, first seen {_time(member.first_seen_at)}"
    )
    evidence = member.evidence
    if member.article_id != detail.origin_article_id:
        lines.append(link_words(evidence, source_outlet.get(member.derived_from or -1)))
    return head, lines


def _render(
    node: ChainNode, detail: StoryDetail, first: str, rest: str, out: list[str], emph: Style
) -> None:
    head, lines = _node_lines(node, detail, emph)
    out.append(first + head)
    bar = "│   " if node.children else "    "
    out.extend(rest + bar + line for line in lines)
    for index, child in enumerate(node.children):
        last = index == len(node.children) - 1
        _render(
            child,
            detail,
            rest + ("└── " if last else "├── "),
            rest + ("    " if last else "│   "),
            out,
            emph,
        )


def _cleaned(value: Any) -> Any:
    """``value`` with the control characters of every string in it replaced."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, Mapping):
        return {key: _cleaned(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cleaned(item) for item in value)
    if isinstance(value, (ChainMember, StoryDetail)):
        return replace(value, **{f.name: _cleaned(getattr(value, f.name)) for f in fields(value)})
    return value


def render_story(detail: StoryDetail, emph: Style = _plain) -> list[str]:
    """The story's facts, origin evidence and source chain, as lines of text.

    Store strings are cleaned of control characters first (an escape sequence
    in a title must not reach the terminal); ``emph`` styles after that.
    """
    detail = _cleaned(detail)
    attributed = ", attributed (origin article not ingested)" if detail.origin_attributed else ""
    domain = f" ({detail.origin_domain})" if detail.origin_domain else ""
    lines = [
        emph(f"Story {detail.story_id}: {detail.title or '(no title)'}"),
        f"  canonical  {detail.canonical_url}",
        f"  seen       {_time(detail.first_seen_at)} … {_time(detail.last_seen_at)}; "
        f"{detail.member_count} member(s) in {detail.outlet_count} outlet(s)",
        f"  origin     {detail.origin_outlet}{domain}, by {detail.origin_reason}{attributed}",
    ]
    lines.extend(f"             evidence: {describe_evidence(e)}" for e in detail.origin_evidence)
    lines.append("")
    lines.append("Source chain:")
    _render(chain_tree(detail), detail, "", "", lines, emph)
    return lines


# -- JSON ------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _node_json(node: ChainNode, detail: StoryDetail) -> dict[str, Any]:
    member = node.member
    if member is None:
        data: dict[str, Any] = {
            "article_id": None,
            "outlet": detail.origin_outlet,
            "outlet_domain": detail.origin_domain,
            "role": "attributed_origin",
        }
    else:
        data = {
            "article_id": member.article_id,
            "outlet": member.outlet,
            "outlet_domain": member.outlet_domain,
            "url": member.url,
            "title": member.title,
            "role": member.role,
            "similarity": member.similarity,
            "derived_from": member.derived_from,
            "published_at": _iso(member.published_at),
            "first_seen_at": _iso(member.first_seen_at),
            "evidence": dict(member.evidence),
            "credits": [dict(c) for c in member.credits],
        }
    data["copies"] = [_node_json(child, detail) for child in node.children]
    return data


def story_json(detail: StoryDetail) -> dict[str, Any]:
    """The story and its source chain as nested JSON-ready data."""
    return {
        "story_id": detail.story_id,
        "title": detail.title,
        "canonical_url": detail.canonical_url,
        "origin_outlet": detail.origin_outlet,
        "origin_domain": detail.origin_domain,
        "origin_article_id": detail.origin_article_id,
        "origin_attributed": detail.origin_attributed,
        "origin_reason": detail.origin_reason,
        "origin_evidence": [dict(e) for e in detail.origin_evidence],
        "first_seen_at": _iso(detail.first_seen_at),
        "last_seen_at": _iso(detail.last_seen_at),
        "member_count": detail.member_count,
        "outlet_count": detail.outlet_count,
        "chain": _node_json(chain_tree(detail), detail),
    }
