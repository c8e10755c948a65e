"""The bundled demo outlets served by a LocalServer, a reference run, and a comparable form."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ingestd.app import open_store, poll_once
from ingestd.demo.sample import load_outlets, routes
from ingestd.settings import Settings
from tests.service.daemonproc import NO_HOST_DELAY
from tests.support.httpserver import LocalServer

Query = Callable[[str], list[Any]]


def serve_demo(server: LocalServer, page_delay: float = 0.0) -> list[dict[str, Any]]:
    """Serve the demo outlets (pages after ``page_delay`` seconds); returns the outlets."""
    base = server.url("").rstrip("/")
    for path, (content_type, body) in routes(base).items():
        delay = page_delay if path.endswith(".html") else 0.0
        server.route(path, body, content_type=content_type, delay=delay)
    return load_outlets(base)


def reference_run(db: Path, outlets: list[dict[str, Any]]) -> None:
    """An uninterrupted ingestion (``poll --once``) into ``db``."""
    settings = Settings.model_validate(
        {
            "storage": {"url": f"sqlite:///{db}"},
            "fetch": {"allow_private_addresses": True, **NO_HOST_DELAY},
            "extract": {"workers": 1},
            "outlets": outlets,
        }
    )
    store = open_store(settings)
    try:
        stats = asyncio.run(poll_once(settings, store))
    finally:
        store.close()
    assert stats.feeds_failed == 0 and stats.pages_failed == 0, stats


def outcome(query: Query) -> dict[str, Any]:
    """What ingestion produced, independent of ids and timing.

    Articles by URL (content hash, outlet, version, role); stories as the set of
    their member URLs with their origin.
    """
    articles = {
        r["url"]: (r["content_hash"], r["outlet"], r["version"], r["member_role"])
        for r in query("SELECT url, content_hash, outlet, version, member_role FROM articles")
    }
    members: dict[int, list[str]] = {}
    for r in query("SELECT story_id, url FROM store_articles"):
        members.setdefault(int(r["story_id"]), []).append(r["url"])
    stories = set()
    for r in query(
        "SELECT s.id, s.origin_outlet, s.origin_attributed, a.url AS origin_url"
        " FROM store_stories s LEFT JOIN store_articles a ON a.id = s.origin_article_id"
    ):
        stories.add(
            (
                tuple(sorted(members.get(int(r["id"]), []))),
                r["origin_outlet"],
                bool(r["origin_attributed"]),
                r["origin_url"],
            )
        )
    return {"articles": articles, "stories": stories}
