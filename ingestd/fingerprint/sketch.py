"""MinHash signatures and LSH banding (the only module importing datasketch).

datasketch computes the signatures and chooses the LSH parameters (how many
bands of how many rows, for a threshold and false-positive/negative
weights); :class:`Banding` turns a signature into one 63-bit key per band,
which the store-held candidate index (:mod:`ingestd.match.index`) looks up.
Two signatures share a band key exactly when datasketch's MinHashLSH would
put them in the same bucket of that band (up to 2**-63 collisions).
"""

from __future__ import annotations

import hashlib

import numpy as np
from datasketch import MinHash, MinHashLSH

from ingestd.fingerprint.params import SignatureParams
from ingestd.fingerprint.shingles import U32Array


def _identity(value: int) -> int:
    return value


class Signer:
    """Turns shingle hashes into MinHash signatures with fixed parameters.

    The permutations are drawn once and reused: building them is the
    costly part of a datasketch ``MinHash``.
    """

    def __init__(self, params: SignatureParams):
        self.params = params
        template = MinHash(num_perm=params.num_perm, seed=params.seed, scheme=params.scheme)
        self._permutations = template.permutations

    def sign(self, hashes: U32Array) -> U32Array:
        """The signature of a set of 32-bit shingle hashes."""
        sketch = MinHash(
            num_perm=self.params.num_perm,
            seed=self.params.seed,
            scheme=self.params.scheme,
            hashfunc=_identity,
            permutations=self._permutations,
        )
        if len(hashes):
            sketch.update_batch(hashes.tolist())
        return np.asarray(sketch.hashvalues, dtype=np.uint32)

    def to_bytes(self, signature: U32Array) -> bytes:
        """Serialised form for the store."""
        return signature.astype("<u4").tobytes()

    def from_bytes(self, blob: bytes) -> U32Array:
        """Inverse of :meth:`to_bytes`."""
        return np.frombuffer(blob, dtype="<u4").astype(np.uint32)

    def _as_minhash(self, signature: U32Array) -> MinHash:
        return MinHash(
            num_perm=self.params.num_perm,
            seed=self.params.seed,
            scheme=self.params.scheme,
            hashvalues=signature,
            permutations=self._permutations,
        )


def estimated_jaccard(first: U32Array, second: U32Array) -> float:
    """Share of equal signature slots: the MinHash estimate of Jaccard similarity."""
    return float(np.count_nonzero(first == second)) / len(first)


class Banding:
    """Band keys of signatures, with the (bands, rows) datasketch chooses.

    Usage::

        banding = Banding(params, threshold=0.3, weights=(0.5, 0.5))
        keys = banding.keys(signature)   # one int per band, 0 <= key < 2**63
    """

    def __init__(self, params: SignatureParams, threshold: float, weights: tuple[float, float]):
        # The LSH object is only asked for its parameter choice; the buckets
        # themselves live in the store.
        lsh = MinHashLSH(threshold=threshold, num_perm=params.num_perm, weights=weights)
        self.bands: int = int(lsh.b)
        self.rows: int = int(lsh.r)

    def keys(self, signature: U32Array) -> list[int]:
        """One key per band: a hash of the band's number and its rows' values."""
        rows = self.rows
        raw = signature.astype("<u4").tobytes()
        width = 4 * rows
        keys = []
        for band in range(self.bands):
            digest = hashlib.blake2b(
                raw[band * width : (band + 1) * width],
                digest_size=8,
                salt=band.to_bytes(16, "little"),
            ).digest()
            keys.append(int.from_bytes(digest, "little") >> 1)
        return keys


class SketchIndex:
    """A datasketch MinHashLSH over article signatures, keyed by article id."""

    def __init__(self, signer: Signer, threshold: float, weights: tuple[float, float]):
        self._signer = signer
        self._lsh = MinHashLSH(
            threshold=threshold, num_perm=signer.params.num_perm, weights=weights
        )
        self.bands, self.rows = self._lsh.b, self._lsh.r

    def insert(self, key: int, signature: U32Array) -> None:
        """Index one signature; a key already present is replaced."""
        if key in self._lsh:
            self._lsh.remove(key)
        self._lsh.insert(key, self._signer._as_minhash(signature), check_duplication=False)

    def query(self, signature: U32Array) -> list[int]:
        """Keys sharing at least one band with the signature."""
        return [int(key) for key in self._lsh.query(self._signer._as_minhash(signature))]

    def remove(self, key: int) -> None:
        """Forget a key; unknown keys are ignored."""
        if key in self._lsh:
            self._lsh.remove(key)

    def __contains__(self, key: int) -> bool:
        return key in self._lsh

    def __len__(self) -> int:
        return len(self._lsh.keys)
