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
from dataclasses import dataclass
from datetime import datetime

from ingestd.store import Store
from ingestd.store.values import db_time

BATCH = 500

_OLD_ARTICLES = (
    "first_seen_at < ? AND updated_at < ? AND (text IS NOT NULL OR signature IS NOT NULL)"
)
_OLD_VERSIONS = "seen_at < ? AND text IS NOT NULL"


@dataclass(frozen=True, slots=True)
class PrunePlan:
    """What a prune at ``cutoff`` removes (or removed)."""

    cutoff: datetime
    articles: int
    text_bytes: int
    signature_bytes: int
    versions: int
    version_bytes: int

    @property
    def total_bytes(self) -> int:
        """Bytes of text and signatures dropped, all told."""
        return self.text_bytes + self.signature_bytes + self.version_bytes


def _text_bytes(store: Store) -> str:
    # length() counts characters on text; the stored size is in bytes.
    if store.dialect == "postgresql":
        return "octet_length(text)"
    return "length(CAST(text AS BLOB))"


def plan_prune(store: Store, cutoff: datetime) -> PrunePlan:
    """Count what a prune at ``cutoff`` would drop; changes nothing."""
    when = db_time(cutoff)
    size = _text_bytes(store)
    articles = store.query_one(
        f"SELECT count(*) AS n, coalesce(sum({size}), 0) AS text_bytes,"
        " coalesce(sum(length(signature)), 0) AS signature_bytes"
        f" FROM store_articles WHERE {_OLD_ARTICLES}",
        (when, when),
    )
    versions = store.query_one(
        f"SELECT count(*) AS n, coalesce(sum({size}), 0) AS text_bytes"
        f" FROM store_article_versions WHERE {_OLD_VERSIONS}",
        (when,),
    )
    assert articles is not None and versions is not None  # aggregates always return a row
    return PrunePlan(
        cutoff,
        int(articles["n"]),
        int(articles["text_bytes"]),
        int(articles["signature_bytes"]),
        int(versions["n"]),
        int(versions["text_bytes"]),
    )


def apply_prune(
    store: Store,
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
    when = db_time(cutoff)
    articles = _null_in_batches(
        store,
        "store_articles",
        "text = NULL, signature = NULL",
        _OLD_ARTICLES,
        (when, when),
        batch,
        progress,
    )
    versions = _null_in_batches(
        store, "store_article_versions", "text = NULL", _OLD_VERSIONS, (when,), batch, None
    )
    # Pruned articles leave the store's candidate index too (nothing left
    # to verify against), in batches of their own.
    while store.unindex_pruned(batch):
        pass
    return articles, versions


def _null_in_batches(
    store: Store,
    table: str,
    assignments: str,
    condition: str,
    params: tuple[str | None, ...],
    batch: int,
    progress: Callable[[int], None] | None,
) -> int:
    """``UPDATE table SET assignments`` on rows matching ``condition``, one
    transaction per ``batch`` rows; returns the number of rows changed."""
    # Keyset pages (id > last): rows already emptied are never scanned again.
    done, last = 0, 0
    while True:
        with store.transaction():
            rows = store.query(
                f"SELECT id FROM {table} WHERE id > ? AND {condition} ORDER BY id LIMIT ?",
                (last, *params, batch),
            )
            ids = [int(row["id"]) for row in rows]
            if ids:
                marks = ",".join("?" * len(ids))
                store.execute(f"UPDATE {table} SET {assignments} WHERE id IN ({marks})", ids)
        if not ids:
            return done
        done += len(ids)
        last = ids[-1]
        if progress is not None:
            progress(len(ids))
