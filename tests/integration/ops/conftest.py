"""Fixtures of the operator-command tests: an ingested store, one copy per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ingestd.demo.sample import load_outlets, routes
from tests.conftest import Harness
from tests.integration.ops.site import Ingested, Site
from tests.support.httpserver import LocalServer


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ingested]:
    """The demo sites served and ingested once per test module."""
    folder = tmp_path_factory.mktemp("ingested")
    with LocalServer() as server:
        base = server.url("").rstrip("/")
        for path, (content_type, body) in routes(base).items():
            server.route(path, body, content_type=content_type)
        harness = Harness(folder / "pristine.db")
        harness.outlets = load_outlets(base)
        stats = harness.poll()
        assert stats.articles_stored >= 20 and stats.feeds_failed == 0
        yield Ingested(server, base, harness.db, harness.outlets)


@pytest.fixture
def site(
    ingested: Ingested,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> Site:
    """This test's own copy of the ingested store, with a configuration naming it."""
    return Site(ingested, tmp_path, capsys, monkeypatch)
