"""Credit lines in other languages, built-in agencies, and links that are no credit."""

from __future__ import annotations

import pytest

from ingestd.match.attribution import Attribution, KnownOutlet, find_attributions

OUTLETS = (
    KnownOutlet("Le Monde", "lemonde.fr"),
    KnownOutlet("人民日报", "people.com.cn"),
    KnownOutlet("El Diario Austral", "diarioaustral.cl"),
)
BODY = ["Un párrafo de cuerpo del artículo, con su texto.", "Otro párrafo del cuerpo, más largo."]

# (last paragraph, kind, agency or outlet name, domain)
TAIL_FORMS = [
    ("来源：新华社", "source", None, "xinhuanet.com"),
    ("来源：人民日报", "source", "人民日报", "people.com.cn"),
    ("出典：共同通信", "source", None, "kyodonews.jp"),
    ("（共同）", "wire_credit", None, "kyodonews.jp"),
    ("共同通信", "bare_name", None, "kyodonews.jp"),
    ("المصدر: وكالة الأناضول", "source", None, "aa.com.tr"),
    ("المصدر: رويترز", "source", None, "reuters.com"),
    ("Источник: ТАСС", "source", None, "tass.ru"),
    ("Источник: РИА Новости", "source", None, "ria.ru"),
    ("Quelle: dpa", "source", None, "dpa.com"),
    ("(dpa)", "wire_credit", None, "dpa.com"),
    ("Fuente: EFE", "source", None, "efe.com"),
    ("Fonte: Agência Brasil", "source", None, "agenciabrasil.ebc.com.br"),
    ("Fuente: El Diario Austral", "source", "El Diario Austral", "diarioaustral.cl"),
    ("Kaynak: AA", "source", None, "aa.com.tr"),
    ("स्रोत: पीटीआई", "source", None, "ptinews.com"),
    ("ที่มา: รอยเตอร์ / Reuters", "source", None, "reuters.com"),
    ("Leer más en diarioaustral.cl", "read_more", "El Diario Austral", "diarioaustral.cl"),
    ("Weiterlesen auf lemonde.fr", "read_more", "Le Monde", "lemonde.fr"),
    ("Читать далее на lemonde.fr", "read_more", "Le Monde", "lemonde.fr"),
    ("阅读全文：people.com.cn", "read_more", "人民日报", "people.com.cn"),
    ("続きは lemonde.fr で", "read_more", "Le Monde", "lemonde.fr"),
    ("اقرأ المزيد على lemonde.fr", "read_more", "Le Monde", "lemonde.fr"),
]


@pytest.mark.parametrize(
    ("line", "kind", "outlet", "domain"), TAIL_FORMS, ids=[f[0] for f in TAIL_FORMS]
)
def test_credit_lines_in_other_languages(
    line: str, kind: str, outlet: str | None, domain: str
) -> None:
    found = find_attributions([*BODY, line], OUTLETS)
    assert [(a.kind, a.outlet_name, a.domain, a.whole_paragraph) for a in found] == [
        (kind, outlet, domain, True)
    ], found


# (first paragraph, kind, phrase, domain)
HEAD_FORMS = [
    ("据新华社报道，国务院三日召开常务会议。", "according_to", "据新华社报道", "xinhuanet.com"),
    (
        "新华社北京3月5日电（记者 张伟）国务院总理三日主持召开常务会议。",
        "dateline",
        "新华社北京3月5日电（记者 张伟）",
        "xinhuanet.com",
    ),
    (
        "【ワシントン共同】米政府は三日、新たな制裁を発表した。",
        "dateline",
        "【ワシントン共同】",
        "kyodonews.jp",
    ),
    (
        "共同通信によると、政府は三日、方針を固めた。",
        "according_to",
        "共同通信によると",
        "kyodonews.jp",
    ),
    ("МОСКВА, 5 марта. /ТАСС/. Правительство утвердило план.", "dateline", "/ТАСС/.", "tass.ru"),
    ("По данным ТАСС, правительство утвердило план.", "according_to", "По данным ТАСС,", "tass.ru"),
    (
        "Madrid, 5 mar (EFE).- El Gobierno aprobó el plan.",
        "dateline",
        "Madrid, 5 mar (EFE)",
        "efe.com",
    ),
    ("Según EFE, el Gobierno aprobó el plan.", "according_to", "Según EFE,", "efe.com"),
    (
        "Berlin (dpa) - Die Regierung hat den Plan beschlossen.",
        "dateline",
        "Berlin (dpa)",
        "dpa.com",
    ),
    (
        "Wie dpa berichtet, hat die Regierung den Plan beschlossen.",
        "according_to",
        "Wie dpa berichtet,",
        "dpa.com",
    ),
    ("القاهرة (رويترز) - أعلنت الحكومة خطة جديدة.", "dateline", "القاهرة (رويترز)", "reuters.com"),
    (
        "ذكرت وكالة الأناضول أن الحكومة أعلنت خطة.",
        "according_to",
        "ذكرت وكالة الأناضول أن ",
        "aa.com.tr",
    ),
    ("ANKARA (AA) - Hükümet yeni planı açıkladı.", "dateline", "ANKARA (AA)", "aa.com.tr"),
    (
        "AA'nın haberine göre hükümet yeni planı açıkladı.",
        "according_to",
        "AA'nın haberine göre",
        "aa.com.tr",
    ),
]


@pytest.mark.parametrize(
    ("first", "kind", "phrase", "domain"), HEAD_FORMS, ids=[f[0][:24] for f in HEAD_FORMS]
)
def test_head_credits_in_other_languages(first: str, kind: str, phrase: str, domain: str) -> None:
    found = find_attributions([first, *BODY], OUTLETS)
    assert [(a.kind, a.phrase, a.domain, a.whole_paragraph) for a in found] == [
        (kind, phrase, domain, False)
    ], found


NOT_CREDITS = [
    "据了解，国务院三日召开常务会议。",  # "it is understood": no outlet
    "关系者によると、政府は方針を固めた。",  # "according to people involved"
    "По данным министерства, план утвержден.",
    "Según el ministro, el plan fue aprobado.",
    "【速報】政府が方針",  # a "breaking" label, not an agency
    "https://amzn.to/3xYzAb9",  # a short link on its own line
    "https://www.amazon.fr/dp/B0C1234567?tag=monsite-21",  # an affiliate link
    "https://bit.ly/4abc",
    "https://shop.example.com/promo?coupon=SPRING",
    "https://s.click.aliexpress.com/e/_DdKq3xX",
]


@pytest.mark.parametrize("line", NOT_CREDITS)
def test_mentions_and_ad_links_are_no_credit(line: str) -> None:
    assert find_attributions([line, *BODY, line], OUTLETS) == ()


def test_a_bare_site_or_article_link_is_still_a_credit() -> None:
    for line, domain in (
        ("unknownpaper.example", "unknownpaper.example"),
        (
            "https://www.unknownpaper.example/politica/2026/03/05/el-gobierno-aprueba",
            "unknownpaper.example",
        ),
    ):
        found = find_attributions([*BODY, line], OUTLETS)
        assert [(a.kind, a.domain) for a in found] == [("bare_domain", domain)]


def test_built_in_agency_credit_names_the_agency_when_configured_too() -> None:
    outlets = (*OUTLETS, KnownOutlet("Xinhua News", "xinhuanet.com"))
    found = find_attributions([*BODY, "来源：新华社"], outlets)
    assert found == (
        Attribution(
            phrase="来源：新华社",
            kind="source",
            outlet_name="Xinhua News",
            domain="xinhuanet.com",
            named="新华社",
            paragraph_index=2,
            whole_paragraph=True,
        ),
    )
