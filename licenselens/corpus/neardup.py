"""Near-duplicate documents: MinHash signatures of token shingles, and LSH to find, in run order, the first
earlier document each one nearly repeats (settings: rules/dedup.yaml).

Signatures are computed per document wherever its shard runs (any engine); the decisions are taken in one
pass in manifest order, so they are the same whatever the engine or the number of workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from datasketch import MinHash, MinHashLSH

from licenselens.overlap.hashing import ngram_hashes, token_hashes
from licenselens.rules import load_yaml
from licenselens.signals.anchors import lowered

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
    shingles = ngram_hashes(tokens, settings.shingle_tokens).astype(np.uint32)
    a, b = _permutations(settings.num_perm, settings.seed)
    return (_fmix32(shingles)[:, None] * a + b).min(axis=0)


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
        self.lsh = MinHashLSH(num_perm=settings.num_perm, params=(settings.lsh_bands, settings.lsh_rows))
        self.kept: dict[int, np.ndarray] = {}

    def _sketch(self, values: np.ndarray) -> MinHash:
        return MinHash(hashvalues=values, seed=self.settings.seed, scheme=SCHEME)

    def match(self, values: np.ndarray) -> NearMatch | None:
        """The first kept document this one nearly repeats, if any."""
        for position in sorted(self.lsh.query(self._sketch(values))):
            similarity = float(np.mean(self.kept[position] == values))
            if similarity >= self.settings.threshold:
                return NearMatch(position, round(similarity, 4))
        return None

    def keep(self, position: int, values: np.ndarray) -> None:
        self.lsh.insert(position, self._sketch(values))
        self.kept[position] = values
