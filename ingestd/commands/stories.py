"""``ingestd stories``: recent stories, and one story's source chain as a tree."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from ingestd.app import open_read_store
from ingestd.commands._common import (
    FORMAT_OPTION,
    echo_json,
    echo_table,
    emphasis,
    opened_store,
    since_option,
    when,
)
from ingestd.ops.stories import list_stories, story_detail
from ingestd.ops.tree import render_story, story_json
from ingestd.store import Store


@click.group()
def stories() -> None:
    """Read stories and their source chains."""


DB_OPTION = click.option(
    "--db",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Read this SQLite database instead of the configured store (e.g. `ingestd demo`'s).",
)


@contextmanager
def _store(ctx: click.Context, db: Path | None) -> Iterator[Store]:
    """The ``--db`` file, only read (never created or migrated), else the configured store."""
    if db is None:
        with opened_store(ctx) as store:
            yield store
        return
    store = open_read_store(f"sqlite:///{db.resolve()}")
    try:
        yield store
    finally:
        store.close()


@stories.command(name="list")
@click.option("--since", help="Only stories seen since then: 24h, 7d, or a date like 2026-01-12.")
@click.option("--outlet", help="Only stories with a member from this outlet (name or domain).")
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@FORMAT_OPTION
@DB_OPTION
@click.pass_context
def list_command(
    ctx: click.Context,
    since: str | None,
    outlet: str | None,
    limit: int,
    fmt: str,
    db: Path | None,
) -> None:
    """The most recently active stories, newest first."""
    moment = since_option(since)
    with _store(ctx, db) as store:
        rows = list_stories(store, since=moment, outlet=outlet, limit=limit)
    if fmt == "json":
        echo_json(rows)
        return
    if not rows:
        click.echo("no stories match")
        return
    table = [
        [
            str(row["story_id"]),
            when(row["last_seen_at"]),
            str(row["member_count"]),
            str(row["outlet_count"]),
            row["origin_outlet"] + (" (attributed)" if row["origin_attributed"] else ""),
            row["title"] or "(no title)",
        ]
        for row in rows
    ]
    echo_table(["ID", "LAST SEEN", "MEMBERS", "OUTLETS", "ORIGIN", "TITLE"], table)


@stories.command()
@click.argument("story_id", type=int)
@FORMAT_OPTION
@DB_OPTION
@click.pass_context
def show(ctx: click.Context, story_id: int, fmt: str, db: Path | None) -> None:
    """One story: origin with its evidence, and the source chain as a tree."""
    with _store(ctx, db) as store:
        detail = story_detail(store, story_id)
    if fmt == "json":
        echo_json(story_json(detail))
        return
    for line in render_story(detail, emphasis()):
        click.echo(line)
