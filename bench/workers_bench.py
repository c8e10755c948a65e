"""Pages per second with 1 and 2 `ingestd run` workers on one PostgreSQL store.

    python bench/workers_bench.py [--feeds 10] [--items 30] [--latency 0.25]
                                  [--concurrency 8] [--workers 1 2]
                                  [--server postgresql://postgres@127.0.0.1:5432]

A local threaded HTTP server (in this process; the workers are processes of
their own) serves ``--feeds`` RSS feeds of ``--items`` entries each, every
article page answered after ``--latency`` seconds, so network waits matter
as they do against real outlets. For each worker count, a fresh PostgreSQL
database is created, that many real ``ingestd run`` processes are started
at the same moment with one configuration file (``[fetch] concurrency``
``--concurrency`` each, one extraction process each), and the clock runs
from the first page request the server sees to the moment every entry is
stored (no entry pending). pages/s = pages / that time. The server also
counts requests per page: with leases each page is fetched exactly once,
whatever the number of workers (``refetched`` must be 0).

Prints one line per worker count and the ratio of the last to the first.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parents[1]
_WORDS = ["ka", "lo", "mi", "ne", "su", "ta", "vo", "ri", "de", "po", "zu", "fa", "gi", "he"]


def page_html(feed: int, item: int) -> bytes:
    rng = random.Random(feed * 100_003 + item)
    paragraphs = "".join(
        "<p>"
        + " ".join(
            "".join(rng.choice(_WORDS) for _ in range(rng.randint(2, 4))) for _ in range(45)
        ).capitalize()
        + ".</p>"
        for _ in range(6)
    )
    title = f"Story {feed}-{item}"
    return (
        f"<!doctype html><html><head><title>{title}</title></head><body><article>"
        f"<h1>{title}</h1>{paragraphs}</article></body></html>"
    ).encode()


class Corpus:
    """The feeds and pages, and what was requested when."""

    def __init__(self, feeds: int, items: int, latency: float):
        self.feeds, self.items, self.latency = feeds, items, latency
        self.lock = threading.Lock()
        self.pages: Counter[str] = Counter()
        self.first_page: float | None = None
        self.port = 0

    def reset(self) -> None:
        with self.lock:
            self.pages.clear()
            self.first_page = None

    def feed_xml(self, feed: int) -> bytes:
        base = f"http://127.0.0.1:{self.port}"
        items = "".join(
            f"<item><title>Story {feed}-{k}</title><link>{base}/p/{feed}/{k}.html</link>"
            f"<guid>f{feed}-{k}</guid><pubDate>Tue, 02 Jan 2024 10:{k % 60:02d}:00 GMT</pubDate>"
            "</item>"
            for k in range(self.items)
        )
        return (
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {feed}</title>'
            f"<link>{base}/</link>{items}</channel></rss>"
        ).encode()


def make_handler(corpus: Corpus) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            parts = self.path.strip("/").split("/")
            if parts[0] == "f" and len(parts) == 2:
                body, kind = corpus.feed_xml(int(parts[1].removesuffix(".xml"))), "rss"
            elif parts[0] == "p" and len(parts) == 3:
                with corpus.lock:
                    corpus.pages[self.path] += 1
                    if corpus.first_page is None:
                        corpus.first_page = time.monotonic()
                time.sleep(corpus.latency)
                body = page_html(int(parts[1]), int(parts[2].removesuffix(".html")))
                kind = "html"
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            ctype = "application/rss+xml" if kind == "rss" else "text/html; charset=utf-8"
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def config(url: str, corpus: Corpus, concurrency: int) -> str:
    lines = [
        "[storage]",
        f'url = "{url}"',
        "[fetch]",
        "allow_private_addresses = true",
        f"concurrency = {concurrency}",
        f"per_host_concurrency = {concurrency * 4}",
        "per_host_delay = 0.0",
        "robots_txt = false",
        "[extract]",
        "workers = 1",
        "[schedule]",
        "min_interval = 600.0",
        "max_interval = 600.0",
        "jitter = 0.0",
    ]
    for feed in range(corpus.feeds):
        lines += [
            "[[outlets]]",
            f'name = "Outlet {feed}"',
            f'domain = "outlet{feed}.example"',
            f'feeds = ["http://127.0.0.1:{corpus.port}/f/{feed}.xml"]',
        ]
    return "\n".join(lines) + "\n"


def run_fleet(server: str, corpus: Corpus, workers: int, concurrency: int) -> dict[str, float]:
    name = f"ingestd_bench_{uuid.uuid4().hex[:10]}"
    url = f"{server}/{name}"
    total = corpus.feeds * corpus.items
    corpus.reset()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ingestd.toml"
        path.write_text(config(url, corpus, concurrency))
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "ingestd", "--config", str(path), "run"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=(Path(folder) / f"worker{n}.log").open("wb"),
                cwd=REPO,
                env={**os.environ, "PYTHONPATH": str(REPO)},
            )
            for n in range(workers)
        ]
        try:
            finished = wait_done(url, total, procs, folder)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=60)
            drop(server, name)
    with corpus.lock:
        first = corpus.first_page
        refetched = sum(n - 1 for n in corpus.pages.values())
        fetched = len(corpus.pages)
    assert first is not None and fetched == total, (fetched, total)
    seconds = finished - first
    return {"pages": total, "seconds": seconds, "pages_s": total / seconds, "refetched": refetched}


def wait_done(url: str, total: int, procs: list[subprocess.Popen[bytes]], folder: str) -> float:
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        for proc in procs:
            if proc.poll() is not None:
                logs = "\n".join(p.read_text()[-2000:] for p in Path(folder).glob("*.log"))
                raise SystemExit(f"a worker exited ({proc.returncode}):\n{logs}")
        try:
            with psycopg.connect(url, connect_timeout=5) as db:
                row = db.execute(
                    "SELECT (SELECT count(*) FROM store_articles),"
                    " (SELECT count(*) FROM store_entries WHERE state = 'pending')"
                ).fetchone()
            if row is not None and row[0] == total and row[1] == 0:
                return time.monotonic()
        except psycopg.Error:
            pass  # not created or migrated yet
        time.sleep(0.05)
    raise SystemExit("timed out")


def drop(server: str, name: str) -> None:
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=10)
    parser.add_argument("--items", type=int, default=30)
    parser.add_argument("--latency", type=float, default=0.25)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--server", default="postgresql://postgres@127.0.0.1:5432")
    args = parser.parse_args()

    corpus = Corpus(args.feeds, args.items, args.latency)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(corpus))
    httpd.daemon_threads = True
    corpus.port = int(httpd.server_address[1])
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    print(
        f"corpus: {args.feeds} feeds x {args.items} pages, {args.latency * 1000:.0f} ms per page,"
        f" [fetch] concurrency {args.concurrency} per worker, PostgreSQL"
    )
    results: dict[int, dict[str, float]] = {}
    for workers in args.workers:
        result = run_fleet(args.server, corpus, workers, args.concurrency)
        results[workers] = result
        print(
            f"{workers} worker(s): {result['pages']:.0f} pages in {result['seconds']:.2f} s"
            f" = {result['pages_s']:.1f} pages/s, refetched {result['refetched']:.0f}"
        )
    httpd.shutdown()
    first, last = args.workers[0], args.workers[-1]
    if first != last:
        ratio = results[last]["pages_s"] / results[first]["pages_s"]
        print(f"ratio {last}/{first} workers: {ratio:.2f}")


if __name__ == "__main__":
    main()
