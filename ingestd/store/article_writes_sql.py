"""The store's article writes: new articles, new versions and verified comparisons.

Part of :class:`~ingestd.store.Store` (see :class:`ingestd.store.protocol.ArticlesAndIndex`):
what the match step writes in ``store_stories`` (a new article's own
story), ``store_articles``, ``store_article_versions``,
``store_outlet_paragraphs`` and ``store_match_edges``. Writing an article
also writes it to the candidate index (:mod:`ingestd.store.index_sql`) and
marks its entry done (``entry_done``). Every write joins an open
transaction; the reads are in :mod:`ingestd.store.articles_sql`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime
from typing import Any

from ingestd.store.base import StoreBase
from ingestd.store.records import EdgeRecord, NewArticle
from ingestd.store.rows import _plain
from ingestd.store.values import db_json, db_time, py_time


class ArticleWritesSql(StoreBase):
    """Article writes: insert or file a new article, update one in place, record edges."""

    def insert_article(self, article: NewArticle, story_id: int | None, now: datetime) -> int:
        """Store a new article, in ``story_id`` or in a new story of its own.

        Also marks its entry done and counts its paragraphs for the outlet's
        boilerplate statistics. Call inside :meth:`transaction` together with
        the edges and the story update, so the step is atomic.
        """
        return self._insert_article(article, now, story_id=story_id)[0]

    def file_article(
        self, article: NewArticle, now: datetime, *, with_article: int | None
    ) -> tuple[int, int]:
        """Store a new article in the story of ``with_article`` (None: a new story).

        As :meth:`insert_article`; returns (article id, story id). The story
        is read in the insert itself, so filing a copy costs no look-up.
        """
        return self._insert_article(article, now, with_article=with_article)

    def _insert_article(
        self,
        article: NewArticle,
        now: datetime,
        *,
        story_id: int | None = None,
        with_article: int | None = None,
    ) -> tuple[int, int]:
        story_sql = "?"
        with self.transaction():
            if with_article is not None:
                story_sql = "(SELECT story_id FROM store_articles WHERE id = ?)"
                story_id = with_article
            elif story_id is None:
                story_id = int(
                    self._driver.execute(
                        "INSERT INTO store_stories (origin_outlet, origin_reason, canonical_url,"
                        " title, created_at, updated_at) VALUES ('', 'pending', ?, ?, ?, ?)"
                        " RETURNING id",
                        (
                            article.canonical_url or article.url,
                            article.title,
                            db_time(now),
                            db_time(now),
                        ),
                    ).fetchone()[0]
                )
            row = self._driver.execute(
                "INSERT INTO store_articles (outlet_id, story_id, url, guid, title, author,"
                " published_at, first_seen_at, updated_at, site_name, language, canonical_url,"
                " description, text, word_count, content_hash, credits, signature,"
                f" signature_params, member_role, similarity) VALUES (?, {story_sql},"
                " ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'copy', 0)"
                " RETURNING id, story_id",
                (
                    article.outlet_id,
                    story_id,
                    article.url,
                    article.guid,
                    article.title,
                    article.author,
                    db_time(article.published_at),
                    db_time(article.first_seen_at),
                    db_time(now),
                    article.site_name,
                    article.language,
                    *_body(article),
                ),
            ).fetchone()
            article_id, story_id = int(row[0]), int(row[1])
            self._add_version(article_id, 1, article, now)
            if article.index is not None:
                self._write_index(article_id, article.index)
            self._defer_values(
                "INSERT INTO store_outlet_paragraphs (outlet_id, paragraph_key, article_count)",
                "(?, ?, 1)",
                [(article.outlet_id, key) for key in dict.fromkeys(article.paragraph_keys)],
                "ON CONFLICT (outlet_id, paragraph_key)"
                " DO UPDATE SET article_count = store_outlet_paragraphs.article_count + 1",
            )
            self.entry_done(article.entry_id, article_id)
        return article_id, story_id

    def update_article(self, article_id: int, article: NewArticle, now: datetime) -> bool:
        """Store a new version of an article in place; it keeps its story.

        Returns False (and only marks the entry done) when the content did
        not change. The earlier text stays in ``article_versions``.
        """
        with self.transaction():
            row = self._driver.execute(
                "SELECT content_hash, url, version, first_seen_at FROM store_articles WHERE id = ?",
                (article_id,),
            ).fetchone()
            changed = bool(row["content_hash"] != article.content_hash or row["url"] != article.url)
            if changed:
                version = int(row["version"]) + 1
                self._driver.execute(
                    "UPDATE store_articles SET url = ?, title = ?, author = ?, published_at ="
                    " coalesce(?, published_at), updated_at = ?, canonical_url = ?,"
                    " description = ?, text = ?, word_count = ?, content_hash = ?, credits = ?,"
                    " signature = ?, signature_params = ?, version = ? WHERE id = ?",
                    (
                        article.url,
                        article.title,
                        article.author,
                        db_time(article.published_at),
                        db_time(now),
                        *_body(article),
                        version,
                        article_id,
                    ),
                )
                self._add_version(article_id, version, article, now)
                if article.index is not None:
                    # The new version replaces the old one in the index; it
                    # keeps the article's first-seen time (the window's clock).
                    self._drop_index([article_id])
                    first_seen = py_time(row["first_seen_at"]) or article.index.first_seen_at
                    self._write_index(article_id, replace(article.index, first_seen_at=first_seen))
            self.entry_done(article.entry_id, article_id)
        return changed

    def _add_version(
        self, article_id: int, version: int, article: NewArticle, now: datetime
    ) -> None:
        self._driver.defer(
            "INSERT INTO store_article_versions (article_id, version, url, title, text,"
            " content_hash, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    article_id,
                    version,
                    article.url,
                    article.title,
                    article.text,
                    article.content_hash,
                    db_time(now),
                )
            ],
        )

    def article_versions(self, article_id: int) -> list[dict[str, Any]]:
        """The stored versions of an article, oldest first (times as ISO text)."""
        return [
            _plain(r)
            for r in self._driver.execute(
                "SELECT version, url, title, content_hash, seen_at FROM store_article_versions"
                " WHERE article_id = ? ORDER BY version",
                (article_id,),
            )
        ]

    def add_edges(self, edges: Iterable[EdgeRecord], now: datetime) -> None:
        """Record verified comparisons (kept or replaced, never duplicated)."""
        with self.transaction():
            self._driver.defer(
                "INSERT INTO store_match_edges (article_a, article_b, shared, size_a, size_b,"
                " jaccard, rule, linked, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (article_a, article_b) DO UPDATE SET shared = excluded.shared,"
                " size_a = excluded.size_a, size_b = excluded.size_b,"
                " jaccard = excluded.jaccard, rule = excluded.rule, linked = excluded.linked",
                [
                    (
                        e.article_a,
                        e.article_b,
                        e.shared,
                        e.size_a,
                        e.size_b,
                        e.jaccard,
                        e.rule,
                        e.linked,
                        db_time(now),
                    )
                    for e in edges
                ],
            )


def _body(article: NewArticle) -> tuple[Any, ...]:
    """The columns canonical_url … signature_params of an article, as stored."""
    return (
        article.canonical_url,
        article.description,
        article.text,
        article.word_count,
        article.content_hash,
        db_json(article.credits),
        article.signature,
        article.signature_params,
    )
