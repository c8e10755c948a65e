"""However many windowed articles share keys with a text, a bounded number is verified."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

import numpy as np

from ingestd.fingerprint.params import DEFAULT_PARAMS
from ingestd.fingerprint.sketch import Signer
from ingestd.match.index import CandidateIndex, Probe
from ingestd.match.thresholds import DEFAULT_THRESHOLDS
from ingestd.store.records import IndexCandidate


class ManyMatches:
    """A store whose look-up returns every given row (what a crowded window gives)."""

    def __init__(self, rows: list[IndexCandidate]):
        self.rows = rows

    def index_candidates(
        self, keys: Sequence[int], text_hash: int, params: int, since: datetime
    ) -> list[IndexCandidate]:
        return self.rows


def test_only_the_best_estimated_candidates_are_verified() -> None:
    signer = Signer(DEFAULT_PARAMS)
    base = np.arange(1, 401, dtype=np.uint32)
    signature = signer.sign(base)
    rows = []
    # Article n shares 400 - 2n of the text's 400 shingles: the lower n, the better.
    for n in range(150):
        other = np.concatenate([base[: 400 - 2 * n], np.arange(10_000, 10_000 + 2 * n)])
        sig = signer.to_bytes(signer.sign(other.astype(np.uint32)))
        rows.append(IndexCandidate(7, 1000 + n, 400, sig))
    rows += [IndexCandidate(None, 5000 + n, 400, rows[0].signature) for n in range(100)]
    thresholds = replace(DEFAULT_THRESHOLDS, max_candidates=20)
    index = CandidateIndex(ManyMatches(rows), signer, thresholds)  # type: ignore[arg-type]
    probe = Probe(signature, 400, (7,), (), 1)
    chosen, twins = index.candidates(probe, datetime(2026, 1, 1, tzinfo=UTC))
    assert len(chosen) == 20 and len(twins) == 20
    # The best estimates first: the closest texts (lowest n) are all kept.
    assert set(chosen) >= {1000, 1001, 1002, 1003, 1004}
    assert max(chosen) < 1000 + 60
    uncapped = CandidateIndex(ManyMatches(rows), signer, DEFAULT_THRESHOLDS)  # type: ignore[arg-type]
    assert len(uncapped.candidates(probe, datetime(2026, 1, 1, tzinfo=UTC))[0]) == 48
