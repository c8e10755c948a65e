"""Stored feed state that the fetch stage changes: a feed that moved.

A feed answering with a permanent redirect (301 or 308 on every hop) has
moved; its stored URL follows, so later polls go straight to the new
address. Temporary redirects (302, 303, 307) change nothing. The store
does the move (:meth:`ingestd.store.Store.move_feed`); this module decides
what to tell the operator.

    moved:  no feed has the new URL   ─▶ this feed's URL becomes it (history,
                                          validators and entries stay with it)
    merged: another feed has it       ─▶ that feed is kept (and re-activated),
                                          this one is deactivated: both are the
                                          same feed now, polled once

Either way the store remembers the old URL: a
configuration that still lists it is synced onto the feed that now carries
it, so the old address is never added back and re-merged on every reload
(a warning still asks the operator to update the file).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from ingestd.store.protocol import FeedsAndEntries

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


def follow_permanent_redirect(store: FeedsAndEntries, feed_id: int, new_url: str) -> FeedMove:
    """Point feed ``feed_id`` at ``new_url``, the target of its permanent redirect.

    Never breaks the UNIQUE constraint on feed URLs: when another feed
    already has ``new_url``, that feed is kept and this one deactivated.
    """
    moved = store.move_feed(feed_id, new_url, datetime.now(UTC))
    old_url = moved.old_url
    if moved.outcome == "unchanged":
        return FeedMove("moved", feed_id, new_url)
    move = FeedMove("merged" if moved.outcome == "merged" else "moved", moved.feed_id, new_url)
    extra = {"event": "feed_moved", "feed": old_url, "url": new_url, "outcome": move.outcome}
    # A configured feed keeps its old URL in the file until someone edits it.
    hint = "; update the configuration" if moved.added_by == "config" else ""
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
