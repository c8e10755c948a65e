"""Text prepared in the extraction worker gives exactly the features the main process would.

The worker normalises, shingles and keys every paragraph (``prepare_text``
with the matcher's ``TextRules``); the main process then only picks the
paragraphs that are not boilerplate or credits. Any difference would change
matching decisions, so every field is compared, on the labelled corpus's
pages (ten languages, CJK included) and under many boilerplate choices.
"""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from ingestd.evaluation.rendered import load_corpus
from ingestd.extract.pool import _extract
from ingestd.fingerprint.params import DEFAULT_PARAMS
from ingestd.match.features import TextFeatures, TextRules, build_features, prepare_text
from ingestd.match.thresholds import DEFAULT_THRESHOLDS
from ingestd.text.normalize import split_paragraphs
from ingestd.types import ExtractedArticle

BASE = "http://127.0.0.1:8123"


def corpus_articles(every: int = 7) -> list[ExtractedArticle]:
    corpus = load_corpus()
    routes = corpus.routes(BASE)
    paths = sorted(corpus.labels())[::every]
    return [_extract(BASE + path, routes[path][1]) for path in paths]


def same(a: TextFeatures, b: TextFeatures) -> bool:
    return (
        len(a.paragraph_shingles) == len(b.paragraph_shingles)
        and all(
            np.array_equal(x, y)
            for x, y in zip(a.paragraph_shingles, b.paragraph_shingles, strict=True)
        )
        and np.array_equal(a.shingles, b.shingles)
        and (a.paragraph_words, a.word_count, a.exact_hash, a.lead_keys, a.paragraph_keys)
        == (b.paragraph_words, b.word_count, b.exact_hash, b.lead_keys, b.paragraph_keys)
        and a.full_text_hash == b.full_text_hash
    )


@pytest.fixture(scope="module")
def articles() -> list[ExtractedArticle]:
    found = corpus_articles()
    assert len(found) >= 40
    return found


def test_the_worker_prepares_every_extracted_article_with_the_matchers_rules(
    articles: list[ExtractedArticle],
) -> None:
    rules = TextRules.of(DEFAULT_PARAMS, DEFAULT_THRESHOLDS)
    for article in articles:
        assert article.prepared is not None
        assert article.prepared.rules == rules
        assert article.prepared.paragraphs == tuple(split_paragraphs(article.text))


def test_worker_prepared_features_equal_the_main_process_ones(
    articles: list[ExtractedArticle],
) -> None:
    rng = random.Random(5)
    scripts = set()
    for article in articles:
        assert article.prepared is not None
        paragraphs = split_paragraphs(article.text)
        scripts.add(article.language)
        keys = article.prepared.keys
        for _ in range(6):
            # Some paragraphs taken as boilerplate and some as credit lines.
            boilerplate = {k for k in keys if rng.random() < 0.25}
            credits = {i for i in range(len(paragraphs)) if rng.random() < 0.1}
            kwargs = {
                "boilerplate": boilerplate,
                "credit_paragraphs": credits,
                "params": DEFAULT_PARAMS,
                "thresholds": DEFAULT_THRESHOLDS,
            }
            assert same(
                build_features(article.prepared, **kwargs),  # type: ignore[arg-type]
                build_features(paragraphs, **kwargs),  # type: ignore[arg-type]
            ), article.url
    assert len(scripts) >= 8  # the corpus's languages, unspaced scripts included


def test_other_rules_are_not_taken_from_the_worker(articles: list[ExtractedArticle]) -> None:
    article = articles[0]
    assert article.prepared is not None
    paragraphs = split_paragraphs(article.text)
    params = replace(DEFAULT_PARAMS, shingle_size=3)
    thresholds = replace(DEFAULT_THRESHOLDS, lead_sentences=2)
    kwargs = {"boilerplate": (), "credit_paragraphs": (), "params": params}
    got = build_features(article.prepared, thresholds=thresholds, **kwargs)  # type: ignore[arg-type]
    want = build_features(paragraphs, thresholds=thresholds, **kwargs)  # type: ignore[arg-type]
    assert same(got, want)
    assert len(got.lead_keys) <= 2
    # The worker's shingles are of another size: taking them would have differed.
    default = build_features(
        article.prepared,
        boilerplate=(),
        credit_paragraphs=(),
        params=DEFAULT_PARAMS,
        thresholds=DEFAULT_THRESHOLDS,
    )
    assert not np.array_equal(default.shingles, got.shingles)


def test_the_linker_ignores_a_preparation_of_other_text(
    articles: list[ExtractedArticle], tmp_path: Path
) -> None:
    from datetime import UTC, datetime, timedelta

    from ingestd.match.linker import Linker
    from ingestd.store import SqliteStore

    store = SqliteStore(tmp_path / "t.db")
    store.migrate()
    store.sync_outlets(
        [{"name": "X", "domain": "x.example", "feeds": []}], datetime(2026, 3, 1, tzinfo=UTC)
    )
    outlet = store.outlets()[0].id
    linker = Linker(
        store, params=DEFAULT_PARAMS, thresholds=DEFAULT_THRESHOLDS, window=timedelta(days=14)
    )
    first, second = articles[0], articles[1]
    own = linker.read_text(outlet, first)
    assert own.prepared is first.prepared  # the worker's preparation, taken as it is
    mixed = replace(first, prepared=second.prepared)
    redone = linker.read_text(outlet, mixed)
    assert redone.prepared.paragraphs == tuple(split_paragraphs(first.text))
    assert redone.prepared.keys == prepare_text(split_paragraphs(first.text)).keys
    store.close()


def reference_found(paragraph: np.ndarray, other: np.ndarray) -> int:
    return int(np.isin(paragraph, other, assume_unique=True).sum())


def test_vectorised_paragraph_coverage_equals_one_isin_per_paragraph(
    articles: list[ExtractedArticle],
) -> None:
    from ingestd.match.index import decode_features, encode_features
    from ingestd.match.verify import _found_per_paragraph

    features = [
        build_features(
            a.prepared,  # type: ignore[arg-type]
            boilerplate=(),
            credit_paragraphs=(),
            params=DEFAULT_PARAMS,
            thresholds=DEFAULT_THRESHOLDS,
        )
        for a in articles
    ]
    # Stored features (decoded from the store's blob) are verified the same way.
    features += [decode_features(encode_features(f)) for f in features[:5]]
    empty = np.empty(0, np.uint32)
    checked = 0
    for a in features:
        for b in features[:12]:
            got = _found_per_paragraph(a.paragraph_shingles, b.shingles)
            want = [reference_found(p, b.shingles) for p in a.paragraph_shingles]
            assert got == want
            checked += sum(1 for n in want if n)
        assert _found_per_paragraph(a.paragraph_shingles, empty) == [0] * len(a.paragraph_shingles)
    assert _found_per_paragraph((empty, empty), features[0].shingles) == [0, 0]
    assert checked > 50  # overlapping paragraphs were among those compared
