"""``ingestd serve`` in Debian's Chromium at phone and desktop widths.

Each page: loads with no console error or warning, fetches nothing outside
the app, never scrolls sideways, and shows what the store holds. The copy
view's highlighted passages are checked against the stored evidence.
Screenshots go to $INGESTD_ARTEFACTS, else test-artifacts/serve/.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as expected
from selenium.webdriver.support.ui import WebDriverWait

from tests.support.browser import chromium, full_page_png, set_viewport

WIDTHS = {"phone": (375, 812), "desktop": (1280, 900)}
ROOT = Path(__file__).resolve().parents[3]


def artefacts() -> Path:
    folder = Path(os.environ.get("INGESTD_ARTEFACTS") or ROOT / "test-artifacts" / "serve")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def visit(driver: Any, base: str, path: str, width: int) -> None:
    driver.get(base + path)
    assert driver.execute_script("return document.readyState") == "complete"
    logs = driver.get_log("browser")
    assert [e for e in logs if e["level"] in ("SEVERE", "WARNING")] == [], (path, logs)
    resources = driver.execute_script(
        "return performance.getEntriesByType('resource').map(e => e.name)"
    )
    assert resources, path  # the stylesheet at least
    assert all(name.startswith(base + "/") for name in resources), (path, resources)
    stylesheet = driver.execute_script(
        "return getComputedStyle(document.querySelector('header.top')).display"
    )
    assert stylesheet == "flex", "the app's stylesheet did not apply (CSP?)"
    scroll = driver.execute_script("return document.documentElement.scrollWidth")
    assert scroll <= width, f"{path}: page is {scroll}px wide at {width}px"
    font = driver.execute_script("return parseFloat(getComputedStyle(document.body).fontSize)")
    assert font >= 14


def shot(driver: Any, name: str, max_height: int | None = None) -> None:
    png = full_page_png(driver, max_height)
    assert png.startswith(b"\x89PNG")
    (artefacts() / f"{name}.png").write_bytes(png)


def rows(driver: Any) -> list[str]:
    return [
        e.get_attribute("data-story")
        for e in driver.find_elements(By.CSS_SELECTOR, "#stories tbody tr")
    ]


@pytest.mark.slow
def test_serve_pages_in_chromium_phone_and_desktop(demo_url: str, demo_db: Path) -> None:
    with sqlite3.connect(demo_db) as db:
        all_stories = [
            str(r[0])
            for r in db.execute(
                "SELECT story_id FROM stories ORDER BY last_seen_at DESC, story_id DESC"
            )
        ]
        copied = [
            str(r[0])
            for r in db.execute(
                "SELECT story_id FROM stories WHERE copy_count > 0"
                " ORDER BY last_seen_at DESC, story_id DESC"
            )
        ]
        (seed,) = db.execute(
            "SELECT story_id FROM stories WHERE origin_outlet = 'Le Monde' AND member_count = 2"
        ).fetchone()
        copy_id, source_id, evidence = db.execute(
            "SELECT article_id, derived_from, evidence FROM story_members"
            " WHERE story_id = ? AND member_role = 'copy'",
            (seed,),
        ).fetchone()
        (cut_copy, cut_source) = db.execute(
            "SELECT article_id, derived_from FROM story_members"
            " WHERE derived_from IS NOT NULL AND json_extract(evidence, '$.jaccard') < 0.6"
        ).fetchone()
        (newspulse,) = db.execute(
            "SELECT outlet_id FROM outlets WHERE name = 'NewsPulse Daily'"
        ).fetchone()
        feeds = db.execute("SELECT count(*) FROM feeds WHERE active = 1").fetchone()[0]
    stored = json.loads(evidence)

    with chromium() as driver:
        for name, (width, height) in WIDTHS.items():
            set_viewport(driver, width, height)

            visit(driver, demo_url, "/", width)
            assert rows(driver) == all_stories[:50]
            table = driver.find_element(By.ID, "stories")
            assert table.is_displayed()
            shot(driver, f"stories-{name}")

            # A filtered list, through the form as a person would use it.
            driver.find_element(By.CSS_SELECTOR, "input[name=copies]").click()
            driver.find_element(By.CSS_SELECTOR, "#filters button").click()
            WebDriverWait(driver, 10).until(expected.url_contains("copies=1"))
            visit(driver, demo_url, driver.current_url.removeprefix(demo_url), width)
            assert rows(driver) == copied
            figures = driver.find_elements(By.CSS_SELECTOR, '#stories [data-figure="copies"]')
            assert all(int(f.text) > 0 for f in figures)

            # A search: accents and case folded.
            visit(driver, demo_url, "/?q=" + quote("Désaccords OTAN"), width)
            assert rows(driver) == [str(seed)]
            assert "Le Monde" in driver.find_element(By.CSS_SELECTOR, ".origin-outlet").text

            # The seed story: chain graph, members in words.
            visit(driver, demo_url, f"/stories/{seed}", width)
            graph = driver.find_element(By.ID, "chain-graph")
            graph.location_once_scrolled_into_view  # noqa: B018 - scrolls it into view
            assert graph.is_displayed() and 200 <= graph.rect["width"] <= width
            labels = [t.text for t in graph.find_elements(By.CSS_SELECTOR, "g.node text")]
            assert "Le Monde" in labels and "Meguetan Infos" in labels
            assert len(graph.find_elements(By.CSS_SELECTOR, "g.edge line")) == 1
            copy_item = driver.find_element(By.ID, f"member-{copy_id}")
            assert "copied from Le Monde, linked by its credit" in copy_item.text
            shot(driver, f"story-{name}")

            # Its copy beside the original: the highlighted passages are the
            # shared text, and the figures are the stored evidence.
            copy_item.find_element(By.CSS_SELECTOR, "a.compare-link").click()
            WebDriverWait(driver, 10).until(expected.url_contains("/compare?"))
            visit(driver, demo_url, driver.current_url.removeprefix(demo_url), width)
            verdict = driver.find_element(By.ID, "verdict")
            assert verdict.get_attribute("data-linked") == "true"
            assert float(verdict.get_attribute("data-jaccard")) == pytest.approx(
                stored["jaccard"], abs=1e-4
            )
            assert float(verdict.get_attribute("data-copy-share")) == pytest.approx(
                stored["containment"], abs=1e-4
            )
            comparison = driver.find_element(By.ID, "comparison")
            assert comparison.get_attribute("data-copy") == str(copy_id)
            assert comparison.get_attribute("data-source") == str(source_id)
            marked = driver.find_elements(By.CSS_SELECTOR, ".cell.copy mark.same")
            assert marked and all(m.is_displayed() for m in marked[:3])
            colour = driver.execute_script(
                "return getComputedStyle(arguments[0]).backgroundColor", marked[0]
            )
            assert colour not in ("rgba(0, 0, 0, 0)", "transparent")
            # An exact copy (containment 1.0): nothing changed, only the credit left out.
            assert driver.find_elements(By.CSS_SELECTOR, "#comparison mark.changed") == []
            credit = driver.find_element(By.CSS_SELECTOR, '.cell.copy[data-kind="credit"]')
            assert credit.find_element(By.CSS_SELECTOR, ".badge.credit").text == (
                "credit: lemonde.fr → Le Monde"
            )
            shot(driver, f"compare-{name}")

            # A cut-down copy: the paragraphs it dropped are marked cut.
            visit(driver, demo_url, f"/compare?copy={cut_copy}&source={cut_source}", width)
            cut = driver.find_elements(By.CSS_SELECTOR, '.cell.source[data-status="cut"]')
            assert cut and all(c.is_displayed() for c in cut)
            assert driver.find_elements(By.CSS_SELECTOR, '.cell.copy[data-status="added"]') == []

            visit(driver, demo_url, f"/outlets/{newspulse}", width)
            assert driver.find_element(By.ID, "outlet-name").text == "NewsPulse Daily"
            assert "The Northern Ledger: 3" in driver.find_element(By.ID, "copies-from").text
            bars = driver.find_elements(By.CSS_SELECTOR, "#share-chart g.bar")
            assert sum(int(b.get_attribute("data-copies")) for b in bars) == 3
            shot(driver, f"outlet-{name}")

            visit(driver, demo_url, "/feeds", width)
            assert len(driver.find_elements(By.CSS_SELECTOR, "#feeds tbody tr")) == feeds
            shot(driver, f"feeds-{name}")

            visit(driver, demo_url, "/review", width)
            visit(driver, demo_url, "/outlets", width)
