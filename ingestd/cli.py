"""The ``ingestd`` command line.

Exit status: 0 success; 1 nothing could run (store unusable, every feed
failed); 2 bad usage or bad configuration.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ingestd import __version__
from ingestd.app import config_owner, open_read_store, open_store, poll_once
from ingestd.commands._common import settings_from
from ingestd.errors import ConfigError, IngestdError
from ingestd.ops.stories import story_ids_since
from ingestd.report.export import write_csv, write_jsonl

if TYPE_CHECKING:
    from ingestd.pipeline import CycleStats

log = logging.getLogger("ingestd")


def _configure_logging(verbosity: int) -> None:
    # The one place logging is set up (JSON lines when stderr is not a
    # terminal); `ingestd run` applies [log] format once it has the settings.
    from ingestd.service.logs import configure_logging

    configure_logging(verbosity, "auto")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "-c",
    type=click.Path(path_type=Path, dir_okay=False),
    help="TOML configuration file.",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.version_option(__version__, prog_name="ingestd")
@click.pass_context
def cli(ctx: click.Context, config: Path | None, verbose: int) -> None:
    """ingestd: polls news feeds, fetches articles, finds syndicated copies."""
    _configure_logging(verbose)
    ctx.ensure_object(dict)
    ctx.obj["config"] = config
    ctx.obj["verbose"] = verbose


@cli.command()
@click.option("--once", is_flag=True, help="Poll every feed once, ingest, and exit.")
@click.pass_context
def poll(ctx: click.Context, once: bool) -> None:
    """Poll the configured feeds and ingest new articles."""
    if not once:
        raise click.UsageError("poll needs --once (the long-running service is `ingestd run`)")
    settings = settings_from(ctx)
    store = open_store(settings)
    try:
        started = time.monotonic()
        owner = config_owner(ctx.obj.get("config"))
        stats = asyncio.run(poll_once(settings, store, owner=owner))
    finally:
        store.close()
    click.echo(_stats_line(stats, time.monotonic() - started))  # the result: on stdout
    if stats.feeds_polled and stats.feeds_failed == stats.feeds_polled:
        sys.exit(1)


def _stats_line(stats: CycleStats, seconds: float) -> str:
    errors = ", ".join(f"{k}={v}" for k, v in sorted(stats.errors.items())) or "none"
    return (
        f"polled {stats.feeds_polled} feeds ({stats.feeds_unchanged} unchanged, "
        f"{stats.feeds_failed} failed), {stats.entries_new} new entries, "
        f"{stats.articles_stored} articles stored ({stats.copies_linked} linked as copies), "
        f"{stats.pages_failed} pages failed, {stats.entries_waiting} entries wait for the"
        f" next cycle; errors: {errors}; {seconds:.1f}s"
    )


@cli.command()
@click.option(
    "--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True
)
@click.option("--since", help="Only stories seen since then: 24h, 7d, or a date like 2026-01-12.")
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write here instead of standard output.",
)
@click.pass_context
def export(ctx: click.Context, fmt: str, since: str | None, output: Path | None) -> None:
    """Export stories with their members and source chain (JSON Lines, or CSV per member)."""
    from ingestd.commands._common import since_option
    from ingestd.ops.progress import progress

    moment = since_option(since)
    settings = settings_from(ctx)
    store = open_read_store(settings.storage.url)
    writer = write_csv if fmt == "csv" else write_jsonl
    try:
        if output is None:
            writer(store, sys.stdout, moment)
        else:
            total = len(story_ids_since(store, moment)) if moment else store.counts()["stories"]
            with (
                output.open("w", encoding="utf-8", newline="") as out,
                progress(f"exporting to {output}", total) as advance,
            ):
                count = writer(store, out, moment, lambda _: advance(1))
            click.echo(f"wrote {count} stories to {output}", err=True)
    finally:
        store.close()


@cli.command()
@click.option(
    "--db",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("ingestd-demo.db"),
    show_default=True,
    help="SQLite file to create (replaced if it exists).",
)
@click.option("--workers", type=int, default=0, help="Extraction processes (0: one per CPU).")
def demo(db: Path, workers: int) -> None:
    """Ingest the bundled sample outlets, served locally, and summarise."""
    from ingestd.demo.run import run_demo

    run_demo(db, workers, click.echo)


@cli.command(name="eval")
@click.option(
    "--corpus",
    type=click.Path(path_type=Path, exists=True),
    default=None,
    help="A rendered corpus file (.json.gz) to score instead of the one shipped with ingestd;"
    " make one from a spec folder with"
    " `python -m tests.support.corpus SPEC_DIR --render FILE` in a source checkout.",
)
@click.option(
    "--workdir",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Where to keep the evaluation database (default: a temporary folder).",
)
def evaluate(corpus: Path | None, workdir: Path | None) -> None:
    """Score the matcher on the labelled corpus beside two baselines."""
    import tempfile

    from ingestd.evaluation.run import run_eval

    if corpus is not None and corpus.is_dir():
        raise click.BadParameter(
            f"{corpus} is a folder: render it first with"
            f" `python -m tests.support.corpus {corpus} --render corpus.json.gz`",
            param_hint="--corpus",
        )
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="ingestd-eval-") as folder:
            run_eval(corpus, Path(folder), click.echo)
    else:
        workdir.mkdir(parents=True, exist_ok=True)
        run_eval(corpus, workdir, click.echo)


@cli.command()
@click.argument("db", type=click.Path(path_type=Path, dir_okay=False))
def backtest(db: Path) -> None:
    """Replay the current matcher over a stored database; print what would change."""
    from ingestd.match.backtest import backtest as run_backtest

    try:
        run_backtest(db, click.echo)
    except FileNotFoundError as error:
        raise click.UsageError(str(error)) from None


# -- commands defined in ingestd/commands/ -----------------------------------
# Each module there holds one command or command group; register it here.
from ingestd.commands.feeds import feeds  # noqa: E402
from ingestd.commands.prune import prune  # noqa: E402
from ingestd.commands.stories import stories  # noqa: E402

cli.add_command(feeds)
cli.add_command(stories)
cli.add_command(prune)

from ingestd.commands.report import report as _report_command  # noqa: E402

cli.add_command(_report_command)

from ingestd.commands.run import run as _run_command  # noqa: E402

cli.add_command(_run_command)

from ingestd.commands.db import db as db_command  # noqa: E402

cli.add_command(db_command)
from ingestd.commands.importer import import_ as _import_command  # noqa: E402

cli.add_command(_import_command)

from ingestd.commands.serve import serve as _serve_command  # noqa: E402
from ingestd.commands.workers import workers as _workers_command  # noqa: E402

cli.add_command(_serve_command)
cli.add_command(_workers_command)


def main() -> None:
    """Console entry point: runs the CLI and maps errors to exit codes."""
    try:
        cli.main(standalone_mode=False)
    except ConfigError as error:
        click.echo(f"ingestd: configuration error: {error}", err=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("Aborted!", err=True)
        sys.exit(1)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except IngestdError as error:
        click.echo(f"ingestd: {error}", err=True)
        sys.exit(1)
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.exit(130)
