"""Near-duplicate documents: MinHash signatures of token shingles, and LSH to find, in run order, the first
earlier document each one nearly repeats (settings: rules/dedup.yaml).

Signatures are computed per document wherever its shard runs (any engine); the decisions are taken in one
pass in manifest order, so they are the same whatever the engine or the number of workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

from licenselens.overlap.hashing import ngram_hashes, token_hashes
from licenselens.rules import load_yaml
from licenselens.signals.anchors import lowered

if TYPE_CHECKING:
    from datasketch import LeanMinHash

# datasketch is imported where it is used: it imports scipy (0.6 s), which every command would pay

RULES = "dedup.yaml"
SCHEME = "affine32"  # datasketch's 32-bit scheme: hash values and shingles fit uint32


@dataclass(frozen=True)
class DedupSettings:
    shingle_tokens: int = 5
    num_perm: int = 128
    threshold: float = 0.8
    seed: int = 1
    min_tokens: int = 20
    lsh_bands: int = 21
    lsh_rows: int = 6


@cache
def dedup_settings() -> DedupSettings:
    return DedupSettings(**load_yaml(RULES))


NONE = np.uint32(0xFFFFFFFF)  # a signature of only these: a document too short to compare


@cache
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's own permutation parameters for these settings."""
    from datasketch import MinHash

    a, b = MinHash(num_perm=num_perm, seed=seed, scheme=SCHEME).permutations
    return a.astype(np.uint32)[None, :], b.astype(np.uint32)[None, :]


def _fmix32(h: np.ndarray) -> np.ndarray:
    """MurmurHash3's finaliser, as datasketch's affine32 scheme mixes each value before permuting it."""
    h = h ^ (h >> np.uint32(16))
    h = h * np.uint32(0x85EBCA6B)
    h = h ^ (h >> np.uint32(13))
    h = h * np.uint32(0xC2B2AE35)
    return h ^ (h >> np.uint32(16))


def signature(text: str, settings: DedupSettings) -> np.ndarray:
    """A document's MinHash values (uint32), all ``NONE`` when it is too short to compare.

    The values are exactly ``MinHash(scheme="affine32").update_batch(shingles)``'s (a test holds them
    equal); computed here on the array at once, since the library's loop over items would cost the corpus
    run a third of its speed."""
    _, _, tokens = token_hashes(lowered(text))
    if len(tokens) < settings.min_tokens:
        return np.full(settings.num_perm, NONE, dtype=np.uint32)
    mixed = _fmix32(ngram_hashes(tokens, settings.shingle_tokens).astype(np.uint32))
    a, b = _permutations(settings.num_perm, settings.seed)
    permuted = np.empty((len(mixed), settings.num_perm), dtype=np.uint32)  # in place: a quarter faster
    np.multiply(mixed[:, None], a, out=permuted)
    permuted += b
    return permuted.min(axis=0)


def comparable(values: np.ndarray) -> bool:
    return bool((values != NONE).any())


@dataclass(frozen=True)
class NearMatch:
    first: int  # position of the earlier document in the order documents were added
    similarity: float  # estimated Jaccard similarity of the two shingle sets


class NearDuplicates:
    """Documents offered in run order; each is compared with the earlier ones that repeat nothing
    themselves (the ones `clean` keeps), so a chain A~B~C without A~C keeps C."""

    def __init__(self, settings: DedupSettings):
        self.settings = settings
        from datasketch import MinHashLSH

        self.lsh = MinHashLSH(num_perm=settings.num_perm, params=(settings.lsh_bands, settings.lsh_rows))
        self.matrix = np.zeros((1024, settings.num_perm), dtype=np.uint32)  # kept signatures, in run order
        self.positions: list[int] = []
        self.row_of: dict[int, int] = {}
        self.needed = int(np.ceil(settings.threshold * settings.num_perm - 1e-9))  # equal values to reach it

    def _sketch(self, values: np.ndarray) -> LeanMinHash:
        from datasketch import LeanMinHash

        # LeanMinHash: MinHash would draw its 128 permutations again for every document (0.2 ms each)
        return LeanMinHash(seed=self.settings.seed, hashvalues=values, scheme=SCHEME)

    def match(self, values: np.ndarray) -> NearMatch | None:
        """The first kept document this one nearly repeats, if any: every LSH candidate is checked with the
        whole signature at once (boilerplate-heavy corpora make many candidates)."""
        candidates = self.lsh.query(self._sketch(values))
        if not candidates:
            return None
        rows = np.array(sorted(self.row_of[c] for c in candidates), dtype=np.int64)
        equal = np.count_nonzero(self.matrix[rows] == values, axis=1)
        hits = np.flatnonzero(equal >= self.needed)
        if not len(hits):
            return None
        row = int(rows[hits[0]])
        return NearMatch(self.positions[row], round(int(equal[hits[0]]) / self.settings.num_perm, 4))

    def keep(self, position: int, values: np.ndarray) -> None:
        self.lsh.insert(position, self._sketch(values), check_duplication=False)  # positions are unique
        row = len(self.positions)
        if row == len(self.matrix):
            self.matrix = np.concatenate((self.matrix, np.zeros_like(self.matrix)))
        self.matrix[row] = values
        self.positions.append(position)
        self.row_of[position] = row
