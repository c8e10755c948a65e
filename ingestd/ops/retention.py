"""Retention: drop old article bodies and signatures, keep every story and chain.

An article is old when it was first seen AND last changed before the
cutoff. Pruning sets its ``text`` and ``signature`` to NULL and empties the
text of article versions seen before the cutoff; the article's row (URL,
outlet, title, times, role, similarity, evidence), its story, the match
edges and the feed entries stay, so the views still return every story with
its full source chain. The matcher skips articles without a signature or
text (``signatures_since`` and ``stored_text`` ignore them), so new copies
of a pruned article start a story of their own instead of failing.

Usage::

    plan = plan_prune(store, cutoff)     # what would go (dry run)
    done = apply_prune(store, cutoff)    # drops it, in batches
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from ingestd.store.protocol import ArticlesAndIndex
from ingestd.store.records import PrunePlan

__all__ = ["BATCH", "PrunePlan", "apply_prune", "plan_prune"]

BATCH = 500


def plan_prune(store: ArticlesAndIndex, cutoff: datetime) -> PrunePlan:
    """Count what a prune at ``cutoff`` would drop; changes nothing."""
    return store.plan_prune(cutoff)


def apply_prune(
    store: ArticlesAndIndex,
    cutoff: datetime,
    *,
    batch: int = BATCH,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, int]:
    """Drop old bodies and signatures in batches of ``batch`` articles, one
    transaction each (a concurrent daemon waits at most one batch).

    Returns (articles pruned, versions emptied); ``progress(n)`` is called
    with the number of articles done in each batch.
    """
    articles = _in_batches(lambda after: store.prune_articles(cutoff, after, batch), progress)
    versions = _in_batches(lambda after: store.prune_versions(cutoff, after, batch), None)
    # Pruned articles leave the store's candidate index too (nothing left
    # to verify against), in batches of their own.
    while store.unindex_pruned(batch):
        pass
    return articles, versions


def _in_batches(prune: Callable[[int], list[int]], progress: Callable[[int], None] | None) -> int:
    """Call ``prune(after_id)`` from id 0 until it returns no ids; returns how many it did."""
    # Keyset pages (id > last): rows already emptied are never scanned again.
    done, last = 0, 0
    while ids := prune(last):
        done += len(ids)
        last = ids[-1]
        if progress is not None:
            progress(len(ids))
    return done
