"""The driver layer's pure parts: placeholder rewriting and PostgreSQL rows."""

from __future__ import annotations

import pytest

from ingestd.store.drivers import PgRow, pg_placeholders


@pytest.mark.parametrize(
    ("portable", "psycopg"),
    [
        ("SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = %s AND b = %s"),
        ("SELECT '?' , ? FROM t", "SELECT '?' , %s FROM t"),
        (
            "SELECT 'it''s ? 50%' FROM t WHERE x LIKE ?",
            "SELECT 'it''s ? 50%%' FROM t WHERE x LIKE %s",
        ),
        ('SELECT "odd?name" FROM t WHERE y = ?', 'SELECT "odd?name" FROM t WHERE y = %s'),
        ("SELECT 7 % 3", "SELECT 7 %% 3"),
        ("SELECT 1", "SELECT 1"),
    ],
)
def test_placeholders(portable: str, psycopg: str) -> None:
    assert pg_placeholders(portable) == psycopg


def test_pg_row_reads_like_sqlite_row() -> None:
    row = PgRow({"id": 0, "url": 1}, (7, "https://x"))
    assert (row[0], row["id"], row[1], row["url"]) == (7, 7, "https://x", "https://x")
    assert row.keys() == ["id", "url"]
    assert dict(row) == {"id": 7, "url": "https://x"}
    assert list(row) == [7, "https://x"]
    number, url = row
    assert (number, url, len(row)) == (7, "https://x", 2)
    assert row == PgRow({"id": 0, "url": 1}, [7, "https://x"])
    assert "https://x" in repr(row)
    with pytest.raises(IndexError, match="no such column: nope"):
        row["nope"]
