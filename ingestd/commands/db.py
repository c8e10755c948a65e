"""``ingestd db migrate`` and ``ingestd db status``: the store's schema.

Usage::

    ingestd -c ingestd.toml db status    # dialect, URL, versions, pending migrations
    ingestd -c ingestd.toml db migrate   # apply pending migrations, one transaction each
"""

from __future__ import annotations

import sys

import click

from ingestd.commands._common import settings_from
from ingestd.store import Store, open_store, redact


@click.group()
def db() -> None:
    """Inspect and migrate the store's schema."""


def _settings_url(ctx: click.Context) -> str:
    return settings_from(ctx).storage.url


def status_lines(store: Store, url: str) -> list[str]:
    """What `ingestd db status` prints for an open (not migrated) store."""
    current, latest = store.schema_version(), store.latest_version()
    pending = store.pending_migrations()
    lines = [
        f"dialect: {store.dialect}",
        f"url: {redact(url)}",
        f"schema version: {current}",
        f"latest version: {latest}",
    ]
    if current > latest:
        lines.append(f"state: newer than this ingestd (knows up to {latest}): upgrade ingestd")
    elif pending:
        lines.append("pending migrations: " + ", ".join(f"{v:04d}_{n}" for v, n in pending))
    else:
        lines.append("pending migrations: none")
    return lines


@db.command()
@click.pass_context
def status(ctx: click.Context) -> None:
    """Print the dialect, the URL (without password) and the schema versions.

    Exits 1 when the database is missing or newer than this ingestd, so a
    deployment script can check it before starting the service.
    """
    url = _settings_url(ctx)
    with open_store(url, read_only=True) as store:
        lines = status_lines(store, url)
        newer = store.schema_version() > store.latest_version()
    for line in lines:
        click.echo(line)
    if newer:
        sys.exit(1)


@db.command()
@click.pass_context
def migrate(ctx: click.Context) -> None:
    """Create the database if needed and apply pending migrations."""
    url = _settings_url(ctx)
    with open_store(url, create=True) as store:
        before = store.schema_version()
        after = store.migrate()  # SchemaVersionError for a newer database: exit 1
    if after == before:
        click.echo(f"{redact(url)}: schema already at version {after}")
    else:
        click.echo(f"{redact(url)}: migrated schema from version {before} to {after}")
