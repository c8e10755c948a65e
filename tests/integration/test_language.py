"""Language per article: from the page, else detected; in the views, the export and the report."""

from __future__ import annotations

import io
import json
import sqlite3
from datetime import UTC, datetime
from html import escape

from ingestd.extract.article import extract_article
from ingestd.report.export import write_csv
from ingestd.report.json_report import report_document
from ingestd.report.model import build_report
from ingestd.report.queries import read_report_input
from ingestd.store.sqlite import SqliteStore
from tests.conftest import Harness
from tests.integration.seedsite import rss
from tests.support.httpserver import LocalServer
from tests.unit.test_scripts import JA

SPANISH = [
    "El Consejo de Ministros aprobó este martes la construcción de la primera planta de baterías"
    " de litio del país, un proyecto que creará unos tres mil empleos directos.",
    "La fábrica producirá baterías para coches eléctricos a partir de 2028 y tendrá una capacidad"
    " inicial de treinta gigavatios hora al año, según el Ministerio de Industria.",
    "Los sindicatos celebraron el anuncio, aunque pidieron garantías de que los puestos de trabajo"
    " serán estables y de calidad.",
]


def page(title: str, paragraphs: list[str], lang: str | None) -> bytes:
    lang_attr = f' lang="{lang}"' if lang else ""
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (
        f"<!DOCTYPE html><html{lang_attr}><head><meta charset='utf-8'><title>{escape(title)}"
        f"</title></head><body><article><h1>{escape(title)}</h1>{body}</article></body></html>"
    ).encode()


def test_page_language_wins_and_the_text_decides_otherwise() -> None:
    declared = extract_article("https://a.example/1", page("Titulo", SPANISH, "es-ES"))
    assert declared.language == "es"
    detected = extract_article("https://a.example/2", page("防災予算", JA, None))
    assert detected.language == "ja"
    # A page that declares a language keeps it even when the text says otherwise:
    # the publisher's metadata is the first source.
    assert extract_article("https://a.example/3", page("x", JA, "zh")).language == "zh"


def test_language_reaches_story_members_export_and_report(
    harness: Harness, local_server: LocalServer
) -> None:
    base = local_server.url("").rstrip("/")
    local_server.route("/toto/a.html", page("防災予算を二割増額へ", JA, None))
    local_server.route(
        "/matome/b.html", page("防災予算を二割増額へ", [*JA[:3], "出典：東都新聞"], "ja")
    )
    for key, path, date in (
        ("toto", "/toto/a.html", "Tue, 03 Mar 2026 05:00:00 GMT"),
        ("matome", "/matome/b.html", "Tue, 03 Mar 2026 07:00:00 GMT"),
    ):
        local_server.route(
            f"/{key}/rss.xml",
            rss(base, key, [("防災予算", path, date)]),
            content_type="application/rss+xml",
        )
    harness.outlets = [
        {"name": "東都新聞", "domain": "totoshimbun.jp", "role": "original",
         "feeds": [local_server.url("/toto/rss.xml")]},
        {"name": "ニュースまとめ24", "domain": "matome24.jp", "role": "aggregator",
         "feeds": [local_server.url("/matome/rss.xml")]},
    ]  # fmt: skip
    harness.poll()

    with sqlite3.connect(harness.db) as db:
        rows = db.execute("SELECT outlet, language FROM story_members ORDER BY outlet").fetchall()
    assert sorted(rows) == [("ニュースまとめ24", "ja"), ("東都新聞", "ja")]

    [story] = harness.stories()
    assert {m["outlet"]: m["language"] for m in story["members"]} == {
        "東都新聞": "ja",
        "ニュースまとめ24": "ja",
    }
    assert story["origin_outlet"] == "東都新聞"

    store = SqliteStore(harness.db, create=False)
    try:
        out = io.StringIO()
        write_csv(store, out)
        header, *lines = out.getvalue().splitlines()
        assert header.split(",")[-1] == "language"
        assert all(line.endswith(",ja") for line in lines)
        data = read_report_input(store, datetime(2026, 3, 4, tzinfo=UTC), None)
        document = report_document(build_report(data))
    finally:
        store.close()
    members = [m for s in document["stories"] for m in s["members"]]
    assert members and {m["language"] for m in members} == {"ja"}
    json.dumps(document)  # serialisable
