"""The source chain as a tree: structure, text and JSON."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from ingestd.ops.tree import (
    ChainMember,
    StoryDetail,
    chain_tree,
    describe_evidence,
    render_story,
    story_json,
)

T0 = datetime(2022, 1, 12, 8, 0, tzinfo=UTC)


def member(
    article_id: int,
    outlet: str,
    derived_from: int | None,
    *,
    minutes: int = 0,
    role: str = "copy",
    similarity: float = 0.9,
    evidence: dict[str, Any] | None = None,
) -> ChainMember:
    return ChainMember(
        article_id=article_id,
        outlet=outlet,
        outlet_domain=outlet.lower().replace(" ", "") + ".example",
        url=f"https://{outlet.lower().replace(' ', '')}.example/{article_id}",
        title="Story",
        role=role,
        similarity=similarity,
        derived_from=derived_from,
        evidence=evidence or {},
        credits=[],
        published_at=T0 + timedelta(minutes=minutes),
        first_seen_at=T0 + timedelta(minutes=minutes),
    )


def story(members: list[ChainMember], origin: int | None, **extra: Any) -> StoryDetail:
    fields: dict[str, Any] = {
        "story_id": 7,
        "title": "Story",
        "canonical_url": "https://afp.example/1",
        "origin_outlet": "AFP",
        "origin_domain": "afp.example",
        "origin_article_id": origin,
        "origin_attributed": origin is None,
        "origin_reason": "attribution",
        "origin_evidence": [
            {"kind": "source", "phrase": "Source : AFP", "domain": "afp.example", "outlet": "AFP"}
        ],
        "first_seen_at": T0,
        "last_seen_at": T0 + timedelta(hours=3),
        "member_count": len(members),
        "outlet_count": len({m.outlet for m in members}),
        "members": tuple(members),
    }
    fields.update(extra)
    return StoryDetail(**fields)


def shape(node: Any) -> Any:
    """(article id, [children shapes]) for comparing trees."""
    key = node.member.article_id if node.member else None
    return (key, [shape(child) for child in node.children])


def test_copies_hang_under_the_member_they_derive_from() -> None:
    detail = story(
        [
            member(1, "AFP", None, role="origin", similarity=1.0),
            member(2, "Depeche", 1, minutes=60),
            member(3, "Meguetan", 2, minutes=120),
            member(4, "NewsPulse", 1, minutes=30),
        ],
        origin=1,
    )
    # Children in time order: NewsPulse (30 min) before Depeche (60 min).
    assert shape(chain_tree(detail)) == (1, [(4, []), (2, [(3, [])])])


def test_attributed_origin_is_a_virtual_root() -> None:
    detail = story([member(5, "Meguetan", None), member(6, "Depeche", 5, minutes=5)], origin=None)
    root = chain_tree(detail)
    assert root.member is None
    assert shape(root) == (None, [(5, [(6, [])])])
    lines = render_story(detail)
    assert "AFP (afp.example) — attributed origin, article not ingested" in lines
    assert "attributed (origin article not ingested)" in lines[3]


def test_loops_and_dangling_links_hang_under_the_root() -> None:
    detail = story(
        [
            member(1, "AFP", None, role="origin"),
            member(2, "A", 3, minutes=1),  # 2 -> 3 -> 2: a loop
            member(3, "B", 2, minutes=2),
            member(4, "C", 99, minutes=3),  # derives from an article outside the story
            member(5, "D", 5, minutes=4),  # derives from itself
        ],
        origin=1,
    )
    tree = shape(chain_tree(detail))
    flat: list[int] = []

    def walk(node: Any) -> None:
        if node[0] is not None:
            flat.append(node[0])
        for child in node[1]:
            walk(child)

    walk(tree)
    assert sorted(flat) == [1, 2, 3, 4, 5]  # every member exactly once
    assert {child[0] for child in tree[1]} >= {4, 5}


def test_rendered_tree_draws_branches_and_evidence() -> None:
    copy_evidence = {
        "via": "credit",
        "containment": 0.9975,
        "jaccard": 0.98,
        "credits": [
            {"kind": "with", "phrase": "avec AFP", "domain": "afp.example", "outlet": "AFP"}
        ],
    }
    detail = story(
        [
            member(1, "AFP", None, role="origin", similarity=1.0),
            member(2, "Depeche", 1, minutes=60, similarity=0.9975, evidence=copy_evidence),
            member(3, "Meguetan", 1, minutes=90, evidence={"via": "similarity"}),
        ],
        origin=1,
    )
    lines = render_story(detail)
    assert lines[0] == "Story 7: Story"
    assert "             evidence: source line “Source : AFP” → AFP (afp.example)" in lines
    chain = lines[lines.index("Source chain:") + 1 :]
    assert chain[0] == "AFP — origin"
    assert chain[1] == "│   https://afp.example/1"
    assert "├── Depeche — copy, 100% of its text in its source" in chain
    assert (
        "│       copied from AFP, linked by its credit “with” credit “avec AFP” → AFP"
        " (afp.example) (containment 1.00, Jaccard 0.98)"
    ) in chain
    assert "└── Meguetan — copy, 90% of its text in its source" in chain
    assert any(
        x.startswith("        copied from") and "similarity of the texts" in x for x in chain
    )
    assert not any("\x1b[" in line for line in lines)


def test_emphasis_is_applied_only_when_asked() -> None:
    detail = story([member(1, "AFP", None, role="origin")], origin=1)
    lines = render_story(detail, lambda text: f"*{text}*")
    assert lines[0] == "*Story 7: Story*"
    assert "*AFP* — origin" in lines


def test_json_nests_copies() -> None:
    detail = story(
        [member(1, "AFP", None, role="origin"), member(2, "Depeche", 1, minutes=1)], origin=1
    )
    data = story_json(detail)
    assert data["story_id"] == 7 and data["origin_attributed"] is False
    assert data["chain"]["article_id"] == 1
    assert [c["article_id"] for c in data["chain"]["copies"]] == [2]
    assert data["chain"]["copies"][0]["published_at"] == "2022-01-12T08:01:00+00:00"
    assert data["first_seen_at"] == "2022-01-12T08:00:00+00:00"


def test_origin_facts_are_described() -> None:
    fact = {"kind": "earliest", "role": "original", "time": "2022-01-12T08:00:00", "words": 500}
    assert (
        describe_evidence(fact)
        == "earliest: published 2022-01-12T08:00:00, role original, 500 words"
    )
    assert describe_evidence({"kind": "only_member"}) == "only member"


HOSTILE = "Breaking\x1b[2J\x1b]0;owned\x07 news\r\nline two\x9b31m"


def test_store_strings_lose_their_control_characters_but_emphasis_stays() -> None:
    credit = {"kind": "with", "phrase": f"avec {HOSTILE}", "outlet": "AFP\x1b[8m"}
    copy = ChainMember(
        **{
            **{f: getattr(member(2, "Depeche", 1), f) for f in ChainMember.__slots__},
            "title": f"copy {HOSTILE}",
            "outlet": "Depeche\x1b[31m",
            "evidence": {"via": "credit\x1b[5m", "credits": [credit]},
        }
    )
    detail = story(
        [member(1, "AFP", None, role="origin"), copy],
        origin=1,
        title=HOSTILE,
        origin_evidence=[{"kind": "source", "phrase": f"Source : {HOSTILE}", "outlet": "AFP"}],
    )
    lines = render_story(detail, lambda text: f"\x1b[1m{text}\x1b[0m")
    # Only the emphasis' own escapes remain; no store string brings one.
    unstyled = [re.sub(r"\x1b\[[01]m", "", line) for line in lines]
    assert not [line for line in unstyled if re.search(r"[\x00-\x1f\x7f-\x9f]", line)]
    cleaned = "Breaking [2J ]0;owned  news  line two 31m"
    assert lines[0] == f"\x1b[1mStory 7: {cleaned}\x1b[0m"
    # The store strings are all there, cleaned, whatever words frame them.
    assert any("evidence:" in line and f"Source : {cleaned}" in line for line in lines)
    assert any(line.endswith(f"title: copy {cleaned}") for line in lines)
    assert any(f"avec {cleaned}" in line and "AFP [8m" in line for line in lines)
    assert any("\x1b[1mDepeche [31m\x1b[0m — copy" in line for line in lines)
