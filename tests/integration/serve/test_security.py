"""``ingestd serve``'s security: inert store strings, headers, token, host, read-only, bounds."""

from __future__ import annotations

import hashlib
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ingestd.errors import QueryTooCostly, StoreError
from ingestd.serve import queries
from ingestd.serve.app import CSP
from ingestd.serve.queries import StorePool
from ingestd.store.budget import open_read_only
from tests.support.postgres import pg_database
from tests.support.reportstore import (
    ALPHA5_URL,
    GAMMA,
    HOSTILE_ERROR,
    S1_TITLE,
    build_known_store_at,
)
from tests.support.serveapp import serving

EVENT_ATTRIBUTE = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
RAW_HOSTILE = ["<script", "<img src=x", "<svg onload", "</textarea>", "\x1b"]


def pages_of(db: Path) -> list[str]:
    with sqlite3.connect(db) as c:
        stories = [r[0] for r in c.execute("SELECT story_id FROM stories")]
        outlets = [r[0] for r in c.execute("SELECT outlet_id FROM outlets")]
        pairs = c.execute(
            "SELECT article_a, article_b FROM store_match_edges ORDER BY article_a, article_b"
        ).fetchall()
    return [
        "/",
        "/?q=wire",
        "/?q=%3Cscript%3E",
        "/?copies=1",
        "/outlets",
        "/feeds",
        "/review",
        *(f"/stories/{i}" for i in stories),
        *(f"/outlets/{i}" for i in outlets),
        *(f"/compare?copy={b}&source={a}" for a, b in pairs),
    ]


@pytest.mark.slow
def test_hostile_store_strings_are_inert_on_every_page(hostile_url: str, hostile_db: Path) -> None:
    paths = pages_of(hostile_db)
    seen = {"title": False, "gamma": False, "error": False, "text": False}
    for path in paths:
        response = httpx.get(hostile_url + path, timeout=10)
        assert response.status_code == 200, path
        body = response.text
        for raw in RAW_HOSTILE:
            assert raw not in body, (path, raw)
        assert 'href="javascript:' not in body.lower(), path
        assert not EVENT_ATTRIBUTE.search(body), path
        seen["title"] |= "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; Wire &amp;" in body
        seen["gamma"] |= "Gamma &lt;script&gt;alert(&#39;g&#39;)&lt;/script&gt;" in body
        seen["error"] |= "HTTP 503 &lt;b&gt;down&lt;/b&gt;" in body
        unmarked = re.sub(r"</?mark[^>]*>", "", body)  # the copy view marks words
        seen["text"] |= "&lt;img src=x onerror=alert(1)&gt;" in unmarked
    # Each hostile string was shown (escaped), not dropped.
    assert seen == dict.fromkeys(seen, True), seen
    for name in (S1_TITLE, GAMMA, HOSTILE_ERROR, ALPHA5_URL):
        assert name  # the strings the known store plants


@pytest.mark.slow
def test_hostile_strings_stay_data_in_json(hostile_url: str) -> None:
    listed = httpx.get(hostile_url + "/api/v1/stories", timeout=10).json()
    titles = {s["title"] for s in listed["stories"]}
    assert S1_TITLE in titles  # JSON carries the text as it is stored, as a string


@pytest.mark.slow
def test_every_response_carries_the_security_headers(demo_url: str) -> None:
    for path, status in [
        ("/", 200),
        ("/static/serve.css", 200),
        ("/favicon.ico", 200),
        ("/api/v1/stories", 200),
        ("/nowhere", 404),
        ("/api/v1/stories?limit=0", 400),
    ]:
        response = httpx.get(demo_url + path, timeout=10)
        assert response.status_code == status, path
        headers = response.headers
        assert headers["content-security-policy"] == CSP
        assert "script-src" not in CSP and "'unsafe-inline'" not in CSP
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["x-frame-options"] == "DENY"
        assert "server" not in headers


@pytest.mark.slow
def test_pages_link_no_external_resource(demo_url: str, demo_db: Path) -> None:
    for path in pages_of(demo_db):
        body = httpx.get(demo_url + path, timeout=10).text
        assert "<script" not in body
        for attribute in ('src="http', "src='http", 'href="//', "@import", "url(http"):
            assert attribute not in body, (path, attribute)
        # The only stylesheet and icon are the app's own.
        assert body.count("<link ") == 3, path


@pytest.mark.slow
def test_a_wrong_host_header_is_refused(demo_url: str) -> None:
    # A loopback server answers only to loopback names: a page on another site
    # cannot rebind its DNS name to 127.0.0.1 and read the store.
    evil = httpx.get(demo_url + "/", headers={"host": "attacker.example"}, timeout=10)
    assert evil.status_code == 400
    assert httpx.get(demo_url + "/", headers={"host": "localhost:1"}, timeout=10).status_code == 200


@pytest.mark.slow
def test_access_token_is_required_when_set(demo_db: Path) -> None:
    token = "s3cret-token-of-some-length"
    with serving(f"sqlite:///{demo_db}", token=token) as base:
        assert httpx.get(base + "/api/v1/stories", timeout=10).status_code == 401
        page = httpx.get(base + "/", timeout=10)
        assert page.status_code == 303 and page.headers["location"] == "/login"
        wrong = {"authorization": "Bearer nope"}
        assert httpx.get(base + "/api/v1/stories", headers=wrong, timeout=10).status_code == 401
        right = {"authorization": f"Bearer {token}"}
        assert httpx.get(base + "/api/v1/stories", headers=right, timeout=10).status_code == 200
        assert httpx.get(base + "/login", timeout=10).status_code == 200
        refused = httpx.post(base + "/login", data={"token": "nope"}, timeout=10)
        assert refused.status_code == 403 and "ingestd_serve_token" not in refused.headers.get(
            "set-cookie", ""
        )
        with httpx.Client(base_url=base, timeout=10) as client:
            login = client.post("/login", data={"token": token})
            assert login.status_code == 303
            cookie = login.headers["set-cookie"].lower()
            assert "httponly" in cookie and "samesite=strict" in cookie
            assert client.get("/").status_code == 200
            assert client.get("/api/v1/feeds").status_code == 200


def _digest(db: Path) -> str:
    return hashlib.sha256(db.read_bytes()).hexdigest()


@pytest.mark.slow
def test_the_store_is_opened_read_only(tmp_path: Path, demo_db: Path) -> None:
    copy = tmp_path / "copy.db"
    with sqlite3.connect(demo_db) as source, sqlite3.connect(copy) as target:
        source.backup(target)
    with sqlite3.connect(copy) as c:
        c.execute("PRAGMA journal_mode=DELETE")  # one file to fingerprint
    before = _digest(copy)
    with serving(f"sqlite:///{copy}") as base:
        for path in pages_of(copy):
            assert httpx.get(base + path, timeout=10).status_code == 200
    assert _digest(copy) == before
    store = open_read_only(f"sqlite:///{copy}")
    try:
        with pytest.raises(StoreError):
            store.query("DELETE FROM store_feeds")
        with pytest.raises(StoreError):
            store.query("CREATE TABLE x (y)")
        with pytest.raises(StoreError, match="read-only"), store.transaction():
            pass
    finally:
        store.close()
    assert _digest(copy) == before
    with pytest.raises(StoreError, match="no ingestd database"):
        open_read_only(f"sqlite:///{tmp_path / 'missing.db'}")
    assert not (tmp_path / "missing.db").exists()


@pytest.mark.postgres
@pytest.mark.slow
def test_postgresql_store_is_served_read_only() -> None:
    with pg_database() as url:
        build_known_store_at(url)
        store = open_read_only(url)
        try:
            with pytest.raises(StoreError, match="read-only"):
                store.query("DELETE FROM store_feeds")
        finally:
            store.close()
        with serving(url) as base:
            listed = httpx.get(base + "/api/v1/stories", timeout=10).json()
            assert len(listed["stories"]) == 6
            found = httpx.get(base + "/api/v1/stories?q=wire%20four", timeout=10).json()
            assert [s["title"] for s in found["stories"]] == ["Wire four"]
            assert httpx.get(base + "/feeds", timeout=10).status_code == 200
            assert httpx.get(base + "/review", timeout=10).status_code == 200


def test_a_query_over_budget_is_stopped(demo_db: Path) -> None:
    pool = StorePool(f"sqlite:///{demo_db}", size=1, budget_s=0.05)
    started = time.monotonic()
    try:
        with pytest.raises(QueryTooCostly), pool.session() as store:
            store.query(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n)"
                " SELECT count(*) FROM (SELECT i FROM n LIMIT 100000000)"
            )
        assert time.monotonic() - started < 2
        with pool.session() as store:  # the connection is usable again
            assert store.query_one("SELECT count(*) FROM stories")[0] == 14
    finally:
        pool.close()


def test_a_filtered_list_stops_at_the_scan_limit_and_goes_on(
    demo_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_read_only(f"sqlite:///{demo_db}")
    try:
        where = queries.StoryFilter(outlet="Le Monde")
        full = queries.list_stories(store, where)
        assert full.complete and full.next_cursor is None
        monkeypatch.setattr(queries, "SCAN_LIMIT", 4)
        monkeypatch.setattr(queries, "_CHUNK", 2)
        pages, cursor = [], None
        while True:
            page = queries.list_stories(store, where, cursor, limit=50)
            assert page.scanned <= 4
            pages.append(page)
            cursor = page.next_cursor
            if cursor is None:
                break
        assert len(pages) > 2 and not pages[0].complete
        assert [r.story_id for p in pages for r in p.rows] == [r.story_id for r in full.rows]
    finally:
        store.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ingestd(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ingestd", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        check=False,
    )


@pytest.mark.slow
def test_non_loopback_listen_needs_the_flag_and_a_token(demo_db: Path, tmp_path: Path) -> None:
    port = _free_port()
    no_flag = _ingestd("serve", "--db", str(demo_db), "--listen", f"0.0.0.0:{port}")
    assert no_flag.returncode == 2
    assert "--allow-remote" in no_flag.stderr and "token" in no_flag.stderr
    no_token = _ingestd(
        "serve",
        "--db",
        str(demo_db),
        "--listen",
        f"0.0.0.0:{port}",
        "--allow-remote",
        env={"INGESTD_SERVE_TOKEN": ""},
    )
    assert no_token.returncode == 2 and "needs an access token" in no_token.stderr
    token_file = tmp_path / "token"
    token_file.write_text("a-long-enough-access-token\n")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ingestd",
            "serve",
            "--db",
            str(demo_db),
            "--listen",
            f"0.0.0.0:{port}",
            "--allow-remote",
            "--token-file",
            str(token_file),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 20
        while True:
            try:
                response = httpx.get(base + "/api/v1/stories", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert response.status_code == 401
        good = {"authorization": "Bearer a-long-enough-access-token"}
        assert httpx.get(base + "/api/v1/stories", headers=good, timeout=5).status_code == 200
    finally:
        server.terminate()
        server.wait(20)
    assert server.stderr is not None
    with server.stderr:
        log = server.stderr.read()
    # uvicorn drains, then re-raises SIGTERM: the usual "stopped by signal" status.
    assert server.returncode == -signal.SIGTERM
    assert "Traceback" not in log and "http://0.0.0.0:" in log


@pytest.mark.slow
def test_serve_refuses_a_missing_database(tmp_path: Path) -> None:
    result = _ingestd("serve", "--db", str(tmp_path / "none.db"))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"ingestd: no ingestd database at {tmp_path / 'none.db'}"
    ]
