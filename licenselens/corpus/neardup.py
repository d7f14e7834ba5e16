"""Near-duplicate documents: MinHash signatures of token shingles and their LSH band keys (settings:
rules/dedup.yaml).

Signatures are computed per document wherever its shard runs (any engine); the decisions are taken in one
pass in manifest order (corpus/repeats.py), so they are the same whatever the engine or the number of workers.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from licenselens.overlap.hashing import ngram_hashes, token_hashes
from licenselens.rules import load_yaml
from licenselens.signals.anchors import lowered

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
BLOCK = 1024  # shingles permuted at once


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
    # in blocks that stay in the CPU's cache, in place: a third faster than the whole product at once
    block = np.empty((min(len(mixed), BLOCK), settings.num_perm), dtype=np.uint32)
    found = np.full(settings.num_perm, NONE, dtype=np.uint32)
    for start in range(0, len(mixed), BLOCK):
        part = block[: min(BLOCK, len(mixed) - start)]
        np.multiply(mixed[start : start + BLOCK, None], a, out=part)
        part += b
        np.minimum(found, part.min(axis=0), out=found)
    return found


def comparable(values: np.ndarray) -> bool:
    return bool((values != NONE).any())


def band_keys(signatures: np.ndarray, settings: DedupSettings) -> np.ndarray:
    """One int64 per LSH band of each signature (rows of ``signatures``): equal bands give equal keys, and the
    band's number is mixed in, so all bands share one table. 64 bits: two unequal bands share a key with
    probability 2**-63, and every candidate is checked with its whole signature anyway."""
    count, bands, rows = len(signatures), settings.lsh_bands, settings.lsh_rows
    values = signatures[:, : bands * rows].reshape(count, bands, rows).astype(np.uint64)
    keys = np.repeat(np.arange(1, bands + 1, dtype=np.uint64)[None, :] * np.uint64(0x9E3779B97F4A7C15), count, 0)
    with np.errstate(over="ignore"):
        for row in range(rows):  # splitmix64's steps, one value at a time
            keys = (keys ^ values[:, :, row]) * np.uint64(0xBF58476D1CE4E5B9)
            keys ^= keys >> np.uint64(31)
    return (keys >> np.uint64(1)).astype(np.int64)  # SQLite's integers are signed
