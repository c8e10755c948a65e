"""Candidate retrieval: which stored articles might a new text be a copy of?

The index lives in the store (``store_index_articles`` and
``store_index_keys``, migration 0006), so every process sharing a store sees
every article, nothing is rebuilt at start, and memory does not grow with
the dedup window. Two nets, looked up in ONE query per new article:

* MinHash LSH band keys (datasketch's choice of bands and rows, see
  :class:`ingestd.fingerprint.sketch.Banding`), for copies that keep most of
  the text (re-templated, retitled, lightly edited);
* exact keys of lead sentences, for copies cut down to their first
  paragraphs, whose Jaccard similarity with the original is too low for LSH.

The same query returns each candidate's signature and shingle-set size, so
a candidate whose signature says it cannot reach the containment threshold
is dropped before the (costlier) exact verification, and the exact-text
twins (same normalised text) of the window. What verification needs of a
candidate (its shingles by paragraph) is stored with it as a compact blob
(:func:`encode_features`), so a cache miss costs one indexed read, not a
re-normalisation of its text.

:class:`MemoryCandidateIndex` is the former in-memory index, kept as the
reference the benchmarks compare retrieval against.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from ingestd.fingerprint.params import SignatureParams
from ingestd.fingerprint.shingles import U32Array
from ingestd.fingerprint.sketch import Banding, Signer, SketchIndex
from ingestd.match.features import TextFeatures
from ingestd.match.thresholds import Thresholds
from ingestd.store.protocol import ArticlesAndIndex
from ingestd.store.records import IndexCandidate, IndexEntry

_FEATURES_VERSION = 1
_HEADER = struct.Struct("<BIq")


def params_tag(params: SignatureParams) -> int:
    """A 31-bit number naming the signature parameters, stored with every index row.

    Rows made with other parameters are never returned (signatures are only
    comparable with the same parameters).
    """
    return zlib.crc32(params.key().encode()) & 0x7FFFFFFF


def encode_features(features: TextFeatures) -> bytes:
    """What verification needs of a text, compactly: per paragraph its shingles and words."""
    lengths = np.fromiter((p.size for p in features.paragraph_shingles), dtype="<u4")
    words = np.asarray(features.paragraph_words, dtype="<u4")
    shingles = (
        np.concatenate(features.paragraph_shingles).astype("<u4")
        if features.paragraph_shingles
        else np.empty(0, "<u4")
    )
    header = _HEADER.pack(_FEATURES_VERSION, len(lengths), features.exact_hash)
    return header + lengths.tobytes() + words.tobytes() + shingles.tobytes()


def decode_features(blob: bytes) -> TextFeatures:
    """Inverse of :func:`encode_features` (lead and paragraph keys are not kept)."""
    version, count, exact_hash = _HEADER.unpack_from(blob)
    if version != _FEATURES_VERSION:
        raise ValueError(f"stored features of version {version}, expected {_FEATURES_VERSION}")
    offset = _HEADER.size
    lengths = np.frombuffer(blob, dtype="<u4", count=count, offset=offset)
    offset += 4 * count
    words = np.frombuffer(blob, dtype="<u4", count=count, offset=offset)
    offset += 4 * count
    flat = np.frombuffer(blob, dtype="<u4", offset=offset).astype(np.uint32)
    bounds = np.cumsum(lengths)
    paragraphs = tuple(np.split(flat, bounds[:-1])) if count else ()
    shingles = np.unique(flat) if flat.size else np.empty(0, np.uint32)
    return TextFeatures(
        paragraph_shingles=paragraphs,
        paragraph_words=tuple(int(w) for w in words),
        shingles=shingles,
        word_count=int(words.sum()),
        exact_hash=int(exact_hash),
        lead_keys=(),
        paragraph_keys=(),
    )


def estimated_containment(
    signature: U32Array, size: int, other_signature: U32Array, other_size: int
) -> float:
    """Containment of the smaller set from the MinHash Jaccard estimate and set sizes."""
    if not size or not other_size:
        return 0.0
    jaccard = float(np.count_nonzero(signature == other_signature)) / len(signature)
    shared = jaccard * (size + other_size) / (1.0 + jaccard)
    return shared / min(size, other_size)


@dataclass(frozen=True, slots=True)
class Probe:
    """What a new text is looked up by: its signature, set size, keys and exact hash."""

    signature: U32Array
    size: int
    band_keys: tuple[int, ...]
    lead_keys: tuple[int, ...]
    text_hash: int


class CandidateIndex:
    """Store-held candidate retrieval over the dedup window.

    Usage::

        index = CandidateIndex(store, signer, thresholds)
        probe = index.probe(signature, features, text_hash)
        candidates, twins = index.candidates(probe, since)
    """

    def __init__(self, store: ArticlesAndIndex, signer: Signer, thresholds: Thresholds):
        self.store = store
        self.signer = signer
        self._thresholds = thresholds
        self.banding = Banding(signer.params, thresholds.lsh_threshold, thresholds.lsh_weights)
        self.params = params_tag(signer.params)

    def probe(self, signature: U32Array, features: TextFeatures, text_hash: int) -> Probe:
        """The look-up keys of a text (no band keys for a text without shingles).

        ``text_hash``: the hash of the whole normalised text (the article's
        ``content_hash``), which finds exact twins.
        """
        bands = tuple(self.banding.keys(signature)) if features.size else ()
        return Probe(signature, features.size, bands, features.lead_keys, text_hash)

    def entry(self, probe: Probe, features: TextFeatures, first_seen_at: datetime) -> IndexEntry:
        """The index row the store writes with the article."""
        keys = tuple(dict.fromkeys((*probe.band_keys, *probe.lead_keys)))
        return IndexEntry(
            first_seen_at=first_seen_at,
            params=self.params,
            size=probe.size,
            text_hash=probe.text_hash,
            signature=self.signer.to_bytes(probe.signature),
            keys=np.asarray(keys, dtype="<i8").tobytes(),
            key_list=keys,
            features=encode_features(features),
        )

    def candidates(self, probe: Probe, since: datetime) -> tuple[list[int], list[int]]:
        """Plausible sources of a text first seen since ``since``, best estimate first.

        Returns (candidates, exact-text twins not among the candidates).
        """
        rows: Sequence[IndexCandidate] = self.store.index_candidates(
            (*probe.band_keys, *probe.lead_keys), probe.text_hash, self.params, since
        )
        leads = set(probe.lead_keys)
        found: dict[int, IndexCandidate] = {}
        by_lead: set[int] = set()
        twins: set[int] = set()
        for row in rows:
            if row.key is None:
                twins.add(row.article_id)
                continue
            found.setdefault(row.article_id, row)
            if row.key in leads:
                by_lead.add(row.article_id)
        scored = []
        for article_id, row in found.items():
            estimate = estimated_containment(
                probe.signature, probe.size, self.signer.from_bytes(row.signature), row.size
            )
            if estimate >= self._thresholds.min_estimated_containment or article_id in by_lead:
                scored.append((estimate, article_id))
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        cap = self._thresholds.max_candidates
        chosen = [article_id for _, article_id in scored[:cap]]
        kept = set(chosen)
        return chosen, sorted(twins - kept)[:cap]


@dataclass(frozen=True, slots=True)
class _Indexed:
    signature: U32Array
    size: int
    lead_keys: tuple[int, ...]


class MemoryCandidateIndex:
    """The former in-memory index (datasketch MinHashLSH + a dict of lead keys).

    Kept only as the reference the benchmarks measure the store-held index
    against (the same candidates, at about 14 KB of memory per article).
    """

    def __init__(self, signer: Signer, thresholds: Thresholds):
        self._thresholds = thresholds
        self._lsh = SketchIndex(signer, thresholds.lsh_threshold, thresholds.lsh_weights)
        self._leads: dict[int, list[int]] = {}
        self._items: dict[int, _Indexed] = {}

    def __len__(self) -> int:
        return len(self._items)

    def add(
        self, article_id: int, signature: U32Array, size: int, lead_keys: tuple[int, ...]
    ) -> None:
        """Index an article (replacing an earlier entry with the same id)."""
        self.remove(article_id)
        self._items[article_id] = _Indexed(signature, size, lead_keys)
        if size:
            self._lsh.insert(article_id, signature)
        for key in lead_keys:
            self._leads.setdefault(key, []).append(article_id)

    def remove(self, article_id: int) -> None:
        """Forget an article."""
        item = self._items.pop(article_id, None)
        if item is None:
            return
        self._lsh.remove(article_id)
        for key in item.lead_keys:
            holders = self._leads.get(key)
            if holders and article_id in holders:
                holders.remove(article_id)
                if not holders:
                    del self._leads[key]

    def candidates(self, signature: U32Array, size: int, lead_keys: tuple[int, ...]) -> list[int]:
        """Plausible sources of a text, best estimate first."""
        found: set[int] = set(self._lsh.query(signature)) if size else set()
        for key in lead_keys:
            found.update(self._leads.get(key, ()))
        scored = []
        for article_id in found:
            item = self._items.get(article_id)
            if item is None:
                continue
            estimate = estimated_containment(signature, size, item.signature, item.size)
            if estimate >= self._thresholds.min_estimated_containment or any(
                key in item.lead_keys for key in lead_keys
            ):
                scored.append((estimate, article_id))
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        return [article_id for _, article_id in scored[: self._thresholds.max_candidates]]
