"""Helpers shared by the operator commands: settings, store, output formats."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from ingestd.app import open_read_store, open_store
from ingestd.durations import parse_age, parse_since
from ingestd.settings import Settings, load_settings
from ingestd.store import Store
from ingestd.terminal import clean, wants_colour

FORMAT_OPTION = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Plain text for people, JSON for tools.",
)


def now() -> datetime:
    """The current time, aware UTC."""
    return datetime.now(UTC)


def settings_from(ctx: click.Context) -> Settings:
    """The validated settings named by ``--config`` (loaded once per invocation)."""
    root = ctx.find_root()
    found: Settings | None = root.obj.get("settings")
    if found is None:
        config: Path | None = root.obj.get("config")
        if config is None:
            raise click.UsageError("this command needs --config FILE")
        found = load_settings(config)
        root.obj["settings"] = found
    return found


def config_path(ctx: click.Context) -> Path | None:
    """The ``--config`` file, if one was given."""
    path: Path | None = ctx.find_root().obj.get("config")
    return path


def settings(ctx: click.Context, *, required: bool = True) -> Settings:
    """The ``--config`` settings; the defaults when optional and no file was given."""
    if not required and config_path(ctx) is None:
        return Settings()
    return settings_from(ctx)


@contextmanager
def opened_store(
    ctx: click.Context, *, write: bool = False, create: bool = False
) -> Iterator[Store]:
    """The configured store, closed afterwards; a missing one is a StoreError (exit 1).

    Read-only unless ``write``: reading commands never create, migrate or
    change the database (an older schema says to run `ingestd db migrate`).
    A writing command migrates it first (and creates it with ``create``).
    """
    configured = settings(ctx)
    store = (
        open_store(configured, create=create) if write else open_read_store(configured.storage.url)
    )
    try:
        yield store
    finally:
        store.close()


def since_option(value: str | None) -> datetime | None:
    """Parse a ``--since`` value or raise click.BadParameter."""
    if value is None:
        return None
    try:
        return parse_since(value, now())
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--since") from None


def age_option(value: str, hint: str) -> timedelta:
    """Parse a duration option or raise click.BadParameter."""
    try:
        return parse_age(value)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint=hint) from None


def when(value: datetime | str | None) -> str:
    """A time for a table cell."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return "-" if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")


def jsonable(value: Any) -> Any:
    """Datetimes as ISO text, recursively."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    return value


def echo_json(value: Any) -> None:
    """Pretty JSON on standard output."""
    click.echo(json.dumps(jsonable(value), ensure_ascii=False, indent=2))


def echo_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Columns aligned on the widest cell; the last column is not padded.

    Cells hold store text (titles, URLs, errors): control characters go.
    """
    rows = [[clean(cell) for cell in row] for row in rows]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        padded = [c.ljust(w) for c, w in zip(cells[:-1], widths[:-1], strict=True)]
        return "  ".join([*padded, cells[-1]]).rstrip()

    click.echo(line(headers))
    for row in rows:
        click.echo(line(row))


def emphasis(stream: Any = None) -> Callable[[str], str]:
    """Bold on a terminal (unless ``NO_COLOR`` is set), plain text otherwise."""
    if wants_colour(stream or sys.stdout):
        return lambda text: click.style(text, bold=True)
    return lambda text: text
