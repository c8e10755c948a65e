"""Several `ingestd run` workers on one PostgreSQL database (issue 14, leases).

Real processes, a real local site that counts every request: each page is
fetched once and each feed polled once per due time whatever the number of
workers; the stories are those of one worker; a SIGKILLed worker's entries
reach the others when its leases expire; workers started together on a new
database all come up; a `poll --once` with another file beside them leaves
their feeds active and fetches nothing they hold.
"""

from __future__ import annotations

import itertools
import json
import signal
import sqlite3
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.service.demo_site import outcome, reference_run
from tests.service.fleet import Fleet, TimedSite
from tests.support.httpserver import LocalServer
from tests.support.postgres import SERVER, database_exists, drop_database, pg_database

pytestmark = pytest.mark.postgres


def _reference(tmp_path: Path, site: TimedSite) -> dict[str, Any]:
    db = tmp_path / "reference.db"
    reference_run(db, site.outlets)
    connection = sqlite3.connect(db)
    connection.row_factory = sqlite3.Row
    try:
        return outcome(lambda sql: connection.execute(sql).fetchall())
    finally:
        connection.close()
        site.reset()


@pytest.mark.timeout(300)
@pytest.mark.parametrize("workers", [2, 3])
def test_workers_fetch_each_page_once_and_poll_each_feed_once_per_due_time(
    workers: int, tmp_path: Path, local_server: LocalServer
) -> None:
    site = TimedSite(local_server, page_delay=0.2)
    expected = _reference(tmp_path, site)
    total = len(expected["articles"])
    interval = 4.0
    with (
        pg_database() as url,
        Fleet(
            tmp_path,
            url,
            site.outlets,
            workers=workers,
            schedule={"min_interval": interval, "max_interval": interval, "jitter": 0.0},
            fetch={"concurrency": 2},
        ) as fleet,
    ):
        fleet.start()
        fleet.wait_for(fleet.started, what="every worker READY")
        listed = fleet.cli("workers", "--format", "json")
        assert listed.returncode == 0, listed.stderr
        live = json.loads(listed.stdout)
        assert sorted(w["pid"] for w in live) == sorted(p.pid for p in fleet.procs)
        assert all(w["kind"] == "run" and w["live"] for w in live)
        fleet.wait_for(fleet.finished(total), what=f"{total} articles")
        # Let every feed come due twice more: each due time is polled once.
        fleet.wait_for(
            lambda: all(len(site.feed_times().get(path, [])) >= 3 for path in site.feeds),
            what="every feed polled three times",
        )
        got = outcome(lambda sql: fleet.query(sql))
        for proc in fleet.procs:
            assert proc.stop(signal.SIGTERM) == 0
        assert fleet.count("SELECT count(*) FROM store_workers") == 0  # each retired itself
        assert fleet.count("SELECT count(*) FROM store_entries WHERE lease_owner IS NOT NULL") == 0

    counts = site.page_counts()
    assert set(counts) == site.pages
    assert {path: n for path, n in counts.items() if n != 1} == {}
    feed_times = site.feed_times()
    assert set(feed_times) == site.feeds
    for path, times in feed_times.items():
        gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
        # One poll per due time: consecutive polls of a feed are an interval apart
        # (a second worker polling the same due time would come within moments).
        assert all(gap > interval / 2 for gap in gaps), (path, gaps)
    assert got["articles"] == expected["articles"]
    assert got["stories"] == expected["stories"]


@pytest.mark.timeout(300)
def test_a_killed_workers_entries_are_taken_over_after_its_leases_expire(
    tmp_path: Path, local_server: LocalServer
) -> None:
    site = TimedSite(local_server)
    expected = _reference(tmp_path, site)
    total = len(expected["articles"])
    lease = 6.0
    site.hold()
    with (
        pg_database() as url,
        Fleet(
            tmp_path,
            url,
            site.outlets,
            workers=3,
            service={"lease_seconds": lease},
            fetch={"concurrency": 2},
        ) as fleet,
    ):
        fleet.start()
        victim = fleet.procs[0]

        def victim_holds_entries() -> bool:
            return (
                fleet.count(
                    "SELECT count(*) FROM store_entries e JOIN store_workers w"
                    " ON w.id = e.lease_owner WHERE w.pid = %s",
                    (victim.pid,),
                )
                > 0
            )

        def victim_expiry() -> datetime | None:
            rows = fleet.query(
                "SELECT min(e.lease_expires_at) AS at FROM store_entries e JOIN store_workers w"
                " ON w.id = e.lease_owner WHERE w.pid = %s",
                (victim.pid,),
            )
            return rows[0]["at"] if rows else None

        fleet.wait_for(victim_holds_entries, what="the first worker holding entries")
        first = victim_expiry()
        assert first is not None
        # Its pages are in flight (held at the site): its heartbeat renews them.
        fleet.wait_for(
            lambda: (victim_expiry() or first) > first, what="the victim's leases renewed"
        )
        assert victim_holds_entries()
        held = {
            row["url"]
            for row in fleet.query(
                "SELECT e.url FROM store_entries e JOIN store_workers w ON w.id = e.lease_owner"
                " WHERE w.pid = %s",
                (victim.pid,),
            )
        }
        victim.kill()
        killed = time.monotonic()
        site.release()
        fleet.wait_for(fleet.finished(total), what=f"{total} articles after the kill")
        got = outcome(lambda sql: fleet.query(sql))
        for proc in fleet.procs[1:]:
            assert proc.stop(signal.SIGTERM) == 0
        # The victim's row stays (it never stopped cleanly) but holds nothing now.
        rows = fleet.query("SELECT pid FROM store_workers")
        assert [row["pid"] for row in rows] == [victim.pid]
        assert fleet.count("SELECT count(*) FROM store_entries WHERE state = 'failed'") == 0

    assert got["articles"] == expected["articles"]
    assert got["stories"] == expected["stories"]
    counts = site.page_counts()
    assert set(counts) == site.pages
    paths = {url.split(str(local_server.port), 1)[1] for url in held}
    # Every other page: exactly once. The victim's pages: fetched by a
    # survivor only once the victim's lease had run out, and twice when the
    # victim's own request (cut off by the kill) had reached the site; with
    # fleet-wide per-host slots it may still have been waiting for one.
    twice = {path: n for path, n in counts.items() if n != 1}
    assert set(twice) <= paths and set(twice.values()) <= {2}, (twice, paths)
    for path in paths:
        last = [at for p, at in site.requests({path})][-1]
        assert last - killed > lease / 6, (path, last - killed)


@pytest.mark.timeout(240)
def test_workers_started_together_on_a_new_database_all_come_up(
    tmp_path: Path, local_server: LocalServer
) -> None:
    site = TimedSite(local_server)
    total = len(_reference(tmp_path, site)["articles"])
    name = f"ingestd_test_{uuid.uuid4().hex[:12]}"
    url = f"{SERVER}/{name}"
    assert not database_exists(name)
    try:
        with Fleet(tmp_path, url, site.outlets, workers=3) as fleet:
            fleet.start()  # the same moment: create, migrate and sync race here
            fleet.wait_for(fleet.started, what="every worker READY")
            assert database_exists(name)
            fleet.wait_for(fleet.finished(total), what=f"{total} articles")
            for proc in fleet.procs:
                assert proc.stop(signal.SIGTERM) == 0
            outlets = fleet.count("SELECT count(*) FROM store_outlets")
            assert outlets == len(site.outlets)
    finally:
        drop_database(name)
    assert {path: n for path, n in site.page_counts().items() if n != 1} == {}


@pytest.mark.timeout(240)
def test_a_one_off_poll_beside_the_workers_shares_their_work_and_leaves_their_feeds_active(
    tmp_path: Path, local_server: LocalServer
) -> None:
    site = TimedSite(local_server)
    expected = _reference(tmp_path, site)
    total = len(expected["articles"])
    extra = local_server.url("/extra/feed.xml")
    local_server.route(
        "/extra/feed.xml",
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>',
        content_type="application/rss+xml",
    )
    site.hold()
    with (
        pg_database() as url,
        Fleet(tmp_path, url, site.outlets, workers=2, fetch={"concurrency": 2}) as fleet,
    ):
        fleet.start()

        def held_by(kind: str) -> int:
            return fleet.count(
                "SELECT count(*) FROM store_entries e JOIN store_workers w"
                " ON w.id = e.lease_owner WHERE w.kind = %s",
                (kind,),
            )

        fleet.wait_for(lambda: held_by("run") == 4, what="both workers holding two entries")
        other = tmp_path / "other.toml"
        other.write_text(
            fleet.config.read_text().split("[[outlets]]")[0]
            + '[[outlets]]\nname = "Extra"\ndomain = "extra.example"\n'
            + f'feeds = ["{extra}"]\n'
        )
        one_off = fleet.popen("poll", "--once", config=other)
        try:
            # It registers as a worker and takes only what the workers do not
            # hold (checked below: every page fetched once). While the
            # workers' requests hang they hold the host's fleet-wide slots
            # (per_host_concurrency), so the one-off can fetch nothing, not
            # even its feeds, until the site answers: release it then.
            fleet.wait_for(
                lambda: fleet.count("SELECT count(*) FROM store_workers WHERE kind = 'poll'") > 0,
                what="the one-off registered",
            )
        finally:
            site.release()
            _out, err = one_off.communicate(timeout=120)
        assert one_off.returncode == 0, err
        fleet.wait_for(fleet.finished(total), what=f"{total} articles")
        active = fleet.query("SELECT url, active FROM store_feeds WHERE url NOT LIKE 'import:%%'")
        assert {row["url"]: row["active"] for row in active} == {
            **{local_server.url(path): 1 for path in site.feeds},
            extra: 1,
        }
        # The one-off retired itself; the workers run on.
        assert fleet.count("SELECT count(*) FROM store_workers WHERE kind = 'poll'") == 0
        got = outcome(lambda sql: fleet.query(sql))
        for proc in fleet.procs:
            assert proc.running()
            assert proc.stop(signal.SIGTERM) == 0
    assert {path: n for path, n in site.page_counts().items() if n != 1} == {}
    assert set(site.page_counts()) == site.pages
    assert got["articles"] == expected["articles"]
    assert got["stories"] == expected["stories"]
