"""`poll --once` end to end on news-sized pages from many hosts, beside trafilatura alone.

    python bench/poll_once_bench.py [--hosts 40] [--pages 2000] [--workers 2]
                                    [--latency 0.02] [--prefill 0]

The pages are the labelled corpus's article pages (news text in ten
languages, each with its outlet's head: title, description, Open Graph,
JSON-LD), dressed as a real news site's page is: a mega-menu, an inline
style sheet and an inline JSON state blob, a related-articles block with
teasers, reader comments, a cookie banner and a long footer, about 110 KB
each (the median real page of the issue's measurement was 115 KB). Each
pass over the corpus lightly rewrites the paragraphs (one word in four, or
one character in four in unspaced scripts, replaced by another corpus word)
so that ``--pages`` pages are that many distinct stories, not copies of
303 texts. The pages are spread over ``--hosts`` hosts (``o<N>.bench.test``,
resolved to 127.0.0.1 by the Fetcher's injectable resolver), each with one
RSS feed listing its pages, served by an asyncio server in its own process
(its CPU is not counted) after ``--latency`` seconds, with ETags.

Measured in one run, on the same page bytes, with ``--workers`` processes
on each side:

1. trafilatura alone: ``bare_extraction`` on every page in a plain process
   pool (as bench/extract_bench.py), pages/s (best of two);
2. ingestd: one full `poll --once` cycle through the real Ingestor (feeds
   fetched and parsed, pages fetched through the real Fetcher, extracted in
   the worker pool, matched by the real Linker, stored in SQLite), pages/s
   from the cycle's start to its end (best of two, each on a fresh store),
   and the CPU time of the main process per article (the event loop, the
   store, the matcher; the workers' extraction not included);
3. the unchanged re-poll: the same cycle again, every feed answering 304:
   CPU of the main process per feed. With ``--prefill N``, the store first
   gets N more articles through `ingestd import` (the synthetic stream of
   bench/scale_bench.py) so this cost is shown at that store size.

Targets (issue 10): (2) at least 0.9 of (1) in pages/s; at most 3 ms of
main-process CPU per article; (3) at most 2 ms of CPU per unchanged feed,
whatever the store size.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import multiprocessing
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from extract_bench import baseline_side
from poll_bench import HOST_SUFFIX, resolve

from ingestd.app import fetch_limits
from ingestd.evaluation.rendered import load_corpus
from ingestd.evaluation.stream import SyntheticStream
from ingestd.extract.pool import ExtractionPool
from ingestd.fetch import Fetcher
from ingestd.pipeline import CycleStats, Ingestor
from ingestd.settings import Settings
from ingestd.store import SqliteStore

CORPUS_BASE = "http://127.0.0.1:8123"

# --- the site -----------------------------------------------------------------

_PARAGRAPH = re.compile(rb"<p>([^<]{40,})</p>")
_CANONICAL = re.compile(rb'rel="canonical" href="([^"]+)"')


def _corpus_pages() -> list[bytes]:
    corpus = load_corpus()
    routes = corpus.routes(CORPUS_BASE)
    return [routes[path][1] for path in sorted(corpus.labels())]


def _word_pool(pages: list[bytes]) -> list[str]:
    words: set[str] = set()
    for page in pages:
        for match in _PARAGRAPH.finditer(page):
            words.update(w for w in match.group(1).decode().split() if w.isalpha())
    return sorted(words)


def _rewrite(text: str, round_number: int, pool: list[str]) -> str:
    """One token in four replaced (which ones and by what depends on the round)."""

    def pick(position: int) -> str:
        digest = hashlib.blake2b(f"{round_number}:{position}:{text[:20]}".encode(), digest_size=4)
        return pool[int.from_bytes(digest.digest(), "big") % len(pool)]

    tokens = text.split(" ")
    if len(tokens) >= 8:
        return " ".join(
            pick(n) if n % 4 == round_number % 4 else token for n, token in enumerate(tokens)
        )
    characters = list(text)  # an unspaced script: characters instead of words
    for n in range(round_number % 4, len(characters), 4):
        if characters[n].isalpha():
            characters[n] = pick(n)[0]
    return "".join(characters)


def _rewrite_paragraphs(page: bytes, round_number: int, pool: list[str]) -> bytes:
    def one(match: re.Match[bytes]) -> bytes:
        return b"<p>" + _rewrite(match.group(1).decode(), round_number, pool).encode() + b"</p>"

    return _PARAGRAPH.sub(one, page)


def _chrome(seed: int) -> tuple[bytes, bytes, bytes]:
    """(head, top of body, bottom of body) of a news site's page, about 100 KB."""
    menu = "".join(
        f'<li class="menu-item"><a href="/section/{seed}/{n}/">Section {n} rubrique {n % 17}</a>'
        f'<ul class="sub-menu"><li><a href="/section/{seed}/{n}/a/">Actualité {n}</a></li>'
        f'<li><a href="/section/{seed}/{n}/b/">Analyses {n}</a></li></ul></li>'
        for n in range(160)
    )
    style = "".join(
        f".c{seed}-{n}{{margin:{n % 9}px {n % 5}px;color:#{n * 37 % 4096:03x};"
        f"font:{12 + n % 6}px/1.4 Georgia,serif}}"
        for n in range(450)
    )
    state = ",".join(
        f'{{"id":{n},"slug":"story-{seed}-{n}","section":"s{n % 12}","score":{n * 13 % 97},'
        f'"thumb":"https://cdn.example/img/{seed}/{n}.jpg"}}'
        for n in range(300)
    )
    related = "".join(
        f'<article class="teaser"><h3><a href="/a/related-{seed}-{n}.html">Related headline '
        f"number {n} about the region and its economy</a></h3><p>A teaser of two lines for the "
        f"related story {n}, as the site shows under every article.</p></article>"
        for n in range(30)
    )
    comments = "".join(
        f'<li class="comment"><span class="author">Reader {n}</span><p>Comment {n}: I read this '
        f"and I do not agree with the part about the budget, it was the same last year.</p></li>"
        for n in range(12)
    )
    footer = "".join(f'<li><a href="/page/{n}/">Footer link {n}</a></li>' for n in range(120))
    head = (
        f"<style>{style}</style>\n<script>window.__STATE__=[{state}];</script>\n"
        '<script async src="https://ads.example/tag.js"></script>\n'
    ).encode()
    top = (
        f'<nav class="mega-menu"><ul>{menu}</ul></nav>\n'
        '<div class="cookie-banner"><p>We use cookies to improve your experience. '
        "By continuing you accept our use of cookies.</p><button>Accept</button></div>\n"
    ).encode()
    bottom = (
        f'<aside class="related"><h2>Read also</h2>{related}</aside>\n'
        f'<section class="comments"><h2>Comments</h2><ol>{comments}</ol></section>\n'
        f'<footer class="site-footer"><ul>{footer}</ul><p>© Bench Media Group</p></footer>\n'
    ).encode()
    return head, top, bottom


def build_site(hosts: int, pages: int, port: int) -> dict[str, dict[str, bytes]]:
    """host -> path -> body: every host's feed and article pages (deterministic)."""
    corpus = _corpus_pages()
    pool = _word_pool(corpus)
    chromes = [_chrome(seed) for seed in range(8)]
    site: dict[str, dict[str, bytes]] = {f"o{h}{HOST_SUFFIX}": {} for h in range(hosts)}
    items: dict[str, list[str]] = {host: [] for host in site}
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for number in range(pages):
        round_number, source = divmod(number, len(corpus))
        host = f"o{number % hosts}{HOST_SUFFIX}"
        url = f"http://{host}:{port}/a/{number}.html"
        page = corpus[source]
        canonical = _CANONICAL.search(page)
        if canonical:
            page = page.replace(canonical.group(1), url.encode())
        if round_number:
            page = _rewrite_paragraphs(page, round_number, pool)
        head, top, bottom = chromes[number % len(chromes)]
        page = page.replace(b"</head>", head + b"</head>", 1)
        opening = re.search(rb"<body[^>]*>", page)
        if opening:
            page = page[: opening.end()] + top + page[opening.end() :]
        page = page.replace(b"</body>", bottom + b"</body>", 1)
        site[host][f"/a/{number}.html"] = page
        published = format_datetime(start + timedelta(minutes=number))
        title = f"Article {number}"
        items[host].append(
            f"<item><title>{title}</title><link>{url}</link><guid>{url}</guid>"
            f"<pubDate>{published}</pubDate></item>"
        )
    for host, entries in items.items():
        site[host]["/feed.xml"] = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>{host}</title><link>http://{host}:{port}/</link>"
            + "".join(reversed(entries))
            + "</channel></rss>"
        ).encode()
    return site


# --- the server (child process) ------------------------------------------------


def _etag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'


async def _serve_connection(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    site: dict[str, dict[str, bytes]],
    latency: float,
) -> None:
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                return
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            host = headers.get("host", "").split(":")[0]
            await asyncio.sleep(latency)
            body = site.get(host, {}).get(path)
            if body is None:
                writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            elif headers.get("if-none-match") == _etag(body):
                writer.write(f"HTTP/1.1 304 Not Modified\r\nETag: {_etag(body)}\r\n\r\n".encode())
            else:
                kind = (
                    "application/rss+xml" if path.endswith(".xml") else "text/html; charset=utf-8"
                )
                writer.write(
                    (
                        f"HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nETag: {_etag(body)}\r\n"
                        f"Content-Length: {len(body)}\r\n\r\n"
                    ).encode()
                    + body
                )
            await writer.drain()
            if headers.get("connection", "").lower() == "close":
                return
    finally:
        writer.close()


def serve(port_out: Any, hosts: int, pages: int, latency: float) -> None:
    """Child process: bind, say the port, build the site for it, serve until killed."""

    async def main() -> None:
        site: dict[str, dict[str, bytes]] = {}
        server = await asyncio.start_server(
            lambda r, w: _serve_connection(r, w, site, latency), "127.0.0.1", 0, backlog=4096
        )
        port = server.sockets[0].getsockname()[1]
        site.update(build_site(hosts, pages, port))
        port_out.put(port)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


# --- the measured sides ----------------------------------------------------------


def settings_for(
    db: Path, hosts: int, port: int, workers: int, extra: list[dict[str, str]]
) -> Settings:
    outlets: list[dict[str, Any]] = [
        {
            "name": f"Bench outlet {h}",
            "domain": f"o{h}{HOST_SUFFIX}",
            "feeds": [f"http://o{h}{HOST_SUFFIX}:{port}/feed.xml"],
        }
        for h in range(hosts)
    ]
    outlets += [dict(outlet) for outlet in extra]
    return Settings.model_validate(
        {
            "storage": {"url": f"sqlite:///{db}"},
            # Politeness off: this measures CPU, not the spacing of requests.
            "fetch": {
                "allow_private_addresses": True,
                "concurrency": 64,
                "per_host_concurrency": 4,
                "per_host_delay": 0,
                "max_pages_per_feed": 100_000,
            },
            "extract": {"workers": workers},
            "outlets": outlets,
        }
    )


def prefill(db: Path, articles: int, stream: SyntheticStream) -> float:
    """N synthetic articles into the store through `ingestd import`; returns seconds."""
    folder = db.parent
    path = folder / "prefill.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for line in stream.lines():
            out.write(line + "\n")
    config = folder / "prefill.toml"
    config.write_text(stream.config_toml(f"sqlite:///{db}", 14) + "[extract]\nworkers = 1\n")
    began = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "ingestd", "--config", str(config), "import", str(path)],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.monotonic() - began


async def one_cycle(
    settings: Settings, store: SqliteStore
) -> tuple[CycleStats, float, float, CycleStats, float]:
    """(cold stats, wall s, main CPU s, unchanged stats, unchanged main CPU s)."""
    limits = fetch_limits(settings)  # what `ingestd poll` would use
    with ExtractionPool(settings.extract.workers) as pool:
        async with Fetcher(limits, resolver=resolve) as fetcher:
            ingestor = Ingestor(settings, store, fetcher, pool)
            await pool.parse_feed("http://warm.test/", b"<rss version='2.0'/>", None)
            cpu = time.process_time()
            began = time.perf_counter()
            cold = await ingestor.poll_once()
            wall = time.perf_counter() - began
            cold_cpu = time.process_time() - cpu
            cpu = time.process_time()
            warm = await ingestor.poll_once()
            warm_cpu = time.process_time() - cpu
    return cold, wall, cold_cpu, warm, warm_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=40)
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=2, help="processes on each side")
    parser.add_argument("--latency", type=float, default=0.02, help="seconds per answer")
    parser.add_argument("--prefill", type=int, default=0, help="articles imported first")
    parser.add_argument("--repeat", type=int, default=2, help="ingestd cycles (fresh stores)")
    args = parser.parse_args()

    context = multiprocessing.get_context("spawn")
    port_out = context.Queue()
    server = context.Process(
        target=serve, args=(port_out, args.hosts, args.pages, args.latency), daemon=True
    )
    server.start()
    try:
        port = port_out.get(timeout=300)
        site = build_site(args.hosts, args.pages, port)
        pages = [
            (f"http://{host}:{port}{path}", body)
            for host, paths in site.items()
            for path, body in paths.items()
            if path.startswith("/a/")
        ]
        sizes = sorted(len(body) for _, body in pages)
        median_kb = sizes[len(sizes) // 2] / 1000
        print(
            f"{len(pages)} pages over {args.hosts} hosts (median {median_kb:.0f} KB), "
            f"{args.latency * 1000:.0f} ms latency, {args.workers} worker processes each side",
            flush=True,
        )
        base_s = min(baseline_side(pages, args.workers)[0] for _ in range(2))
        base_rate = len(pages) / base_s
        print(f"trafilatura alone:        {base_rate:7.1f} pages/s", flush=True)

        best: tuple[float, float, CycleStats, float, CycleStats] | None = None
        for attempt in range(args.repeat):
            with tempfile.TemporaryDirectory() as tmp:
                db = Path(tmp) / "bench.db"
                stream = SyntheticStream(articles=args.prefill, days=10, seed=3)
                extra = stream.outlet_table() if args.prefill else []
                if args.prefill:
                    seconds = prefill(db, args.prefill, stream)
                    print(f"  prefilled {args.prefill:,} articles in {seconds:.0f} s", flush=True)
                settings = settings_for(db, args.hosts, port, args.workers, extra)
                store = SqliteStore(db)
                store.migrate()
                try:
                    cold, wall, cold_cpu, warm, warm_cpu = asyncio.run(one_cycle(settings, store))
                finally:
                    store.close()
            rate = cold.articles_stored / wall
            per_article_ms = cold_cpu / max(cold.articles_stored, 1) * 1000
            print(
                f"  cycle {attempt + 1}: {cold.articles_stored} articles in {wall:.1f} s "
                f"({rate:.1f} pages/s), main CPU {per_article_ms:.2f} ms/article; "
                f"copies {cold.copies_linked}, failed {cold.pages_failed}",
                flush=True,
            )
            if best is None or rate > best[0]:
                best = (rate, cold_cpu, cold, warm_cpu, warm)
        assert best is not None
        rate, cold_cpu, cold, warm_cpu, warm = best
        stored = max(cold.articles_stored, 1)
        print(f"ingestd poll --once:      {rate:7.1f} pages/s (best of {args.repeat})")
        print(f"  -> ingestd / trafilatura = {rate / base_rate:.3f} (target >= 0.9)")
        print(f"  -> main-process CPU per article: {cold_cpu / stored * 1000:.2f} ms (target <= 3)")
        store_size = f" with {args.prefill + stored:,} articles stored"
        print(
            f"unchanged re-poll{store_size}: {warm.feeds_unchanged} of {warm.feeds_polled} feeds "
            f"304, main CPU {warm_cpu / max(warm.feeds_polled, 1) * 1000:.2f} ms per feed "
            "(target <= 2)"
        )
        if cold.pages_failed or cold.articles_stored != len(pages):
            print(f"  !! {cold.articles_stored} of {len(pages)} stored, {cold.errors}")
            sys.exit(1)
    finally:
        server.kill()
        server.join()


if __name__ == "__main__":
    main()
