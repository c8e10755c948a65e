"""Origin choice and source chain: pure decisions over a story's members.

Given what is known of each member (outlet, role, times, canonical link,
credit lines) and the measured overlap between members, decide

* which member is the origin, or which absent outlet the evidence names as
  origin (an *attributed origin*, adopted when its article arrives), and
* for each copy, the earlier member it was most likely taken from.

Evidence is weighed in a fixed order: canonical link to another outlet,
credit naming an outlet, outlet role, earliest publication time, fuller
text, and last the article id so that the result is deterministic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ingestd.types import OutletRole

# Role order for origin choice: a wire agency writes for others to copy, an
# aggregator copies. Outlets without a configured role sit in between.
_ROLE_RANK = {OutletRole.WIRE: 0, OutletRole.ORIGINAL: 1, None: 2, OutletRole.AGGREGATOR: 3}


@dataclass(frozen=True, slots=True)
class Credit:
    """A credit line or canonical link pointing at another outlet."""

    kind: str  # "canonical" or an attribution kind ("bare_domain", "source", ...)
    phrase: str
    domain: str | None
    outlet_name: str | None
    named: str

    @property
    def target(self) -> str:
        """What the credit points at: a domain when known, else the name as written."""
        return self.domain or self.named.casefold()

    def as_evidence(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "kind": self.kind,
            "phrase": self.phrase,
            "domain": self.domain,
            "outlet": self.outlet_name or self.named,
        }


@dataclass(frozen=True, slots=True)
class MemberFacts:
    """What origin choice needs to know of one story member."""

    article_id: int
    url: str
    outlet_name: str
    outlet_domain: str
    outlet_role: OutletRole | None
    published_at: datetime | None
    first_seen_at: datetime
    word_count: int
    credits: tuple[Credit, ...] = ()

    @property
    def effective_time(self) -> datetime:
        """Publication time when the outlet gave a plausible one, else first seen."""
        if self.published_at is not None and self.published_at <= self.first_seen_at:
            return self.published_at
        return self.first_seen_at

    def points_elsewhere(self) -> tuple[Credit, ...]:
        """Credits naming an outlet other than the member's own."""
        return tuple(c for c in self.credits if c.target != self.outlet_domain)


@dataclass(frozen=True, slots=True)
class EdgeScore:
    """Measured overlap between two members (from verification)."""

    jaccard: float
    containment_first: float  # share of the first member's text found in the second
    containment_second: float


@dataclass(frozen=True, slots=True)
class OriginDecision:
    """The story's origin: a member, or an outlet named by credits but not ingested."""

    origin_article_id: int | None
    origin_outlet: str
    origin_domain: str | None
    attributed: bool
    reason: str
    evidence: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True, slots=True)
class ChainLink:
    """Where one member comes from."""

    article_id: int
    role: str  # "origin" | "copy"
    derived_from: int | None
    similarity: float
    evidence: dict[str, Any] = field(default_factory=dict)


def _sort_key(member: MemberFacts) -> tuple[int, datetime, int, int]:
    return (
        _ROLE_RANK.get(member.outlet_role, 2),
        member.effective_time,
        -member.word_count,
        member.article_id,
    )


def choose_origin(members: Sequence[MemberFacts]) -> OriginDecision:
    """Decide the origin of a story from its members' evidence."""
    if not members:
        raise ValueError("a story has at least one member")
    by_domain: dict[str, MemberFacts] = {}
    for member in sorted(members, key=_sort_key):
        by_domain.setdefault(member.outlet_domain, member)

    # Follow each member's credits to a root: an outlet that credits nobody
    # else among the members (or is absent). Canonical links come first.
    votes: dict[str, list[Credit]] = {}
    for member in members:
        credits = sorted(member.points_elsewhere(), key=lambda c: c.kind != "canonical")
        if not credits:
            continue
        root, trail = _follow(credits[0], by_domain)
        votes.setdefault(root, []).extend(trail)
    if votes:

        def rank(target: str) -> tuple[int, int, tuple[int, datetime, int, int] | tuple[()]]:
            present = by_domain.get(target)
            has_canonical = any(c.kind == "canonical" for c in votes[target])
            return (
                -int(has_canonical),
                -len(votes[target]),
                _sort_key(present) if present else (),
            )

        # Present outlets first among equals, so a story adopts a real article.
        ordered = sorted(votes, key=lambda t: (rank(t)[0], rank(t)[1], t not in by_domain, t))
        root = ordered[0]
        evidence = tuple(c.as_evidence() for c in votes[root])
        reason = "canonical" if rank(root)[0] else "attribution"
        present = by_domain.get(root)
        if present is not None:
            return OriginDecision(
                present.article_id,
                present.outlet_name,
                present.outlet_domain,
                False,
                reason,
                evidence,
            )
        credit = votes[root][-1]
        return OriginDecision(
            None, credit.outlet_name or credit.named, credit.domain, True, reason, evidence
        )

    best = min(members, key=_sort_key)
    others = [m for m in members if m is not best]
    if others and all(
        _ROLE_RANK.get(m.outlet_role, 2) > _ROLE_RANK.get(best.outlet_role, 2) for m in others
    ):
        reason = "role"
    elif others and all(m.effective_time > best.effective_time for m in others):
        reason = "earliest"
    elif others:
        reason = "fuller_text"
    else:
        reason = "only_member"
    facts: dict[str, Any] = {
        "kind": reason,
        "role": best.outlet_role.value if best.outlet_role else None,
        "time": best.effective_time.isoformat(),
        "words": best.word_count,
    }
    return OriginDecision(
        best.article_id, best.outlet_name, best.outlet_domain, False, reason, (facts,)
    )


def _follow(first: Credit, by_domain: Mapping[str, MemberFacts]) -> tuple[str, list[Credit]]:
    """Follow credits from member to member until an outlet that credits nobody."""
    trail = [first]
    target = first.target
    seen = {target}
    while (member := by_domain.get(target)) is not None:
        onward = sorted(member.points_elsewhere(), key=lambda c: c.kind != "canonical")
        if not onward or onward[0].target in seen:
            break
        trail.append(onward[0])
        target = onward[0].target
        seen.add(target)
    return target, trail


def build_chain(
    members: Sequence[MemberFacts],
    origin: OriginDecision,
    edges: Mapping[tuple[int, int], EdgeScore],
) -> list[ChainLink]:
    """For each member, the earlier member it was taken from, with evidence.

    ``edges`` maps (smaller id, larger id) to the measured overlap. Members
    are placed in order (origin first, then by time); each copy derives from
    the member its own credit names when that one comes earlier, else from
    the earlier member containing most of its text.
    """
    order = sorted(
        members,
        key=lambda m: (m.article_id != origin.origin_article_id, m.effective_time, m.article_id),
    )
    links: list[ChainLink] = []
    placed: list[MemberFacts] = []
    for member in order:
        if member.article_id == origin.origin_article_id:
            links.append(
                ChainLink(member.article_id, "origin", None, 1.0, {"origin": list(origin.evidence)})
            )
            placed.append(member)
            continue
        link = _link_copy(member, placed, edges, origin)
        links.append(link)
        placed.append(member)
    return links


def _containment(
    member: MemberFacts, other: MemberFacts, edges: Mapping[tuple[int, int], EdgeScore]
) -> tuple[float, float] | None:
    """(share of member's text found in other, jaccard), when measured."""
    low, high = sorted((member.article_id, other.article_id))
    edge = edges.get((low, high))
    if edge is None:
        return None
    share = edge.containment_first if member.article_id == low else edge.containment_second
    return share, edge.jaccard


# How much more of a copy's text one earlier member must hold than another
# for the copy to be taken from it: the other member's own changes (word
# edits, inserted lines) are carried. Two independent copies that happen to
# make one same word change differ by about 0.015.
_CARRIED_CHANGES_MARGIN = 0.03


def _carries_changes(
    member: MemberFacts,
    candidate: MemberFacts,
    other: MemberFacts,
    edges: Mapping[tuple[int, int], EdgeScore],
) -> bool:
    """Whether ``member`` holds clearly more of ``candidate``'s text than of ``other``'s."""
    mine = _containment(member, candidate, edges)
    theirs = _containment(member, other, edges)
    if mine is None:
        return False
    return theirs is None or mine[0] >= theirs[0] + _CARRIED_CHANGES_MARGIN


def _carrier(
    member: MemberFacts,
    credited: MemberFacts,
    earlier: Sequence[MemberFacts],
    edges: Mapping[tuple[int, int], EdgeScore],
) -> MemberFacts | None:
    """An earlier member whose changes ``member`` carries, rather than the credited one."""
    best: tuple[float, float] | None = None
    found: MemberFacts | None = None
    for candidate in earlier:
        if candidate is credited or not _carries_changes(member, candidate, credited, edges):
            continue
        measured = _containment(member, candidate, edges)
        if measured is not None and (best is None or measured > best):
            best, found = measured, candidate
    return found


def _link_copy(
    member: MemberFacts,
    earlier: Sequence[MemberFacts],
    edges: Mapping[tuple[int, int], EdgeScore],
    origin: OriginDecision,
) -> ChainLink:
    evidence: dict[str, Any] = {"time": member.effective_time.isoformat()}
    credits = member.points_elsewhere()
    if credits:
        evidence["credits"] = [c.as_evidence() for c in credits]
    credited = {c.target for c in credits}
    chosen: MemberFacts | None = None
    via = ""
    for candidate in earlier:
        if candidate.outlet_domain in credited:
            chosen, via = candidate, "credit"
            break
    if chosen is None:
        best: tuple[float, float] | None = None
        for candidate in earlier:
            measured = _containment(member, candidate, edges)
            if measured is None:
                continue
            key = (round(measured[0], 2), measured[1])
            if best is None or key > best:
                best, chosen, via = key, candidate, "similarity"
        # Between equally good sources the origin wins: a copy that shows no
        # sign of having passed through another copy came from the origin.
        origin_member = next((m for m in earlier if m.article_id == origin.origin_article_id), None)
        if (
            chosen is not None
            and origin_member is not None
            and chosen is not origin_member
            and not _carries_changes(member, chosen, origin_member, edges)
        ):
            chosen = origin_member
    elif (carrier := _carrier(member, chosen, earlier, edges)) is not None:
        # The credit names an outlet (often the origin, its line kept by a
        # copier of a copy), but the text carries another member's own
        # changes (its edits, its added lines): that member is the source.
        chosen, via = carrier, "carried_changes"
    if chosen is None and earlier:
        chosen, via = earlier[0], "first_member"
    if chosen is None:
        # First present member of a story whose origin was not ingested.
        evidence["attributed_origin"] = origin.origin_outlet
        return ChainLink(member.article_id, "copy", None, 1.0, evidence)
    measured = _containment(member, chosen, edges)
    similarity = measured[0] if measured else 0.0
    evidence.update({"via": via, "from_time": chosen.effective_time.isoformat()})
    if measured:
        evidence.update({"containment": round(measured[0], 4), "jaccard": round(measured[1], 4)})
    return ChainLink(member.article_id, "copy", chosen.article_id, round(similarity, 4), evidence)
