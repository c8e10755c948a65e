"""Candidate retrieval: which stored articles might a new text be a copy of?

Two nets, both in memory, rebuilt from the store at start:

* a datasketch MinHashLSH over whole-text signatures, for copies that keep
  most of the text (re-templated, retitled, lightly edited);
* an exact index of lead sentences, for copies cut down to their first
  paragraphs, whose Jaccard similarity with the original is too low for LSH.

A candidate whose signature says it cannot reach the containment threshold
is dropped before the (costlier) exact verification.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ingestd.fingerprint.shingles import U32Array
from ingestd.fingerprint.sketch import Signer, SketchIndex
from ingestd.match.thresholds import Thresholds


@dataclass(frozen=True, slots=True)
class _Indexed:
    signature: U32Array
    size: int
    lead_keys: tuple[int, ...]


class CandidateIndex:
    """In-memory candidate retrieval over the dedup window."""

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
        """Forget an article (it left the dedup window)."""
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
            estimate = self._estimated_containment(signature, size, item)
            if estimate >= self._thresholds.min_estimated_containment or any(
                key in item.lead_keys for key in lead_keys
            ):
                scored.append((estimate, article_id))
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        return [article_id for _, article_id in scored]

    @staticmethod
    def _estimated_containment(signature: U32Array, size: int, other: _Indexed) -> float:
        """Containment of the smaller set from the MinHash Jaccard estimate and set sizes."""
        if not size or not other.size:
            return 0.0
        jaccard = float(np.count_nonzero(signature == other.signature)) / len(signature)
        shared = jaccard * (size + other.size) / (1.0 + jaccard)
        return shared / min(size, other.size)
