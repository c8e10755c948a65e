"""A synthetic news stream with planted copies, as ``ingestd import`` JSONL lines.

Used by ``bench/scale_bench.py`` and the scale tests: ``outlets`` outlets
publish ``per_day`` articles a day for ``days`` days, in time order. A share
of them (``copy_share``) are copies of an earlier article of another outlet,
published hours to a few days after it: whole, cut down to their first
paragraphs, or lightly edited. The words come from a Zipf-distributed
vocabulary of invented words, so texts share common words but not long
runs of them, as real articles do. A share of the outlets
(``unspaced_share``) write without spaces between words, half of them in
Chinese (Han characters) and half in Japanese (Han with kana endings),
sentences ending in ``。``; their copies go to outlets of the same script,
and their light edits change a few characters, as a CJK copy editor does.

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
    unspaced_share: float = 0.0
    seed: int = 1
    start: datetime = datetime(2026, 1, 1, tzinfo=UTC)
    planted: dict[str, str] = field(default_factory=dict)

    def outlet_table(self) -> list[dict[str, str]]:
        """The outlets, as configuration entries (name and domain)."""
        return [
            {"name": f"Outlet {n:03d}", "domain": f"outlet{n:03d}.example"}
            for n in range(self.outlets)
        ]

    def script_of(self, outlet_number: int) -> str:
        """The script an outlet writes in: "latin", "zh" or "ja" (the last outlets unspaced)."""
        unspaced = round(self.outlets * self.unspaced_share)
        first_unspaced = self.outlets - unspaced
        if outlet_number < first_unspaced:
            return "latin"
        return "zh" if (outlet_number - first_unspaced) % 2 == 0 else "ja"

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
        vocabularies = {"latin": _vocabulary(20_000, rng)}
        if self.unspaced_share > 0:
            vocabularies["zh"] = _han_vocabulary(20_000, rng, kana=False)
            vocabularies["ja"] = _han_vocabulary(20_000, rng, kana=True)
        outlets = self.outlet_table()
        scripts = [self.script_of(n) for n in range(len(outlets))]
        span = self.days * 86400.0
        times = np.sort(rng.uniform(0, span, self.articles))
        recent: list[tuple[float, dict[str, str], list[str], int]] = []
        serial = 0
        for offset in times:
            serial += 1
            number = int(rng.integers(0, len(outlets)))
            published = self.start + timedelta(seconds=float(offset))
            if recent and rng.random() < self.copy_share:
                # Copy one of the recent originals (hours to days earlier),
                # at another outlet writing the same script.
                _, origin, paragraphs, origin_number = recent[int(rng.integers(0, len(recent)))]
                script = scripts[origin_number]
                peers = [n for n, s in enumerate(scripts) if s == script and n != origin_number]
                if not peers:
                    peers = [(origin_number + 1) % len(outlets)]
                number = peers[int(rng.integers(0, len(peers)))]
                copied = _copy_of(paragraphs, rng, vocabularies[script], script)
                record = self._record(serial, outlets[number], published, copied, script)
                record["title"] = origin["title"]
                self.planted[record["url"]] = origin["url"]
                yield record
                continue
            script = scripts[number]
            paragraphs = _article(rng, vocabularies[script], script)
            record = self._record(serial, outlets[number], published, paragraphs, script)
            recent.append((offset, record, paragraphs, number))
            # Originals copied up to ~3 days later.
            while recent and recent[0][0] < offset - 3 * 86400:
                recent.pop(0)
            if len(recent) > 5000:
                recent.pop(int(rng.integers(0, len(recent))))
            yield record

    def _record(
        self,
        serial: int,
        outlet: dict[str, str],
        published: datetime,
        paragraphs: list[str],
        script: str = "latin",
    ) -> dict[str, str]:
        if script == "latin":
            title = " ".join(paragraphs[0].split()[:8]).rstrip(".").capitalize()
        else:
            title = paragraphs[0].split("。")[0][:20]
        record = {
            "url": f"https://{outlet['domain']}/news/{serial:08d}.html",
            "outlet": outlet["name"],
            "title": title,
            "text": "\n".join(paragraphs),
            "published_at": published.isoformat(),
        }
        if script != "latin":
            record["language"] = script
        return record


# Unspaced scripts: Han characters from the CJK Unified Ideographs block and
# hiragana endings (Japanese okurigana and particles), Zipf-drawn like words.
_HAN_FIRST, _HAN_COUNT = 0x4E00, 6000
_HIRAGANA = [chr(c) for c in range(0x3041, 0x3097)]


def _han_vocabulary(size: int, rng: np.random.Generator, kana: bool) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        han = "".join(
            chr(_HAN_FIRST + int(i)) for i in rng.integers(0, _HAN_COUNT, int(rng.integers(1, 4)))
        )
        ending = ""
        if kana and rng.random() < 0.6:
            ending = "".join(_HIRAGANA[int(i)] for i in rng.integers(0, len(_HIRAGANA), 2))
        words.add(han + ending)
    return sorted(words)


def _sentence(rng: np.random.Generator, vocabulary: list[str], script: str = "latin") -> str:
    ids = np.minimum(rng.zipf(1.25, int(rng.integers(8, 22))), len(vocabulary)) - 1
    words = [vocabulary[int(i)] for i in ids]
    if script != "latin":
        return "".join(words) + "。"
    return " ".join(words).capitalize() + "."


def _article(rng: np.random.Generator, vocabulary: list[str], script: str = "latin") -> list[str]:
    joiner = " " if script == "latin" else ""
    return [
        joiner.join(_sentence(rng, vocabulary, script) for _ in range(int(rng.integers(2, 5))))
        for _ in range(int(rng.integers(4, 10)))
    ]


def _copy_of(
    paragraphs: list[str], rng: np.random.Generator, vocabulary: list[str], script: str = "latin"
) -> list[str]:
    kind = rng.random()
    if kind < 0.4:
        return list(paragraphs)  # whole
    if kind < 0.7:
        keep = max(2, int(len(paragraphs) * rng.uniform(0.5, 0.9)))
        return list(paragraphs[:keep])  # cut down
    if script != "latin":
        return [_edit_characters(paragraph, rng, vocabulary) for paragraph in paragraphs]
    edited = []
    for paragraph in paragraphs:  # lightly edited: a few words replaced
        words = paragraph.split()
        for _ in range(max(1, len(words) // 25)):
            spot = int(rng.integers(0, len(words)))
            words[spot] = vocabulary[int(rng.integers(0, len(vocabulary)))]
        edited.append(" ".join(words))
    return edited


def _edit_characters(paragraph: str, rng: np.random.Generator, vocabulary: list[str]) -> str:
    """A few characters changed per paragraph (about one in 60), as a light CJK edit."""
    characters = list(paragraph)
    for _ in range(max(1, len(characters) // 60)):
        spot = int(rng.integers(0, len(characters)))
        if characters[spot] != "。":
            characters[spot] = vocabulary[int(rng.integers(0, len(vocabulary)))][0]
    return "".join(characters)
