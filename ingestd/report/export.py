"""Stories as JSON Lines: one object per story with its members and source chain."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, TextIO

from ingestd.store import Store


def story_objects(store: Store) -> Iterator[dict[str, Any]]:
    """Every story in the export shape (see README, "export")."""
    for row in store.export_rows():
        story = row["story"]
        members = []
        for member in row["members"]:
            members.append(
                {
                    "url": member["url"],
                    "outlet": member["outlet"],
                    "title": member["title"],
                    "role": member["member_role"],
                    "similarity": member["similarity"],
                    "published_at": member["published_at"],
                    "first_seen_at": member["first_seen_at"],
                    "derived_from": member["derived_url"],
                    "credits": json.loads(member["credits"]),
                    "evidence": json.loads(member["evidence"]),
                }
            )
        yield {
            "story_id": story["id"],
            "canonical_url": story["canonical_url"],
            "title": story["title"],
            "origin_outlet": story["origin_outlet"],
            "origin_url": story["origin_url"],
            "origin_attributed": bool(story["origin_attributed"]),
            "origin_reason": story["origin_reason"],
            "origin_evidence": json.loads(story["origin_evidence"]),
            "members": members,
        }


def write_jsonl(store: Store, out: TextIO) -> int:
    """Write every story as one JSON line; returns the number written."""
    count = 0
    for story in story_objects(store):
        out.write(json.dumps(story, ensure_ascii=False, sort_keys=False))
        out.write("\n")
        count += 1
    return count
