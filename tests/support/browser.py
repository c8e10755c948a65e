"""Debian's Chromium, headless, driven by Selenium through Debian's chromedriver.

No browser is ever downloaded: the binaries are the system packages
``chromium`` and ``chromium-driver`` (tools/test.sh installs them). A missing
browser is an error, never a skip.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")


@contextmanager
def chromium(width: int = 1280, height: int = 900) -> Iterator[Any]:
    """A headless Chromium window of the given CSS size, with console logging on."""
    for binary in (CHROMIUM, CHROMEDRIVER):
        if not binary.exists():
            raise RuntimeError(
                f"{binary} is missing: apt-get install -y --no-install-recommends "
                "chromium chromium-driver (tools/test.sh does)"
            )
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        f"--window-size={width},{height}",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        set_viewport(driver, width, height)
        yield driver
    finally:
        driver.quit()


def set_viewport(driver: Any, width: int, height: int) -> None:
    """Make the CSS viewport exactly ``width`` x ``height`` (a phone or a desktop)."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def full_page_png(driver: Any, max_height: int | None = None) -> bytes:
    """A PNG of the whole page (or its top ``max_height`` pixels), not only the viewport."""
    width = driver.execute_script("return document.documentElement.scrollWidth")
    height = driver.execute_script("return document.documentElement.scrollHeight")
    if max_height is not None:
        height = min(height, max_height)
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot",
        {
            "format": "png",
            "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
        },
    )
    return base64.b64decode(shot["data"])


def screenshot(page: Path, png: Path, width: int = 1280, max_height: int | None = None) -> int:
    """Save a PNG of ``page`` at ``width`` CSS pixels; returns its size in bytes."""
    with chromium(width, 900) as driver:
        driver.get(page.resolve().as_uri())
        data = full_page_png(driver, max_height)
    png.write_bytes(data)
    return len(data)


if __name__ == "__main__":
    # python -m tests.support.browser REPORT.html OUT.png [WIDTH [MAX_HEIGHT]]
    import sys

    args = sys.argv[1:]
    size = screenshot(
        Path(args[0]),
        Path(args[1]),
        int(args[2]) if len(args) > 2 else 1280,
        int(args[3]) if len(args) > 3 else None,
    )
    print(f"{args[1]}: {size} bytes")
