"""feeds stage: feed documents to entries.

parse_feed(feed_url, body) ─▶ ParsedFeed(entries=(FeedEntry, ...))
"""

from __future__ import annotations

from ingestd.feeds.parse import parse_feed

__all__ = ["parse_feed"]
