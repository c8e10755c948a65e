"""Bad input never stops a cycle: the good feeds and pages still land, nothing is lost."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.conftest import Harness
from tests.integration.seedsite import lemonde_page, meguetan_page, rss
from tests.support.httpserver import LocalServer


def _slow_page(handler: BaseHTTPRequestHandler) -> None:
    # Longer than the harness's read timeout (2 s) but short enough to end.
    time.sleep(3.0)
    try:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/html")
        handler.end_headers()
        handler.wfile.write(b"<html><body><p>too late</p></body></html>")
    except OSError:
        pass


def test_dead_feed_malformed_feed_and_slow_page_do_not_stop_good_ones(
    harness: Harness, local_server: LocalServer
) -> None:
    base = local_server.url("").rstrip("/")
    local_server.route("/lemonde/a.html", lemonde_page(base))
    local_server.route("/meguetan/a.html", meguetan_page(base))
    local_server.route_handler("/slow/a.html", _slow_page)
    local_server.route(
        "/lemonde/rss.xml",
        rss(
            base,
            "LM",
            [
                ("OTAN", "/lemonde/a.html", "Wed, 12 Jan 2022 18:45:00 GMT"),
                ("Lent", "/slow/a.html", "Wed, 12 Jan 2022 19:00:00 GMT"),
            ],
        ),
        content_type="application/rss+xml",
    )
    local_server.route(
        "/meguetan/rss.xml",
        rss(
            base,
            "MI",
            [
                ("OTAN", "/meguetan/a.html", "Thu, 13 Jan 2022 08:10:00 GMT"),
            ],
        ),
        content_type="application/rss+xml",
    )
    local_server.route(
        "/broken/rss.xml",
        b"<html><body>Oops, this is not a feed",
        content_type="application/rss+xml",
    )
    harness.outlets = [
        {
            "name": "Le Monde",
            "domain": "lemonde.fr",
            "feeds": [local_server.url("/lemonde/rss.xml")],
        },
        {
            "name": "Meguetan Infos",
            "domain": "meguetaninfos.com",
            "feeds": [local_server.url("/meguetan/rss.xml")],
        },
        {"name": "Dead", "domain": "dead.example", "feeds": [local_server.url("/gone.xml")]},
        {
            "name": "Broken",
            "domain": "broken.example",
            "feeds": [local_server.url("/broken/rss.xml")],
        },
    ]
    stats = harness.poll()
    assert stats.feeds_polled == 4
    assert stats.feeds_failed == 2
    assert stats.errors["feed_http_status"] == 1
    assert stats.errors["feed_malformed_feed"] == 1
    assert stats.pages_failed == 1
    assert stats.errors["page_timeout"] == 1
    assert stats.articles_stored == 2

    [story] = harness.stories()
    assert {m["outlet"] for m in story["members"]} == {"Le Monde", "Meguetan Infos"}

    counts = harness.counts()
    # The slow page is not lost: it stays pending for the next cycle.
    assert counts["entries_pending"] == 1
    from ingestd.app import open_store

    store = open_store(harness.settings())
    try:
        health = {row["url"].removeprefix(base): row for row in store.feed_health()}
    finally:
        store.close()
    assert health["/gone.xml"]["error_count"] == 1
    assert "404" in health["/gone.xml"]["last_error"]
    assert health["/broken/rss.xml"]["last_error_kind"] == "malformed_feed"
    assert health["/lemonde/rss.xml"]["error_count"] == 0
    assert health["/lemonde/rss.xml"]["last_success_at"] is not None

    # Next cycle: the slow page answers in time now and is ingested.
    local_server.route(
        "/slow/a.html",
        b"<html><body><article><p>"
        + (
            b"Un tout autre sujet, sans rapport avec l'OTAN, traite ici de la culture du riz "
            b"dans le delta int\xc3\xa9rieur du Niger et de ses rendements cette ann\xc3\xa9e. " * 3
        )
        + b"</p></article></body></html>",
    )
    stats = harness.poll()
    assert stats.articles_stored == 1
    assert harness.counts()["entries_pending"] == 0
    assert len(harness.stories()) == 2


def test_cli_poll_once_then_export_jsonl(tmp_path: Path, local_server: LocalServer) -> None:
    base = local_server.url("").rstrip("/")
    local_server.route("/lemonde/a.html", lemonde_page(base))
    local_server.route("/meguetan/a.html", meguetan_page(base))
    local_server.route(
        "/lemonde/rss.xml",
        rss(base, "LM", [("OTAN", "/lemonde/a.html", "Wed, 12 Jan 2022 18:45:00 GMT")]),
        content_type="application/rss+xml",
    )
    local_server.route(
        "/meguetan/rss.xml",
        rss(base, "MI", [("OTAN", "/meguetan/a.html", "Thu, 13 Jan 2022 08:10:00 GMT")]),
        content_type="application/rss+xml",
    )
    config = tmp_path / "ingestd.toml"
    config.write_text(f"""
[storage]
url = "sqlite:///{tmp_path / "store.db"}"
[fetch]
allow_private_addresses = true
per_host_delay = 0
[extract]
workers = 1
[[outlets]]
name = "Le Monde"
domain = "lemonde.fr"
role = "original"
feeds = ["{local_server.url("/lemonde/rss.xml")}"]
[[outlets]]
name = "Meguetan Infos"
domain = "meguetaninfos.com"
feeds = ["{local_server.url("/meguetan/rss.xml")}"]
""")
    command = [sys.executable, "-m", "ingestd", "--config", str(config)]
    polled = subprocess.run(
        [*command, "poll", "--once"], capture_output=True, text=True, timeout=120
    )
    assert polled.returncode == 0, polled.stderr
    # The summary is the command's result: one line on standard output.
    [summary] = polled.stdout.splitlines()
    assert summary.startswith("polled 2 feeds") and "2 articles stored" in summary
    assert "0 entries wait for the next cycle" in summary
    exported = subprocess.run(
        [*command, "export", "--format", "jsonl"], capture_output=True, text=True, timeout=60
    )
    assert exported.returncode == 0, exported.stderr
    lines = exported.stdout.strip().splitlines()
    assert len(lines) == 1
    story = json.loads(lines[0])
    assert set(story) >= {"story_id", "canonical_url", "title", "origin_outlet", "members"}
    assert story["origin_outlet"] == "Le Monde"
    assert story["canonical_url"].startswith("https://www.lemonde.fr/")
    for member in story["members"]:
        assert set(member) >= {
            "url",
            "outlet",
            "role",
            "similarity",
            "published_at",
            "first_seen_at",
            "derived_from",
            "evidence",
        }
        assert 0.0 <= member["similarity"] <= 1.0
    assert [m["role"] for m in story["members"]] == ["origin", "copy"]


def test_cli_poll_exits_1_when_every_feed_fails(tmp_path: Path, local_server: LocalServer) -> None:
    config = tmp_path / "ingestd.toml"
    config.write_text(f"""
[storage]
url = "sqlite:///{tmp_path / "store.db"}"
[fetch]
allow_private_addresses = true
per_host_delay = 0
[[outlets]]
name = "Dead"
domain = "dead.example"
feeds = ["{local_server.url("/nothing.xml")}"]
""")
    result = subprocess.run(
        [sys.executable, "-m", "ingestd", "--config", str(config), "poll", "--once"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "1 failed" in result.stdout


def test_private_addresses_refused_by_default(harness: Harness, local_server: LocalServer) -> None:
    base = local_server.url("").rstrip("/")
    local_server.route("/lemonde/rss.xml", rss(base, "LM", []), content_type="application/rss+xml")
    harness.fetch = {}
    harness.outlets = [
        {
            "name": "Le Monde",
            "domain": "lemonde.fr",
            "feeds": [local_server.url("/lemonde/rss.xml")],
        }
    ]
    stats = harness.poll()
    assert stats.errors["feed_blocked"] == 1
    assert local_server.paths() == []
