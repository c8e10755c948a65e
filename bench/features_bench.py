"""CPU per article of the matcher's text work: features + credits + signature.

    python bench/features_bench.py [--articles 300] [--words 800]

Target: well under 3 ms of CPU per real-sized news article (~800 words).

Texts are news articles of the labelled corpus (``tests/data/corpus/base``,
nine languages), whole articles of one language joined until each text has
about ``--words`` words (for Chinese and Japanese, 1.7 characters per word),
with a credit line at the end, as a copy carries it. Every text goes
through the real code the Linker runs per article outside the store:
``prepare_text`` (each paragraph normalised once), ``find_attributions``,
``build_features`` and ``Signer.sign``.

Beside it, in the same run and on the same texts, the baseline: the same
work as the matcher did it before 0.2 (the old ``normalize``, kept below,
called for every paragraph key twice, for the shingles, for the full-text
key and for every sentence of the lead paragraphs). Prints CPU ms per
article for both, by language, and their ratio.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingestd.fingerprint.params import DEFAULT_PARAMS
from ingestd.fingerprint.shingles import shingle_hashes, stable_hash
from ingestd.fingerprint.sketch import Signer
from ingestd.match.attribution import KnownOutlet, find_attributions
from ingestd.match.features import build_features, is_prose, prepare_text
from ingestd.match.thresholds import DEFAULT_THRESHOLDS

ROOT = Path(__file__).resolve().parents[1]

# --- the baseline: normalisation and feature building as before 0.2 ----------

_OLD_TYPOGRAPHY = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u02bc": "'", "`": "'", "\u00b4": "'",
        "\u201c": " ", "\u201d": " ", "\u201e": " ", "\u00ab": " ", "\u00bb": " ",
        "\u2039": " ", "\u203a": " ", '"': " ",
        "\u2010": " ", "\u2011": " ", "\u2012": " ", "\u2013": " ", "\u2014": " ",
        "\u2015": " ", "\u2212": " ", "-": " ",
        "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u200b": "",
    }
)  # fmt: skip
_OLD_NON_WORD = re.compile(r"[^\w]+|_", re.UNICODE)
_OLD_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"»”’)]*\s+")


def old_normalize(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_OLD_TYPOGRAPHY)
    decomposed = unicodedata.normalize("NFKD", text)
    text = "".join(char for char in decomposed if not unicodedata.combining(char)).casefold()
    return _OLD_NON_WORD.sub(" ", text).strip()


def old_features(paragraphs: list[str], credit_paragraphs: set[int]) -> np.ndarray:
    keys = [stable_hash(old_normalize(p)) for p in paragraphs]  # Linker's boilerplate look-up
    keys = [stable_hash(old_normalize(p)) for p in paragraphs]  # build_features' own keys
    del keys
    per_paragraph = []
    lead: list[int] = []
    for index, paragraph in enumerate(paragraphs):
        if index in credit_paragraphs or not is_prose(paragraph):
            continue
        words = old_normalize(paragraph).split()
        if not words:
            continue
        per_paragraph.append(shingle_hashes(words, DEFAULT_PARAMS.shingle_size))
        if len(lead) < DEFAULT_THRESHOLDS.lead_sentences:
            for sentence in _OLD_SENTENCE_END.split(paragraph):
                norm = old_normalize(sentence)
                if norm.count(" ") + 1 >= DEFAULT_THRESHOLDS.sentence_min_words:
                    lead.append(stable_hash(norm))
    stable_hash("\n".join(map(old_normalize, paragraphs)))  # the full-text key
    return np.unique(np.concatenate(per_paragraph))


# --- texts -----------------------------------------------------------------------


# Chinese and Japanese average about 1.7 characters per word.
_CHARS_PER_CJK_WORD = 1.7
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def word_equivalents(paragraph: str) -> float:
    """Words of a paragraph; for Chinese and Japanese, characters / 1.7."""
    cjk = len(_CJK.findall(paragraph))
    if cjk:
        return cjk / _CHARS_PER_CJK_WORD
    return len(paragraph.split())


def news_texts(count: int, words: int) -> dict[str, list[list[str]]]:
    """About ``count`` texts of ~``words`` words, per language of the corpus."""
    by_lang: dict[str, list[list[str]]] = defaultdict(list)
    for path in sorted((ROOT / "tests" / "data" / "corpus" / "base").glob("*.json")):
        for article in json.loads(path.read_text(encoding="utf-8")):
            by_lang[article["lang"]].append([article["title"], *article["paragraphs"]])
    texts: dict[str, list[list[str]]] = {}
    for lang, articles in by_lang.items():
        made: list[list[str]] = []
        position = 0
        while len(made) < count:
            text: list[str] = []
            while sum(word_equivalents(p) for p in text) < words:
                text.extend(articles[position % len(articles)])
                position += 1
            made.append([*text, "Source : AFP"])
        texts[lang] = made
    return texts


def cpu_ms(work: Callable[[list[str]], object], texts: list[list[str]]) -> float:
    started = time.process_time()
    for paragraphs in texts:
        work(paragraphs)
    return (time.process_time() - started) * 1000 / len(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300, help="texts per language")
    parser.add_argument("--words", type=int, default=800, help="words per text")
    args = parser.parse_args()

    signer = Signer(DEFAULT_PARAMS)
    known = [KnownOutlet("Le Monde", "lemonde.fr"), KnownOutlet("Reuters", "reuters.com")]

    def ours(paragraphs: list[str]) -> object:
        prepared = prepare_text(paragraphs)
        credits = find_attributions(paragraphs, known, own_domain="example.org")
        features = build_features(
            prepared,
            boilerplate=(),
            credit_paragraphs={a.paragraph_index for a in credits if a.whole_paragraph},
            params=DEFAULT_PARAMS,
            thresholds=DEFAULT_THRESHOLDS,
        )
        return signer.sign(features.shingles)

    def baseline(paragraphs: list[str]) -> object:
        credits = find_attributions(paragraphs, known, own_domain="example.org")
        shingles = old_features(
            paragraphs, {a.paragraph_index for a in credits if a.whole_paragraph}
        )
        return signer.sign(shingles)

    texts = news_texts(args.articles, args.words)
    print(
        f"{'language':10} {'texts':>6} {'words':>6} {'ingestd ms':>11} {'before ms':>10} "
        f"{'ratio':>7}"
    )
    worst = 0.0
    for lang, items in sorted(texts.items()):
        for paragraphs in items[:20]:  # warm the caches (word hashes, fold tables)
            ours(paragraphs)
            baseline(paragraphs)
        ours_ms = cpu_ms(ours, items)
        base_ms = cpu_ms(baseline, items)
        mean_words = sum(word_equivalents(" ".join(p)) for p in items) / len(items)
        worst = max(worst, ours_ms)
        print(
            f"{lang:10} {len(items):6} {mean_words:6.0f} {ours_ms:11.3f} {base_ms:10.3f} "
            f"{ours_ms / base_ms:7.3f}"
        )
    print(
        f"target: features + credits + signature well under 3 ms CPU per ~{args.words}-word "
        f"article -> {'MET' if worst < 3.0 else 'NOT MET'} (worst language {worst:.3f} ms)"
    )


if __name__ == "__main__":
    main()
