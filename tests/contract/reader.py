"""A reader in another process, as another tool would read the store (plain sqlite3).

Used by test_concurrent_read.py: it reads the views in a loop while ingestd
writes, and reports every inconsistency it saw.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path
from typing import Any


def check_snapshot(stories: list[Any], members: list[Any]) -> list[str]:
    """Problems in one consistent read of the views (empty when the store is whole)."""
    problems = []
    by_story: dict[int, list[Any]] = {}
    for member in members:
        by_story.setdefault(member["story_id"], []).append(member)
    story_ids = {s["story_id"] for s in stories}
    for story in stories:
        rows = by_story.get(story["story_id"], [])
        sid = story["story_id"]
        if story["member_count"] < 1 or story["member_count"] != len(rows):
            problems.append(f"story {sid}: member_count {story['member_count']} vs {len(rows)}")
        copies = sum(1 for m in rows if m["member_role"] == "copy")
        if story["copy_count"] != copies:
            problems.append(f"story {sid}: copy_count {story['copy_count']} vs {copies}")
        if story["outlet_count"] != len({m["outlet"] for m in rows}):
            problems.append(f"story {sid}: outlet_count")
        if story["origin_reason"] == "pending":
            problems.append(f"story {sid}: origin not decided yet (torn step)")
        origins = [m["article_id"] for m in rows if m["member_role"] == "origin"]
        expected = [] if story["origin_article_id"] is None else [story["origin_article_id"]]
        if origins != expected:
            problems.append(f"story {sid}: origin members {origins}, expected {expected}")
        ids = {m["article_id"] for m in rows}
        for m in rows:
            if m["derived_from"] is not None and m["derived_from"] not in ids:
                problems.append(f"story {sid}: {m['article_id']} derives from outside the story")
    for story_id in by_story:
        if story_id not in story_ids:
            problems.append(f"members of story {story_id} but no story row")
    return problems


def read_loop(db: str, stop: str, report: str) -> None:
    """Read both views in one transaction, again and again, until ``stop`` exists."""
    # timeout=0: any "database is locked" surfaces at once instead of being waited out.
    connection = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=0, isolation_level=None)
    connection.row_factory = sqlite3.Row
    snapshots, locked, problems = 0, [], []
    article_counts: set[int] = set()
    Path(f"{report}.ready").touch()
    while not Path(stop).exists():
        try:
            connection.execute("BEGIN")
            stories = connection.execute("SELECT * FROM stories").fetchall()
            members = connection.execute("SELECT * FROM story_members").fetchall()
            connection.execute("COMMIT")
        except sqlite3.OperationalError as error:
            locked.append(str(error))
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            continue
        snapshots += 1
        article_counts.add(len(members))
        problems.extend(check_snapshot(stories, members))
        time.sleep(0.002)
    connection.close()
    Path(report).write_text(
        json.dumps(
            {
                "snapshots": snapshots,
                "errors": locked,
                "problems": problems[:20],
                "article_counts": sorted(article_counts),
            }
        ),
        "utf-8",
    )
