"""The store's read-side queries for reports, export, ``ingestd serve`` and the backtest.

Part of :class:`~ingestd.store.Store` (see :class:`ingestd.store.protocol.Reads`).
Most reading outside the store goes through the public views of
storage/README.md; these are the reads the views cannot answer or cannot
answer cheaply: the verified comparisons (no view holds them), the title
search (a dialect's own full-text index), and walks that must follow a
table's index (through a view the planner may sort every row first); and
the export, the row counts and the feeds' health for reports.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from ingestd.store.base import StoreBase
from ingestd.store.drivers import POSTGRESQL
from ingestd.store.records import EdgeRecord, StoryHead
from ingestd.store.rows import _plain
from ingestd.store.values import db_time, py_json, py_time

_EDGE_COLUMNS = (
    "e.article_a, e.article_b, e.shared, e.size_a, e.size_b, e.jaccard, e.rule, e.linked"
)


def _edge(r: Any) -> EdgeRecord:
    return EdgeRecord(
        int(r["article_a"]),
        int(r["article_b"]),
        int(r["shared"]),
        int(r["size_a"]),
        int(r["size_b"]),
        float(r["jaccard"]),
        str(r["rule"]),
        bool(r["linked"]),
    )


class ReadsSql(StoreBase):
    """Read-side queries: comparisons, story pages, walks, title search, the replay, reports."""

    # -- verified comparisons --------------------------------------------------

    def edges_touching(self, since: datetime | None) -> list[EdgeRecord]:
        """Every recorded comparison (linked or not) with a side first seen at or after
        ``since`` (all of them when None), by (article_a, article_b)."""
        where = ""
        params: tuple[str | None, ...] = ()
        if since is not None:
            where = " WHERE a.first_seen_at >= ? OR b.first_seen_at >= ?"
            params = (db_time(since), db_time(since))
        rows = self._driver.execute(
            f"SELECT {_EDGE_COLUMNS} FROM store_match_edges e"
            " JOIN store_articles a ON a.id = e.article_a"
            " JOIN store_articles b ON b.id = e.article_b"
            f"{where} ORDER BY e.article_a, e.article_b",
            params,
        )
        return [_edge(r) for r in rows]

    def edge(self, a: int, b: int) -> EdgeRecord | None:
        """The recorded comparison of two articles (either order), if the matcher made one."""
        row = self._driver.execute(
            f"SELECT {_EDGE_COLUMNS} FROM store_match_edges e"
            " WHERE e.article_a = ? AND e.article_b = ?",
            (min(a, b), max(a, b)),
        ).fetchone()
        return _edge(row) if row is not None else None

    def latest_edges(self, limit: int) -> list[EdgeRecord]:
        """The ``limit`` comparisons of the latest articles (newest ``article_b`` first)."""
        rows = self._driver.execute(
            f"SELECT {_EDGE_COLUMNS} FROM store_match_edges e"
            " ORDER BY e.article_b DESC, e.article_a DESC LIMIT ?",
            (limit,),
        )
        return [_edge(r) for r in rows]

    # -- stories -----------------------------------------------------------------

    def story_heads(self, after_id: int, since: datetime | None, limit: int) -> list[StoryHead]:
        """Up to ``limit`` stories with ids above ``after_id``, ascending; with ``since``,
        only those with a member first seen at or after it.

        Paged by id from the stories' own table: the ``stories`` view
        aggregates every member on each query, which would make a paged
        export quadratic.
        """
        clause = ""
        params: tuple[str | None, ...] = ()
        if since is not None:
            clause = " AND id IN (SELECT story_id FROM store_articles WHERE first_seen_at >= ?)"
            params = (db_time(since),)
        rows = self._driver.execute(
            "SELECT id, canonical_url, title, origin_outlet, origin_article_id,"
            " origin_attributed, origin_reason, origin_evidence FROM store_stories"
            f" WHERE id > ?{clause} ORDER BY id LIMIT ?",
            (after_id, *params, limit),
        )
        return [
            StoryHead(
                story_id=int(r["id"]),
                canonical_url=r["canonical_url"],
                title=r["title"],
                origin_outlet=r["origin_outlet"],
                origin_article_id=r["origin_article_id"],
                origin_attributed=bool(r["origin_attributed"]),
                origin_reason=r["origin_reason"],
                origin_evidence=py_json(r["origin_evidence"]),
            )
            for r in rows
        ]

    def article_walk(
        self, since: datetime | None, after: tuple[int, str] | None, limit: int
    ) -> list[tuple[int, str]]:
        """(story_id, first_seen_at as ISO text) of the next ``limit`` articles, newest first.

        ``since`` keeps articles first seen at or after it; ``after`` is the
        walk's cursor: the last row already seen, as this method returned it.
        Read from the articles' table: through the ``articles`` view the
        planner may join outlets first and sort every article; on the table
        the walk is a backward scan of the first-seen index, ``limit`` rows long.
        """
        clauses: list[str] = []
        params: list[Any] = []
        if since is not None:
            clauses.append("first_seen_at >= ?")
            params.append(db_time(since))
        if after is not None:
            story_id, seen = after
            clauses.append("first_seen_at <= ? AND (first_seen_at < ? OR story_id < ?)")
            params.extend([seen, seen, story_id])
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._driver.execute(
            f"SELECT story_id, first_seen_at FROM store_articles{where}"
            " ORDER BY first_seen_at DESC, story_id DESC LIMIT ?",
            (*params, limit),
        )
        return [(int(r["story_id"]), str(db_time(py_time(r["first_seen_at"])))) for r in rows]

    def search_story_titles(self, terms: Sequence[str], below: int | None, limit: int) -> list[int]:
        """Ids of up to ``limit`` stories whose title has every term (words, never query
        syntax), below story id ``below`` when given, newest story first.

        SQLite answers from the FTS5 table ``store_story_titles``, PostgreSQL
        from the ``simple`` text-search index on the stories' titles (0008).
        """
        if self._driver.dialect == POSTGRESQL:
            query = " & ".join(f"'{t}'" for t in (term.replace("'", "") for term in terms))
            rows = self._driver.execute(
                "SELECT id FROM store_stories"
                " WHERE to_tsvector('simple', coalesce(title, '')) @@ to_tsquery('simple', ?)"
                + (" AND id < ?" if below is not None else "")
                + " ORDER BY id DESC LIMIT ?",
                (query, *([below] if below is not None else []), limit),
            )
        else:
            # Each term quoted: whatever the visitor typed is words, never FTS5 syntax.
            match = " ".join('"' + term.replace('"', "") + '"' for term in terms)
            rows = self._driver.execute(
                "SELECT rowid AS id FROM store_story_titles WHERE store_story_titles MATCH ?"
                + (" AND rowid < ?" if below is not None else "")
                + " ORDER BY rowid DESC LIMIT ?",
                (match, *([below] if below is not None else []), limit),
            )
        return [int(r["id"]) for r in rows]

    def recent_languages(self, sample: int, limit: int) -> list[str]:
        """The distinct languages of the latest ``sample`` articles, sorted, at most ``limit``."""
        rows = self._driver.execute(
            # The table, not the view: a backward scan of the first-seen index.
            "SELECT DISTINCT language FROM (SELECT language FROM store_articles"
            " ORDER BY first_seen_at DESC LIMIT ?) recent WHERE language IS NOT NULL"
            " ORDER BY language LIMIT ?",
            (sample, limit),
        )
        return [str(r["language"]) for r in rows]

    # -- the backtest's replay -----------------------------------------------------

    def replay_articles(self) -> list[dict[str, Any]]:
        """Every article as the backtest replays it, in first-seen order.

        Keys: the article's own columns (url, guid, title, author,
        published_at, first_seen_at, site_name, language, canonical_url,
        description, text, story_id, signature_params), its outlet's name
        (``outlet_name``) and its story's ``origin_outlet``; times as ISO text.
        """
        rows = self._driver.execute(
            "SELECT a.url, a.guid, a.title, a.author, a.published_at, a.first_seen_at,"
            " a.site_name, a.language, a.canonical_url, a.description, a.text, a.story_id,"
            " a.signature_params, o.name AS outlet_name, s.origin_outlet FROM store_articles a"
            " JOIN store_outlets o ON o.id = a.outlet_id JOIN store_stories s ON s.id = a.story_id"
            " ORDER BY a.first_seen_at, a.id"
        )
        times = ("published_at", "first_seen_at")
        return [
            {key: db_time(py_time(r[key])) if key in times else r[key] for key in r.keys()}  # noqa: SIM118 -- rows are not mappings
            for r in rows
        ]

    # -- reading for export and reports -------------------------------------

    def export_rows(self) -> Iterator[dict[str, Any]]:
        """Stories with their members, one dict per story, in story id order.

        Values are the same on every dialect: times as ISO 8601 text in UTC,
        JSON columns as JSON text, booleans as 0/1.
        """
        stories = self._driver.execute(
            "SELECT s.*, oa.url AS origin_url FROM store_stories s"
            " LEFT JOIN store_articles oa ON oa.id = s.origin_article_id ORDER BY s.id"
        )
        # One pass over all members in story order, merged with the stories,
        # instead of one query per story; both cursors are read lazily.
        members = iter(
            self._driver.execute(
                "SELECT a.story_id, a.id, a.url, a.title, a.published_at, a.first_seen_at,"
                " a.member_role, a.similarity, a.derived_from, a.evidence, a.credits,"
                " d.url AS derived_url, o.name AS outlet"
                " FROM store_articles a JOIN store_outlets o ON o.id = a.outlet_id"
                " LEFT JOIN store_articles d ON d.id = a.derived_from"
                " ORDER BY a.story_id, a.member_role != 'origin', a.first_seen_at, a.id"
            )
        )
        member = next(members, None)
        for story in stories:
            rows = []
            while member is not None and member["story_id"] <= story["id"]:
                if member["story_id"] == story["id"]:
                    rows.append(_plain(member, skip="story_id"))
                member = next(members, None)
            yield {"story": _plain(story), "members": rows}

    def counts(self) -> dict[str, int]:
        """Row counts of the main tables."""
        result = {}
        for table in ("outlets", "feeds", "entries", "articles", "stories", "match_edges"):
            result[table] = int(
                self._driver.execute(f"SELECT count(*) FROM store_{table}").fetchone()[0]
            )
        for state in ("pending", "done", "failed"):
            row = self._driver.execute(
                "SELECT count(*) FROM store_entries WHERE state = ?", (state,)
            )
            result[f"entries_{state}"] = int(row.fetchone()[0])
        return result

    def feed_health(self) -> list[dict[str, Any]]:
        """Per feed: last success, last error and error count (times as ISO text)."""
        return [
            _plain(r)
            for r in self._driver.execute(
                "SELECT f.id, f.url, o.name AS outlet, f.last_success_at, f.last_error,"
                " f.last_error_kind, f.error_count"
                " FROM store_feeds f JOIN store_outlets o ON o.id = f.outlet_id"
                " WHERE f.active = 1 ORDER BY f.id"
            )
        ]
