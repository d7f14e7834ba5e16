"""Short seeds for the near-copy search, stored beside the exact n-grams.

An edit every few words leaves no run of n equal tokens, but it leaves runs of
four: a seed is a window of ``size`` tokens. Seeds are sampled by their own hash
(kept when it is 0 modulo ``sampling``), so an output and its source keep the
same ones whatever the text around them: winnowing, as the exact n-grams use,
picks by the neighbours' hashes, and an edit nearby changes the pick. Stored:
one sorted uint64 a seed, 32 bits of its hash above its token position in the
part (8 bytes a seed; a part holds fewer than 2**32 tokens).
"""

from __future__ import annotations

import numpy as np

from licenselens.overlap.hashing import ngram_hashes

MAX_TOKENS = 2**32  # positions in a part are 32-bit


def _sampled(tokens: np.ndarray, size: int, sampling: int, valid=None) -> tuple[np.ndarray, np.ndarray]:
    """(positions, 32-bit keys) of the kept seeds of 32-bit token hashes ``tokens`` (where ``valid``, if given)."""
    hashes = ngram_hashes(tokens.astype(np.uint64), size)
    keep = hashes % np.uint64(sampling) == 0
    if valid is not None:
        keep &= valid[: len(keep)]
    return np.flatnonzero(keep), (hashes[keep] >> np.uint64(32)).astype(np.uint32)


def shard_seeds(tokens: np.ndarray, token_offsets: np.ndarray, size: int, sampling: int) -> np.ndarray:
    """A shard's kept seeds as sorted uint64 (key << 32 | position in the shard), none across documents."""
    if len(tokens) >= MAX_TOKENS:
        raise ValueError(f"{len(tokens)} tokens in one shard: seed positions are 32-bit")
    valid = np.ones(len(tokens), dtype=bool)
    crossing = (token_offsets[1:, None] - np.arange(1, size)[None, :]).ravel()  # windows running into the next doc
    valid[crossing[(crossing >= 0) & (crossing < len(tokens))]] = False
    positions, keys = _sampled(tokens, size, sampling, valid)
    combined = (keys.astype(np.uint64) << np.uint64(32)) | positions.astype(np.uint64)
    combined.sort()
    return combined


def seed_keys(out: np.ndarray, size: int, sampling: int) -> tuple[np.ndarray, np.ndarray]:
    """(output positions, 32-bit keys) of an output's kept seeds (``out``: its 32-bit token hashes)."""
    if len(out) < size:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.astype(np.uint32)
    return _sampled(out, size, sampling)


def seed_lookup(seeds: np.ndarray, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[left, right) rows of each key in a seed table (sorted uint64: key << 32 | position)."""
    low = keys.astype(np.uint64) << np.uint64(32)
    high = low + np.uint64(1 << 32)  # keys are 32-bit: no overflow past 2**64 - 1 but for key 2**32 - 1
    order = np.argsort(keys)  # sorted needles read the memory-mapped table front to back
    left, right = np.empty(len(keys), dtype=np.int64), np.empty(len(keys), dtype=np.int64)
    left[order] = np.searchsorted(seeds, low[order], "left")
    top = keys[order] == np.uint32(0xFFFFFFFF)
    right[order] = np.where(top, len(seeds), np.searchsorted(seeds, high[order], "left"))
    return left, right


def hits_at(
    seeds: np.ndarray, corpus_tokens: np.ndarray, out: np.ndarray, positions, left, counts, size: int
) -> tuple[np.ndarray, np.ndarray]:
    """(output positions, source positions) of the first ``counts`` rows from ``left`` of each seed whose tokens
    are equal: a 32-bit key collision makes no hit."""
    empty = np.zeros(0, dtype=np.int64)
    found = np.flatnonzero(counts > 0)
    if not len(found):
        return empty, empty
    counts = counts[found]
    before = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rows = np.repeat(left[found] - before, counts) + np.arange(int(counts.sum()))
    out_pos = np.repeat(positions[found], counts)
    src_pos = (np.asarray(seeds[rows]) & np.uint64(0xFFFFFFFF)).astype(np.int64)
    equal = np.ones(len(rows), dtype=bool)
    for k in range(size):
        equal &= np.take(corpus_tokens, src_pos + k, mode="clip") == out[out_pos + k]
    return out_pos[equal], src_pos[equal]
