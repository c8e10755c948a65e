"""Polling throughput and the CPU cost of an unchanged feed.

    python bench/poll_bench.py [--feeds 2000] [--latency 0.1] [--concurrency 100]

A local asyncio HTTP server (in its own process, so its CPU time is not
counted) serves ``--feeds`` RSS feeds of 10 items, each on its own host name
(``f<N>.bench.test``, resolved to 127.0.0.1 by the Fetcher's injectable
resolver, so per-host limits do not serialise them), answering every request
after ``--latency`` seconds, and 304 to a matching If-None-Match.

Measured in one run, on the same feeds:

1. ingestd's first (cold) cycle: every feed through Ingestor.poll_feed, the
   daemon's poll step: fetched (200) through the real Fetcher (guard
   resolution, pinned connection, size caps), parsed in the worker pool,
   validators and pending entries stored in one transaction, ``--concurrency``
   requests at a time;
2. ingestd's unchanged (warm) cycle through the real pipeline
   (Ingestor.poll_once, pending entries marked done first so only feeds are
   polled): every feed answers 304. Process CPU time of the cycle / feeds is
   the cost of one unchanged feed;
3. the floor under (2): httpx's AsyncClient alone sending the same
   conditional GETs (304, nothing parsed or stored), CPU time per request;
4. the naive baselines: httpx's sync client, one feed after another (a
   kept-alive connection), each 200 parsed with the same parse_feed; and
   the same loop sending If-None-Match (304s).

Targets: (1) and (2) at least 50 times faster than their naive loop; (2)
under 1 ms of CPU per unchanged feed. ``--naive-feeds N`` times the naive
loops on the first N feeds only and scales them up (a sequential loop costs
the same per feed; printed as such) for quick runs.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx

from ingestd.app import fetch_limits
from ingestd.extract.pool import ExtractionPool
from ingestd.feeds.parse import parse_feed
from ingestd.fetch import Fetcher
from ingestd.pipeline import Ingestor
from ingestd.settings import Settings
from ingestd.store import SqliteStore
from ingestd.store.records import FeedRow

HOST_SUFFIX = ".bench.test"
ETAG = '"v1"'


def feed_body(index: int) -> bytes:
    items = "".join(
        f"<item><title>Story {index}-{k}</title>"
        f"<link>https://f{index}{HOST_SUFFIX}/articles/{k}.html</link>"
        f"<guid>f{index}-{k}</guid><pubDate>Tue, 02 Jan 2024 10:{k:02d}:00 GMT</pubDate>"
        f"<description>Summary of story {k} with a few words of text.</description></item>"
        for k in range(10)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Feed {index}</title><link>https://f{index}{HOST_SUFFIX}/</link>"
        f"{items}</channel></rss>"
    ).encode()


# --- the server (child process) ------------------------------------------------


async def _serve_connection(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, latency: float
) -> None:
    try:
        while True:
            try:
                head = await reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return
            lines = head.decode("latin-1").split("\r\n")
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            host = headers.get("host", "").split(":")[0]
            await asyncio.sleep(latency)
            if headers.get("if-none-match") == ETAG:
                writer.write(f"HTTP/1.1 304 Not Modified\r\nETag: {ETAG}\r\n\r\n".encode())
            else:
                index = int(host.removesuffix(HOST_SUFFIX).removeprefix("f") or 0)
                body = feed_body(index)
                writer.write(
                    (
                        "HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                        f"ETag: {ETAG}\r\nContent-Length: {len(body)}\r\n\r\n"
                    ).encode()
                    + body
                )
            await writer.drain()
            if headers.get("connection", "").lower() == "close":
                return
    finally:
        writer.close()


def serve(port_out: Any, latency: float) -> None:
    """Child process: serve the feeds until killed."""

    async def main() -> None:
        server = await asyncio.start_server(
            lambda r, w: _serve_connection(r, w, latency), "127.0.0.1", 0, backlog=4096
        )
        port_out.put(server.sockets[0].getsockname()[1])
        async with server:
            await server.serve_forever()

    asyncio.run(main())


# --- the measured sides ----------------------------------------------------------


async def resolve(host: str, port: int) -> list[str]:
    if not host.endswith(HOST_SUFFIX):
        raise OSError(f"not a bench host: {host}")
    return ["127.0.0.1"]


def settings_for(db: Path, urls: list[str], concurrency: int) -> Settings:
    return Settings.model_validate(
        {
            "storage": {"url": f"sqlite:///{db}"},
            "fetch": {
                "allow_private_addresses": True,
                "concurrency": concurrency,
                "per_host_concurrency": 2,
            },
            "outlets": [{"name": "Bench", "domain": "bench.test", "feeds": urls}],
        }
    )


async def first_cycle(ingestor: Ingestor, feeds: list[FeedRow]) -> tuple[int, int]:
    """Every feed through the real pipeline's poll step (fetch, parse in the
    worker pool, entries + validators + schedule saved in one transaction);
    returns (entries stored, feeds failed)."""
    outcomes = await asyncio.gather(*(ingestor.poll_feed(feed) for feed in feeds))
    for outcome in outcomes:
        if outcome.result == "error":
            print("  error:", outcome, file=sys.stderr)
    stored = sum(outcome.new_entries for outcome in outcomes)
    return stored, sum(outcome.result == "error" for outcome in outcomes)


def naive_loop(port: int, count: int, *, conditional: bool) -> int:
    """One feed after another with httpx's sync client; returns entries
    seen (200s) or 304s counted (conditional)."""
    seen = 0
    with httpx.Client(timeout=10.0) as client:
        for index in range(count):
            headers = {"Host": f"f{index}{HOST_SUFFIX}:{port}"}
            if conditional:
                headers["If-None-Match"] = ETAG
            response = client.get(f"http://127.0.0.1:{port}/feed.xml", headers=headers)
            if conditional:
                seen += response.status_code == 304
                continue
            response.raise_for_status()
            seen += len(parse_feed(str(response.url), response.content).entries)
    return seen


async def httpx_floor(port: int, count: int, concurrency: int) -> float:
    """CPU seconds per conditional GET (304) with httpx's AsyncClient alone."""
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
    async with httpx.AsyncClient(limits=limits, timeout=10.0) as client:

        async def one(index: int) -> None:
            headers = {"Host": f"f{index}{HOST_SUFFIX}:{port}", "If-None-Match": ETAG}
            async with gate:
                response = await client.get(f"http://127.0.0.1:{port}/feed.xml", headers=headers)
            if response.status_code != 304:
                raise RuntimeError(f"expected 304, got {response.status_code}")

        cpu = time.process_time()
        await asyncio.gather(*(one(index) for index in range(count)))
        return (time.process_time() - cpu) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds per answer")
    parser.add_argument("--concurrency", type=int, default=100, help="[fetch] concurrency")
    parser.add_argument("--naive-feeds", type=int, default=0, help="0: all feeds")
    parser.add_argument(
        "--uvloop", action="store_true", help="run ingestd and the floor on uvloop (if installed)"
    )
    args = parser.parse_args()
    loop_factory = None
    if args.uvloop:
        import uvloop

        loop_factory = uvloop.new_event_loop

    context = multiprocessing.get_context("spawn")
    port_out = context.Queue()
    server = context.Process(target=serve, args=(port_out, args.latency), daemon=True)
    server.start()
    port = port_out.get(timeout=30)
    urls = [f"http://f{i}{HOST_SUFFIX}:{port}/feed.xml" for i in range(args.feeds)]
    print(
        f"{args.feeds} feeds, {args.latency * 1000:.0f} ms latency each, "
        f"ingestd concurrency {args.concurrency}, event loop "
        f"{'uvloop' if args.uvloop else 'asyncio'}"
    )
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "bench.db"
            settings = settings_for(db, urls, args.concurrency)
            store = SqliteStore(db)
            store.migrate()
            try:
                with asyncio.Runner(loop_factory=loop_factory) as runner:
                    results = runner.run(run_ingestd(settings, store))
            finally:
                store.close()
        first_s, stored, errors, unchanged_s, unchanged_cpu, unchanged = results
        with asyncio.Runner(loop_factory=loop_factory) as runner:
            floor_cpu = runner.run(httpx_floor(port, args.feeds, args.concurrency))
        naive_count = args.naive_feeds or args.feeds
        started = time.perf_counter()
        naive_entries = naive_loop(port, naive_count, conditional=False)
        naive_s = (time.perf_counter() - started) * args.feeds / naive_count
        started = time.perf_counter()
        naive_304 = naive_loop(port, naive_count, conditional=True)
        naive_304_s = (time.perf_counter() - started) * args.feeds / naive_count
    finally:
        server.kill()
        server.join()

    scaled = "" if naive_count == args.feeds else f" (timed on {naive_count}, scaled)"
    print(f"ingestd cold cycle (200, parse, store):  {first_s:8.2f} s  entries={stored}")
    print(f"naive sequential loop (200, parse):      {naive_s:8.2f} s{scaled}")
    print(f"  -> cold cycle {naive_s / first_s:.1f}x faster than naive (target >= 50x)")
    print(
        f"ingestd warm cycle (304, pipeline):      {unchanged_s:8.2f} s  "
        f"CPU {unchanged_cpu:.2f} s for {unchanged} feeds"
    )
    print(f"naive sequential loop (304):             {naive_304_s:8.2f} s{scaled}")
    print(f"  -> warm cycle {naive_304_s / unchanged_s:.1f}x faster than naive (target >= 50x)")
    per_feed_ms = unchanged_cpu / max(unchanged, 1) * 1000
    print(f"  -> CPU per unchanged feed: {per_feed_ms:.3f} ms (target < 1 ms)")
    print(
        f"     floor: httpx AsyncClient alone, same 304s: {floor_cpu * 1000:.3f} ms "
        f"per request; ingestd adds {per_feed_ms - floor_cpu * 1000:.3f} ms"
    )
    if errors or naive_entries != 10 * naive_count or naive_304 != naive_count:
        print(f"  !! errors={errors} naive_entries={naive_entries} naive_304={naive_304}")
        sys.exit(1)
    if unchanged != args.feeds:
        print(f"  !! only {unchanged} of {args.feeds} feeds answered 304")
        sys.exit(1)


async def run_ingestd(
    settings: Settings, store: SqliteStore
) -> tuple[float, int, int, float, float, int]:
    limits = fetch_limits(settings)  # what `ingestd poll` would use
    pool = ExtractionPool(settings.extract.workers)  # feeds are parsed in its workers
    async with Fetcher(limits, resolver=resolve) as fetcher:
        ingestor = Ingestor(settings, store, fetcher, pool)
        feeds = store.active_feeds()
        await pool.parse_feed("http://warm.test/", feed_body(0), None)  # start the workers
        started = time.perf_counter()
        stored, errors = await first_cycle(ingestor, feeds)
        first_s = time.perf_counter() - started
        # Only feeds in the next cycle: the pages are not what is measured.
        store.execute("UPDATE store_entries SET state = 'done' WHERE state = 'pending'")
        cpu = time.process_time()
        started = time.perf_counter()
        stats = await ingestor.poll_once()
        unchanged_s = time.perf_counter() - started
        unchanged_cpu = time.process_time() - cpu
    pool.close()
    return first_s, stored, errors, unchanged_s, unchanged_cpu, stats.feeds_unchanged


if __name__ == "__main__":
    main()
