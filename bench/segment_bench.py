"""Unspaced scripts: character n-grams (ingestd) beside ICU word segmentation, same run.

    python bench/segment_bench.py [--corpus FILE]

Needs icu4py (``pip install icu4py``: a manylinux wheel with its own ICU;
PyICU needs the system's libicu-dev and a compiler). Takes the labelled
corpus's Chinese and Japanese pages (the packaged rendering unless
``--corpus``), extracts them as the pipeline does, and builds matching
features two ways from the same folded text:

* n-grams: each character (with its combining marks) one token, shingles
  of ``shingle_size`` tokens, as ``ingestd.text.normalize`` does;
* ICU: ICU's word break iterator (dictionary-based for Han, kana, Thai, …)
  cuts the unspaced runs into words, shingles of ``shingle_size`` words.

Every pair of articles of one language is verified with the real thresholds
(``ingestd.match.verify``), with the outlet's boilerplate and credit-only
paragraphs left out as the Linker does; pairwise precision and recall are
counted against the labels. Prints both, the mean shingle-set size, and the
CPU per article of tokenising.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from icu4py.breakers import WordBreaker  # type: ignore[import-not-found]

from ingestd.evaluation.rendered import load_corpus
from ingestd.extract.article import extract_article
from ingestd.fingerprint.params import DEFAULT_PARAMS
from ingestd.fingerprint.shingles import split_sentences, stable_hash
from ingestd.match.attribution import KnownOutlet, find_attributions
from ingestd.match.features import PreparedText, TextFeatures, build_features
from ingestd.match.thresholds import DEFAULT_THRESHOLDS
from ingestd.match.verify import verify
from ingestd.text import normalize as norm
from ingestd.text.normalize import normalize, split_paragraphs

BASE = "http://127.0.0.1:8123"
LOCALES = {"zh": "zh", "ja": "ja", "th": "th"}


class _IcuFold(dict[int, str]):
    """ingestd's fold table without the space it puts before each unspaced character."""

    def __missing__(self, code: int) -> str:
        folded = norm._FOLD_TABLE[code]
        if len(folded) == 2 and folded[0] == " " and norm._UNSPACED.match(folded[1]):
            folded = folded[1]
        self[code] = folded
        return folded


_ICU_FOLD = _IcuFold()


def icu_normalize(text: str, locale: str) -> str:
    """``normalize`` with ICU words instead of single characters in unspaced runs."""
    import unicodedata

    if text.isascii():
        return normalize(text)
    text = unicodedata.normalize("NFKC", text).casefold().translate(_ICU_FOLD)
    tokens: list[str] = []
    for chunk in text.split():
        if norm._UNSPACED.search(chunk) is None:
            tokens.append(chunk)
            continue
        tokens.extend(word for word in WordBreaker(chunk, locale) if word.strip())
    return " ".join(tokens)


def features_of(
    paragraphs: list[str],
    boilerplate: set[int],
    known: list[KnownOutlet],
    own: str,
    tokenise: Callable[[str], str],
) -> TextFeatures:
    normalised = tuple(tokenise(p) for p in paragraphs)
    keys = tuple(stable_hash(normalize(p)) for p in paragraphs)  # boilerplate keys as ingestd
    credits = find_attributions(paragraphs, known, own_domain=own)
    return build_features(
        PreparedText(tuple(paragraphs), normalised, keys),
        boilerplate=boilerplate,
        credit_paragraphs={a.paragraph_index for a in credits if a.whole_paragraph},
        params=DEFAULT_PARAMS,
        thresholds=DEFAULT_THRESHOLDS,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=None)
    args = parser.parse_args()
    corpus = load_corpus(args.corpus)
    routes = corpus.routes(BASE)
    labels = corpus.labels()
    outlet_of = {o.name: o for o in corpus.outlets}
    known = [KnownOutlet(o.name, o.domain) for o in corpus.outlets]

    print(f"{'language':9} {'method':8} {'pairs':>6} {'linked':>7} {'P':>7} {'R':>7} "
          f"{'shingles':>9} {'features ms':>12} {'tokenise ms':>12}")  # fmt: skip
    for lang in ("zh", "ja"):
        paths = sorted(p for p, label in labels.items() if label["language"] == lang)
        texts = {p: split_paragraphs(extract_article(BASE + p, routes[p][1]).text) for p in paths}
        # Boilerplate as the Linker learns it: a paragraph in two articles of one outlet.
        seen: Counter[tuple[str, int]] = Counter()
        for p in paths:
            for key in {stable_hash(normalize(x)) for x in texts[p]}:
                seen[(labels[p]["outlet"], key)] += 1
        boiler = {
            p: {k for (o, k), n in seen.items() if o == labels[p]["outlet"] and n >= 2}
            for p in paths
        }
        variants: dict[str, Callable[[str], str]] = {
            "n-grams": normalize,
            "ICU": lambda text, lang=lang: icu_normalize(text, LOCALES[lang]),
        }
        for name, tokenise in variants.items():
            for p in paths:  # warm caches and ICU's dictionaries
                for paragraph in texts[p]:
                    tokenise(paragraph)
            started = time.process_time()
            for _ in range(5):
                for p in paths:
                    for paragraph in texts[p]:
                        tokenise(paragraph)
            tokenise_ms = (time.process_time() - started) * 1000 / len(paths) / 5
            started = time.process_time()
            feats = {
                p: features_of(
                    texts[p], boiler[p], known, outlet_of[labels[p]["outlet"]].domain, tokenise
                )
                for p in paths
            }
            ms = (time.process_time() - started) * 1000 / len(paths)
            true_pairs = linked = right = 0
            for i, a in enumerate(paths):
                for b in paths[i + 1 :]:
                    same = labels[a]["story"] == labels[b]["story"]
                    link = verify(feats[a], feats[b], DEFAULT_THRESHOLDS).linked
                    true_pairs += same
                    linked += link
                    right += same and link
            precision = right / linked if linked else 1.0
            recall = right / true_pairs if true_pairs else 1.0
            size = sum(f.size for f in feats.values()) / len(feats)
            print(
                f"{lang:9} {name:8} {true_pairs:6} {linked:7} {precision:7.3f} {recall:7.3f} "
                f"{size:9.0f} {ms:12.3f} {tokenise_ms:12.3f}"
            )
    print(
        "(pairs: same-story pairs; linked: pairs verify() links directly; CPU ms per article:"
        " features with credits, and tokenising alone)"
    )
    print()
    stress(corpus, routes, labels)


def edited(paragraphs: list[str], per_sentence: int, rng: random.Random) -> list[str]:
    """Each sentence with ``per_sentence`` characters replaced (a light copy edit)."""
    out = []
    for paragraph in paragraphs:
        sentences = split_sentences(paragraph)
        changed = []
        for sentence in sentences:
            chars = list(sentence)
            spots = [i for i, c in enumerate(chars) if norm._UNSPACED.match(c)]
            for i in rng.sample(spots, min(per_sentence, len(spots))):
                chars[i] = rng.choice(
                    "的了是在有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严"
                )
        changed.extend(["".join(chars)])
        out.append("".join(changed))
    return out


def stress(corpus: object, routes: dict[str, tuple[str, bytes]], labels: dict[str, dict]) -> None:
    """Copies cut to their first half and edited in every sentence; all other pairs as negatives."""
    rng = random.Random(11)
    print(f"{'language':9} {'edits':>5} {'method':8} {'copies found':>13} {'false links':>12}")
    for lang in ("zh", "ja"):
        originals = sorted(
            p for p, label in labels.items() if label["language"] == lang and label["is_origin"]
        )
        texts = {
            p: split_paragraphs(extract_article(BASE + p, routes[p][1]).text) for p in originals
        }
        for per_sentence in (1, 2, 3):
            copies = {
                p: edited(texts[p][: max(2, len(texts[p]) // 2)], per_sentence, rng)
                for p in originals
            }
            for name, tokenise in (
                ("n-grams", normalize),
                ("ICU", lambda text, lang=lang: icu_normalize(text, LOCALES[lang])),
            ):
                feats = {p: features_of(texts[p], set(), [], "", tokenise) for p in originals}
                copy_feats = {p: features_of(copies[p], set(), [], "", tokenise) for p in originals}
                found = sum(
                    verify(copy_feats[p], feats[p], DEFAULT_THRESHOLDS).linked for p in originals
                )
                false = sum(
                    verify(copy_feats[p], feats[q], DEFAULT_THRESHOLDS).linked
                    for p in originals
                    for q in originals
                    if q != p
                )
                print(
                    f"{lang:9} {per_sentence:5} {name:8} {found:>6}/{len(originals):<6} {false:12}"
                )


if __name__ == "__main__":
    main()
