"""Word shingles, sentence keys and paragraph keys as integer hashes.

Hashes are computed once per distinct word (blake2b, cached) and combined
into shingle hashes with vectorised polynomial arithmetic, so shingling a
long article costs well under a millisecond.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from ingestd.text.normalize import UNSPACED_RANGES, normalize

U32Array = npt.NDArray[np.uint32]

_MULTIPLIER = np.uint64(0x9E3779B97F4A7C15)
# Where a sentence ends, on NFKC text (which turns "！？" into "!?"):
# - Latin-style stops followed by a space ("lemonde.fr" and "3.5" stay whole);
# - CJK stops 。 and ! ? before an unspaced-script character, spaces optional
#   (Chinese and Japanese put none after a full stop); a closing bracket or
#   quote right after the stop stays with its sentence (「はい。」);
# - Arabic ؟ and Urdu ۔, Devanagari danda । and double danda ॥, Khmer ។ and
#   Myanmar ။, spaces optional.
_CJK_CLOSE = '」』”’)"'
_SENTENCE_END = re.compile(
    r"(?<=[.!?…])[\"»”’)]*\s+"
    rf"|(?:(?<=。[{_CJK_CLOSE}])|(?<=。)(?![{_CJK_CLOSE}]))\s*"
    rf"|(?:(?<=[!?][{_CJK_CLOSE}])|(?<=[!?]))(?=[{UNSPACED_RANGES}])"
    r"|(?<=[؟۔।॥។။])\s*"
)


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
    word_hashes = np.fromiter(map(_word_hash, words), dtype=np.uint64, count=len(words))
    if len(words) < size:
        size = len(words)
    count = len(words) - size + 1
    combined = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(size):
            combined = combined * _MULTIPLIER + word_hashes[offset : offset + count]
    folded = ((combined >> np.uint64(32)) ^ combined).astype(np.uint32)
    return np.unique(folded)


def paragraph_shingle_hashes(paragraphs: Sequence[Sequence[str]], size: int) -> list[U32Array]:
    """``shingle_hashes`` of each token list, computed in one vectorised pass.

    Shingles never span two paragraphs: each list is shingled on its own, as
    :func:`shingle_hashes` would, but the token hashing and the polynomial
    combination run once over the whole text (numpy's per-call cost, not the
    arithmetic, dominates for paragraph-sized arrays).
    """
    lengths = [len(tokens) for tokens in paragraphs]
    total = sum(lengths)
    if total == 0:
        return [np.empty(0, dtype=np.uint32) for _ in paragraphs]
    hashes = np.fromiter(
        map(_word_hash, (token for tokens in paragraphs for token in tokens)),
        dtype=np.uint64,
        count=total,
    )
    count = max(total - size + 1, 0)
    combined = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(size):
            combined = combined * _MULTIPLIER + hashes[offset : offset + count]
    folded = ((combined >> np.uint64(32)) ^ combined).astype(np.uint32)
    result: list[U32Array] = []
    start = 0
    for tokens, length in zip(paragraphs, lengths, strict=True):
        if length >= size:
            result.append(np.unique(folded[start : start + length - size + 1]))
        else:
            result.append(shingle_hashes(tokens, size))  # one shingle of all its tokens
        start += length
    return result


def paragraph_key(paragraph: str) -> int:
    """Key of a paragraph's normalised form, for boilerplate statistics."""
    return stable_hash(normalize(paragraph))


def split_sentences(paragraph: str) -> list[str]:
    """The sentences of a paragraph, in any script (see ``_SENTENCE_END``)."""
    if not paragraph.isascii():
        paragraph = unicodedata.normalize("NFKC", paragraph)
    return [part for part in _SENTENCE_END.split(paragraph) if part]


def sentence_keys(paragraph: str, min_words: int, limit: int | None = None) -> list[int]:
    """Keys of the paragraph's sentences that have at least ``min_words`` tokens.

    ``limit`` stops after that many keys: only the lead is indexed, so the
    rest of a long paragraph need not be normalised.
    """
    keys: list[int] = []
    for sentence in split_sentences(paragraph):
        if limit is not None and len(keys) >= limit:
            break
        norm = normalize(sentence)
        if norm and norm.count(" ") + 1 >= min_words:
            keys.append(stable_hash(norm))
    return keys
