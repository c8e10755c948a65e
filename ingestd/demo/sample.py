"""The bundled sample outlets that ``ingestd demo`` serves on 127.0.0.1.

The data lives in ``ingestd/demo/data/`` and ships inside the wheel:

    outlets.toml   the outlets table, every feed URL starting with ``{base}``
    site/          what the local server serves, one file per URL path
                   (``site/lemonde/rss/une.xml`` is served at ``/lemonde/rss/une.xml``)
    expected.json  the ground truth: each article page's story and origin
    seed/          the motivating case, byte for byte

``{base}`` stands for the local server's base URL (``http://127.0.0.1:PORT``),
which is only known once the server is listening; every function that
returns URLs takes it and substitutes it. Canonical links inside the pages
name the outlets' real domains and are never substituted.

Usage::

    server_routes = routes("http://127.0.0.1:8765")
    content_type, body = server_routes["/lemonde/rss/une.xml"]
"""

from __future__ import annotations

import json
import mimetypes
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

__all__ = [
    "ATOM_CONTENT_TYPE",
    "BASE_PLACEHOLDER",
    "PAGE_CONTENT_TYPE",
    "RSS_CONTENT_TYPE",
    "expected",
    "load_outlets",
    "routes",
    "sample_dir",
]

BASE_PLACEHOLDER = "{base}"
"""The marker in the data files that stands for the local server's base URL."""

PAGE_CONTENT_TYPE = "text/html; charset=utf-8"
RSS_CONTENT_TYPE = "application/rss+xml"
ATOM_CONTENT_TYPE = "application/atom+xml"

_ATOM_ROOT = "{http://www.w3.org/2005/Atom}feed"


def sample_dir() -> Path:
    """Return the directory holding the sample data, installed or in a checkout.

    Raises ``RuntimeError`` when the package is imported from a zip archive:
    the demo server reads plain files, and a zipped ingestd is a packaging
    mistake worth failing loudly on.
    """
    root = resources.files("ingestd.demo").joinpath("data")
    if not isinstance(root, Path):
        raise RuntimeError(f"ingestd's demo data is not a directory on disk: {root!r}")
    return root


def load_outlets(base_url: str) -> list[dict[str, object]]:
    """Return the sample outlets table with ``{base}`` replaced by ``base_url``.

    Each item has ``name``, ``domain``, ``role`` (original, wire or
    aggregator) and ``feeds`` (a list of absolute feed URLs), ready to be
    turned into the daemon's outlet configuration.
    """
    base = _normalise_base(base_url)
    with (sample_dir() / "outlets.toml").open("rb") as fh:
        table = tomllib.load(fh)
    return [
        {key: _substitute(value, base) for key, value in outlet.items()}
        for outlet in table["outlets"]
    ]


def routes(base_url: str) -> dict[str, tuple[str, bytes]]:
    """Map every URL path the demo server must answer to (content type, body).

    Paths start with ``/`` and mirror the files under ``site/``. Bodies are
    the files' bytes with ``{base}`` replaced by ``base_url``, so the links
    inside feeds point back at the same server.
    """
    base = _normalise_base(base_url).encode("ascii")
    site = sample_dir() / "site"
    table: dict[str, tuple[str, bytes]] = {}
    for path in sorted(site.rglob("*")):
        if not path.is_file():
            continue
        raw = path.read_bytes()
        url_path = "/" + path.relative_to(site).as_posix()
        table[url_path] = (_content_type(path, raw), raw.replace(b"{base}", base))
    return table


def expected() -> dict[str, Any]:
    """Return the ground truth for the demo (``expected.json``).

    ``articles`` maps each article page's URL path to its ``story`` label,
    ``origin`` (whether it is the story's origin), ``origin_outlet`` and
    ``outlet`` names; ``hard_negatives`` lists pages that share text but are
    different stories.
    """
    with (sample_dir() / "expected.json").open(encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def _normalise_base(base_url: str) -> str:
    if not base_url.startswith(("http://", "https://")):
        raise ValueError(f"base URL must be an absolute http(s) URL, got {base_url!r}")
    return base_url.rstrip("/")


def _substitute(value: object, base: str) -> object:
    if isinstance(value, str):
        return value.replace(BASE_PLACEHOLDER, base)
    if isinstance(value, list):
        return [_substitute(item, base) for item in value]
    if isinstance(value, dict):
        return {key: _substitute(item, base) for key, item in value.items()}
    return value


def _content_type(path: Path, raw: bytes) -> str:
    if path.suffix == ".html":
        return PAGE_CONTENT_TYPE
    if path.suffix in (".xml", ".atom"):
        # Feed paths do not say which format they hold (Atom often lives at
        # a ``.xml`` path), so ask the document's root element.
        root = ElementTree.fromstring(raw)
        return ATOM_CONTENT_TYPE if root.tag == _ATOM_ROOT else RSS_CONTENT_TYPE
    guessed, _ = mimetypes.guess_type(path.name)
    return guessed or "application/octet-stream"
