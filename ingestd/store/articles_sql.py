"""The store's articles: what the match step reads of them, and retention (``ingestd prune``).

Part of :class:`~ingestd.store.Store` (see :class:`ingestd.store.protocol.ArticlesAndIndex`).
The match step looks an article up by URL or GUID, reads its outlet's
paragraph counts (in one batch: :meth:`ArticlesSql.match_context`), finds
exact-text twins and reads stored text for verification; the writes are in
:mod:`ingestd.store.article_writes_sql`, the candidate index in
:mod:`ingestd.store.index_sql`.

An article is old when it was first seen AND last changed before the
cutoff; pruning empties its ``text`` and ``signature`` and the text of its
versions seen before the cutoff, and keeps every row, story and edge.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from ingestd.store.base import StoreBase
from ingestd.store.drivers import POSTGRESQL
from ingestd.store.records import MatchContext, PrunePlan, StoredText
from ingestd.store.values import db_time, py_json, py_time

_OLD_ARTICLES = (
    "first_seen_at < ? AND updated_at < ? AND (text IS NOT NULL OR signature IS NOT NULL)"
)
_OLD_VERSIONS = "seen_at < ? AND text IS NOT NULL"


class ArticlesSql(StoreBase):
    """Articles: the match step's reads, what a prune at a cutoff drops, and dropping it."""

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

    # -- articles ----------------------------------------------------------

    def article_id_for(self, url: str, outlet_id: int, guid: str | None) -> int | None:
        """The article already stored under this URL, or this GUID at this outlet."""
        [rows] = self._driver.fetch_batch([_article_lookup(url, outlet_id, guid)])
        return _existing(rows)

    def match_context(
        self, url: str, outlet_id: int, guid: str | None, keys: Sequence[int], *, look_up: bool
    ) -> MatchContext:
        """What the match step reads before deciding, in one batch (one round trip).

        ``look_up``: whether to look for an article already stored under
        the URL or GUID (not when the entry already names its article).
        """
        statements = [("SELECT max(first_seen_at) FROM store_index_articles", ())]
        if look_up:
            statements.append(_article_lookup(url, outlet_id, guid))
        statements.extend(_paragraph_lookups(outlet_id, keys))
        results = self._driver.fetch_batch(statements)
        [high], rest = results[0], results[1:]
        existing = _existing(rest.pop(0)) if look_up else None
        counts = {int(row[0]): int(row[1]) for rows in rest for row in rows}
        return MatchContext(existing, counts, py_time(high[0]))

    def article_ids_with_hash(self, content_hash: str) -> list[int]:
        """Articles whose full normalised text is identical."""
        rows = self._driver.execute(
            "SELECT id FROM store_articles WHERE content_hash = ? ORDER BY id", (content_hash,)
        )
        return [int(r["id"]) for r in rows]

    def paragraph_counts(self, outlet_id: int, keys: Sequence[int]) -> dict[int, int]:
        """How many articles of the outlet contained each paragraph key."""
        results = self._driver.fetch_batch(_paragraph_lookups(outlet_id, keys))
        return {int(row[0]): int(row[1]) for rows in results for row in rows}

    def boilerplate_keys(self, min_articles: int) -> dict[int, set[int]]:
        """Per outlet, the paragraph keys seen in at least ``min_articles`` articles."""
        result: dict[int, set[int]] = {}
        for row in self._driver.execute(
            "SELECT outlet_id, paragraph_key FROM store_outlet_paragraphs WHERE article_count >= ?",
            (min_articles,),
        ):
            result.setdefault(int(row[0]), set()).add(int(row[1]))
        return result

    def stored_text(self, article_id: int) -> StoredText | None:
        """An article's text and credits, for verification."""
        row = self._driver.execute(
            "SELECT id, outlet_id, story_id, text, credits FROM store_articles WHERE id = ?",
            (article_id,),
        ).fetchone()
        if row is None or row["text"] is None:
            return None
        return StoredText(
            row["id"], row["outlet_id"], row["story_id"], row["text"], py_json(row["credits"])
        )

    def story_of(self, article_id: int) -> int:
        """The story an article belongs to."""
        row = self._driver.execute(
            "SELECT story_id FROM store_articles WHERE id = ?", (article_id,)
        )
        return int(row.fetchone()[0])


def _article_lookup(url: str, outlet_id: int, guid: str | None) -> tuple[str, tuple[Any, ...]]:
    """The statement finding an article by URL, else by GUID at its outlet (URL first)."""
    if not guid:
        return "SELECT id, 0 AS pref FROM store_articles WHERE url = ?", (url,)
    return (
        "SELECT id, 0 AS pref FROM store_articles WHERE url = ? UNION ALL"
        " SELECT id, 1 AS pref FROM store_articles WHERE outlet_id = ? AND guid = ?"
        " ORDER BY pref LIMIT 1",
        (url, outlet_id, guid),
    )


def _existing(rows: Sequence[Any]) -> int | None:
    return int(rows[0][0]) if rows else None


def _paragraph_lookups(outlet_id: int, keys: Sequence[int]) -> list[tuple[str, tuple[Any, ...]]]:
    """Statements reading an outlet's paragraph counts, 500 keys each."""
    unique = list(dict.fromkeys(keys))
    statements = []
    for start in range(0, len(unique), 500):
        chunk = unique[start : start + 500]
        marks = ",".join("?" * len(chunk))
        statements.append(
            (
                "SELECT paragraph_key, article_count FROM store_outlet_paragraphs"
                f" WHERE outlet_id = ? AND paragraph_key IN ({marks})",
                (outlet_id, *chunk),
            )
        )
    return statements
