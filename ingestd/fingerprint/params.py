"""The parameters a signature was made with, stored beside every signature.

A signature is only comparable with signatures made with the same
parameters; the store keeps ``SignatureParams.key()`` next to each one, and
the index refuses to mix keys. Bump ``version`` whenever normalisation or
shingling changes in a way that changes the hashes.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from functools import lru_cache


@dataclass(frozen=True, slots=True)
class SignatureParams:
    """How text becomes a MinHash signature.

    ``shingle_size`` words per shingle; ``num_perm`` permutations of
    datasketch's ``scheme``, drawn from ``seed``.
    """

    # 2: script-aware tokens (characters of unspaced scripts, combining
    #    marks kept inside words, accents folded for Latin only).
    version: int = 2
    num_perm: int = 128
    shingle_size: int = 5
    seed: int = 1
    scheme: str = "affine32"

    def key(self) -> str:
        """A stable text form, stored with each signature."""
        return _key_of(self)  # asked once per stored article: made once per parameters

    @classmethod
    def from_key(cls, key: str) -> SignatureParams:
        """Parse what :meth:`key` produced."""
        return cls(**json.loads(key))


@lru_cache(maxsize=16)
def _key_of(params: SignatureParams) -> str:
    return json.dumps(asdict(params), sort_keys=True, separators=(",", ":"))


DEFAULT_PARAMS = SignatureParams()
