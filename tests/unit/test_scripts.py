"""Script-aware normalisation, sentences, prose and shingles (issue 11)."""

from __future__ import annotations

import numpy as np
import pytest

from ingestd.fingerprint.params import DEFAULT_PARAMS
from ingestd.fingerprint.shingles import (
    paragraph_shingle_hashes,
    sentence_keys,
    shingle_hashes,
    split_sentences,
)
from ingestd.match.features import build_features, is_prose, prepare_text
from ingestd.match.thresholds import DEFAULT_THRESHOLDS
from ingestd.match.verify import verify
from ingestd.text.normalize import normalize, strip_accents, words

JA = [
    "政府は三日、来年度の防災予算を大幅に増やす方針を固めた。首都直下地震や南海トラフ地震に備え、"
    "老朽化した堤防や橋の補強を急ぐ。",
    "関係者によると、予算の総額は前年度より二割多い約一兆二千億円となる見通しだ。地方自治体への"
    "補助金も拡充し、避難所の耐震化や備蓄倉庫の整備を後押しする。",
    "防災担当相は記者会見で「災害はいつ起きてもおかしくない。できることから早く進めたい」と述べた。"
    "野党からは財源の裏付けが不十分だとの批判も出ている。",
    "政府は今月中に具体的な事業の一覧をまとめ、国会に提出する予定だ。専門家は、予算の増額だけで"
    "なく、住民への情報提供や訓練の充実も欠かせないと指摘している。",
]


def feats(paragraphs: list[str]):  # type: ignore[no-untyped-def]
    return build_features(
        paragraphs,
        boilerplate=(),
        credit_paragraphs=(),
        params=DEFAULT_PARAMS,
        thresholds=DEFAULT_THRESHOLDS,
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("« L’OTAN – Élargissement »\u00a0!", "l otan elargissement"),
        ("İstanbul'da Straße", "istanbul da strasse"),
        ("दिल्ली में बारिश।", "दिल्ली में बारिश"),  # vowel signs stay inside the words
        ("がでぱ", "が で ぱ"),  # voicing marks are letters, not accents
        ("ที่ใช้", "ที่ ใ ช้"),  # Thai graphemes keep their vowel and tone marks
        ("مَرْحَبًا بِالعالم", "مرحبا بالعالم"),  # optional harakat dropped
        ("مرحـــبا", "مرحبا"),  # tatweel only stretches the word
        ("Ёлка и йод, мо́локо", "ёлка и йод молоко"),  # Cyrillic letters kept, stress mark gone
        ("NATO与俄罗斯2026年", "nato 与 俄 罗 斯 2026 年"),  # mixed scripts
        ("ＡＢＣ１２３　テスト", "abc123 テ ス ト"),  # full-width forms (NFKC)
        ("don't_stop-now", "don t stop now"),
    ],
)
def test_normalize_is_script_aware(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_ascii_fast_path_agrees_with_the_unicode_path() -> None:
    text = 'The "Bank" of England\'s rate-setters voted 6-3 on Thursday_ (5.25%).'
    # The same text with one non-ASCII character goes through the general path.
    assert normalize(text) + " e" == normalize(text + " é")


def test_strip_accents_only_folds_latin() -> None:
    assert strip_accents("Élargissement на дороге が दिल्ली") == "Elargissement на дороге が दिल्ली"


def test_sentences_end_at_every_scripts_stops() -> None:
    assert split_sentences("第一句话。第二句话！第三句？好") == [
        "第一句话。",
        "第二句话!",
        "第三句?",
        "好",
    ]
    assert split_sentences("「はい。」と言った。次だ。") == ["「はい。」", "と言った。", "次だ。"]
    assert split_sentences("هل جاء؟ نعم جاء.") == ["هل جاء؟", "نعم جاء."]
    assert split_sentences("वह आया। फिर गया॥ अंत") == ["वह आया।", "फिर गया॥", "अंत"]
    assert split_sentences("Prix 3.5 sur lemonde.fr. Fin.") == ["Prix 3.5 sur lemonde.fr.", "Fin."]


def test_cjk_and_thai_paragraphs_are_prose() -> None:
    assert is_prose("政府は三日、方針を固めた。")
    assert is_prose("«Это так», — сказал он.")
    assert is_prose("هل جاء الوزير؟")
    assert is_prose("भारत ने मैच जीता।")
    thai_body = "รัฐบาลไทยประกาศแผนพัฒนาระบบขนส่งสาธารณะในกรุงเทพมหานคร" * 3
    assert is_prose(thai_body)
    assert not is_prose("รัฐบาลประกาศแผนใหม่")  # a Thai headline: short, no stop
    assert not is_prose("防災予算を増額")


def test_japanese_article_is_judgeable_and_an_edited_cut_copy_links() -> None:
    original = feats(JA)
    assert original.size >= DEFAULT_THRESHOLDS.min_judgeable_shingles * 4
    assert len(original.lead_keys) >= 2  # the lead-sentence index works for 。
    # A copy: one character edited in every paragraph, the last paragraph cut,
    # a credit line added.
    edited = [
        p.replace("。", "、", 1) if i % 2 else p.replace("政府", "内閣", 1)
        for i, p in enumerate(JA)
    ]
    copy = feats([*edited[:3], "出典：共同通信"])
    verdict = verify(copy, original, DEFAULT_THRESHOLDS)
    assert verdict.linked, verdict


def test_same_event_japanese_texts_do_not_link() -> None:
    other = [
        "地震に備える予算について、野党は三日、政府の方針を批判した。財源が示されていないという。",
        "野党の幹部は記者団に「できることから早く進めたいと言うが、財源はどこにあるのか」と語った。"
        "党は独自の防災計画を来週発表する予定で、地方の声を重視するとしている。",
        "専門家の間でも、堤防や橋の補強より、住民の避難訓練を優先すべきだとの意見が根強い。",
    ]
    assert not verify(feats(other), feats(JA), DEFAULT_THRESHOLDS).linked


def test_prepared_text_gives_the_same_features_as_paragraphs() -> None:
    paragraphs = [*JA, "Le Monde avec AFP", "« L’OTAN – Élargissement »"]
    prepared = prepare_text(paragraphs)
    assert prepared.normalised == tuple(normalize(p) for p in paragraphs)
    a, b = feats(paragraphs), feats(prepared)  # type: ignore[arg-type]
    assert np.array_equal(a.shingles, b.shingles)
    assert (a.exact_hash, a.lead_keys, a.full_text_hash) == (
        b.exact_hash,
        b.lead_keys,
        b.full_text_hash,
    )


def test_batched_paragraph_shingles_equal_one_by_one() -> None:
    token_lists = [words(p) for p in JA] + [["a", "b"], [], ["x"] * 7]
    batched = paragraph_shingle_hashes(token_lists, 5)
    assert all(
        np.array_equal(one, shingle_hashes(tokens, 5))
        for one, tokens in zip(batched, token_lists, strict=True)
    )


def test_sentence_keys_stop_at_the_limit() -> None:
    paragraph = "。".join(["これは十分に長い文の例です"] * 6) + "。"
    assert len(sentence_keys(paragraph, 8)) == 6
    assert len(sentence_keys(paragraph, 8, limit=2)) == 2
