"""The labelled corpus as ``ingestd eval`` reads it: pre-rendered pages and their truth.

The corpus is written as spec files (``tests/data/corpus``) and turned into
a small web of outlets by a generator that is test tooling
(``tests/support/corpus.py``, not shipped). What evaluation needs is its
output, one gzipped JSON document, shipped with the package as
``ingestd/evaluation/data/corpus.json.gz`` so that ``ingestd eval`` works
from an installed wheel::

    {"format": 1, "seed": 7, "base_url": "http://corpus.invalid",
     "outlets": [{"name", "domain", "role", "feeds": [route path, ...]}, ...],
     "routes": {route path: [content type, body text], ...},
     "labels": {article route path: {"story", "is_origin", "origin_outlet", ...}}}

Bodies name the local web's address as ``base_url``; :meth:`RenderedCorpus.routes`
puts the serving address in its place. Regenerate the file after editing
the spec: ``python -m tests.support.corpus tests/data/corpus --render
ingestd/evaluation/data/corpus.json.gz`` (a test fails while it is stale).
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

FORMAT = 1
PLACEHOLDER_BASE = "http://corpus.invalid"
PACKAGED_NAME = "corpus.json.gz"


@dataclass(frozen=True, slots=True)
class CorpusOutlet:
    """One outlet of the corpus: what the configuration needs."""

    name: str
    domain: str
    role: str
    feeds: tuple[str, ...]  # route paths


@dataclass(frozen=True, slots=True)
class RenderedCorpus:
    """A rendered corpus: outlets, pages and labels."""

    seed: int
    outlets: tuple[CorpusOutlet, ...]
    bodies: dict[str, tuple[str, str]]  # path -> (content type, text with the placeholder)
    truth: dict[str, dict[str, Any]]

    def routes(self, base_url: str) -> dict[str, tuple[str, bytes]]:
        """Every page, its links absolute under ``base_url``."""
        base = base_url.rstrip("/")
        return {
            path: (ctype, body.replace(PLACEHOLDER_BASE, base).encode("utf-8"))
            for path, (ctype, body) in self.bodies.items()
        }

    def feeds(self, base_url: str) -> dict[str, list[str]]:
        """Feed URLs per outlet name."""
        base = base_url.rstrip("/")
        return {o.name: [base + path for path in o.feeds] for o in self.outlets}

    def labels(self) -> dict[str, dict[str, Any]]:
        """The truth per article path (see tests/data/corpus/README.md, "Labels")."""
        return self.truth


def packaged_corpus_path() -> Path:
    """The corpus shipped with ingestd."""
    return Path(str(resources.files("ingestd.evaluation") / "data" / PACKAGED_NAME))


def dump_document(document: dict[str, Any]) -> bytes:
    """The gzipped bytes of a corpus document, byte-identical for equal documents."""
    text = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def load_document(path: Path) -> dict[str, Any]:
    """Read a corpus document (``.json.gz`` or plain ``.json``)."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    document: dict[str, Any] = json.loads(data.decode("utf-8"))
    if document.get("format") != FORMAT:
        raise ValueError(f"{path}: not an ingestd corpus (format {document.get('format')!r})")
    return document


def load_corpus(path: Path | None = None) -> RenderedCorpus:
    """The rendered corpus at ``path``, or the packaged one."""
    document = load_document(path or packaged_corpus_path())
    return RenderedCorpus(
        seed=int(document["seed"]),
        outlets=tuple(
            CorpusOutlet(o["name"], o["domain"], o["role"], tuple(o["feeds"]))
            for o in document["outlets"]
        ),
        bodies={path: (ctype, body) for path, (ctype, body) in document["routes"].items()},
        truth=document["labels"],
    )
