"""The copy view's computation: the matcher's verdict, paragraph and word marks."""

from __future__ import annotations

from ingestd.fingerprint.params import DEFAULT_PARAMS
from ingestd.match.attribution import KnownOutlet, find_attributions
from ingestd.match.features import build_features
from ingestd.match.thresholds import DEFAULT_THRESHOLDS
from ingestd.match.verify import verify
from ingestd.serve.compare import Side, compare, paragraph_keys, side
from ingestd.text.normalize import split_paragraphs

KNOWN = [KnownOutlet("Le Monde", "lemonde.fr"), KnownOutlet("Copieur", "copieur.example")]
P1 = (
    "Des représentants des trente pays membres de l’Alliance atlantique se sont réunis mercredi"
    " à Bruxelles, avec des émissaires de Moscou, pour une longue séance de travail."
)
P2 = (
    "« Les divergences seront difficiles à surmonter », reconnaissait le secrétaire général après"
    " la rencontre, provoquée par la montée constante des tensions autour de l’Ukraine."
)
P3 = (
    "Le négociateur russe a jugé ces divergences fondamentales, mais la diplomatie russe avait"
    " préalablement fait état d’attentes mesurées, fidèle à son antienne habituelle."
)
P4 = (
    "Mercredi, lors d’un point à la presse, le vice-ministre a parlé d’un échange franc et clair,"
    " sans mentionner d’avancées, et a exposé longuement la position de Moscou."
)
ORIGINAL = "\n".join([P1, P2, P3, P4])


def make(article_id: int, outlet: str, domain: str, text: str) -> Side:
    return side(article_id, outlet, domain, text, dict.fromkeys(paragraph_keys(text), 1))


def test_an_exact_copy_is_all_reproduced_and_its_credit_left_out() -> None:
    copy = make(2, "Copieur", "copieur.example", ORIGINAL + "\nlemonde.fr")
    view = compare(copy, make(1, "Le Monde", "lemonde.fr", ORIGINAL), KNOWN)
    assert view.linked and view.rule == "exact" and view.jaccard == 1.0
    assert view.counts() == {"copy.same": 4, "source.same": 4, "copy.excluded": 1}
    credit = view.rows[-1].copy
    assert credit is not None and credit.kind == "credit" and view.rows[-1].source is None
    assert [c.phrase for c in view.copy_credits] == ["lemonde.fr"]
    for row in view.rows[:4]:
        assert row.copy is not None and row.source is not None
        assert all(span.shared for span in row.copy.spans)


def test_the_verdict_is_the_matchers_own() -> None:
    copy_text = "\n".join([P1, P2.replace("difficiles", "très dures"), "Un ajout du copieur."])
    copy = make(2, "Copieur", "copieur.example", copy_text)
    source = make(1, "Le Monde", "lemonde.fr", ORIGINAL)
    view = compare(copy, source, KNOWN)

    def features(text: str, domain: str) -> object:
        paragraphs = split_paragraphs(text)
        found = find_attributions(paragraphs, KNOWN, own_domain=domain)
        return build_features(
            paragraphs,
            boilerplate=(),
            credit_paragraphs={a.paragraph_index for a in found if a.whole_paragraph},
            params=DEFAULT_PARAMS,
            thresholds=DEFAULT_THRESHOLDS,
        )

    verdict = verify(
        features(copy_text, "copieur.example"),  # type: ignore[arg-type]
        features(ORIGINAL, "lemonde.fr"),  # type: ignore[arg-type]
        DEFAULT_THRESHOLDS,
    )
    assert (view.rule, view.linked, view.shared) == (
        verdict.rule,
        verdict.linked,
        verdict.score.shared,
    )
    assert view.jaccard == round(verdict.score.jaccard, 4)


def test_cut_edited_and_added_paragraphs_are_marked() -> None:
    edited = P2.replace("difficiles", "très dures")
    copy_text = "\n".join([P1, edited, "Un paragraphe que le copieur a ajouté de lui-même ici."])
    view = compare(
        make(2, "Copieur", "copieur.example", copy_text),
        make(1, "Le Monde", "lemonde.fr", ORIGINAL),
        KNOWN,
    )
    statuses = [
        (r.copy.status if r.copy else None, r.source.status if r.source else None)
        for r in view.rows
    ]
    assert statuses[0] == ("same", "same")
    assert statuses[1] == ("edited", "edited")
    assert ("added", None) in statuses
    assert statuses.count((None, "cut")) == 2  # P3 and P4 dropped
    row = view.rows[1]
    assert row.copy is not None
    changed = "".join(s.text for s in row.copy.spans if s.shared is False)
    assert "très dures" in changed
    assert "surmonter" in "".join(s.text for s in row.copy.spans if s.shared)
    # Spans are the paragraph's text, cut in runs, nothing lost or added.
    assert "".join(s.text for s in row.copy.spans) == edited
    # Leading punctuation goes with the word after it.
    assert row.copy.spans[0].text.startswith("« Les")


def test_boilerplate_is_shown_and_not_compared() -> None:
    pitch = "Abonnez-vous à notre lettre quotidienne pour ne rien manquer de l’actualité."
    copy_text = "\n".join([P1, P2, P3, pitch])
    counts = dict.fromkeys(paragraph_keys(copy_text), 1)
    counts[paragraph_keys(pitch)[0]] = 40  # seen in 40 of the copier's articles
    copy = side(2, "Copieur", "copieur.example", copy_text, counts)
    view = compare(copy, make(1, "Le Monde", "lemonde.fr", ORIGINAL), KNOWN)
    kinds = [r.copy.kind for r in view.rows if r.copy is not None]
    assert kinds == ["content", "content", "content", "boilerplate"]
    assert view.linked
