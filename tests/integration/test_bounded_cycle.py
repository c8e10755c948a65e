"""One feed's backlog never holds a cycle or other hosts' pages back.

A feed revealing 20,000 new entries beside normal feeds: `poll --once` fetches
at most ``[fetch] max_pages_per_feed`` of its pages (its newest), the normal
feeds' articles all land, and every entry of the big feed is stored or still
pending for the next cycles. In `ingestd run`, a host at its
``per_host_concurrency`` gets no more ingestion slots.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from ingestd.service.daemon import pick_entries
from ingestd.store.records import PendingEntry
from tests.conftest import Harness
from tests.service.sites import EtagFeed, article_html
from tests.support.httpserver import LocalServer

BIG = 20_000
CAP = 25


def big_feed(server: LocalServer) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    items = []
    for number in range(BIG):
        path = f"/big/{number}.html"
        server.route(path, article_html(f"big {number}", number + 10_000))
        when = format_datetime(start + timedelta(minutes=number))
        items.append(
            f"<item><title>big {number}</title><link>{server.url(path)}</link>"
            f"<guid>big-{number}</guid><pubDate>{when}</pubDate></item>"
        )
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>big</title>'
        f"<link>{server.url('/')}</link>{''.join(items)}</channel></rss>"
    ).encode()
    server.route("/big/feed.xml", body, content_type="application/rss+xml")


@pytest.mark.slow
def test_a_20000_entry_feed_is_worked_off_over_cycles(
    harness: Harness, local_server: LocalServer
) -> None:
    big_feed(local_server)
    normal = [EtagFeed(local_server, name) for name in ("one", "two", "three")]
    for feed in normal:
        feed.add(4)
    harness.fetch["max_pages_per_feed"] = CAP
    harness.outlets = [
        {"name": "Big", "domain": "big.example", "feeds": [local_server.url("/big/feed.xml")]},
        *({"name": f.name, "domain": f"{f.name}.example", "feeds": [f.url]} for f in normal),
    ]
    stats = harness.poll()
    big_pages = [p for p in local_server.paths() if p.startswith("/big/") and p != "/big/feed.xml"]
    # Bounded: the cycle fetched CAP of the big feed's pages, its newest ones.
    assert len(big_pages) == CAP
    assert set(big_pages) == {f"/big/{n}.html" for n in range(BIG - CAP, BIG)}
    # The normal feeds' articles all landed.
    assert stats.articles_stored == CAP + 12
    counts = harness.counts()
    # Every entry of the big feed is stored or pending; the summary says how many wait.
    assert counts["entries_pending"] == BIG - CAP == stats.entries_waiting
    assert counts["entries_failed"] == 0
    # The next cycle takes the next newest CAP, and nothing twice.
    again = harness.poll()
    assert again.articles_stored == CAP
    assert harness.counts()["entries_pending"] == BIG - 2 * CAP


def entry(number: int, host: str) -> PendingEntry:
    url = f"https://{host}/{number}.html"
    return PendingEntry(number, 1, 1, str(number), url, url, None, None, 0, None)


def test_a_busy_host_gets_no_more_slots_than_its_concurrency() -> None:
    backlog = [entry(n, "big.example") for n in range(20)]
    others = [entry(100 + n, f"site{n}.example") for n in range(3)]
    # The big host's pages come first in the queue; it still gets only 2 slots.
    taken = pick_entries([*backlog, *others], room=10, busy={}, per_host=2)
    assert [e.id for e in taken] == [0, 1, 100, 101, 102]
    # With the host already at its limit, only other hosts' pages start.
    taken = pick_entries([*backlog, *others], room=10, busy={"big.example": 2}, per_host=2)
    assert [e.id for e in taken] == [100, 101, 102]
    # Room is respected.
    assert len(pick_entries(others, room=2, busy={}, per_host=2)) == 2
