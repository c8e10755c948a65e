"""The store keeps its own tables to itself (issue 10).

Code outside ``ingestd/store/`` reads and writes through the store's
Protocols (:mod:`ingestd.store.protocol`) or reads the documented public
views (storage/README.md); it never names one of the store's own tables
(every table the migrations create: ``store_*``) in a string, never
sends its own write statement through ``Store.execute`` or ``Store.insert``,
and never reaches into a store's connection (``store._driver``).
Docstrings and comments may still speak of the tables.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "ingestd"
STORE = PACKAGE / "store"
MIGRATIONS = ROOT / "storage"

_CREATE = re.compile(
    r"CREATE\s+(?:VIRTUAL\s+)?TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)", re.IGNORECASE
)
_RENAME = re.compile(r"RENAME\s+TO\s+(\w+)", re.IGNORECASE)


def store_tables() -> set[str]:
    """Every ``store_*`` table any migration of either dialect creates or renames to."""
    names: set[str] = set()
    for script in MIGRATIONS.glob("*/*.sql"):
        text = script.read_text(encoding="utf-8")
        names.update(_CREATE.findall(text))
        names.update(_RENAME.findall(text))
    return {name for name in names if name.startswith("store_")}


def _docstrings(tree: ast.AST) -> set[int]:
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def named_tables(source: str, tables: set[str]) -> set[str]:
    """The store tables named in a module's strings (f-string parts included)."""
    tree = ast.parse(source)
    skip = _docstrings(tree)
    pattern = re.compile(r"\b(" + "|".join(sorted(tables)) + r")\b")
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            found.update(pattern.findall(node.value))
    return found


def raw_writes(source: str) -> list[int]:
    """Lines calling ``<something store>.execute(…)`` or ``.insert(…)``."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"execute", "insert"}
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id.endswith("store")
        ):
            lines.append(node.lineno)
    return lines


def driver_reaches(source: str) -> list[int]:
    """Lines reading some object's ``_driver`` attribute."""
    return [
        node.lineno
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Attribute) and node.attr == "_driver"
    ]


def outside_modules() -> list[Path]:
    return [path for path in sorted(PACKAGE.rglob("*.py")) if STORE not in path.parents]


def test_the_migrations_name_the_store_tables() -> None:
    tables = store_tables()
    # The guard is only as good as this list: it must hold the tables of
    # every aggregate, the candidate index and the title search included.
    assert {
        "store_outlets",
        "store_feeds",
        "store_feed_moves",
        "store_entries",
        "store_articles",
        "store_article_versions",
        "store_stories",
        "store_match_edges",
        "store_outlet_paragraphs",
        "store_index_articles",
        "store_index_keys",
        "store_story_titles",
    } <= tables


def test_the_scanners_see_a_query_and_skip_a_docstring() -> None:
    tables = store_tables()
    sample = (
        '"""Reads ``store_articles`` (a docstring may say so)."""\n'
        "def f(store, n):\n"
        '    """And ``store_feeds`` here."""\n'
        '    store.execute("UPDATE store_feeds SET active = 0")\n'
        '    return store.query(f"SELECT * FROM store_match_edges LIMIT {n}")\n'
    )
    assert named_tables(sample, tables) == {"store_feeds", "store_match_edges"}
    assert raw_writes(sample) == [4]
    assert driver_reaches("d = pool.store._driver\n") == [1]
    assert named_tables('x = "SELECT * FROM stories, store_resync_interval"', tables) == set()


def test_no_module_outside_the_store_names_a_store_table() -> None:
    tables = store_tables()
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(found)
        for path in outside_modules()
        if (found := named_tables(path.read_text(encoding="utf-8"), tables))
    }
    assert offenders == {}


def test_no_module_outside_the_store_writes_through_raw_sql() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): lines
        for path in outside_modules()
        if (lines := raw_writes(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}


def test_no_module_outside_the_store_reaches_into_its_connection() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): lines
        for path in outside_modules()
        if (lines := driver_reaches(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}
