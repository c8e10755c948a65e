"""``ingestd demo``: the bundled sample outlets, served locally, ingested and summarised."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ingestd.demo.sample import load_outlets, routes
from ingestd.demo.server import SiteServer
from ingestd.report.export import story_objects
from ingestd.settings import Settings


def demo_settings(base_url: str, db: Path, workers: int) -> Settings:
    """Settings for the sample outlets served at ``base_url``."""
    return Settings.model_validate(
        {
            "storage": {"url": f"sqlite:///{db.resolve()}"},
            # The sample sites are on 127.0.0.1, which is refused by default.
            # Every demo outlet is served by one local server: no spacing.
            "fetch": {"allow_private_addresses": True, "per_host_delay": 0.0},
            "extract": {"workers": workers},
            "outlets": load_outlets(base_url),
        }
    )


def run_demo(db: Path, workers: int, echo: Callable[[str], None]) -> dict[str, Any]:
    """Serve, ingest, summarise; returns the summary figures."""
    from ingestd.app import open_store, poll_once

    for suffix in ("", "-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    started = time.monotonic()
    with SiteServer() as server:
        server.routes = routes(server.base_url)
        settings = demo_settings(server.base_url, db, workers)
        store = open_store(settings)
        try:
            stats = asyncio.run(poll_once(settings, store))
            stories = list(story_objects(store))
        finally:
            store.close()
    seconds = time.monotonic() - started
    articles = sum(len(s["members"]) for s in stories)
    syndicated = [s for s in stories if len(s["members"]) > 1]
    copies = sum(1 for s in stories for m in s["members"] if m["role"] == "copy")
    echo(f"ingestd demo: {len(settings.outlets)} sample outlets served at {server.base_url}")
    echo(f"database: {db.resolve()}")
    echo(
        f"{stats.feeds_polled} feeds, {articles} articles, {len(stories)} stories, "
        f"{copies} copies ({copies / articles:.0%} of articles)"
        if articles
        else "no articles"
    )
    echo(f"feeds failed: {stats.feeds_failed}, pages failed: {stats.pages_failed}")
    echo("")
    echo("Syndicated stories (origin first):")
    for story in syndicated:
        attributed = " (attributed, not ingested)" if story["origin_attributed"] else ""
        echo(f"- {story['title']}")
        echo(f"  origin: {story['origin_outlet']}{attributed} [{story['origin_reason']}]")
        urls = {m["url"]: m["outlet"] for m in story["members"]}
        for member in story["members"]:
            source = urls.get(member["derived_from"] or "", "")
            via = f" <- {source}" if source else ""
            credits = ", ".join(
                repr(c["phrase"]) for c in member["credits"] if c["kind"] != "canonical"
            )
            credit_text = f" credit {credits}" if credits else ""
            echo(
                f"    {member['role']:6} {member['outlet']}{via}"
                f" (similarity {member['similarity']:.2f}){credit_text}"
            )
    echo("")
    echo(f"done in {seconds:.1f}s. Next, on this database:")
    echo(f"  ingestd serve --db {db}            # then open http://127.0.0.1:8080/")
    echo(f"  ingestd report --db {db} --format html -o report.html")
    echo(f"  sqlite3 -header {db} 'select story_id, origin_outlet, member_count from stories'")
    return {
        "articles": articles,
        "stories": len(stories),
        "copies": copies,
        "seconds": seconds,
        "stats": stats.as_dict(),
    }
