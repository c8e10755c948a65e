"""ingestd at deployment scale: a store filled through `ingestd import`, then measured.

    python bench/scale_bench.py [--articles 100000] [--backend sqlite|postgresql]
                                [--days 15] [--window 14] [--sample 2000]
                                [--workdir DIR] [--postgres postgresql://postgres@127.0.0.1:5432]
                                [--unspaced-share 0.1]

A synthetic news stream (ingestd.evaluation.stream: 40 outlets, 20% planted
copies published hours to three days after their origin, whole, cut down or
lightly edited; ``--unspaced-share`` of the outlets write Chinese or Japanese,
without spaces, edited by a few characters) of ``--articles`` articles over
``--days`` days (more than the ``--window``) is written as JSONL and imported by TWO successive
`ingestd import` processes (the first and second half), as a backfill
would be. Then, on the filled store:

- import articles/s of each process, and beside it the store's bare insert
  rate measured in the same run: the same article records (features,
  signature and index rows already computed) written by ``insert_article``
  alone into a fresh store of the same dialect, one transaction each;
- match step per article, p50/p95, for ``--sample`` further articles of the
  stream linked in this process through the real Linker and store, one
  transaction each: the serialised step as `poll` and `import` run it
  (the text prepared beforehand, as their extraction worker does), the
  same with the text preparation timed too, and the part after all text
  work (index look-up, verification, insert, story update);
- peak RSS of each import process and of `ingestd run`, and RSS per
  windowed article (compare the figures of two sizes for the growth);
- store size per 1,000 articles, candidate index included, and the index
  rows;
- seconds from `ingestd run` start to READY=1 on that store;
- planted copies found: copies filed in their origin's story;
- the match step and planted copies found per script (Latin, zh, ja).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql as pgsql

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ingestd.evaluation.stream import SyntheticStream
from ingestd.extract.pool import prepare_plain_text as prepare_in_worker
from ingestd.fingerprint.params import DEFAULT_PARAMS
from ingestd.match.linker import Linker
from ingestd.match.thresholds import DEFAULT_THRESHOLDS
from ingestd.ops.imports import ImportItem, OutletDirectory, parse_line
from ingestd.pipeline import outlet_table
from ingestd.settings import load_settings
from ingestd.store import Store, open_store
from ingestd.store.records import PendingEntry
from ingestd.types import ExtractedArticle

INGESTD = [sys.executable, "-m", "ingestd"]


class PeakRss:
    """Samples a process's VmHWM (peak resident set) until it exits."""

    def __init__(self, pid: int):
        self.pid = pid
        self.peak_kib = 0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        path = Path(f"/proc/{self.pid}/status")
        while True:
            try:
                text = path.read_text()
            except (FileNotFoundError, ProcessLookupError):
                return
            for line in text.splitlines():
                if line.startswith("VmHWM:"):
                    self.peak_kib = max(self.peak_kib, int(line.split()[1]))
            time.sleep(0.2)

    def mib(self) -> float:
        self._thread.join(timeout=1)
        return self.peak_kib / 1024


def run_import(config: Path, path: Path) -> tuple[float, float, str]:
    """One `ingestd import` process: (seconds, peak RSS MiB, its summary line)."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [*INGESTD, "-c", str(config), "import", str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    rss = PeakRss(proc.pid)
    out, _ = proc.communicate()
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        raise SystemExit(f"import failed ({proc.returncode}): {out}")
    return seconds, rss.mib(), out.strip().splitlines()[-1]


def ready_seconds(config: Path, folder: Path) -> tuple[float, float]:
    """Seconds from `ingestd run` start to READY=1, and its peak RSS (MiB) 3 s later."""
    address = str(folder / f"notify-{uuid.uuid4().hex[:8]}.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(address)
    sock.settimeout(120)
    env = dict(os.environ, NOTIFY_SOCKET=address)
    started = time.monotonic()
    proc = subprocess.Popen(
        [*INGESTD, "-c", str(config), "run"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    rss = PeakRss(proc.pid)
    try:
        while True:
            message = sock.recv(4096).decode()
            if "READY=1" in message:
                ready = time.monotonic() - started
                break
        time.sleep(3)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        sock.close()
        Path(address).unlink(missing_ok=True)
    return ready, rss.mib()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class TimedLinker(Linker):
    """The real Linker, timing its text-features part separately."""

    prepare_seconds: float = 0.0

    def read_text(self, *args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return super().read_text(*args, **kwargs)
        finally:
            self.prepare_seconds += time.perf_counter() - began

    def _prepare(self, *args: Any, **kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return super()._prepare(*args, **kwargs)
        finally:
            self.prepare_seconds += time.perf_counter() - began


def article_of(item: ImportItem) -> ExtractedArticle:
    return ExtractedArticle(
        url=item.url,
        text=item.text or "",
        title=item.title,
        author=None,
        published_at=item.published_at,
        site_name=None,
        language=item.language,
        canonical_url=None,
        description=None,
    )


def linker_for(store: Store, window_days: int, cls: type[Linker] = Linker) -> Linker:
    return cls(
        store,
        params=DEFAULT_PARAMS,
        thresholds=DEFAULT_THRESHOLDS,
        window=timedelta(days=window_days),
    )


def sample_items(lines: list[str], store: Store) -> list[ImportItem]:
    outlets = OutletDirectory(store.outlets())
    items = [parse_line(n, line, outlets) for n, line in enumerate(lines, start=1)]
    return [i for i in items if isinstance(i, ImportItem)]


def match_step(store: Store, items: list[ImportItem], window: int) -> dict[str, float]:
    """Link the sample through the real Linker; per-article step times in ms.

    ``p50``/``p95``: the match step as `poll` and `import` run it, the text
    prepared (paragraphs, normalisation, shingles) beforehand as their
    extraction worker does, outside the timing; what is timed is everything
    the main process does for the article: credits, boilerplate counts,
    features, signature, look-up, verification, insert, story update, commit.
    ``whole_p50``/``whole_p95``: the same with the text prepared in this
    process too; ``rest_p50``/``rest_p95``: after all text work (look-up,
    verification, insert, story). Beside the whole sample's figures,
    ``p50_<script>`` for each script of the stream (the article's language,
    "latin" when it has none).
    """
    linker = linker_for(store, window, TimedLinker)
    assert isinstance(linker, TimedLinker)
    steps, wholes, after_features = [], [], []
    by_script: dict[str, list[float]] = {}
    for item in items:
        seen = item.published_at or datetime.now().astimezone()
        entry = store.import_entry(
            store.import_feed(item.outlet_id, f"sample{item.outlet_id}", seen),
            item.outlet_id,
            guid=item.guid,
            url=item.url,
            title=item.title,
            published_at=item.published_at,
            now=seen,
        )
        began = time.perf_counter()
        article = replace(article_of(item), prepared=prepare_in_worker(item.text or ""))
        worker = time.perf_counter() - began
        linker.prepare_seconds = 0.0
        began = time.perf_counter()
        linker.link(entry, article, seen)
        step = time.perf_counter() - began
        steps.append(step * 1000)
        wholes.append((step + worker) * 1000)
        after_features.append((step - linker.prepare_seconds) * 1000)
        by_script.setdefault(item.language or "latin", []).append(step * 1000)
    timing = {
        "p50": percentile(steps, 0.5),
        "p95": percentile(steps, 0.95),
        "whole_p50": percentile(wholes, 0.5),
        "whole_p95": percentile(wholes, 0.95),
        "rest_p50": percentile(after_features, 0.5),
        "rest_p95": percentile(after_features, 0.95),
    }
    for script, times in sorted(by_script.items()):
        timing[f"p50_{script}"] = percentile(times, 0.5)
        timing[f"p95_{script}"] = percentile(times, 0.95)
        timing[f"n_{script}"] = len(times)
    return timing


def match_line(timing: dict[str, float], sample: int, windowed: int) -> str:
    """The match step's figures, one line."""
    return (
        f"match step over {sample:,} further articles ({windowed:,} windowed), text prepared "
        f"as in the extraction worker: p50 {timing['p50']:.2f} ms, p95 {timing['p95']:.2f} ms; "
        f"with the text preparation in this process: p50 {timing['whole_p50']:.2f} ms, "
        f"p95 {timing['whole_p95']:.2f} ms; after all text work (look-up, verify, insert, "
        f"story): p50 {timing['rest_p50']:.2f} ms, p95 {timing['rest_p95']:.2f} ms"
    )


def script_line(timing: dict[str, float]) -> str:
    """The per-script part of the match step's figures, one line."""
    scripts = sorted(key[4:] for key in timing if key.startswith("p50_"))
    return "    per script: " + "; ".join(
        f"{script} p50 {timing[f'p50_{script}']:.2f} ms, p95 {timing[f'p95_{script}']:.2f} ms "
        f"({int(timing[f'n_{script}'])} articles)"
        for script in scripts
    )


def bare_insert_rate(
    url: str, settings_outlets: list[dict[str, Any]], lines: list[str], window: int
) -> float:
    """insert_article alone (records precomputed), one transaction each, into a fresh store."""
    store = open_store(url)
    store.migrate()
    first = datetime.fromisoformat(json.loads(lines[0])["published_at"])
    store.sync_outlets(settings_outlets, first)
    linker = linker_for(store, window)
    items = sample_items(lines, store)
    records = []
    for number, item in enumerate(items, start=1):
        entry = PendingEntry(
            0, 0, item.outlet_id, item.guid, item.url, item.url, item.title, None, 0
        )
        seen = item.published_at or first
        record, _, _ = linker.prepare(entry, article_of(item), seen, revisit=False)
        records.append((record, seen))
        del number
    began = time.perf_counter()
    for record, seen in records:
        with store.match_lock():
            store.insert_article(record, None, seen)
    rate = len(records) / (time.perf_counter() - began)
    store.close()
    return rate


def planted_found(
    store: Store, planted: dict[str, str], scripts: dict[str, str] | None = None
) -> tuple[int, int]:
    """(found, stored) planted copies; with ``scripts`` (url -> script) only that script's."""
    story: dict[str, int] = {}
    urls = list({*planted, *planted.values()})
    for start in range(0, len(urls), 500):
        chunk = urls[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for row in store.query(f"SELECT url, story_id FROM articles WHERE url IN ({marks})", chunk):
            story[row["url"]] = int(row["story_id"])
    stored = [
        (copy, origin)
        for copy, origin in planted.items()
        if copy in story and (scripts is None or copy in scripts)
    ]
    found = sum(1 for copy, origin in stored if story.get(copy) == story.get(origin))
    return found, len(stored)


def planted_by_script(store: Store, stream: SyntheticStream) -> str:
    """Planted copies found per script of the copy's outlet, one line."""
    number_of = {o["domain"]: n for n, o in enumerate(stream.outlet_table())}
    scripts: dict[str, dict[str, str]] = {}
    for copy in stream.planted:
        script = stream.script_of(number_of[copy.split("/")[2]])
        scripts.setdefault(script, {})[copy] = script
    parts = []
    for script, urls in sorted(scripts.items()):
        found, stored = planted_found(store, stream.planted, urls)
        parts.append(f"{script} {found:,} of {stored:,} ({found / max(stored, 1):.4f})")
    return "    planted copies found per script: " + "; ".join(parts)


def measure_only(args: argparse.Namespace) -> None:
    """The measurements of a run on a store it filled, without importing (--measure)."""
    settings = load_settings(args.measure)
    store = open_store(settings.storage.url)
    store.migrate()
    stored = int(store.query_one("SELECT count(*) FROM store_articles")[0])
    stream = SyntheticStream(
        articles=args.articles + args.sample,
        days=args.days,
        unspaced_share=args.unspaced_share,
        seed=7,
    )
    lines = stream.lines()
    for _ in range(stored):
        next(lines)
    sample = [next(lines) for _ in range(args.sample)]
    windowed = store.index_size()
    print(f"measuring {settings.storage.url}: {stored:,} articles stored, {windowed:,} windowed")
    timing = match_step(store, sample_items(sample, store), args.window)
    print(match_line(timing, len(sample), windowed), flush=True)
    print(script_line(timing), flush=True)
    found, planted = planted_found(store, stream.planted)
    print(f"planted copies found (among those stored): {found:,} of {planted:,}")
    print(planted_by_script(store, stream), flush=True)
    total = stored + len(sample)
    size = store.size_bytes()
    print(f"store size: {size / 2**20:.0f} MiB = {size / total * 1000 / 2**20:.2f} MiB per 1,000")
    store.close()
    ready, run_rss = ready_seconds(args.measure, args.measure.parent)
    print(f"ingestd run: READY=1 after {ready:.2f} s; peak RSS {run_rss:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--days", type=float, default=15.0)
    parser.add_argument("--window", type=int, default=14)
    parser.add_argument("--sample", type=int, default=2000)
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument(
        "--unspaced-share",
        type=float,
        default=0.1,
        help="share of the outlets writing Chinese or Japanese (no spaces); 0 for Latin only",
    )
    parser.add_argument(
        "--measure",
        type=Path,
        default=None,
        help="CONFIG of a store an earlier run filled (maybe partly): measure it, import nothing",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the PostgreSQL databases (default: drop them)"
    )
    args = parser.parse_args()
    if args.measure is not None:
        measure_only(args)
        return

    folder = args.workdir or Path(tempfile.mkdtemp(prefix="scale-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    tag = uuid.uuid4().hex[:8]
    if args.backend == "sqlite":
        url = f"sqlite:///{folder / f'scale-{tag}.db'}"
        bare_url = f"sqlite:///{folder / f'bare-{tag}.db'}"
    else:
        url = f"{args.postgres}/ingestd_scale_{tag}"
        bare_url = f"{args.postgres}/ingestd_bare_{tag}"
    print(
        f"scale bench: {args.articles:,} articles over {args.days:g} days, "
        f"{args.window}-day window, {args.backend} ({url}); {load_average()}",
        flush=True,
    )
    try:
        measure(args, folder, tag, url, bare_url)
    finally:
        if args.backend == "postgresql" and not args.keep:
            for name in (f"ingestd_scale_{tag}", f"ingestd_bare_{tag}"):
                drop_database(args.postgres, name)
    print(load_average())


def load_average() -> str:
    """The machine's load average (the machine may be shared: read figures beside it)."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} ({os.cpu_count()} cores)"


def drop_database(server: str, name: str) -> None:
    """Drop a database the bench created (closing any connection left open)."""
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(
            pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(name))
        )


def measure(args: argparse.Namespace, folder: Path, tag: str, url: str, bare_url: str) -> None:
    """Generate the stream, import it, and print the figures."""

    stream = SyntheticStream(
        articles=args.articles + args.sample,
        days=args.days,
        unspaced_share=args.unspaced_share,
        seed=7,
    )
    began = time.monotonic()
    half = args.articles // 2
    paths = [folder / f"part1-{tag}.jsonl", folder / f"part2-{tag}.jsonl"]
    counts = [half, args.articles - half]
    sample: list[str] = []
    head: list[str] = []
    lines = stream.lines()
    for path, count in zip(paths, counts, strict=True):
        with path.open("w", encoding="utf-8") as out:
            for _ in range(count):
                line = next(lines)
                if len(head) < 2000:
                    head.append(line)
                out.write(line + "\n")
    sample = list(lines)
    print(
        f"generated the stream in {time.monotonic() - began:.0f} s "
        f"({len(stream.planted):,} planted copies)",
        flush=True,
    )
    config = folder / f"scale-{tag}.toml"
    config.write_text(stream.config_toml(url, args.window) + "[extract]\nworkers = 1\n")
    settings = load_settings(config)

    rates = []
    for number, path in enumerate(paths, start=1):
        count = counts[number - 1]
        seconds, rss, summary = run_import(config, path)
        rates.append((count / seconds, rss))
        print(
            f"import process {number}: {count:,} articles in {seconds:.0f} s = "
            f"{count / seconds:.0f} articles/s (whole process), peak RSS {rss:.0f} MiB; "
            f"{load_average()}\n"
            f"    {summary}",
            flush=True,
        )

    bare = bare_insert_rate(bare_url, outlet_table(settings), head, args.window)
    print(
        f"bare insert_article rate (fresh store, records precomputed): {bare:.0f} articles/s; "
        f"import/bare = {rates[-1][0] / bare:.2f} (second process)",
        flush=True,
    )

    store = open_store(url)
    store.migrate()
    windowed = store.index_size()
    keys = int(store.query_one("SELECT count(*) FROM store_index_keys")[0])
    print(
        f"windowed (indexed) articles: {windowed:,} of {args.articles:,}; index key rows {keys:,}"
    )
    timing = match_step(store, sample_items(sample, store), args.window)
    print(match_line(timing, len(sample), windowed), flush=True)
    print(script_line(timing), flush=True)
    found, planted = planted_found(store, stream.planted)
    print(f"planted copies found: {found:,} of {planted:,} ({found / planted:.4f})")
    print(planted_by_script(store, stream), flush=True)
    total = int(store.query_one("SELECT count(*) FROM store_articles")[0])
    size = store.size_bytes()
    print(
        f"store size: {size / 2**20:.0f} MiB = {size / total * 1000 / 2**20:.2f} MiB per 1,000 "
        f"articles ({total:,} articles, index included)"
    )
    store.close()
    ready, run_rss = ready_seconds(config, folder)
    print(f"ingestd run: READY=1 after {ready:.2f} s; peak RSS {run_rss:.0f} MiB")
    import_rss = max(r for _, r in rates)
    print(
        f"RSS per windowed article: import {import_rss * 2**20 / max(windowed, 1):.0f} bytes, "
        f"run {run_rss * 2**20 / max(windowed, 1):.0f} bytes (whole process / windowed; "
        "compare two sizes for the growth)"
    )
    print(
        json.dumps(
            {
                "articles": args.articles,
                "backend": args.backend,
                "windowed": windowed,
                "import_rates": [round(r) for r, _ in rates],
                "bare_insert_rate": round(bare),
                "match_ms": {k: round(v, 3) for k, v in timing.items()},
                "import_rss_mib": [round(m) for _, m in rates],
                "run_rss_mib": round(run_rss),
                "ready_s": round(ready, 2),
                "mib_per_1000": round(size / total * 1000 / 2**20, 3),
                "planted": [found, planted],
            }
        )
    )


if __name__ == "__main__":
    main()
