"""Tests for the credit-line parser (ingestd.match.attribution)."""

from __future__ import annotations

import pytest

from ingestd.match.attribution import (
    WIRE_AGENCIES,
    Attribution,
    KnownOutlet,
    find_attributions,
)

LE_MONDE = KnownOutlet("Le Monde", "lemonde.fr")
OUTLETS = (
    LE_MONDE,
    KnownOutlet("Reuters", "reuters.com"),
    KnownOutlet("The Guardian", "theguardian.com"),
    KnownOutlet("Meguetan Infos", "meguetaninfos.com"),
    KnownOutlet("Le Figaro", "lefigaro.fr", ("Figaro.fr",)),
)

BODY = (
    "Des représentants des trente pays membres se sont réunis mercredi à Bruxelles.",
    "Les négociateurs des deux parties en convenaient : le fossé est resté béant.",
    "« Les divergences seront difficiles à surmonter », reconnaissait le secrétaire général.",
    "Le vice-ministre a parlé d’un échange « franc et clair comme jamais ».",
)

# The seed case (/work/shared/seeds/000_c9d120b701e408d8.txt): Meguetan Infos
# reposting a Le Monde article, ending with a bare attribution line.
SEED = (
    (
        "La Russie et l’OTAN constatent leurs désaccords, sans exclure de poursuivre leurs "
        "discussions"
    ),
    "Meguetan Infos",
    (
        "Des représentants des trente pays membres de l’Alliance atlantique se sont réunis "
        "mercredi 12 janvier, à Bruxelles, avec des émissaires de Moscou. Si les alliés "
        "occidentaux ont rejeté la demande du Kremlin d’un arrêt de l’élargissement de leur "
        "organisation, les deux parties ont su éviter que leurs discussions ne débouchent sur"
        " une rupture."
    ),
    (
        "Il fallait le chercher avec attention, mais il y a bien eu « un signal positif », "
        "selon la formule du secrétaire général de l’Alliance atlantique, lors du Conseil "
        "OTAN-Russie qui s’est tenu mercredi 12 janvier à Bruxelles. Ce « signal » vanté par "
        "Jens Stoltenberg est qu’une discussion a eu lieu, puisque cette instance s’est "
        "réunie – pour la première fois depuis juillet 2019 –, et que celle-ci n’a pas "
        "débouché sur une rupture."
    ),
    (
        "Pour le reste, les négociateurs des deux parties en convenaient, le fossé est resté "
        "béant entre les positions des trente alliés et leur interlocuteur russe, tant sur un"
        " éventuel arrêt de l’élargissement de l’Alliance atlantique que sur l’exigence d’un "
        "retrait des forces de l’OTAN du territoire des pays y ayant adhéré après 1997 – soit"
        " onze Etats au total, devenus membres entre 1999 et 2017."
    ),
    (
        "« Les divergences seront difficiles à surmonter », reconnaissait M. Stoltenberg "
        "après la rencontre, provoquée par la montée constante des tensions autour de "
        "l’Ukraine et l’initiative russe en faveur d’une refonte de l’ordre de sécurité "
        "européen. L’un des deux principaux négociateurs russes, Alexandre Grouchko, "
        "vice-ministre des affaires étrangères, a jugé ces divergences « fondamentales ». "
        "Mais la diplomatie russe avait préalablement fait état d’attentes mesurées, fidèle à"
        " son antienne qui veut que l’unique décideur, dans les affaires des Européens, se "
        "trouve à Washington."
    ),
    (
        "Mercredi, lors d’un point à la presse, M. Grouchko a parlé d’un échange « franc et "
        "clair comme jamais », mais sans mentionner d’avancées. Il a longuement exposé les "
        "fondements de la position de Moscou, née en réaction à la politique « d’endiguement "
        "» de la Russie menée, selon lui, par l’OTAN."
    ),
    "lemonde.fr",
)


def credits_at_end(last: str, **kwargs: str) -> tuple[Attribution, ...]:
    """Credits of a text made of the body then ``last``."""
    return find_attributions([*BODY, last], OUTLETS, **kwargs)


def only(found: tuple[Attribution, ...]) -> Attribution:
    assert len(found) == 1, found
    return found[0]


def test_seed_last_line_names_le_monde() -> None:
    found = find_attributions(SEED, OUTLETS)

    assert found == (
        Attribution(
            phrase="lemonde.fr",
            kind="bare_domain",
            outlet_name="Le Monde",
            domain="lemonde.fr",
            named="lemonde.fr",
            paragraph_index=len(SEED) - 1,
            whole_paragraph=True,
        ),
    )


def test_seed_credit_is_suppressed_on_le_mondes_own_copy() -> None:
    assert find_attributions(SEED, OUTLETS, own_domain="lemonde.fr") == ()


def test_seed_repost_keeps_the_credit_when_own_domain_is_the_reposter() -> None:
    found = find_attributions(SEED, OUTLETS, own_domain="meguetaninfos.com")

    assert [(a.outlet_name, a.kind) for a in found] == [("Le Monde", "bare_domain")]


# (credit line, kind, named, outlet_name, domain, phrase)
CREDIT_FORMS = [
    ("lemonde.fr", "bare_domain", "lemonde.fr", "Le Monde", "lemonde.fr", "lemonde.fr"),
    ("www.lemonde.fr", "bare_domain", "www.lemonde.fr", "Le Monde", "lemonde.fr", "www.lemonde.fr"),
    (
        "https://www.lemonde.fr/international/article/2022/01/12/otan-russie.html",
        "bare_domain",
        "www.lemonde.fr",
        "Le Monde",
        "lemonde.fr",
        "https://www.lemonde.fr/international/article/2022/01/12/otan-russie.html",
    ),
    (
        "lemonde.fr/international/article/x.html",
        "bare_domain",
        "lemonde.fr",
        "Le Monde",
        "lemonde.fr",
        "lemonde.fr/international/article/x.html",
    ),
    ("LeMonde.fr.", "bare_domain", "LeMonde.fr", "Le Monde", "lemonde.fr", "LeMonde.fr"),
    ("Source : Le Monde", "source", "Le Monde", "Le Monde", "lemonde.fr", "Source : Le Monde"),
    ("Source: lemonde.fr", "source", "lemonde.fr", "Le Monde", "lemonde.fr", "Source: lemonde.fr"),
    ("Source : AFP.", "source", "AFP", None, "afp.com", "Source : AFP"),
    ("Avec AFP", "with", "AFP", None, "afp.com", "Avec AFP"),
    ("avec Reuters", "with", "Reuters", "Reuters", "reuters.com", "avec Reuters"),
    ("(avec AFP)", "with", "AFP", None, "afp.com", "avec AFP"),
    ("(AFP)", "wire_credit", "AFP", None, "afp.com", "(AFP)"),
    ("(Reuters)", "wire_credit", "Reuters", "Reuters", "reuters.com", "(Reuters)"),
    ("– AFP", "wire_credit", "AFP", None, "afp.com", "– AFP"),
    ("© AFP", "copyright", "AFP", None, "afp.com", "© AFP"),
    ("© Le Monde 2026", "copyright", "Le Monde", "Le Monde", "lemonde.fr", "© Le Monde 2026"),
    ("Copyright AFP", "copyright", "AFP", None, "afp.com", "Copyright AFP"),
    (
        "Copyright © 2026 Reuters. All rights reserved.",
        "copyright",
        "Reuters",
        "Reuters",
        "reuters.com",
        "Copyright © 2026 Reuters",
    ),
    (
        "Read more at lemonde.fr",
        "read_more",
        "lemonde.fr",
        "Le Monde",
        "lemonde.fr",
        "Read more at lemonde.fr",
    ),
    (
        "Read the full story at The Guardian",
        "read_more",
        "The Guardian",
        "The Guardian",
        "theguardian.com",
        "Read the full story at The Guardian",
    ),
    (
        "Lire la suite sur lemonde.fr",
        "read_more",
        "lemonde.fr",
        "Le Monde",
        "lemonde.fr",
        "Lire la suite sur lemonde.fr",
    ),
    (
        "Lire l'article complet sur Le Figaro",
        "read_more",
        "Le Figaro",
        "Le Figaro",
        "lefigaro.fr",
        "Lire l'article complet sur Le Figaro",
    ),
    (
        "Cet article est paru dans Le Monde",
        "first_appeared",
        "Le Monde",
        "Le Monde",
        "lemonde.fr",
        "Cet article est paru dans Le Monde",
    ),
    (
        "Cet article a été publié initialement par Le Monde le 12 janvier 2022.",
        "first_appeared",
        "Le Monde",
        "Le Monde",
        "lemonde.fr",
        "Cet article a été publié initialement par Le Monde le 12 janvier 2022",
    ),
    (
        "This article first appeared on theguardian.com",
        "first_appeared",
        "theguardian.com",
        "The Guardian",
        "theguardian.com",
        "This article first appeared on theguardian.com",
    ),
    (
        "This article first appeared in The Guardian and is republished with permission.",
        "first_appeared",
        "The Guardian",
        "The Guardian",
        "theguardian.com",
        "This article first appeared in The Guardian and is republished with permission",
    ),
    (
        "Originally published by Reuters",
        "first_appeared",
        "Reuters",
        "Reuters",
        "reuters.com",
        "Originally published by Reuters",
    ),
    (
        "Originally published at www.lemonde.fr",
        "first_appeared",
        "www.lemonde.fr",
        "Le Monde",
        "lemonde.fr",
        "Originally published at www.lemonde.fr",
    ),
    (
        "Republished from lemonde.fr",
        "first_appeared",
        "lemonde.fr",
        "Le Monde",
        "lemonde.fr",
        "Republished from lemonde.fr",
    ),
    ("Via AFP", "source", "AFP", None, "afp.com", "Via AFP"),
    ("Via lemonde.fr", "source", "lemonde.fr", "Le Monde", "lemonde.fr", "Via lemonde.fr"),
]


@pytest.mark.parametrize(
    ("line", "kind", "named", "outlet_name", "domain", "phrase"),
    CREDIT_FORMS,
    ids=[form[0] for form in CREDIT_FORMS],
)
def test_credit_form_on_its_own_last_paragraph(
    line: str, kind: str, named: str, outlet_name: str | None, domain: str, phrase: str
) -> None:
    found = only(credits_at_end(line))

    assert found == Attribution(
        phrase=phrase,
        kind=kind,  # type: ignore[arg-type]
        outlet_name=outlet_name,
        domain=domain,
        named=named,
        paragraph_index=len(BODY),
        whole_paragraph=True,
    )


@pytest.mark.parametrize(
    ("first", "phrase", "named", "outlet_name", "domain"),
    [
        ("PARIS (AFP) - Le président a parlé mercredi.", "PARIS (AFP)", "AFP", None, "afp.com"),
        (
            "LONDON (Reuters) – The minister said on Wednesday.",
            "LONDON (Reuters)",
            "Reuters",
            "Reuters",
            "reuters.com",
        ),
        (
            "Bamako, 12 janv. (AFP) — Le gouvernement de transition a réagi.",
            "Bamako, 12 janv. (AFP)",
            "AFP",
            None,
            "afp.com",
        ),
        (
            "NEW YORK, Jan 12 (AP) — Stocks fell.",
            "NEW YORK, Jan 12 (AP)",
            "AP",
            None,
            "apnews.com",
        ),
    ],
)
def test_dateline_at_start_of_first_paragraph(
    first: str, phrase: str, named: str, outlet_name: str | None, domain: str
) -> None:
    found = only(find_attributions([first, *BODY], OUTLETS))

    assert (found.kind, found.phrase, found.named) == ("dateline", phrase, named)
    assert (found.outlet_name, found.domain) == (outlet_name, domain)
    assert found.paragraph_index == 0
    assert not found.whole_paragraph


def test_dateline_needs_a_known_agency_in_brackets() -> None:
    assert find_attributions(["Bamako (Mali) - Le gouvernement a réagi.", *BODY], OUTLETS) == ()


def test_dateline_is_read_in_the_second_paragraph_too() -> None:
    found = only(find_attributions(["Un titre", "PARIS (AFP) - Texte.", *BODY], OUTLETS))

    assert (found.kind, found.paragraph_index) == ("dateline", 1)


def test_le_monde_with_afp_credits_both_in_order() -> None:
    found = find_attributions(["Le Monde avec AFP", *BODY], OUTLETS)

    assert [(a.kind, a.named, a.outlet_name, a.domain) for a in found] == [
        ("with", "Le Monde", "Le Monde", "lemonde.fr"),
        ("with", "AFP", None, "afp.com"),
    ]
    assert all(a.phrase == "Le Monde avec AFP" and a.whole_paragraph for a in found)


@pytest.mark.parametrize(
    "line",
    [
        "Sources : AFP, Reuters",
        "Sources : AFP et Reuters",
        "Sources: AFP/Reuters",
        "(AFP, Reuters)",
    ],
)
def test_list_of_sources_gives_one_attribution_each(line: str) -> None:
    found = credits_at_end(line)

    assert [(a.named, a.domain, a.outlet_name) for a in found] == [
        ("AFP", "afp.com", None),
        ("Reuters", "reuters.com", "Reuters"),
    ]
    assert {a.phrase for a in found} == {line}
    assert all(a.whole_paragraph for a in found)


# Typography, case and accents: every variant must read like the plain form.
TYPOGRAPHY_VARIANTS = [
    ("Source\u00a0: Le Monde", "source"),  # NBSP before the colon
    ("Source\u202f: Le Monde", "source"),  # narrow NBSP
    ("Source :Le Monde", "source"),
    ("SOURCE : LE MONDE", "source"),
    ("source : le monde", "source"),
    ("Source\u00a0: «\u00a0Le Monde\u00a0»", "source"),
    ("Source : « Le Monde ».", "source"),
    ("Lire l’article complet sur lemonde.fr", "read_more"),  # typographic apostrophe
    ("LIRE LA SUITE SUR LEMONDE.FR", "read_more"),
    ("Cet article a ete publie initialement par Le Monde", "first_appeared"),  # no accents
    ("CET ARTICLE A ÉTÉ PUBLIÉ INITIALEMENT PAR LE MONDE", "first_appeared"),
    ("Cet article a d’abord été publié dans Le Monde", "first_appeared"),
    ("— Le Monde", "wire_credit"),  # em dash
    ("- Le Monde", "wire_credit"),
    ("© LE MONDE", "copyright"),
    ("Le Monde\u00a0avec\u00a0AFP", "with"),
    ("WWW.LEMONDE.FR", "bare_domain"),
    ("« lemonde.fr »", "bare_domain"),
]


@pytest.mark.parametrize(("line", "kind"), TYPOGRAPHY_VARIANTS)
def test_typography_case_and_accent_variants(line: str, kind: str) -> None:
    found = credits_at_end(line)

    assert found, line
    assert found[0].kind == kind
    assert (found[0].outlet_name, found[0].domain) == ("Le Monde", "lemonde.fr")
    assert found[0].phrase in line


def test_phrase_and_named_are_cut_from_the_original_text() -> None:
    found = only(credits_at_end("Cet article a été publié dans « Le Figaro »."))

    assert found.phrase == "Cet article a été publié dans « Le Figaro »"
    assert found.named == "Le Figaro"


def test_alias_and_agency_full_names_resolve() -> None:
    assert only(credits_at_end("Source : Agence France-Presse")).domain == "afp.com"
    assert only(credits_at_end("Source : The Associated Press")).domain == "apnews.com"
    assert only(credits_at_end("Source : Figaro.fr")).outlet_name == "Le Figaro"


@pytest.mark.parametrize("agency", WIRE_AGENCIES, ids=lambda a: a.name)
def test_every_wire_agency_resolves_by_name_when_not_configured(agency: KnownOutlet) -> None:
    found = only(find_attributions([*BODY, f"({agency.name})"], []))

    assert (found.domain, found.outlet_name, found.named) == (agency.domain, None, agency.name)


def test_configured_outlet_lends_its_name_to_a_wire_agency() -> None:
    outlets = [KnownOutlet("Agence France-Presse", "afp.com")]

    found = only(find_attributions([*BODY, "(AFP)"], outlets))

    assert (found.outlet_name, found.domain, found.named) == (
        "Agence France-Presse",
        "afp.com",
        "AFP",
    )


def test_subdomain_resolves_to_the_registrable_domain() -> None:
    found = only(credits_at_end("Source : international.lemonde.fr"))

    assert (found.outlet_name, found.domain, found.named) == (
        "Le Monde",
        "lemonde.fr",
        "international.lemonde.fr",
    )


def test_configured_domain_with_www_still_matches() -> None:
    outlets = [KnownOutlet("Le Monde", "www.lemonde.fr")]

    found = only(find_attributions([*BODY, "lemonde.fr"], outlets))

    assert (found.outlet_name, found.domain) == ("Le Monde", "lemonde.fr")


def test_unknown_domain_keeps_the_domain() -> None:
    found = only(credits_at_end("Lire la suite sur www.example.org/article/1"))

    assert (found.outlet_name, found.domain, found.named) == (
        None,
        "example.org",
        "www.example.org",
    )


def test_domain_is_not_matched_by_suffix_of_a_longer_name() -> None:
    found = only(credits_at_end("notlemonde.fr"))

    assert (found.outlet_name, found.domain) == (None, "notlemonde.fr")


def test_unknown_name_keeps_only_the_name() -> None:
    found = only(credits_at_end("Source : Bamada Express"))

    assert (found.kind, found.outlet_name, found.domain, found.named) == (
        "source",
        None,
        None,
        "Bamada Express",
    )


def test_part_of_a_name_does_not_resolve() -> None:
    # "Monde" alone is a common noun: it must not be taken for "Le Monde".
    found = only(credits_at_end("Source : Monde"))

    assert (found.outlet_name, found.domain, found.named) == (None, None, "Monde")


def test_leading_article_may_be_dropped_from_the_written_name() -> None:
    outlets = [KnownOutlet("Guardian", "theguardian.com")]

    found = only(find_attributions([*BODY, "Source : The Guardian"], outlets))

    assert found.outlet_name == "Guardian"


def test_own_domain_suppresses_own_credits_only() -> None:
    paragraphs = ["Le Monde avec AFP", *BODY, "© Le Monde 2026"]

    found = find_attributions(paragraphs, OUTLETS, own_domain="www.lemonde.fr")

    assert [(a.named, a.paragraph_index, a.whole_paragraph) for a in found] == [("AFP", 0, True)]


def test_own_domain_covers_subdomains() -> None:
    assert credits_at_end("Source : blog.lemonde.fr", own_domain="lemonde.fr") == ()


def test_several_credits_come_in_text_order() -> None:
    paragraphs = [
        "PARIS (AFP) - Le président a parlé.",
        *BODY,
        "Lire la suite sur lemonde.fr. Source : Reuters",
        "© Le Monde 2026. Tous droits réservés.",
        "",
        "lemonde.fr",
    ]

    found = find_attributions(paragraphs, OUTLETS)

    assert [(a.paragraph_index, a.kind, a.named, a.whole_paragraph) for a in found] == [
        (0, "dateline", "AFP", False),
        (5, "read_more", "lemonde.fr", True),
        (5, "source", "Reuters", True),
        (6, "copyright", "Le Monde", True),
        (8, "bare_domain", "lemonde.fr", True),
    ]


def test_credit_inside_a_sentence_paragraph_is_not_whole() -> None:
    found = only(credits_at_end("Le sommet reprendra en mars, a-t-il conclu. Source : AFP"))

    assert (found.phrase, found.whole_paragraph) == ("Source : AFP", False)


def test_only_the_edges_are_read() -> None:
    middle = "Le ministre a confirmé la rencontre (AFP) mercredi soir."
    paragraphs = [*BODY, middle, *BODY]
    assert len(paragraphs) == 9

    assert find_attributions(paragraphs, OUTLETS) == ()
    # The same sentence in the last paragraphs is read.
    assert only(find_attributions([*BODY, *BODY, middle], OUTLETS)).kind == "wire_credit"


def test_blank_paragraphs_do_not_push_credits_out_of_the_window() -> None:
    found = only(find_attributions([*BODY, *BODY, "Source : AFP", "", "  ", ""], OUTLETS))

    assert found.paragraph_index == 8


def test_short_texts_are_read_whole_and_empty_texts_give_nothing() -> None:
    assert only(find_attributions(["lemonde.fr"], OUTLETS)).paragraph_index == 0
    assert find_attributions([], OUTLETS) == ()
    assert find_attributions(["", " "], OUTLETS) == ()


FALSE_POSITIVES = [
    "Source: a government spokesperson",
    "Source : un porte-parole du gouvernement malien, qui a requis l’anonymat",
    "Source : le ministère de l’Intérieur",
    "Photo : AFP",
    "Photo (AFP)",
    "Photo © AFP",
    "Crédit photo : Reuters",
    "© AFP/Getty Images",
    "© AFP PHOTO",
    "Contact : redaction@lemonde.fr",
    "redaction@lemonde.fr",
    "Source : redaction@lemonde.fr",
    "« C’est une étape », a déclaré au Monde le ministre, joint mercredi soir.",
    "Le ministre a longuement parlé avec Reuters de la situation.",
    "Par Jean Dupont avec AFP",
    "Un porte-parole a confirmé à l’Agence France-Presse (AFP) la tenue du sommet.",
    "Read more on Ukraine",
    "Read more: NATO and Russia",
    "Lire aussi : la Russie et l’OTAN",
    "Via les réseaux sociaux, le ministre a répondu.",
    "Avec l’OTAN, la Russie a maintenu le dialogue.",
    "This article first appeared on our partner’s website",
    "https://twitter.com/lemondefr/status/1",
    "l’Organisation du traité de l’Atlantique nord (OTAN) s’est réunie.",
    "Le Monde",
]


@pytest.mark.parametrize("line", FALSE_POSITIVES)
def test_false_positive_gives_nothing(line: str) -> None:
    assert credits_at_end(line) == ()


def test_false_positive_in_a_title_gives_nothing() -> None:
    title = "With Ukraine In Focus, NATO Meets Russia"
    assert find_attributions([title, *BODY], OUTLETS) == ()


def test_result_does_not_depend_on_outlet_order_or_repetition() -> None:
    paragraphs = ["PARIS (AFP) - Texte.", *BODY, "Sources : Le Monde, Reuters"]

    first = find_attributions(paragraphs, OUTLETS)

    assert find_attributions(paragraphs, tuple(reversed(OUTLETS))) == first
    assert find_attributions(paragraphs, list(OUTLETS)) == first
    assert len(first) == 3


def test_outlets_with_list_aliases_are_accepted() -> None:
    outlet = KnownOutlet("Meguetan Infos", "meguetaninfos.com", ["Meguetan"])  # type: ignore[arg-type]

    found = only(find_attributions([*BODY, "Source : Meguetan"], [outlet]))

    assert found.outlet_name == "Meguetan Infos"
