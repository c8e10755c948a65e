"""Language detection on short news text: py3langid beside lingua, same texts, same run.

    python bench/language_bench.py

Texts are the labelled corpus's articles (``tests/data/corpus/base``, nine
languages): each headline, each first paragraph, and the first 300
characters of each body, the lengths a page without ``<html lang>`` gives
the detector. Prints accuracy, mean time per text, start-up time and the
resident memory each library adds to an extraction worker. ingestd uses the
library this bench favours (see ``ingestd/extract/language.py``).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def samples() -> list[tuple[str, str, str]]:
    """(kind, expected ISO 639-1 code, text)."""
    found = []
    for path in sorted((ROOT / "tests" / "data" / "corpus" / "base").glob("*.json")):
        for article in json.loads(path.read_text(encoding="utf-8")):
            lang = article["lang"]
            found.append(("headline", lang, article["title"]))
            found.append(("first paragraph", lang, article["paragraphs"][0]))
            found.append(("300 chars", lang, " ".join(article["paragraphs"])[:300]))
    return found


def measure(name: str, load: Callable[[], Callable[[str], str | None]]) -> None:
    texts = samples()
    before = rss_mib()
    started = time.perf_counter()
    detect = load()
    detect("warm-up text for the detector")
    startup = time.perf_counter() - started
    grown = rss_mib() - before
    right: dict[str, list[bool]] = {}
    started = time.perf_counter()
    for kind, lang, text in texts:
        right.setdefault(kind, []).append(detect(text) == lang)
    per_text_ms = (time.perf_counter() - started) * 1000 / len(texts)
    accuracy = " ".join(f"{kind} {sum(v) / len(v):.3f}" for kind, v in right.items())
    wrong_langs = sorted(
        {lang for (kind, lang, text) in texts if detect(text) != lang and kind != "headline"}
    )
    print(
        f"{name:10} {accuracy}; {per_text_ms:.3f} ms/text; start-up {startup:.2f} s; "
        f"+{grown:.0f} MiB RSS; misses beyond headlines in: {', '.join(wrong_langs) or 'none'}"
    )


def py3langid_loader() -> Callable[[str], str | None]:
    import py3langid  # type: ignore[import-not-found]

    def detect(text: str) -> str | None:
        return str(py3langid.classify(text)[0])

    return detect


def lingua_loader() -> Callable[[str], str | None]:
    from lingua import LanguageDetectorBuilder  # type: ignore[import-not-found]

    detector = LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models().build()

    def detect(text: str) -> str | None:
        found = detector.detect_language_of(text)
        return found.iso_code_639_1.name.lower() if found else None

    return detect


def main() -> None:
    print(f"{len(samples())} texts in 9 languages (headlines, first paragraphs, 300 characters)")
    which = sys.argv[1] if len(sys.argv) > 1 else "both"
    # Each library in its own process would be fairer for memory; run with
    # an argument ("py3langid" or "lingua") to measure one alone.
    if which in ("both", "py3langid"):
        measure("py3langid", py3langid_loader)
    if which in ("both", "lingua"):
        measure("lingua", lingua_loader)


if __name__ == "__main__":
    main()
