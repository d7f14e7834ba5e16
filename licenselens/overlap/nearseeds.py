"""Short seeds for the near-copy search, stored beside the exact n-grams.

An edit every few words leaves no run of n equal tokens, but it leaves runs of
four: a seed is a window of ``size`` tokens. Seeds are sampled by their own hash
(kept when it is 0 modulo ``sampling``), so an output and its source keep the
same ones whatever the text around them: winnowing, as the exact n-grams use,
picks by the neighbours' hashes, and an edit nearby changes the pick. Stored:
(32 bits of the seed's hash, global token position), sorted, 8 bytes a seed.
"""

from __future__ import annotations

import numpy as np

from licenselens.overlap.hashing import ngram_hashes

SEED = np.dtype([("hash", "<u4"), ("pos", "<u4")])
MAX_TOKENS = 2**32  # global positions are 32-bit


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


def merge_seeds(shards: list[tuple[np.ndarray, int]]) -> np.ndarray:
    """The index's seed table from each shard's ``shard_seeds`` and the global position of its first token.

    Adding a shard's base keeps its array sorted, and a stable sort of sorted runs only merges them.
    """
    total = sum(len(combined) for combined, _ in shards)
    mask = np.uint64(0xFFFFFFFF)
    last = max((base + int((part & mask).max()) for part, base in shards if len(part)), default=0)
    if last >= MAX_TOKENS:  # a global position must not carry into the hash bits
        raise ValueError("more than 2**32 tokens: seed positions are 32-bit, split the corpus into several indexes")
    combined = np.empty(total, dtype=np.uint64)
    at = 0
    for part, base in shards:
        combined[at : at + len(part)] = part + np.uint64(base)
        at += len(part)
    combined.sort(kind="stable")
    table = np.empty(total, dtype=SEED)
    table["hash"] = (combined >> np.uint64(32)).astype(np.uint32)
    table["pos"] = (combined & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    return table


def build_seeds(tokens: np.ndarray, token_offsets: np.ndarray, size: int, sampling: int) -> np.ndarray:
    """The sorted seed table of token hashes in one piece (all documents, ``token_offsets`` their bounds)."""
    return merge_seeds([(shard_seeds(tokens, token_offsets, size, sampling), 0)])


def seed_hits(
    seeds: np.ndarray, corpus_tokens: np.ndarray, out: np.ndarray, size: int, sampling: int, limit: int
) -> tuple[np.ndarray, np.ndarray]:
    """(output positions, global source positions) of the seeds an output shares with the index.

    ``out`` holds the output's 32-bit token hashes. A seed found more often than
    ``limit`` keeps its first occurrences (the lowest positions: boilerplate held
    many times is linked to the same first documents by all its seeds). A hit
    is kept only if its tokens are equal, so a 32-bit key collision makes none.
    """
    empty = np.zeros(0, dtype=np.int64)
    if len(out) < size or not len(seeds):
        return empty, empty
    positions, keys = _sampled(out, size, sampling)
    keys_column = seeds["hash"]
    order = np.argsort(keys)  # sorted needles read the memory-mapped table front to back
    left, right = np.empty(len(keys), dtype=np.int64), np.empty(len(keys), dtype=np.int64)
    left[order] = np.searchsorted(keys_column, keys[order], "left")
    right[order] = np.searchsorted(keys_column, keys[order], "right")
    counts = np.minimum(right - left, limit)
    found = np.flatnonzero(counts > 0)
    if not len(found):
        return empty, empty
    counts = counts[found]
    before = np.concatenate(([0], np.cumsum(counts)[:-1]))
    rows = np.repeat(left[found] - before, counts) + np.arange(int(counts.sum()))
    out_pos = np.repeat(positions[found], counts)
    src_pos = np.asarray(seeds["pos"][rows], dtype=np.int64)
    equal = np.ones(len(rows), dtype=bool)
    for k in range(size):
        equal &= np.take(corpus_tokens, src_pos + k, mode="clip") == out[out_pos + k]
    return out_pos[equal], src_pos[equal]
