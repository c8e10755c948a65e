"""Stores for the ``ingestd serve`` tests: the demo's real ingestion, the known hostile store."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from ingestd.demo.run import run_demo
from tests.support.reportstore import build_known_store
from tests.support.serveapp import serving

HOSTILE_TEXT = (
    "<script>alert('text')</script> Un paragraphe <img src=x onerror=alert(1)> assez long pour"
    " être comparé, avec des mots en commun et des mots différents pour voir le marquage.\n"
    "Second paragraphe </textarea><svg onload=alert(2)> qui reprend le texte de l'autre article"
    " sans rien changer ou presque, avec les mêmes mots dans le même ordre."
)


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`ingestd demo`'s store (read only by the tests)."""
    db = tmp_path_factory.mktemp("serve-demo") / "demo.db"
    run_demo(db, 1, lambda line: None)
    return db


@pytest.fixture(scope="session")
def demo_url(demo_db: Path) -> Iterator[str]:
    """The app over the demo store, served on 127.0.0.1."""
    with serving(f"sqlite:///{demo_db}") as base:
        yield base


@pytest.fixture(scope="session")
def hostile_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report tests' known store (hostile outlet name, title, URL, error) and hostile texts."""
    db = tmp_path_factory.mktemp("serve-hostile") / "known.db"
    build_known_store(db)
    with sqlite3.connect(db) as connection:
        connection.execute("UPDATE store_articles SET text = ?", (HOSTILE_TEXT,))
    return db


@pytest.fixture(scope="session")
def hostile_url(hostile_db: Path) -> Iterator[str]:
    """The app over the hostile store."""
    with serving(f"sqlite:///{hostile_db}") as base:
        yield base
