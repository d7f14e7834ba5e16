"""Vectorised hashes of tokens and n-grams, and winnowing (the positions an index keeps).

Token hash: a polynomial over the code points of the lowercased token, mod 2**64,
computed for all tokens at once from prefix sums; n-gram hash: the same over
token hashes. Both are mixed (splitmix64) so that low bits are usable. Equal
token strings always have equal hashes; the converse is checked against the
text wherever it matters.
"""

from __future__ import annotations

import numpy as np

from licenselens.tokens import _class_table

U64 = np.uint64
BASE = U64(0x100000001B3)  # odd, so invertible mod 2**64
BASE_INV = U64(pow(int(BASE), -1, 2**64))
NGRAM_BASE = U64(0x9E3779B97F4A7C15)


def _mix(x: np.ndarray) -> np.ndarray:
    x = x ^ (x >> U64(30))
    x = x * U64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> U64(27))
    x = x * U64(0x94D049BB133111EB)
    return x ^ (x >> U64(31))


_POWERS: dict[int, np.ndarray] = {}


def _powers(base: np.uint64, count: int) -> np.ndarray:
    """base**0 .. base**(count-1) mod 2**64, from a table grown by doubling (built once per process)."""
    table = _POWERS.get(int(base))
    if table is None or len(table) < count:
        size = max(count, 2 * len(table) if table is not None else 1 << 16)
        table = np.full(size, base, dtype=U64)
        table[0] = 1
        with np.errstate(over="ignore"):
            table = np.cumprod(table, dtype=U64)
        _POWERS[int(base)] = table
    return table[:count]


def token_hashes(low: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(starts, ends, hashes) of the tokens of an already lowercased text; offsets are string indices."""
    codes = np.frombuffer(low.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if not len(codes):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=U64)
    cls = _class_table()[codes]
    word = cls == 1
    previous = np.concatenate(([False], word[:-1]))
    following = np.concatenate((word[1:], [False]))
    starts = np.flatnonzero((word & ~previous) | (cls == 2))
    ends = np.flatnonzero((word & ~following) | (cls == 2)) + 1
    with np.errstate(over="ignore"):
        weighted = codes.astype(U64) * _powers(BASE, len(codes))
        prefix = np.concatenate(([U64(0)], np.cumsum(weighted, dtype=U64)))
        hashes = (prefix[ends] - prefix[starts]) * _powers(BASE_INV, len(codes))[starts]
    return starts, ends, _mix(hashes)


def ngram_hashes(tokens: np.ndarray, n: int) -> np.ndarray:
    """Hash of every run of n consecutive token hashes (len(tokens) - n + 1 of them)."""
    count = len(tokens) - n + 1
    if count <= 0:
        return np.zeros(0, dtype=U64)
    out = np.zeros(count, dtype=U64)
    with np.errstate(over="ignore"):
        for j in range(n):
            out = out * NGRAM_BASE + tokens[j : j + count]
    return _mix(out)


def winnow(hashes: np.ndarray, window: int) -> np.ndarray:
    """Positions kept: the rightmost minimum of every window of ``window`` consecutive hashes.

    Any run of ``window`` consecutive n-grams contains a kept one, so every
    shared span of n + window - 1 tokens or more is seen from the index.
    """
    if len(hashes) <= window:
        return (
            np.array([int(len(hashes) - 1 - np.argmin(hashes[::-1]))], dtype=np.int64)
            if len(hashes)
            else np.zeros(0, dtype=np.int64)
        )
    views = np.lib.stride_tricks.sliding_window_view(hashes[::-1], window)
    # on the reversed array argmin gives the first minimum, i.e. the rightmost one of the original window
    rightmost = len(hashes) - 1 - (np.argmin(views, axis=1) + np.arange(len(views)))
    return np.unique(rightmost)
