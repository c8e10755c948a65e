"""``ingestd import PATH [--format jsonl|warc]``: backfill articles through the match step."""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from pathlib import Path

import click

from ingestd.app import config_owner
from ingestd.commands._common import config_path, now, opened_store, settings
from ingestd.errors import OperatorError
from ingestd.ops.progress import progress


@click.command(name="import")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["jsonl", "warc"]),
    default="jsonl",
    show_default=True,
    help="JSONL: one article per line; WARC: the HTML responses of a crawl archive.",
)
@click.pass_context
def import_(ctx: click.Context, path: Path, fmt: str) -> None:
    """Import articles from a JSONL file or a WARC archive, matched like polled articles.

    JSONL lines: {"url", "outlet" (a configured outlet's name or domain),
    "title", "text" (paragraphs separated by newlines), "published_at" (ISO
    8601)}, optional "guid", "canonical_url", "author", "language", and
    "html" (extracted like a fetched page, instead of "text"). Bad lines are
    reported with their number and skipped; the exit status is 1 when any
    was rejected. Importing a file again stores nothing twice.
    """
    # Imported here: the matcher pulls in datasketch and numpy.
    from ingestd.extract.pool import ExtractionPool
    from ingestd.fingerprint.params import DEFAULT_PARAMS
    from ingestd.match.linker import Linker
    from ingestd.match.thresholds import DEFAULT_THRESHOLDS
    from ingestd.ops.imports import (
        Importer,
        OutletDirectory,
        count_items,
        jsonl_items,
        warc_items,
    )
    from ingestd.pipeline import outlet_table

    if not path.is_file():
        raise OperatorError(f"{path}: no such file")
    config = settings(ctx)
    total = count_items(path, fmt)
    with opened_store(ctx, write=True, create=True) as store:
        store.sync_outlets(outlet_table(config), now(), owner=config_owner(config_path(ctx)))
        linker = Linker(
            store,
            params=DEFAULT_PARAMS,
            thresholds=DEFAULT_THRESHOLDS,
            window=timedelta(days=config.match.dedup_window_days),
            cache_articles=config.match.cache_articles,
        )
        outlets = OutletDirectory(store.outlets())
        items = (
            jsonl_items(path, outlets)
            if fmt == "jsonl"
            else warc_items(path, outlets, max_bytes=config.fetch.max_bytes)
        )
        rejected: list[str] = []

        def report(line: str) -> None:
            rejected.append(line)
            click.echo(f"rejected {line}", err=True)

        with (
            ExtractionPool(config.extract.workers) as pool,
            progress(f"importing {path.name}", total) as advance,
        ):
            importer = Importer(store, linker, pool)
            summary = asyncio.run(importer.run(items, report=report, advance=advance))
    click.echo(summary.line())
    if summary.rejected:
        sys.exit(1)
