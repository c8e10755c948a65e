"""The store's articles: retention (``ingestd prune``).

Part of :class:`~ingestd.store.Store` (see :class:`ingestd.store.protocol.ArticlesAndIndex`).
An article is old when it was first seen AND last changed before the
cutoff; pruning empties its ``text`` and ``signature`` and the text of its
versions seen before the cutoff, and keeps every row, story and edge.
"""

from __future__ import annotations

from datetime import datetime

from ingestd.store.base import StoreBase
from ingestd.store.drivers import POSTGRESQL
from ingestd.store.records import PrunePlan
from ingestd.store.values import db_time

_OLD_ARTICLES = (
    "first_seen_at < ? AND updated_at < ? AND (text IS NOT NULL OR signature IS NOT NULL)"
)
_OLD_VERSIONS = "seen_at < ? AND text IS NOT NULL"


class ArticlesSql(StoreBase):
    """Articles: what a prune at a cutoff drops, and dropping it in batches."""

    def _text_bytes(self) -> str:
        # length() counts characters on text; the stored size is in bytes.
        if self._driver.dialect == POSTGRESQL:
            return "octet_length(text)"
        return "length(CAST(text AS BLOB))"

    def plan_prune(self, cutoff: datetime) -> PrunePlan:
        """Count what a prune at ``cutoff`` would drop; changes nothing."""
        when = db_time(cutoff)
        size = self._text_bytes()
        articles = self._driver.execute(
            f"SELECT count(*) AS n, coalesce(sum({size}), 0) AS text_bytes,"
            " coalesce(sum(length(signature)), 0) AS signature_bytes"
            f" FROM store_articles WHERE {_OLD_ARTICLES}",
            (when, when),
        ).fetchone()
        versions = self._driver.execute(
            f"SELECT count(*) AS n, coalesce(sum({size}), 0) AS text_bytes"
            f" FROM store_article_versions WHERE {_OLD_VERSIONS}",
            (when,),
        ).fetchone()
        return PrunePlan(
            cutoff,
            int(articles["n"]),
            int(articles["text_bytes"]),
            int(articles["signature_bytes"]),
            int(versions["n"]),
            int(versions["text_bytes"]),
        )

    def prune_articles(self, cutoff: datetime, after_id: int, limit: int) -> list[int]:
        """Drop the text and signature of up to ``limit`` old articles with ids above
        ``after_id``, in one transaction; returns their ids, ascending."""
        when = db_time(cutoff)
        return self._null_batch(
            "store_articles",
            "text = NULL, signature = NULL",
            _OLD_ARTICLES,
            (when, when),
            after_id,
            limit,
        )

    def prune_versions(self, cutoff: datetime, after_id: int, limit: int) -> list[int]:
        """Empty the text of up to ``limit`` article versions seen before ``cutoff`` with
        ids above ``after_id``, in one transaction; returns their ids, ascending."""
        return self._null_batch(
            "store_article_versions",
            "text = NULL",
            _OLD_VERSIONS,
            (db_time(cutoff),),
            after_id,
            limit,
        )

    def _null_batch(
        self,
        table: str,
        assignments: str,
        condition: str,
        params: tuple[str | None, ...],
        after_id: int,
        limit: int,
    ) -> list[int]:
        # Keyset pages (id > last): the caller never scans rows already emptied.
        with self.transaction():
            rows = self._driver.execute(
                f"SELECT id FROM {table} WHERE id > ? AND {condition} ORDER BY id LIMIT ?",
                (after_id, *params, limit),
            ).fetchall()
            ids = [int(row["id"]) for row in rows]
            if ids:
                marks = ",".join("?" * len(ids))
                self._driver.execute(f"UPDATE {table} SET {assignments} WHERE id IN ({marks})", ids)
        return ids
