"""Shared fixtures: a local HTTP server and a configured ingestd against it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ingestd.app import open_store, poll_once
from ingestd.pipeline import CycleStats
from ingestd.report.export import story_objects
from ingestd.settings import Settings
from tests.support.httpserver import LocalServer


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    """A fresh HTTP server on 127.0.0.1."""
    with LocalServer() as server:
        yield server


class Harness:
    """Runs ingestd's polling cycle against a temporary SQLite store."""

    def __init__(self, db: Path):
        self.db = db
        self.outlets: list[dict[str, Any]] = []
        self.fetch: dict[str, Any] = {
            "allow_private_addresses": True,
            # Every test outlet lives on one local server (one host).
            "per_host_delay": 0.0,
            "read_timeout": 2.0,
            "connect_timeout": 2.0,
            "total_timeout": 5.0,
        }

    def settings(self) -> Settings:
        return Settings.model_validate(
            {
                "storage": {"url": f"sqlite:///{self.db}"},
                "fetch": self.fetch,
                "extract": {"workers": 1},
                "outlets": self.outlets,
            }
        )

    def poll(self) -> CycleStats:
        settings = self.settings()
        store = open_store(settings)
        try:
            return asyncio.run(poll_once(settings, store))
        finally:
            store.close()

    def stories(self) -> list[dict[str, Any]]:
        store = open_store(self.settings())
        try:
            return list(story_objects(store))
        finally:
            store.close()

    def counts(self) -> dict[str, int]:
        store = open_store(self.settings())
        try:
            return store.counts()
        finally:
            store.close()


@pytest.fixture
def harness(tmp_path: Path) -> Harness:
    """An ingestd with no outlets yet, storing into a temporary database."""
    return Harness(tmp_path / "ingestd.db")
