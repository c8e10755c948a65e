"""Event-loop lag of ``ingestd run`` under load, beside the same daemon idle.

    python bench/daemon_bench.py [--feeds 400] [--articles 80] [--interval 2] [--seconds 20]

Serves FEEDS feeds (ETag-aware: every re-poll is a 304) and ARTICLES article
pages from a local server, runs ``ingestd run`` as a subprocess with every
feed due every INTERVAL seconds, and reads the daemon's own metrics endpoint:
polls per second, articles stored, and the event-loop lag (how late a 250 ms
timer fires: ``ingestd_event_loop_lag_seconds`` / ``..._max_seconds``).
The baseline, measured in the same run on the same machine, is the same
daemon with one feed. Target (invariant 5): the loop never blocks, so the
loaded lag stays within a few tens of milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ingestd.settings import FetchSettings  # noqa: E402

_WORDS = [f"{a}{b}{c}" for a in "bdfgklmnprstvz" for b in "aeiou" for c in "lnrs"]


def page(number: int) -> bytes:
    rng = random.Random(number)
    paragraphs = "".join(
        "<p>" + " ".join(rng.choice(_WORDS) for _ in range(60)) + ".</p>" for _ in range(5)
    )
    return (
        f"<html><head><title>Story {number}</title></head><body><article>"
        f"<h1>Story {number}</h1>{paragraphs}</article></body></html>"
    ).encode()


class Site(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, feeds: int, articles: int):
        super().__init__(("127.0.0.1", 0), Handler)
        self.feeds = feeds
        self.articles = articles
        self.requests = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def feed_body(self, number: int) -> bytes:
        # Articles are spread over the feeds; most feeds list none.
        items = "".join(
            f"<item><title>Story {a}</title><link>{self.base}/a/{a}.html</link>"
            f"<guid>s{a}</guid></item>"
            for a in range(self.articles)
            if a % self.feeds == number
        )
        return (
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>F{number}</title>'
            f"<link>{self.base}/</link>{items}</channel></rss>"
        ).encode()


class Handler(BaseHTTPRequestHandler):
    server: Site

    def do_GET(self) -> None:
        self.server.requests += 1
        kind, _, name = self.path.strip("/").partition("/")
        number = int(name.split(".")[0])
        if kind == "f":
            etag = f'"f{number}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.end_headers()
                return
            body, ctype, extra = self.server.feed_body(number), "application/rss+xml", etag
        else:
            body, ctype, extra = page(number), "text/html; charset=utf-8", None
        self.send_response(200)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        if extra:
            self.send_header("ETag", extra)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def metrics(port: int) -> dict[str, float]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as answer:
        text = answer.read().decode()
    return {
        line.split(" ")[0]: float(line.split(" ")[1])
        for line in text.splitlines()
        if line.startswith("ingestd_")
    }


def run(feeds: int, articles: int, interval: float, seconds: float) -> dict[str, float]:
    site = Site(feeds, articles)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    port = free_port()
    fetch = {"allow_private_addresses": True, "concurrency": 64, "per_host_concurrency": 64}
    if "per_host_delay" in FetchSettings.model_fields:
        fetch["per_host_delay"] = 0.0  # one local host stands for many real ones
    with tempfile.TemporaryDirectory(prefix="ingestd-bench-") as folder:
        config = Path(folder) / "ingestd.toml"
        lines = [f'[storage]\nurl = "sqlite:///{folder}/b.db"', "[fetch]"]
        lines += [f"{k} = {json.dumps(v)}" for k, v in fetch.items()]
        lines += [
            "[extract]\nworkers = 1",
            f"[schedule]\nmin_interval = {interval}\nmax_interval = {interval}\njitter = 0.1",
            f'[metrics]\nlisten = "127.0.0.1:{port}"',
            '[[outlets]]\nname = "Bench"\ndomain = "bench.example"',
            "feeds = [" + ", ".join(f'"{site.base}/f/{n}.xml"' for n in range(feeds)) + "]",
        ]
        config.write_text("\n".join(lines) + "\n")
        proc = subprocess.Popen(
            [sys.executable, "-m", "ingestd", "--config", str(config), "run"],
            stderr=subprocess.DEVNULL,
            cwd=folder,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    metrics(port)
                    break
                except OSError:
                    if time.monotonic() > deadline or proc.poll() is not None:
                        raise SystemExit("the daemon did not start") from None
                    time.sleep(0.2)
            started = time.monotonic()
            first = metrics(port)
            time.sleep(seconds)
            last = metrics(port)
            elapsed = time.monotonic() - started
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
            site.shutdown()
    polls = sum(v for k, v in last.items() if k.startswith("ingestd_feed_polls_total"))
    polls -= sum(v for k, v in first.items() if k.startswith("ingestd_feed_polls_total"))
    return {
        "polls_per_s": polls / elapsed,
        "articles": last["ingestd_articles_stored_total"],
        "lag_last_ms": last["ingestd_event_loop_lag_seconds"] * 1000,
        "lag_max_ms": last["ingestd_event_loop_lag_max_seconds"] * 1000,
        "extract_ms": 1000
        * last["ingestd_extraction_seconds_sum"]
        / max(1.0, last["ingestd_extraction_seconds_count"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=400)
    parser.add_argument("--articles", type=int, default=80)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    idle = run(1, 0, args.interval, args.seconds)
    loaded = run(args.feeds, args.articles, args.interval, args.seconds)
    print(
        f"idle:   1 feed, {idle['polls_per_s']:.1f} polls/s, "
        f"loop lag max {idle['lag_max_ms']:.1f} ms"
    )
    print(
        f"loaded: {args.feeds} feeds, {loaded['polls_per_s']:.0f} polls/s (mostly 304s), "
        f"{loaded['articles']:.0f} articles extracted ({loaded['extract_ms']:.0f} ms each), "
        f"loop lag max {loaded['lag_max_ms']:.1f} ms, last {loaded['lag_last_ms']:.1f} ms"
    )
    print(f"lag max loaded/idle: {loaded['lag_max_ms'] / max(idle['lag_max_ms'], 0.001):.1f}x")


if __name__ == "__main__":
    main()
