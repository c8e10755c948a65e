"""Stored feed state that the fetch stage changes: a feed that moved.

A feed answering with a permanent redirect (301 or 308 on every hop) has
moved; its stored URL follows, so later polls go straight to the new
address. Temporary redirects (302, 303, 307) change nothing. Written over
the store's portable SQL surface, so it works on every store dialect.

    moved:  no feed has the new URL   ─▶ this feed's URL becomes it (history,
                                          validators and entries stay with it)
    merged: another feed has it       ─▶ that feed is kept (and re-activated),
                                          this one is deactivated: both are the
                                          same feed now, polled once

Either way the old URL is remembered (``store_feed_moves``): a
configuration that still lists it is synced onto the feed that now carries
it, so the old address is never added back and re-merged on every reload
(a warning still asks the operator to update the file).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from ingestd.store import Store
from ingestd.store.values import db_time

__all__ = ["FeedMove", "follow_permanent_redirect"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class FeedMove:
    """What following a permanent redirect did.

    ``feed_id`` is the feed that now carries ``url``: the same feed when
    ``outcome`` is ``"moved"``, the one that already had the URL when it is
    ``"merged"``.
    """

    outcome: Literal["moved", "merged"]
    feed_id: int
    url: str


def follow_permanent_redirect(store: Store, feed_id: int, new_url: str) -> FeedMove:
    """Point feed ``feed_id`` at ``new_url``, the target of its permanent redirect.

    Never breaks the UNIQUE constraint on feed URLs: when another feed
    already has ``new_url``, that feed is kept and this one deactivated.
    """
    with store.transaction():
        row = store.query_one("SELECT url, added_by FROM store_feeds WHERE id = ?", (feed_id,))
        if row is None:
            raise LookupError(f"no feed with id {feed_id}")
        old_url = str(row["url"])
        existing = store.query_one("SELECT id FROM store_feeds WHERE url = ?", (new_url,))
        if existing is None:
            store.execute("UPDATE store_feeds SET url = ? WHERE id = ?", (new_url, feed_id))
            move = FeedMove("moved", feed_id, new_url)
        elif int(existing["id"]) == feed_id:
            return FeedMove("moved", feed_id, new_url)
        else:
            target = int(existing["id"])
            store.execute("UPDATE store_feeds SET active = 0 WHERE id = ?", (feed_id,))
            store.execute("UPDATE store_feeds SET active = 1 WHERE id = ?", (target,))
            move = FeedMove("merged", target, new_url)
        store.execute(
            "INSERT INTO store_feed_moves (old_url, feed_id, moved_at) VALUES (?, ?, ?)"
            " ON CONFLICT (old_url) DO UPDATE SET feed_id = excluded.feed_id,"
            " moved_at = excluded.moved_at",
            (old_url, move.feed_id, db_time(datetime.now(UTC))),
        )
    extra = {"event": "feed_moved", "feed": old_url, "url": new_url, "outcome": move.outcome}
    # A configured feed keeps its old URL in the file until someone edits it.
    hint = "; update the configuration" if row["added_by"] == "config" else ""
    level = logging.WARNING if hint else logging.INFO
    logger.log(
        level,
        "feed %s moved permanently to %s (%s)%s",
        old_url,
        new_url,
        move.outcome,
        hint,
        extra=extra,
    )
    return move
