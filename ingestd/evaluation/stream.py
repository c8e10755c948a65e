"""A synthetic news stream with planted copies, as ``ingestd import`` JSONL lines.

Used by ``bench/scale_bench.py`` and the scale tests: ``outlets`` outlets
publish ``per_day`` articles a day for ``days`` days, in time order. A share
of them (``copy_share``) are copies of an earlier article of another outlet,
published hours to a few days after it: whole, cut down to their first
paragraphs, or lightly edited. The words come from a Zipf-distributed
vocabulary of invented words, so texts share common words but not long
runs of them, as real articles do.

    stream = SyntheticStream(articles=100_000, days=20, seed=1)
    for line in stream.lines(): ...
    stream.planted        # copy url -> origin url
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

_SYLLABLES = [c + v for c in "bcdfghjklmnprstvz" for v in "aeiou"]


def _vocabulary(size: int, rng: np.random.Generator) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        count = int(rng.integers(1, 4))
        words.add("".join(_SYLLABLES[int(i)] for i in rng.integers(0, len(_SYLLABLES), count)))
    return sorted(words)


@dataclass
class SyntheticStream:
    """A time-ordered stream of ``articles`` articles over ``days`` days (see module doc)."""

    articles: int
    days: float = 20.0
    outlets: int = 40
    copy_share: float = 0.2
    seed: int = 1
    start: datetime = datetime(2026, 1, 1, tzinfo=UTC)
    planted: dict[str, str] = field(default_factory=dict)

    def outlet_table(self) -> list[dict[str, str]]:
        """The outlets, as configuration entries (name and domain)."""
        return [
            {"name": f"Outlet {n:03d}", "domain": f"outlet{n:03d}.example"}
            for n in range(self.outlets)
        ]

    def config_toml(self, storage_url: str, window_days: int) -> str:
        """A configuration naming the stream's outlets (no feeds: import only)."""
        lines = [
            "[storage]",
            f'url = "{storage_url}"',
            "[match]",
            f"dedup_window_days = {window_days}",
        ]
        for outlet in self.outlet_table():
            lines += ["[[outlets]]", f'name = "{outlet["name"]}"', f'domain = "{outlet["domain"]}"']
        return "\n".join(lines) + "\n"

    def lines(self) -> Iterator[str]:
        """The stream as JSONL lines, in publication order."""
        for record in self.records():
            yield json.dumps(record, ensure_ascii=False)

    def records(self) -> Iterator[dict[str, str]]:
        """The stream as import records, in publication order."""
        rng = np.random.default_rng(self.seed)
        vocabulary = _vocabulary(20_000, rng)
        outlets = self.outlet_table()
        span = self.days * 86400.0
        times = np.sort(rng.uniform(0, span, self.articles))
        recent: list[tuple[float, dict[str, str], list[str]]] = []
        serial = 0
        for offset in times:
            serial += 1
            outlet = outlets[int(rng.integers(0, len(outlets)))]
            published = self.start + timedelta(seconds=float(offset))
            if recent and rng.random() < self.copy_share:
                # Copy one of the recent originals (hours to days earlier).
                _, origin, paragraphs = recent[int(rng.integers(0, len(recent)))]
                if origin["outlet"] == outlet["name"]:
                    outlet = outlets[(outlets.index(outlet) + 1) % len(outlets)]
                copied = _copy_of(paragraphs, rng, vocabulary)
                record = self._record(serial, outlet, published, copied)
                record["title"] = origin["title"]
                self.planted[record["url"]] = origin["url"]
                yield record
                continue
            paragraphs = _article(rng, vocabulary)
            record = self._record(serial, outlet, published, paragraphs)
            recent.append((offset, record, paragraphs))
            # Originals copied up to ~3 days later.
            while recent and recent[0][0] < offset - 3 * 86400:
                recent.pop(0)
            if len(recent) > 5000:
                recent.pop(int(rng.integers(0, len(recent))))
            yield record

    def _record(
        self, serial: int, outlet: dict[str, str], published: datetime, paragraphs: list[str]
    ) -> dict[str, str]:
        return {
            "url": f"https://{outlet['domain']}/news/{serial:08d}.html",
            "outlet": outlet["name"],
            "title": " ".join(paragraphs[0].split()[:8]).rstrip(".").capitalize(),
            "text": "\n".join(paragraphs),
            "published_at": published.isoformat(),
        }


def _sentence(rng: np.random.Generator, vocabulary: list[str]) -> str:
    ids = np.minimum(rng.zipf(1.25, int(rng.integers(8, 22))), len(vocabulary)) - 1
    words = [vocabulary[int(i)] for i in ids]
    return " ".join(words).capitalize() + "."


def _article(rng: np.random.Generator, vocabulary: list[str]) -> list[str]:
    return [
        " ".join(_sentence(rng, vocabulary) for _ in range(int(rng.integers(2, 5))))
        for _ in range(int(rng.integers(4, 10)))
    ]


def _copy_of(paragraphs: list[str], rng: np.random.Generator, vocabulary: list[str]) -> list[str]:
    kind = rng.random()
    if kind < 0.4:
        return list(paragraphs)  # whole
    if kind < 0.7:
        keep = max(2, int(len(paragraphs) * rng.uniform(0.5, 0.9)))
        return list(paragraphs[:keep])  # cut down
    edited = []
    for paragraph in paragraphs:  # lightly edited: a few words replaced
        words = paragraph.split()
        for _ in range(max(1, len(words) // 25)):
            spot = int(rng.integers(0, len(words)))
            words[spot] = vocabulary[int(rng.integers(0, len(vocabulary)))]
        edited.append(" ".join(words))
    return edited
