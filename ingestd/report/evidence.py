"""Evidence in words: the one formatter of credits, origins and links.

``stories show``, the text and HTML reports and ``ingestd serve`` all say
why a member was linked, or why an outlet is the origin, with these
functions, so the same evidence reads the same everywhere::

    credit_words({"kind": "bare_domain", "phrase": "lemonde.fr", "outlet": "Le Monde"})
    # 'bare domain "lemonde.fr" → Le Monde'
    link_words({"via": "credit", "containment": 1.0, "jaccard": 1.0, "credits": [...]}, "Le Monde")
    # 'copied from Le Monde, linked by its credit bare domain "lemonde.fr" → Le Monde
    #  (containment 1.00, Jaccard 1.00)'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

KIND_WORDS = {
    "canonical": "canonical link",
    "bare_domain": "bare domain",
    "source": "source line",
    "read_more": "“read more” line",
    "first_appeared": "“first appeared” line",
    "wire_credit": "wire credit",
    "dateline": "dateline",
    "copyright": "copyright line",
    "with": "“with” credit",
}
"""What each kind of credit is called in words."""

REASON_WORDS = {
    "canonical": "a canonical link points at it",
    "attribution": "a credit line names it",
    "role": "its outlet's configured role",
    "earliest": "it was published first",
    "fuller_text": "it has the fullest text (a tie otherwise)",
    "only_member": "it is the story's only member",
}
"""Why a member is a story's origin, in words (``stories.origin_reason``)."""


def credit_words(item: Mapping[str, Any]) -> str:
    """One credit (an attribution line or a canonical link) in words."""
    kind = str(item.get("kind", "?"))
    name = KIND_WORDS.get(kind, kind.replace("_", " "))
    target = item.get("outlet") or item.get("domain")
    domain = item.get("domain")
    where = f" → {target}" if target else ""
    if domain and domain != target:
        where += f" ({domain})"
    return f"{name} “{item.get('phrase', '')}”{where}"


def fact_words(item: Mapping[str, Any]) -> str:
    """An origin fact that is not a credit (``{"kind": reason, "time", "role", "words"}``)."""
    kind = str(item.get("kind", "?"))
    facts = []
    if item.get("time"):
        facts.append(f"published {item['time']}")
    if item.get("role"):
        facts.append(f"role {item['role']}")
    if item.get("words") is not None:
        facts.append(f"{item['words']} words")
    label = kind.replace("_", " ")
    return f"{label}: {', '.join(facts)}" if facts else label


def evidence_words(item: Mapping[str, Any]) -> str:
    """An origin-evidence item in words, credit or fact."""
    return credit_words(item) if "phrase" in item else fact_words(item)


def origin_words(reason: str, evidence: Sequence[Mapping[str, Any]]) -> str:
    """Why the origin is the origin: the reason, then its evidence."""
    because = REASON_WORDS.get(reason, reason.replace("_", " "))
    items = "; ".join(evidence_words(e) for e in evidence if "phrase" in e)
    return f"origin because {because}" + (f": {items}" if items else "")


def measure_words(evidence: Mapping[str, Any]) -> str:
    """``containment 1.00, Jaccard 0.46`` (what was stored), or empty."""
    measured = []
    if evidence.get("containment") is not None:
        measured.append(f"containment {float(evidence['containment']):.2f}")
    if evidence.get("jaccard") is not None:
        measured.append(f"Jaccard {float(evidence['jaccard']):.2f}")
    return ", ".join(measured)


def link_words(evidence: Mapping[str, Any], source_outlet: str | None) -> str:
    """Why a copy is linked to its source (``story_members.evidence``) in one sentence."""
    via = evidence.get("via")
    credits = [credit_words(c) for c in evidence.get("credits") or ()]
    if source_outlet:
        head = f"copied from {source_outlet}"
    elif evidence.get("attributed_origin"):
        head = f"credits {evidence['attributed_origin']}, whose own article is not ingested"
    else:
        head = "copy"
    if via == "credit" and credits:
        how = f", linked by its credit {'; '.join(credits)}"
    elif via == "similarity":
        how = ", linked by the similarity of the texts"
        if credits:
            how += f" (credits: {'; '.join(credits)})"
    elif via == "first_member":
        how = ", linked to the story's first member"
    elif credits:
        how = f" (credits: {'; '.join(credits)})"
    else:
        how = f", linked by {via}" if via else ""
    measured = measure_words(evidence)
    return head + how + (f" ({measured})" if measured else "")
