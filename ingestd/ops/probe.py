"""Network probes for operators: fetch a feed once, or look for a site's feeds.

Both use the real :class:`~ingestd.fetch.client.Fetcher` with the configured
limits (address guard, size caps, timeouts) and store nothing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from ingestd.errors import FeedParseError, FetchError
from ingestd.feeds.parse import parse_feed
from ingestd.fetch.client import Fetcher
from ingestd.ops.discovery import Candidate, candidate_urls, feed_links
from ingestd.types import FetchResult, ParsedFeed


@dataclass(frozen=True, slots=True)
class FoundFeed:
    """A candidate that was fetched and parsed as a feed."""

    url: str
    source: str
    title: str | None
    entries: int


@dataclass(frozen=True, slots=True)
class Discovery:
    """What ``discover`` found at a site: verified feeds and announced ones that failed."""

    page_url: str
    feeds: tuple[FoundFeed, ...]
    broken: tuple[tuple[Candidate, str], ...]
    tried: int


async def fetch_and_parse(fetcher: Fetcher, url: str) -> tuple[FetchResult, ParsedFeed]:
    """Fetch a feed once and parse it; FetchError or FeedParseError on failure."""
    response = await fetcher.fetch(url, kind="feed")
    return response, parse_feed(response.url, response.body, content_type=response.content_type)


def _decode(response: FetchResult) -> str:
    charset = "utf-8"
    for part in response.content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            charset = value.strip('"')
    try:
        return response.body.decode(charset, errors="replace")
    except LookupError:  # an unknown charset name
        return response.body.decode("utf-8", errors="replace")


async def discover(fetcher: Fetcher, url: str) -> Discovery:
    """Fetch ``url`` (a home page), then try every announced and common feed URL.

    A ``url`` that is itself a feed (served as one) is reported as such.
    Raises FetchError when the page itself cannot be fetched.
    """
    try:
        page = await fetcher.fetch(url, kind="page")
    except FetchError as error:
        if error.kind != "content_type":
            raise
        try:
            response, parsed = await fetch_and_parse(fetcher, url)
        except (FetchError, FeedParseError):
            raise error from None
        given = FoundFeed(response.url, "given", parsed.title, len(parsed.entries))
        return Discovery(url, (given,), (), 1)
    candidates = candidate_urls(page.url, feed_links(_decode(page), page.url))

    async def attempt(candidate: Candidate) -> FoundFeed | str:
        try:
            response, parsed = await fetch_and_parse(fetcher, candidate.url)
        except (FetchError, FeedParseError) as error:
            return str(error)
        return FoundFeed(
            response.url, candidate.source, parsed.title or candidate.title, len(parsed.entries)
        )

    outcomes = await asyncio.gather(*(attempt(c) for c in candidates))
    found: dict[str, FoundFeed] = {}
    broken = []
    for candidate, outcome in zip(candidates, outcomes, strict=True):
        if isinstance(outcome, FoundFeed):
            # Several guesses can redirect to one feed: list it once.
            found.setdefault(outcome.url, outcome)
        elif candidate.source == "announced":
            broken.append((candidate, outcome))
    return Discovery(page.url, tuple(found.values()), tuple(broken), len(candidates))
