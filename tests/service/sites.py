"""Feeds and article pages served to the daemon under test."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from tests.support.httpserver import LocalServer, RequestHandler

_SYLLABLES = ["ka", "lo", "mi", "ne", "su", "ta", "vo", "ri", "de", "po", "zu", "fa", "gi", "he"]


def article_html(title: str, seed: int, paragraphs: int = 5) -> bytes:
    """A page with a few paragraphs of text of its own (no two pages alike)."""
    rng = random.Random(seed)
    body = []
    for _ in range(paragraphs):
        words = [
            "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(40)
        ]
        body.append(f"<p>{' '.join(words).capitalize()}.</p>")
    return (
        f"<!doctype html><html><head><title>{title}</title></head><body><article>"
        f"<h1>{title}</h1>{''.join(body)}</article></body></html>"
    ).encode()


class EtagFeed:
    """An RSS feed that answers 304 to a matching If-None-Match, and its pages."""

    def __init__(self, server: LocalServer, name: str, page_delay: float = 0.0):
        self.server = server
        self.name = name
        self.page_delay = page_delay
        self.path = f"/{name}/feed.xml"
        self.items: list[tuple[str, str]] = []  # (title, path)
        self.answers: list[int] = []
        self._lock = threading.Lock()
        server.route_handler(self.path, self._answer)

    @property
    def url(self) -> str:
        return self.server.url(self.path)

    def add(self, count: int = 1) -> None:
        """Publish ``count`` more entries (and serve their pages)."""
        with self._lock:
            for _ in range(count):
                number = len(self.items) + 1
                title = f"{self.name} story {number}"
                path = f"/{self.name}/story-{number}.html"
                seed = hash((self.name, number)) & 0xFFFFFFFF
                self.server.route(path, article_html(title, seed), delay=self.page_delay)
                self.items.append((title, path))

    def etag(self) -> str:
        return f'"{self.name}-{len(self.items)}"'

    def _answer(self, handler: RequestHandler) -> None:
        with self._lock:
            etag = self.etag()
            items = list(self.items)
        if handler.headers.get("If-None-Match") == etag:
            self.answers.append(304)
            handler.respond(304, b"", {"ETag": etag}, content_type=None)
            return
        now = datetime(2026, 1, 1, tzinfo=UTC)
        entries = "".join(
            f"<item><title>{title}</title><link>{self.server.url(path)}</link>"
            f"<guid>{self.name}-{i}</guid>"
            f"<pubDate>{format_datetime(now + timedelta(hours=i))}</pubDate></item>"
            for i, (title, path) in enumerate(items)
        )
        body = (
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>{self.name}</title>'
            f"<link>{self.server.url('/')}</link>{entries}</channel></rss>"
        ).encode()
        self.answers.append(200)
        handler.respond(200, body, {"ETag": etag}, content_type="application/rss+xml")
