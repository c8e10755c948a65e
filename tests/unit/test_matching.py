"""Pure matching decisions: normalisation, verification, origin, chain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ingestd.fingerprint.params import DEFAULT_PARAMS
from ingestd.match.features import TextFeatures, build_features
from ingestd.match.origin import Credit, EdgeScore, MemberFacts, build_chain, choose_origin
from ingestd.match.thresholds import DEFAULT_THRESHOLDS
from ingestd.match.verify import verify
from ingestd.text.normalize import normalize
from ingestd.types import OutletRole
from tests.integration.seedsite import seed_lines

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def features(
    paragraphs: list[str],
    boilerplate: frozenset[int] = frozenset(),
    credits: frozenset[int] = frozenset(),
) -> TextFeatures:
    return build_features(
        paragraphs,
        boilerplate=boilerplate,
        credit_paragraphs=credits,
        params=DEFAULT_PARAMS,
        thresholds=DEFAULT_THRESHOLDS,
    )


SEED = seed_lines()[2:-1]


def test_normalize_erases_typography_and_case() -> None:
    assert normalize("« L’OTAN – Élargissement »\u00a0!") == normalize(
        '"l\'otan - elargissement" !'
    )
    assert normalize("Etats-Unis") == normalize("États – Unis")


def test_identical_texts_link_as_exact() -> None:
    verdict = verify(features(SEED), features(list(SEED)), DEFAULT_THRESHOLDS)
    assert verdict.linked and verdict.rule == "exact"


def test_typography_changes_still_exact() -> None:
    retyped = [
        p.replace("’", "'").replace("«", '"').replace("»", '"').replace("–", "-") for p in SEED
    ]
    verdict = verify(features(SEED), features(retyped), DEFAULT_THRESHOLDS)
    assert verdict.linked and verdict.score.jaccard == 1.0


def test_cut_down_copy_links_by_containment() -> None:
    cut = SEED[:2]  # 40% of the paragraphs
    verdict = verify(features(cut), features(SEED), DEFAULT_THRESHOLDS)
    assert verdict.score.jaccard < DEFAULT_THRESHOLDS.near_duplicate_jaccard
    assert verdict.linked and verdict.rule == "contained"


def test_first_paragraph_excerpt_links_by_lead() -> None:
    verdict = verify(features(SEED[:1]), features(SEED), DEFAULT_THRESHOLDS)
    assert verdict.linked and verdict.rule == "contained_lead"


def test_shared_quotation_alone_does_not_link() -> None:
    quote = SEED[3]  # one long paragraph quoted by another story
    other = [
        "Le gouvernement malien a annoncé mardi un nouveau calendrier électoral, "
        "repoussant de plusieurs mois le scrutin présidentiel attendu par la Cédéao.",
        quote,
        "A Bamako, les partis d'opposition ont dénoncé une décision unilatérale et "
        "appelé à une journée de mobilisation dans la capitale samedi prochain.",
    ]
    verdict = verify(features(other), features(SEED), DEFAULT_THRESHOLDS)
    assert not verdict.linked
    assert verdict.score.covered_paragraphs == 1


def test_short_texts_are_not_judged_by_overlap() -> None:
    brief_a = ["Le match Bamako-Ségou est reporté à une date ultérieure, a annoncé la ligue."]
    brief_b = ["Le match Kayes-Sikasso est reporté à une date ultérieure, a annoncé la ligue."]
    assert not verify(features(brief_a), features(brief_b), DEFAULT_THRESHOLDS).linked


def test_boilerplate_paragraph_does_not_count() -> None:
    pitch = (
        "Abonnez-vous à notre newsletter quotidienne pour recevoir chaque matin "
        "l'essentiel de l'actualité, nos enquêtes exclusives et nos analyses."
    )
    story_a = [SEED[0], pitch, pitch + " Offre spéciale."]
    from ingestd.fingerprint.shingles import paragraph_key

    story_b = [
        "Un tout autre article parle de la saison des pluies au Sahel et des récoltes.",
        pitch,
        pitch + " Offre spéciale.",
    ]
    known = frozenset({paragraph_key(pitch), paragraph_key(pitch + " Offre spéciale.")})
    assert not verify(features(story_a, known), features(story_b, known), DEFAULT_THRESHOLDS).linked


def member(
    article_id: int,
    outlet: str,
    domain: str,
    role: OutletRole | None,
    hours: float,
    words: int = 500,
    credits: tuple[Credit, ...] = (),
) -> MemberFacts:
    seen = T0 + timedelta(hours=hours)
    return MemberFacts(
        article_id,
        f"https://{domain}/{article_id}",
        outlet,
        domain,
        role,
        seen,
        seen,
        words,
        credits,
    )


LEMONDE_CREDIT = Credit("bare_domain", "lemonde.fr", "lemonde.fr", "Le Monde", "lemonde.fr")


def test_origin_from_attribution_even_when_copy_is_earlier() -> None:
    copy = member(1, "Meguetan Infos", "meguetaninfos.com", None, 0, credits=(LEMONDE_CREDIT,))
    original = member(2, "Le Monde", "lemonde.fr", None, 5)
    decision = choose_origin([copy, original])
    assert decision.origin_article_id == 2
    assert decision.reason == "attribution"
    assert decision.evidence[0]["phrase"] == "lemonde.fr"


def test_attributed_origin_recorded_before_it_is_ingested() -> None:
    copy = member(1, "Meguetan Infos", "meguetaninfos.com", None, 0, credits=(LEMONDE_CREDIT,))
    decision = choose_origin([copy])
    assert decision.origin_article_id is None
    assert decision.attributed and decision.origin_outlet == "Le Monde"
    [link] = build_chain([copy], decision, {})
    assert link.role == "copy" and link.derived_from is None


def test_canonical_beats_attribution() -> None:
    canonical = Credit("canonical", "https://b.example/x", "b.example", "B", "b.example")
    credit = Credit("source", "Source : C", "c.example", "C", "C")
    a = member(1, "A", "a.example", None, 0, credits=(canonical,))
    b = member(2, "B", "b.example", None, 1)
    c = member(3, "C", "c.example", None, 2)
    d = member(4, "D", "d.example", None, 3, credits=(credit,))
    assert choose_origin([a, b, c, d]).origin_article_id == 2


def test_wire_role_beats_time_without_evidence() -> None:
    early = member(1, "Paper", "paper.example", OutletRole.ORIGINAL, 0)
    wire = member(2, "AFP", "afp.com", OutletRole.WIRE, 3)
    decision = choose_origin([early, wire])
    assert decision.origin_article_id == 2 and decision.reason == "role"


def test_earliest_then_fuller_text() -> None:
    a = member(1, "A", "a.example", None, 2)
    b = member(2, "B", "b.example", None, 1)
    assert choose_origin([a, b]).origin_article_id == 2
    c = member(3, "C", "c.example", None, 1, words=900)
    assert choose_origin([a, b, c]).origin_article_id == 3


def test_origin_is_independent_of_member_order() -> None:
    members = [
        member(i, f"O{i}", f"o{i}.example", None, hours)
        for i, hours in [(1, 3), (2, 1), (3, 1), (4, 5)]
    ]
    first = choose_origin(members)
    assert first == choose_origin(list(reversed(members)))


def test_copy_of_copy_points_at_the_copy() -> None:
    origin = member(1, "A", "a.example", OutletRole.ORIGINAL, 0, words=800)
    cut = member(2, "B", "b.example", OutletRole.AGGREGATOR, 1, words=400)
    second = member(3, "C", "c.example", OutletRole.AGGREGATOR, 2, words=380)
    edges = {
        (1, 2): EdgeScore(jaccard=0.5, containment_first=0.5, containment_second=1.0),
        (1, 3): EdgeScore(jaccard=0.45, containment_first=0.45, containment_second=0.95),
        (2, 3): EdgeScore(jaccard=0.95, containment_first=0.95, containment_second=1.0),
    }
    decision = choose_origin([origin, cut, second])
    chain = {link.article_id: link for link in build_chain([origin, cut, second], decision, edges)}
    assert chain[1].role == "origin"
    assert chain[2].derived_from == 1
    assert chain[3].derived_from == 2
    assert chain[3].similarity == pytest.approx(1.0)
    assert chain[3].evidence["via"] == "similarity"


def test_credit_decides_the_parent() -> None:
    origin = member(1, "A", "a.example", None, 0)
    b = member(2, "B", "b.example", None, 1)
    credit = Credit("source", "Source : A", "a.example", "A", "A")
    c = member(3, "C", "c.example", None, 2, credits=(credit,))
    # C holds about as much of A as of B: its credit decides.
    edges = {(2, 3): EdgeScore(0.99, 0.99, 0.99), (1, 3): EdgeScore(0.97, 0.98, 0.98)}
    chain = {
        link.article_id: link
        for link in build_chain([origin, b, c], choose_origin([origin, b, c]), edges)
    }
    assert chain[3].derived_from == 1 and chain[3].evidence["via"] == "credit"


def test_carried_changes_beat_a_kept_credit_of_the_origin() -> None:
    # C kept B's "Source : A" line, but its text carries B's own edits and
    # inserted lines (C holds all of B, only 90 % of A): C was copied from B.
    origin = member(1, "A", "a.example", None, 0)
    credit = Credit("source", "Source : A", "a.example", "A", "A")
    b = member(2, "B", "b.example", None, 1, credits=(credit,))
    c = member(3, "C", "c.example", None, 2, credits=(credit,))
    edges = {
        (1, 2): EdgeScore(0.88, 0.9, 0.9),
        (2, 3): EdgeScore(1.0, 1.0, 1.0),
        (1, 3): EdgeScore(0.88, 0.9, 0.9),
    }
    chain = {
        link.article_id: link
        for link in build_chain([origin, b, c], choose_origin([origin, b, c]), edges)
    }
    assert chain[2].derived_from == 1 and chain[2].evidence["via"] == "credit"
    assert chain[3].derived_from == 2 and chain[3].evidence["via"] == "carried_changes"


def test_equally_good_sources_give_the_origin() -> None:
    # Two copies of A with the same text and no credit: the later one holds
    # B as well as A (B has a higher Jaccard with it), but shows no change of
    # B's own: it comes from A.
    origin = member(1, "A", "a.example", None, 0, words=800)
    b = member(2, "B", "b.example", None, 1, words=400)
    c = member(3, "C", "c.example", None, 2, words=400)
    edges = {
        (1, 2): EdgeScore(0.5, 0.5, 1.0),
        (1, 3): EdgeScore(0.5, 0.5, 1.0),
        (2, 3): EdgeScore(1.0, 1.0, 1.0),
    }
    chain = {
        link.article_id: link
        for link in build_chain([origin, b, c], choose_origin([origin, b, c]), edges)
    }
    assert chain[3].derived_from == 1


def test_headlines_bylines_and_date_lines_do_not_count() -> None:
    from ingestd.match.features import is_prose

    assert not is_prose("Publié par La rédaction · Publié le 2 mars 2026 à 22h55")
    assert not is_prose("Business")
    assert is_prose("Il a été libéré sous caution.")
    body = (
        "Bristol City beat Millwall 2-1 at Ashton Gate on Saturday in the Championship. "
        "City led through a first-half header before Millwall equalised from the penalty "
        "spot on 58 minutes."
    )
    original = [
        "Sport",
        "Bristol City 2-1 Millwall: late winner keeps hopes alive",
        body,
        "Want more news from Bristol? Sign up to our free daily newsletter and get "
        "the biggest stories sent straight to your inbox every morning at 7am.",
    ]
    copy = [
        "March 7, 2026 6:24 PM UTC | Digest Staff | Sport",
        body,
        "Daily News Digest brings you the most important stories from trusted sources "
        "around the world, updated around the clock, so you never miss a story.",
    ]
    verdict = verify(features(copy), features(original), DEFAULT_THRESHOLDS)
    assert verdict.linked and verdict.rule == "contained_lead"
