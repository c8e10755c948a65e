"""The store's candidate index: the articles the match step compares against.

Part of :class:`~ingestd.store.Store` (see :class:`ingestd.store.protocol.ArticlesAndIndex`):
``store_index_articles`` and ``store_index_keys`` (migration 0006), written
with each article (``insert_article``, ``update_article``), queried for
candidates by every process, trimmed to the dedup window and filled from
``store_index_backlog`` for articles stored before the index existed. Every
write joins an open transaction; each article written to or dropped from
the index counts towards the store's next statistics check.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from ingestd.store.base import StoreBase
from ingestd.store.records import IndexCandidate, IndexEntry, StoredText
from ingestd.store.values import db_time, py_json, py_time

# Rows per multi-row VALUES statement (at most 3 parameters each: far below
# SQLite's and PostgreSQL's parameter limits).
_VALUES_ROWS = 250


class IndexSql(StoreBase):
    """The candidate index: writes, candidate queries, trimming and the backlog."""

    # -- candidate index ----------------------------------------------------
    # store_index_articles / store_index_keys (migration 0006): written with
    # the article, read by every process, trimmed to the dedup window.

    def _write_index(self, article_id: int, entry: IndexEntry) -> None:
        self._index_changes += 1
        # Deferred: sent with the step's next read or its COMMIT.
        self._driver.defer(
            "INSERT INTO store_index_articles (article_id, first_seen_at, params, size,"
            " text_hash, signature, keys, features) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    article_id,
                    db_time(entry.first_seen_at),
                    entry.params,
                    entry.size,
                    entry.text_hash,
                    entry.signature,
                    entry.keys,
                    entry.features,
                )
            ],
        )
        self._defer_values(
            "INSERT INTO store_index_keys (key, article_id)",
            "(?, ?)",
            [(key, article_id) for key in entry.key_list],
            "ON CONFLICT (key, article_id) DO NOTHING",
        )

    def _defer_values(
        self, head: str, row: str, rows: Sequence[tuple[Any, ...]], tail: str
    ) -> None:
        """Defer ``head VALUES row, row, … tail``: many rows in one statement.

        One statement for an article's ~45 index keys costs the server one
        execution instead of 45 (the rows must not repeat a conflict key).
        """
        for start in range(0, len(rows), _VALUES_ROWS):
            chunk = rows[start : start + _VALUES_ROWS]
            values = ", ".join([row] * len(chunk))
            self._driver.defer(
                f"{head} VALUES {values} {tail}", [tuple(v for r in chunk for v in r)]
            )

    def _drop_index(self, article_ids: Sequence[int]) -> int:
        """Remove articles' index rows (keys by primary key, from their stored key list)."""
        if not article_ids:
            return 0
        marks = ",".join("?" * len(article_ids))
        rows = self._driver.execute(
            f"SELECT article_id, keys FROM store_index_articles WHERE article_id IN ({marks})",
            tuple(article_ids),
        ).fetchall()
        pairs: list[tuple[int, int]] = []
        for row in rows:
            blob = bytes(row[1])
            count = len(blob) // 8
            keys = struct.unpack(f"<{count}q", blob) if count else ()
            pairs.extend((key, int(row[0])) for key in keys)
        self._driver.executemany(
            "DELETE FROM store_index_keys WHERE key = ? AND article_id = ?", pairs
        )
        self._driver.execute(
            f"DELETE FROM store_index_articles WHERE article_id IN ({marks})", tuple(article_ids)
        )
        self._index_changes += len(rows)
        return len(rows)

    def index_candidates(
        self, keys: Sequence[int], text_hash: int, params: int, since: datetime
    ) -> list[IndexCandidate]:
        """Indexed articles first seen since ``since`` sharing a key, or the text hash.

        One query for all keys (band and lead keys) and the exact-text twins;
        a twin row has ``key`` None. Only rows made with ``params``.
        """
        unique = list(dict.fromkeys(keys))
        parts = []
        values: list[Any] = []
        if unique:
            marks = ",".join("?" * len(unique))
            parts.append(
                "SELECT k.key, i.article_id, i.size, i.signature FROM store_index_keys k"
                " JOIN store_index_articles i ON i.article_id = k.article_id"
                f" WHERE k.key IN ({marks}) AND i.params = ? AND i.first_seen_at >= ?"
            )
            values.extend((*unique, params, db_time(since)))
        parts.append(
            "SELECT NULL, article_id, size, signature FROM store_index_articles"
            " WHERE text_hash = ? AND params = ? AND first_seen_at >= ?"
        )
        values.extend((text_hash, params, db_time(since)))
        rows = self._driver.execute(" UNION ALL ".join(parts), values)
        return [
            IndexCandidate(None if r[0] is None else int(r[0]), int(r[1]), int(r[2]), bytes(r[3]))
            for r in rows
        ]

    def index_features(self, article_ids: Sequence[int]) -> dict[int, tuple[bytes, int]]:
        """The stored verification features of indexed articles, with their outlet."""
        if not article_ids:
            return {}
        marks = ",".join("?" * len(article_ids))
        rows = self._driver.execute(
            "SELECT i.article_id, i.features, a.outlet_id FROM store_index_articles i"
            f" JOIN store_articles a ON a.id = i.article_id WHERE i.article_id IN ({marks})",
            tuple(article_ids),
        )
        return {int(r[0]): (bytes(r[1]), int(r[2])) for r in rows}

    def index_high_water(self) -> datetime | None:
        """The latest first-seen time in the index (the stream's clock), or None."""
        row = self._driver.execute("SELECT max(first_seen_at) FROM store_index_articles").fetchone()
        return py_time(row[0]) if row is not None else None

    def index_size(self) -> int:
        """Articles in the candidate index."""
        row = self._driver.execute("SELECT count(*) FROM store_index_articles").fetchone()
        return int(row[0])

    def trim_index(self, before: datetime, limit: int) -> int:
        """Drop up to ``limit`` articles first seen before ``before`` from the index.

        One short transaction (the caller loops); articles and stories stay.
        Returns how many left the index.
        """
        with self.transaction():
            rows = self._driver.execute(
                "SELECT article_id FROM store_index_articles WHERE first_seen_at < ?"
                " ORDER BY first_seen_at LIMIT ?",
                (db_time(before), limit),
            ).fetchall()
            return self._drop_index([int(r[0]) for r in rows])

    def unindex_pruned(self, limit: int) -> int:
        """Drop up to ``limit`` articles whose text was pruned from the index (one transaction)."""
        with self.transaction():
            rows = self._driver.execute(
                "SELECT i.article_id FROM store_index_articles i"
                " JOIN store_articles a ON a.id = i.article_id"
                " WHERE a.text IS NULL OR a.signature IS NULL LIMIT ?",
                (limit,),
            ).fetchall()
            return self._drop_index([int(r[0]) for r in rows])

    def index_backlog(self, limit: int) -> list[StoredText]:
        """Articles stored before the index existed (migration 0006), still to index."""
        rows = self._driver.execute(
            "SELECT a.id, a.outlet_id, a.story_id, a.text, a.credits, a.first_seen_at"
            " FROM store_index_backlog b JOIN store_articles a ON a.id = b.article_id"
            " ORDER BY b.article_id LIMIT ?",
            (limit,),
        ).fetchall()
        return [
            StoredText(
                r["id"],
                r["outlet_id"],
                r["story_id"],
                r["text"] or "",
                py_json(r["credits"]),
                py_time(r["first_seen_at"]),
            )
            for r in rows
        ]

    def index_from_backlog(self, entries: Sequence[tuple[int, IndexEntry | None]]) -> None:
        """Index backlog articles (None: leave it unindexed) and take them off the backlog."""
        with self.transaction():
            for article_id, entry in entries:
                if entry is not None:
                    self._drop_index([article_id])
                    self._write_index(article_id, entry)
            self._driver.executemany(
                "DELETE FROM store_index_backlog WHERE article_id = ?",
                [(article_id,) for article_id, _ in entries],
            )

    def signatures_since(self, since: datetime, params_key: str) -> Iterator[tuple[int, bytes]]:
        """(article id, signature) of articles first seen since ``since`` with these params."""
        rows = self._driver.execute(
            "SELECT id, signature FROM store_articles WHERE first_seen_at >= ? AND"
            " signature_params = ? AND signature IS NOT NULL ORDER BY id",
            (db_time(since), params_key),
        )
        for row in rows:
            yield int(row[0]), bytes(row[1])
