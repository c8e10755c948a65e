"""``ingestd report``: what the store found, for people (text, HTML) and tools (JSON)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from ingestd.app import open_read_store
from ingestd.commands._common import settings_from
from ingestd.durations import parse_since
from ingestd.errors import OperatorError
from ingestd.report.model import DEFAULT_MARGIN, DEFAULT_TOP, Report, build_report
from ingestd.report.queries import read_report_input


@click.command()
@click.option(
    "--since",
    metavar="24h|7d|DATE",
    help="Only articles first seen since then: a duration back from now (90m, 24h, 7d, 2w) "
    "or an ISO date / date-time (UTC when no zone). Default: all time.",
)
@click.option("--outlet", metavar="NAME", help="Only stories this outlet (name or domain) is in.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "html"]),
    default="text",
    show_default=True,
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write here instead of standard output.",
)
@click.option(
    "--db",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Read this SQLite database instead of the configured store (e.g. `ingestd demo`'s).",
)
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=DEFAULT_TOP,
    show_default=True,
    help="How many syndicated stories to list.",
)
@click.option(
    "--margin",
    type=click.FloatRange(min=0, max=1),
    default=DEFAULT_MARGIN,
    show_default=True,
    help="How close to a threshold a Jaccard or containment must be to be listed.",
)
@click.pass_context
def report(
    ctx: click.Context,
    since: str | None,
    outlet: str | None,
    fmt: str,
    output: Path | None,
    db: Path | None,
    top: int,
    margin: float,
) -> None:
    """Deduplication report: totals, outlets, who copies whom, stories, feed health."""
    now = datetime.now(UTC)
    start = None
    if since is not None:
        try:
            start = parse_since(since, now)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint="--since") from None
    # Only read: never created, migrated or changed (a file named with --db
    # may be a copy, or not an ingestd database at all).
    url = f"sqlite:///{db.resolve()}" if db is not None else settings_from(ctx).storage.url
    store = open_read_store(url)
    try:
        data = read_report_input(store, now, start)
    finally:
        store.close()
    name = None
    if outlet is not None:
        name = _outlet_name(outlet, [(o.name, o.domain) for o in data.outlets])
    result = build_report(data, outlet=name, top=top, margin=margin)
    text = _render(result, fmt, output)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def _outlet_name(wanted: str, known: list[tuple[str, str]]) -> str:
    """The stored name of the outlet called ``wanted`` (name or domain, any case)."""
    folded = wanted.strip().casefold()
    for name, domain in known:
        if folded in (name.casefold(), domain.casefold()):
            return name
    choices = ", ".join(sorted(name for name, _ in known)) or "none stored"
    # An unknown outlet is like an unknown story: exit 1, one line (README).
    raise OperatorError(f"unknown outlet {wanted!r} (known outlets: {choices})")


def _render(result: Report, fmt: str, output: Path | None) -> str:
    if fmt == "json":
        from ingestd.report.json_report import render_json

        return render_json(result)
    if fmt == "html":
        from ingestd.report.html import render_html

        return render_html(result)
    from ingestd.report.text import render_text
    from ingestd.terminal import wants_colour

    return render_text(result, colour=output is None and wants_colour(sys.stdout))
