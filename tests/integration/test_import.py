"""`ingestd import`: the JSONL and WARC contract, through the real command and store."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from ingestd.cli import main
from tests.support.postgres import pg_database

REPO = Path(__file__).resolve().parents[2]

PARAGRAPHS = [
    "Le conseil municipal a adopté mardi soir un budget en hausse de douze pour cent, porté"
    " par les investissements dans l'assainissement des quartiers nord de la ville.",
    "Le maire a défendu un effort sans précédent pour les canalisations, dont certaines datent"
    " de l'époque coloniale et cèdent chaque saison des pluies dans les quartiers bas.",
    "L'opposition a dénoncé une hausse des taxes locales qu'elle juge insupportable pour les"
    " petits commerçants du marché central, déjà éprouvés par la crise des deux dernières années.",
    "Les travaux doivent commencer en mars et durer deux ans, selon le calendrier présenté par"
    " les services techniques de la commune devant les élus réunis en séance publique.",
]
ORIGINAL = "\n".join(PARAGRAPHS)
COPY = ORIGINAL.replace("mardi soir", "mardi")
OTHER = "\n".join(
    [
        "Un nouveau dinosaure herbivore a été décrit à partir de fossiles mis au jour dans le"
        " désert du Ténéré par une équipe internationale de paléontologues.",
        "Ses restes, remarquablement conservés, comprennent une partie du crâne et plusieurs"
        " vertèbres qui permettent de le rattacher à une lignée encore mal connue.",
        "Les chercheurs estiment que l'animal mesurait près de neuf mètres de long et vivait il"
        " y a quelque cent dix millions d'années dans une plaine alors verdoyante.",
    ]
)

OUTLETS = [
    {"name": "Origin Daily", "domain": "origin.example"},
    {"name": "Copy Times", "domain": "copy.example"},
]


def line(**fields: Any) -> str:
    record = {
        "url": "https://origin.example/budget.html",
        "outlet": "Origin Daily",
        "title": "Budget",
        "text": ORIGINAL,
        "published_at": "2026-03-02T08:00:00+00:00",
    }
    record.update(fields)
    return json.dumps({k: v for k, v in record.items() if v is not None}, ensure_ascii=False)


GOOD = [
    line(),
    line(
        url="https://copy.example/repost.html?utm_source=x",
        outlet="copy.example",
        text=COPY,
        published_at="2026-03-02T11:00:00Z",
        author="Desk",
        guid="copy-1",
    ),
    line(url="https://origin.example/fossil.html", text=OTHER, language="fr"),
]


@dataclass
class Result:
    code: int
    out: str
    err: str


class Importing:
    """A configuration, its SQLite store, and `ingestd import` run in this process."""

    def __init__(self, folder: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any):
        self.folder = folder
        self.db = folder / "ingestd.db"
        self.config = folder / "ingestd.toml"
        self.write_config(f"sqlite:///{self.db}")
        self._capsys = capsys
        self._monkeypatch = monkeypatch

    def write_config(self, url: str) -> None:
        lines = ["[storage]", f'url = "{url}"', "[extract]", "workers = 1"]
        for outlet in OUTLETS:
            lines += ["[[outlets]]", f'name = "{outlet["name"]}"', f'domain = "{outlet["domain"]}"']
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")

    def file(self, name: str, lines: list[str]) -> Path:
        path = self.folder / name
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def run(self, *args: str) -> Result:
        self._capsys.readouterr()
        self._monkeypatch.setattr(sys, "argv", ["ingestd", "--config", str(self.config), *args])
        code = 0
        try:
            main()
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        captured = self._capsys.readouterr()
        return Result(code, captured.out, captured.err)

    def sql(self, query: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        db = sqlite3.connect(self.db)
        db.row_factory = sqlite3.Row
        try:
            return db.execute(query, params).fetchall()
        finally:
            db.close()


@pytest.fixture
def imp(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: Any) -> Importing:
    return Importing(tmp_path, capsys, monkeypatch)


def test_a_good_file_is_imported_and_matched(imp: Importing) -> None:
    result = imp.run("import", str(imp.file("good.jsonl", GOOD)))
    assert result.code == 0, result.err
    assert "imported 3, updated 0, unchanged 0, copies found 1, rejected 0" in result.out
    assert "articles/s" in result.out
    rows = imp.sql("SELECT * FROM articles ORDER BY article_id")
    assert [r["url"] for r in rows] == [
        "https://origin.example/budget.html",
        "https://copy.example/repost.html",  # normalised like a polled URL
        "https://origin.example/fossil.html",
    ]
    assert rows[0]["story_id"] == rows[1]["story_id"] != rows[2]["story_id"]
    assert [r["member_role"] for r in rows] == ["origin", "copy", "origin"]
    assert rows[1]["outlet"] == "Copy Times" and rows[1]["author"] == "Desk"
    assert rows[1]["guid"] == "copy-1" and rows[2]["language"] == "fr"
    # The window's clock for a backfill is the publication time.
    assert rows[1]["first_seen_at"] == rows[1]["published_at"] == "2026-03-02T11:00:00+00:00"
    [story] = imp.sql("SELECT * FROM stories WHERE story_id = ?", (rows[0]["story_id"],))
    assert story["origin_outlet"] == "Origin Daily" and story["member_count"] == 2
    # Entries like polled ones: done, linked to their article, in never-polled import feeds.
    entries = imp.sql("SELECT state, article_id FROM store_entries ORDER BY article_id")
    assert [(e["state"], e["article_id"]) for e in entries] == [
        ("done", 1),
        ("done", 2),
        ("done", 3),
    ]
    feeds = imp.sql("SELECT url, active, entry_count, article_count FROM feeds ORDER BY url")
    assert [tuple(f) for f in feeds] == [
        ("import:copy.example", 0, 1, 1),
        ("import:origin.example", 0, 2, 2),
    ]
    assert "importing good.jsonl: 3/3 done" in result.err  # plain progress off a terminal


def test_bad_lines_are_reported_with_their_number_and_skipped(imp: Importing) -> None:
    lines = [
        GOOD[0],
        "{not json",
        line(url="https://origin.example/x", outlet="Nowhere News"),
        line(url=None),
        line(url="https://origin.example/y", text="   "),
        line(url="https://origin.example/z", published_at="last tuesday"),
        "",  # blank lines are not articles
        json.dumps({"url": "https://origin.example/w", "outlet": "Origin Daily", "text": "t"}),
        "[1, 2]",
        line(url="ftp://origin.example/v"),
        GOOD[1],
    ]
    result = imp.run("import", str(imp.file("bad.jsonl", lines)))
    assert result.code == 1
    assert "imported 2, updated 0, unchanged 0, copies found 1, rejected 8" in result.out
    rejected = [row for row in result.err.splitlines() if row.startswith("rejected ")]
    assert rejected == [
        "rejected line 2: bad JSON: Expecting property name enclosed in double quotes at column 2",
        "rejected line 3: unknown outlet 'Nowhere News': not a configured outlet's name or domain",
        "rejected line 4: no url",
        "rejected line 5: no text",
        "rejected line 6: bad date: published_at 'last tuesday': Invalid isoformat string:"
        " 'last tuesday'",
        "rejected line 8: bad date: no published_at",
        "rejected line 9: not a JSON object",
        "rejected line 10: url is not an http(s) URL: 'ftp://origin.example/v'",
    ]
    assert int(imp.sql("SELECT count(*) FROM articles")[0][0]) == 2


def test_every_rejection_reason(imp: Importing) -> None:
    cases = {
        "{not json": "bad JSON",
        line(outlet="Nowhere News"): "unknown outlet 'Nowhere News'",
        line(outlet=None): "no outlet",
        line(url=None): "no url",
        line(url="ftp://origin.example/v"): "url is not an http(s) URL",
        line(text=None): "no text",
        line(text=""): "no text",
        line(published_at="2026-13-45"): "bad date: published_at '2026-13-45'",
        line(published_at=None): "bad date: no published_at",
        line(published_at=20260302): "bad date: published_at 20260302",
        line(title=12): "title must be a string",
        line(html=["<p>"]): "html must be a string",
        "[1, 2]": "not a JSON object",
    }
    result = imp.run("import", str(imp.file("cases.jsonl", list(cases))))
    assert result.code == 1
    reported = [row for row in result.err.splitlines() if row.startswith("rejected ")]
    assert len(reported) == len(cases)
    for number, (report, reason) in enumerate(zip(reported, cases.values(), strict=True), 1):
        assert report.startswith(f"rejected line {number}: {reason}"), report
    assert int(imp.sql("SELECT count(*) FROM articles")[0][0]) == 0


def test_a_file_that_is_not_utf8_is_rejected_by_line(imp: Importing) -> None:
    path = imp.folder / "latin1.jsonl"
    path.write_bytes(GOOD[0].encode() + b"\n" + line(title="caf\xe9").encode("latin-1") + b"\n")
    result = imp.run("import", str(path))
    assert result.code == 1
    assert "rejected line 2: not UTF-8" in result.err
    assert "imported 1," in result.out


def test_importing_twice_stores_nothing_twice(imp: Importing) -> None:
    path = imp.file("good.jsonl", GOOD)
    assert imp.run("import", str(path)).code == 0
    before = [
        int(imp.sql(f"SELECT count(*) FROM {table}")[0][0])
        for table in ("articles", "stories", "store_entries", "store_article_versions")
    ]
    again = imp.run("import", str(path))
    assert again.code == 0
    assert "imported 0, updated 0, unchanged 3, copies found 0, rejected 0" in again.out
    after = [
        int(imp.sql(f"SELECT count(*) FROM {table}")[0][0])
        for table in ("articles", "stories", "store_entries", "store_article_versions")
    ]
    assert after == before
    # A changed line is a new version of the same article, in the same story.
    changed = imp.file("changed.jsonl", [line(text=ORIGINAL + "\nUne précision a été ajoutée.")])
    result = imp.run("import", str(changed))
    assert "imported 0, updated 1, unchanged 0" in result.out
    [row] = imp.sql("SELECT version, story_id FROM articles WHERE article_id = 1")
    assert row["version"] == 2 and row["story_id"] == 1


def _page(paragraphs: list[str], title: str) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f"<html><head><title>{title}</title></head><body><nav>Accueil</nav>"
        f"<article><h1>{title}</h1>{body}</article><footer>Mentions</footer></body></html>"
    )


def test_html_lines_are_extracted_like_fetched_pages(imp: Importing) -> None:
    lines = [
        GOOD[0],
        line(
            url="https://copy.example/page.html",
            outlet="Copy Times",
            text=None,
            html=_page(PARAGRAPHS, "Budget en hausse"),
        ),
    ]
    result = imp.run("import", str(imp.file("html.jsonl", lines)))
    assert result.code == 0, result.err
    assert "imported 2, updated 0, unchanged 0, copies found 1" in result.out
    [row] = imp.sql("SELECT text, story_id FROM articles WHERE outlet = 'Copy Times'")
    assert PARAGRAPHS[1] in row["text"] and "Accueil" not in row["text"]
    assert row["story_id"] == 1


def _warc(path: Path, records: list[tuple[str, str, str, int, bytes]]) -> Path:
    with path.open("wb") as stream:
        writer = WARCWriter(stream, gzip=True)
        for kind, url, content_type, status, body in records:
            if kind == "request":
                writer.write_record(
                    writer.create_warc_record(
                        url, "request", payload=io.BytesIO(body), length=len(body)
                    )
                )
                continue
            headers = StatusAndHeaders(
                f"{status} X", [("Content-Type", content_type)], protocol="HTTP/1.1"
            )
            writer.write_record(
                # A known length: warcio then digests in place, with no temporary file.
                writer.create_warc_record(
                    url,
                    "response",
                    payload=io.BytesIO(body),
                    length=len(body),
                    http_headers=headers,
                )
            )
    return path


def test_warc_html_responses_are_imported_and_the_rest_counted(imp: Importing) -> None:
    page = _page(PARAGRAPHS, "Budget").encode()
    path = _warc(
        imp.folder / "crawl.warc.gz",
        [
            ("request", "https://www.origin.example/budget.html", "", 0, b"GET / HTTP/1.1\r\n\r\n"),
            (
                "response",
                "https://www.origin.example/budget.html",
                "text/html; charset=utf-8",
                200,
                page,
            ),
            (
                "response",
                "https://copy.example/b.html",
                "text/html",
                200,
                _page(PARAGRAPHS, "B").encode(),
            ),
            ("response", "https://elsewhere.example/c.html", "text/html", 200, page),
            ("response", "https://origin.example/logo.png", "image/png", 200, b"\x89PNG"),
            ("response", "https://origin.example/gone.html", "text/html", 404, b"gone"),
        ],
    )
    result = imp.run("import", str(path), "--format", "warc")
    assert result.code == 0, result.err
    assert "imported 2, updated 0, unchanged 0, copies found 1, rejected 0" in result.out
    assert "skipped 4 (" in result.out
    for reason in (
        "1 request record",
        "1 not a configured outlet",
        "1 not HTML (image/png)",
        "1 HTTP status 404",
    ):
        assert reason in result.out
    rows = imp.sql("SELECT outlet, url, story_id FROM articles ORDER BY article_id")
    assert [(r["outlet"], r["story_id"]) for r in rows] == [("Origin Daily", 1), ("Copy Times", 1)]


def test_a_file_that_is_not_a_warc_is_an_error(imp: Importing) -> None:
    path = imp.file("notes.warc", ["this is not an archive"])
    result = imp.run("import", str(path), "--format", "warc")
    assert result.code == 1
    assert "not a WARC file" in result.err


def test_a_missing_file_is_an_error(imp: Importing) -> None:
    result = imp.run("import", str(imp.folder / "absent.jsonl"))
    assert result.code == 1
    assert "absent.jsonl: no such file" in result.err


def _import_in_a_process(config: Path, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ingestd", "--config", str(config), "import", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )


@pytest.mark.parametrize(
    "dialect", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_two_processes_on_one_store_make_one_story(imp: Importing, dialect: str) -> None:
    original = imp.file("original.jsonl", [GOOD[0]])
    copy = imp.file("copy.jsonl", [GOOD[1]])
    if dialect == "postgresql":
        with pg_database() as url:
            imp.write_config(url)
            assert _import_in_a_process(imp.config, original).returncode == 0
            second = _import_in_a_process(imp.config, copy)
            assert second.returncode == 0, second.stderr
            assert "copies found 1" in second.stdout
            import psycopg

            with psycopg.connect(url) as db:
                stories = db.execute("SELECT count(DISTINCT story_id) FROM articles").fetchone()
            assert stories is not None and stories[0] == 1
        return
    assert _import_in_a_process(imp.config, original).returncode == 0
    second = _import_in_a_process(imp.config, copy)
    assert second.returncode == 0, second.stderr
    assert "copies found 1" in second.stdout
    assert int(imp.sql("SELECT count(DISTINCT story_id) FROM articles")[0][0]) == 1


def test_a_gzip_file_that_is_not_a_warc_is_an_error(imp: Importing) -> None:
    import gzip

    path = imp.folder / "notes.warc.gz"
    path.write_bytes(gzip.compress(b"this is not an archive\n"))
    result = imp.run("import", str(path), "--format", "warc")
    assert result.code == 1
    assert "not a WARC file" in result.err


def test_an_html_line_without_article_text_is_rejected(imp: Importing) -> None:
    empty = line(
        url="https://origin.example/empty.html", text=None, html="<html><body></body></html>"
    )
    result = imp.run("import", str(imp.file("empty.jsonl", [empty, GOOD[2]])))
    assert result.code == 1
    assert "rejected line 1: https://origin.example/empty.html: extraction failed:" in result.err
    assert "imported 1, updated 0, unchanged 0, copies found 0, rejected 1" in result.out


def _groups(db: Path) -> tuple[list[tuple[str, ...]], dict[str, str]]:
    connection = sqlite3.connect(db)
    try:
        groups: dict[int, list[str]] = {}
        origins = {}
        for story, url, origin in connection.execute(
            "SELECT a.story_id, a.url, s.origin_outlet FROM articles a"
            " JOIN stories s ON s.story_id = a.story_id ORDER BY a.url"
        ):
            groups.setdefault(story, []).append(url)
            origins[url] = origin
    finally:
        connection.close()
    return sorted(tuple(g) for g in groups.values()), origins


def test_one_stream_gives_the_same_stories_whatever_the_processes(tmp_path: Path) -> None:
    """One long-lived process, a restart midway, a fresh process on a copied store."""
    import shutil

    from ingestd.evaluation.stream import SyntheticStream

    stream = SyntheticStream(articles=360, days=6, outlets=6, copy_share=0.3, seed=21)
    lines = list(stream.lines())
    whole, first, second = (tmp_path / n for n in ("whole.jsonl", "first.jsonl", "second.jsonl"))
    whole.write_text("\n".join(lines) + "\n")
    first.write_text("\n".join(lines[:180]) + "\n")
    second.write_text("\n".join(lines[180:]) + "\n")

    def store(name: str) -> tuple[Path, Path]:
        db = tmp_path / f"{name}.db"
        config = tmp_path / f"{name}.toml"
        config.write_text(stream.config_toml(f"sqlite:///{db}", 2) + "[extract]\nworkers = 1\n")
        return db, config

    def run(config: Path, path: Path) -> None:
        done = _import_in_a_process(config, path)
        assert done.returncode == 0, done.stderr

    long_db, long_config = store("long")
    run(long_config, whole)
    restarted_db, restarted_config = store("restarted")
    run(restarted_config, first)
    copied_db, copied_config = store("copied")
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{restarted_db}{suffix}")
        if source.exists():
            shutil.copy(source, f"{copied_db}{suffix}")
    run(restarted_config, second)
    run(copied_config, second)

    expected = _groups(long_db)
    assert _groups(restarted_db) == expected
    assert _groups(copied_db) == expected
    assert len(expected[0]) < len(lines)  # copies were found: the comparison means something
