"""Extraction throughput: ingestd's extraction stage beside trafilatura alone.

    python bench/extract_bench.py [--workers 2] [--rounds 3]

The pages are the article pages of the labelled corpus (tests/data/corpus,
the pages ``ingestd eval`` serves), ``--rounds`` times over. Both sides run
in the same run, on the same pages, with the same number of worker processes
(started with forkserver, trafilatura imported in each worker beforehand,
one task per page, warmed up on a few pages before the clock starts):

- ingestd: ``ExtractionPool(workers).extract(url, page)`` for every page,
  all submitted at once from the event loop, as the pipeline does; each
  page comes back as an ExtractedArticle (text cleaned, head facts read);
- baseline: ``trafilatura.bare_extraction`` with the same options in a
  plain ProcessPoolExecutor, returning the text only.

Prints pages per second of both and their ratio (target: at least 0.9).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingestd.errors import ExtractionError
from ingestd.evaluation.rendered import load_corpus
from ingestd.extract.pool import ExtractionPool

BASE = "http://127.0.0.1:8123"


def corpus_pages() -> list[tuple[str, bytes]]:
    """(url, html) of every article page of the corpus."""
    corpus = load_corpus()  # the rendered corpus shipped with ingestd
    routes = corpus.routes(BASE)
    return [(BASE + path, routes[path][1]) for path in sorted(corpus.labels())]


def _import_trafilatura() -> None:
    import trafilatura  # noqa: F401


def trafilatura_text(url: str, page: bytes) -> int:
    """The baseline's work for one page: characters of text extracted."""
    import trafilatura

    document = trafilatura.bare_extraction(
        page,
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        favor_precision=False,
    )
    return len(document.text or "") if document is not None else 0


async def ingestd_side(pages: list[tuple[str, bytes]], workers: int) -> tuple[float, int]:
    """Seconds for every page through ExtractionPool, and pages that failed."""
    failed = 0

    async def one(pool: ExtractionPool, url: str, page: bytes) -> None:
        nonlocal failed
        try:
            await pool.extract(url, page)
        except ExtractionError:
            failed += 1

    with ExtractionPool(workers) as pool:
        await asyncio.gather(*(one(pool, url, page) for url, page in pages[: 2 * workers]))
        failed = 0
        started = time.perf_counter()
        await asyncio.gather(*(one(pool, url, page) for url, page in pages))
        return time.perf_counter() - started, failed


def baseline_side(pages: list[tuple[str, bytes]], workers: int) -> tuple[float, int]:
    """Seconds for every page through trafilatura in a plain process pool."""
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("forkserver"),
        initializer=_import_trafilatura,
    ) as executor:
        warm = pages[: 2 * workers]
        list(executor.map(trafilatura_text, [u for u, _ in warm], [p for _, p in warm]))
        started = time.perf_counter()
        sizes = list(executor.map(trafilatura_text, [u for u, _ in pages], [p for _, p in pages]))
        return time.perf_counter() - started, sum(1 for size in sizes if size == 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="processes on each side")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the corpus pages")
    args = parser.parse_args()

    unique = corpus_pages()
    pages = unique * args.rounds
    megabytes = sum(len(page) for _, page in pages) / 1e6
    print(
        f"{len(unique)} corpus article pages x {args.rounds} = {len(pages)} pages "
        f"({megabytes:.1f} MB), {args.workers} worker processes each side"
    )
    # Alternate the order so neither side always runs on a warmer machine.
    base_s, base_failed = baseline_side(pages, args.workers)
    ours_s, ours_failed = asyncio.run(ingestd_side(pages, args.workers))
    base_s2, _ = baseline_side(pages, args.workers)
    ours_s2, _ = asyncio.run(ingestd_side(pages, args.workers))
    base_rate = len(pages) / min(base_s, base_s2)
    ours_rate = len(pages) / min(ours_s, ours_s2)
    print(f"trafilatura alone:   {base_rate:8.1f} pages/s  (no text: {base_failed})")
    print(f"ingestd ExtractionPool: {ours_rate:5.1f} pages/s  (failed: {ours_failed})")
    print(f"  -> ingestd / trafilatura = {ours_rate / base_rate:.3f} (target >= 0.9)")


if __name__ == "__main__":
    main()
