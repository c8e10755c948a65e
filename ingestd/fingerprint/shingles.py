"""Word shingles, sentence keys and paragraph keys as integer hashes.

Hashes are computed once per distinct word (blake2b, cached) and combined
into shingle hashes with vectorised polynomial arithmetic, so shingling a
long article costs well under a millisecond.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from ingestd.text.normalize import normalize

U32Array = npt.NDArray[np.uint32]

_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"»”’)]*\s+")


@lru_cache(maxsize=1 << 18)
def _word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")


def stable_hash(text: str) -> int:
    """A 63-bit hash of a string, stable across processes and runs."""
    digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


def shingle_hashes(words: Sequence[str], size: int) -> U32Array:
    """Sorted unique 32-bit hashes of the ``size``-word shingles of ``words``.

    A text shorter than one shingle gives one shingle of all its words.
    """
    if not words:
        return np.empty(0, dtype=np.uint32)
    word_hashes = np.fromiter((_word_hash(w) for w in words), dtype=np.uint64, count=len(words))
    if len(words) < size:
        size = len(words)
    count = len(words) - size + 1
    combined = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(size):
            combined = combined * _MULTIPLIER + word_hashes[offset : offset + count]
    folded = ((combined >> np.uint64(32)) ^ combined).astype(np.uint32)
    return np.unique(folded)


def paragraph_key(paragraph: str) -> int:
    """Key of a paragraph's normalised form, for boilerplate statistics."""
    return stable_hash(normalize(paragraph))


def sentence_keys(paragraph: str, min_words: int) -> list[int]:
    """Keys of the paragraph's sentences that have at least ``min_words`` words."""
    keys = []
    for sentence in _SENTENCE_END.split(paragraph):
        norm = normalize(sentence)
        if norm.count(" ") + 1 >= min_words:
            keys.append(stable_hash(norm))
    return keys
