"""A second process reads the SQLite store while ingestd ingests into it."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import time
from pathlib import Path

import pytest

from ingestd.app import open_store, poll_once
from ingestd.demo.run import demo_settings
from ingestd.demo.sample import routes
from ingestd.demo.server import SiteServer
from tests.contract.reader import check_snapshot, read_loop


@pytest.mark.slow
def test_reader_in_another_process_sees_no_lock_and_no_torn_story(tmp_path: Path) -> None:
    db = tmp_path / "ingestd.db"
    stop, report = tmp_path / "stop", tmp_path / "report.json"
    with SiteServer() as server:
        server.routes = routes(server.base_url)
        settings = demo_settings(server.base_url, db, workers=1)
        store = open_store(settings)  # created and migrated before the reader starts
        reader = multiprocessing.get_context("spawn").Process(
            target=read_loop, args=(str(db), str(stop), str(report))
        )
        reader.start()
        try:
            deadline = time.monotonic() + 30
            while not Path(f"{report}.ready").exists() and time.monotonic() < deadline:
                time.sleep(0.01)
            stats = asyncio.run(poll_once(settings, store))
            final = len(store.query("SELECT * FROM story_members"))
            time.sleep(0.2)  # let the reader see the final state too
        finally:
            stop.touch()
            reader.join(30)
            store.close()
    assert reader.exitcode == 0
    seen = json.loads(report.read_text("utf-8"))
    assert stats.articles_stored == final > 5
    assert seen["errors"] == []  # never "database is locked"
    assert seen["problems"] == []  # never a torn story
    assert seen["snapshots"] > 20
    # The reader really overlapped the ingestion: it saw partial states.
    assert any(0 < n < final for n in seen["article_counts"]), seen["article_counts"]
    assert final in seen["article_counts"]


def test_the_checker_finds_a_torn_story() -> None:
    # The check above could fail: a story row whose members are not all there.
    story = {
        "story_id": 1,
        "member_count": 2,
        "copy_count": 1,
        "outlet_count": 2,
        "origin_reason": "pending",
        "origin_article_id": 10,
    }
    member = {
        "story_id": 1,
        "article_id": 11,
        "member_role": "copy",
        "outlet": "B",
        "derived_from": 10,
    }
    problems = check_snapshot([story], [member])
    assert any("member_count" in p for p in problems)
    assert any("torn step" in p for p in problems)
    assert any("origin members" in p for p in problems)
    assert any("outside the story" in p for p in problems)
