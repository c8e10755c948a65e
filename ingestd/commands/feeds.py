"""``ingestd feeds``: list, add, remove, check, discover, import and export feeds."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click

from ingestd.app import fetch_limits
from ingestd.commands._common import (
    FORMAT_OPTION,
    echo_json,
    echo_table,
    now,
    opened_store,
    settings,
    when,
)
from ingestd.errors import FeedParseError, FetchError, OperatorError, StoreError
from ingestd.fetch.client import Fetcher
from ingestd.ops.feedstore import (
    Outlet,
    add_feed,
    check_feed_url,
    export_outlets,
    find_outlet,
    known_urls,
    list_feeds,
    remove_feed,
    resolve_outlet,
)
from ingestd.ops.opml import OpmlFormatError, OpmlOutlet, read_opml, write_opml
from ingestd.ops.probe import Discovery, discover, fetch_and_parse
from ingestd.ops.progress import progress
from ingestd.settings import OutletSettings
from ingestd.store import Store

T = TypeVar("T")


@click.group()
def feeds() -> None:
    """Manage the feeds ingestd polls."""


@feeds.command(name="list")
@FORMAT_OPTION
@click.option("--all", "show_all", is_flag=True, help="Include removed (inactive) feeds.")
@click.pass_context
def list_command(ctx: click.Context, fmt: str, show_all: bool) -> None:
    """Feeds with their health: last success, last error, error count, next poll."""
    with opened_store(ctx) as store:
        rows = list_feeds(store, include_inactive=show_all)
    if fmt == "json":
        echo_json(rows)
        return
    if not rows:
        click.echo("no feeds (add one with `ingestd feeds add URL --outlet NAME`)")
        return
    table = []
    for row in rows:
        error = row["last_error"] or "-"
        if len(error) > 60:
            error = error[:59] + "…"
        table.append(
            [
                row["outlet"],
                "yes" if row["active"] else "no",
                row["added_by"],
                when(row["last_success_at"]),
                str(row["error_count"]),
                when(row["next_poll_at"]),
                str(row["article_count"]),
                row["url"],
                error,
            ]
        )
    headers = ["OUTLET", "ACTIVE", "BY", "LAST SUCCESS", "ERRORS", "NEXT POLL", "ARTICLES"]
    echo_table([*headers, "URL", "LAST ERROR"], table)


def _valid_url(url: str) -> str:
    try:
        return check_feed_url(url)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="URL") from None


@feeds.command()
@click.argument("url")
@click.option("--outlet", required=True, help="Outlet name (existing, configured or new).")
@click.option("--domain", help="The outlet's domain; needed when the outlet is new.")
@click.pass_context
def add(ctx: click.Context, url: str, outlet: str, domain: str | None) -> None:
    """Add a feed for an outlet (kept across configuration reloads)."""
    url = _valid_url(url)
    configured = settings(ctx).outlets
    with opened_store(ctx, write=True, create=True) as store, store.transaction():
        found, created = resolve_outlet(store, outlet, domain, now(), configured)
        outcome = add_feed(store, url, found, now())
    if created:
        click.echo(f"created outlet {found.name} ({found.domain})")
    if outcome.status == "exists":
        click.echo(f"feed already present: {outcome.url} (outlet {outcome.outlet}); nothing added")
    elif outcome.status == "reactivated":
        click.echo(f"reactivated feed {outcome.url} for {outcome.outlet}")
    else:
        click.echo(f"added feed {outcome.url} for {outcome.outlet} (id {outcome.feed_id})")


@feeds.command()
@click.argument("url")
@click.pass_context
def remove(ctx: click.Context, url: str) -> None:
    """Stop polling a feed the configuration does not list (its articles stay)."""
    config = str(ctx.find_root().obj.get("config"))
    with opened_store(ctx, write=True) as store:
        status, stored_url = remove_feed(store, url.strip(), settings(ctx).outlets, config)
    if status == "inactive":
        click.echo(f"feed {stored_url} was already inactive")
    else:
        click.echo(f"removed feed {stored_url}; its entries and articles stay in the store")


def _fetching(ctx: click.Context, url: str, work: Callable[[Fetcher], Coroutine[Any, Any, T]]) -> T:
    """Run ``work`` with a Fetcher using the configured limits (defaults without --config).

    A failed fetch of ``url`` becomes an OperatorError naming the reason (exit 1).
    """
    limits = fetch_limits(settings(ctx, required=False))

    async def run() -> T:
        async with Fetcher(limits) as fetcher:
            return await work(fetcher)

    try:
        return asyncio.run(run())
    except FetchError as error:
        raise OperatorError(f"cannot fetch {url}: {error.kind}: {error.detail}") from None


@feeds.command()
@click.argument("url")
@FORMAT_OPTION
@click.pass_context
def check(ctx: click.Context, url: str, fmt: str) -> None:
    """Fetch and parse a feed once; show what would be ingested (stores nothing)."""
    url = _valid_url(url)
    try:
        response, parsed = _fetching(ctx, url, lambda fetcher: fetch_and_parse(fetcher, url))
    except FeedParseError as error:
        raise OperatorError(f"{url} is not a usable feed: {error.detail}") from None
    known: dict[str, str] = {}
    note = None
    try:
        with opened_store(ctx) as store:
            known = known_urls(store, [e.url for e in parsed.entries])
    except (StoreError, click.UsageError) as error:
        note = f"(store not read, so nothing is marked known: {error})"
    entries = [
        {
            "url": entry.url,
            "title": entry.title,
            "published_at": entry.published_at,
            "guid": entry.guid,
            "known": known.get(entry.url),
        }
        for entry in parsed.entries
    ]
    if fmt == "json":
        echo_json(
            {
                "url": url,
                "final_url": response.url,
                "status": response.status,
                "content_type": response.content_type,
                "bytes": len(response.body),
                "title": parsed.title,
                "entries": entries,
            }
        )
        return
    fresh = sum(1 for e in entries if e["known"] is None)
    click.echo(
        f"{response.url}: HTTP {response.status}, {len(response.body)} bytes, "
        f"{response.content_type or 'no content type'}"
    )
    click.echo(f"feed title: {parsed.title or '(none)'}")
    click.echo(f"{len(entries)} entries, {fresh} new (would be fetched and ingested)")
    if note:
        click.echo(note)
    for entry in entries:
        status = entry["known"] or "new"
        click.echo(f"- [{status}] {when(entry['published_at'])}  {entry['title'] or '(no title)'}")
        click.echo(f"    {entry['url']}")


@feeds.command(name="discover")
@click.argument("url")
@FORMAT_OPTION
@click.pass_context
def discover_command(ctx: click.Context, url: str, fmt: str) -> None:
    """Find a site's feeds from its home page (announced links and common paths)."""
    url = _valid_url(url)
    found: Discovery = _fetching(ctx, url, lambda fetcher: discover(fetcher, url))
    if fmt == "json":
        echo_json(
            {
                "page_url": found.page_url,
                "feeds": [
                    {"url": f.url, "source": f.source, "title": f.title, "entries": f.entries}
                    for f in found.feeds
                ],
                "broken": [{"url": c.url, "error": why} for c, why in found.broken],
                "tried": found.tried,
            }
        )
        return
    click.echo(f"{found.page_url}: tried {found.tried} URLs, {len(found.feeds)} feed(s) found")
    for feed in found.feeds:
        click.echo(
            f"- {feed.url}  [{feed.source}] {feed.title or '(no title)'}, {feed.entries} entries"
        )
    for candidate, why in found.broken:
        click.echo(f"! announced but not a working feed: {candidate.url}: {why}")
    if not found.feeds:
        sys.exit(1)


@feeds.command(name="import-opml")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--outlet-from-domain",
    is_flag=True,
    help="File each feed under the outlet of its site's domain, not under its OPML folder.",
)
@click.pass_context
def import_opml(ctx: click.Context, file: Path, outlet_from_domain: bool) -> None:
    """Add the feeds of an OPML subscription list (added_by = cli)."""
    try:
        entries = read_opml(file.read_bytes())
    except OpmlFormatError as error:
        raise OperatorError(f"{file}: not an OPML subscription list: {error}") from None
    if not entries:
        raise OperatorError(f"{file}: no feed outlines (outline elements with xmlUrl) found")
    configured = settings(ctx).outlets
    counts = {"added": 0, "exists": 0, "reactivated": 0, "skipped": 0}
    lines: list[str] = []
    with (
        opened_store(ctx, write=True, create=True) as store,
        progress("importing feeds", len(entries)) as advance,
    ):
        for entry in entries:
            advance(1)
            domain = entry.site_domain
            try:
                url = check_feed_url(entry.xml_url)
                if domain is None:
                    raise OperatorError("no domain")
                name = domain if outlet_from_domain else (entry.folder or entry.title or domain)
                with store.transaction():
                    outlet, created = _outlet_for(
                        store, name, domain, outlet_from_domain, configured
                    )
                    outcome = add_feed(store, url, outlet, now())
            except (ValueError, OperatorError) as error:
                counts["skipped"] += 1
                lines.append(f"skipped {entry.xml_url}: {error}")
                continue
            counts[outcome.status] += 1
            made = f" (new outlet, {outlet.domain})" if created else ""
            lines.append(f"{outcome.status} {outcome.url} -> {outlet.name}{made}")
    for line in lines:
        click.echo(line)
    click.echo(", ".join(f"{n} {k}" for k, n in counts.items()))


def _outlet_for(
    store: Store,
    name: str,
    domain: str,
    by_domain: bool,
    configured: list[OutletSettings],
) -> tuple[Outlet, bool]:
    """The outlet an imported feed goes to: by folder name (or by domain), created if new."""
    if by_domain:
        existing = find_outlet(store, domain)
        if existing is not None:
            return existing, False
    else:
        existing = find_outlet(store, name)
        if existing is not None:
            return existing, False
        # The site's outlet under another name: file the feed there.
        existing = find_outlet(store, domain)
        if existing is not None:
            return existing, False
    return resolve_outlet(store, name, domain, now(), configured)


@feeds.command(name="export-opml")
@click.option(
    "-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="File to write."
)
@click.pass_context
def export_opml(ctx: click.Context, output: Path | None) -> None:
    """Write the active feeds as OPML 2.0, one folder per outlet."""
    with opened_store(ctx) as store:
        outlets = [OpmlOutlet(n, d, urls) for n, d, urls in export_outlets(store)]
    body = write_opml(outlets, now())
    if output is None:
        click.echo(body.decode("utf-8"), nl=False)
    else:
        output.write_bytes(body)
        total = sum(len(o.feeds) for o in outlets)
        click.echo(f"wrote {total} feeds of {len(outlets)} outlets to {output}", err=True)
