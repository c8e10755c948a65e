"""The HTML report in a real headless browser (Debian's Chromium), at phone and desktop widths.

Fails, never skips, when the browser is missing: tools/test.sh installs it.
Screenshots go to $INGESTD_ARTEFACTS when set, else to the test's tmp dir.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By

from ingestd.durations import parse_since
from ingestd.report.html import render_html
from ingestd.report.json_report import report_document
from ingestd.report.model import build_report
from ingestd.report.queries import read_report_input
from ingestd.store.sqlite import SqliteStore
from tests.support.browser import chromium, full_page_png, set_viewport
from tests.support.reportstore import NOW, build_known_store

_DRAWN_LINE = """
const line = arguments[0], style = getComputedStyle(line), box = line.getBoundingClientRect();
return line.getTotalLength() > 10 && style.visibility === "visible" && style.display !== "none"
    && style.stroke !== "none" && parseFloat(style.strokeWidth) > 0 && box.width + box.height > 10;
"""
WIDTHS = {"phone": (375, 812), "desktop": (1280, 900)}


def artefacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("INGESTD_ARTEFACTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def visible_text(driver: Any, css: str) -> str:
    element = driver.find_element(By.CSS_SELECTOR, css)
    assert element.is_displayed(), css
    return str(element.text)


@pytest.mark.slow
def test_html_report_in_chromium_phone_and_desktop(tmp_path: Path) -> None:
    db = tmp_path / "known.db"
    build_known_store(db)
    store = SqliteStore(db, create=False)
    try:
        report = build_report(read_report_input(store, NOW, parse_since("24h", NOW)))
    finally:
        store.close()
    document = report_document(report)
    page = tmp_path / "report.html"
    page.write_text(render_html(report), encoding="utf-8")
    out = artefacts(tmp_path)
    drawn_edges = [e for e in document["copy_edges"] if e["source"] != e["copier"]]

    with chromium() as driver:
        for name, (width, height) in WIDTHS.items():
            set_viewport(driver, width, height)
            driver.get(page.as_uri())
            assert driver.execute_script("return document.readyState") == "complete"
            logs = driver.get_log("browser")
            assert [entry for entry in logs if entry["level"] in ("SEVERE", "WARNING")] == [], name
            # Self-contained: the page loaded no resource at all.
            assert (
                driver.execute_script("return performance.getEntriesByType('resource').length") == 0
            )
            assert driver.execute_script("return window.innerWidth") == width

            totals = document["totals"]
            assert visible_text(driver, "#totals h2") == "Totals"
            for key in ("articles", "stories", "copies", "exact_copies", "partial_copies"):
                assert visible_text(driver, f'[data-figure="totals.{key}"]') == str(totals[key])
            assert visible_text(driver, '[data-figure="totals.copy_share"]') == "62.5%"

            graph = driver.find_element(By.CSS_SELECTOR, "svg#copy-graph")
            graph.location_once_scrolled_into_view  # noqa: B018 - scrolls it into view
            assert graph.is_displayed()
            box = graph.rect
            # The graph fits the column: it scales with the screen, never overflows.
            assert 200 <= box["width"] <= width
            nodes = graph.find_elements(By.CSS_SELECTOR, "g.graph-node circle")
            edges = graph.find_elements(By.CSS_SELECTOR, "g.graph-edge line")
            assert len(nodes) == len(document["matrix"]["outlets"]) == 6
            assert len(edges) == len(drawn_edges) == 5
            assert all(n.is_displayed() and n.rect["width"] > 0 for n in nodes)
            # WebDriver calls a horizontal or vertical line (a zero-area box)
            # hidden, so ask the page: drawn, with a stroke, and some length.
            assert all(driver.execute_script(_DRAWN_LINE, e) for e in edges)
            labels = [t.text for t in graph.find_elements(By.CSS_SELECTOR, "g.graph-node text")]
            assert labels[:2] == ["Alpha", "Beta"]
            bars = driver.find_elements(By.CSS_SELECTOR, "#copies-chart g.bar")
            assert len(bars) == sum(1 for o in document["outlets"] if o["articles"])

            # Readable on a phone: the page itself never scrolls sideways (wide
            # tables scroll inside their own box) and the body text is not tiny.
            scroll_width = driver.execute_script("return document.documentElement.scrollWidth")
            assert scroll_width <= width, f"{name}: page is {scroll_width}px wide"
            font = driver.execute_script(
                "return parseFloat(getComputedStyle(document.body).fontSize)"
            )
            assert font >= 14

            png = full_page_png(driver)
            assert png.startswith(b"\x89PNG")
            (out / f"report-{name}.png").write_bytes(png)
    assert (out / "report-phone.png").stat().st_size > 10_000
