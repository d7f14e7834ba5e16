"""Per-chain alignment: the near-copy blocks inside a candidate passage.

The output's and the source's tokens around a chain are aligned globally
(rapidfuzz's Levenshtein opcodes, in C); each column of the alignment is a match
(+1) or an edit (substitution, insertion or deletion: -t / (1 - t) for the
similarity threshold t). A stretch of columns whose scores sum to at least 0
has at most one edit in 1 / (1 - t) columns, so the longest such stretch is the
longest passage at least that similar. It is looked for inside the stretch of
highest score with edits a quarter cheaper (a copy a little below the
threshold stays whole there, while stray matches beyond a copy's end, which
the global alignment pairs with the margins, cost more than they bring). The
block is cut to begin and end on a match; when it is too short for the
length rule on its own, it grows to the longest stretch around it whose scores
still sum to at least 0 and that begins and ends on a match (a copy broken by
a run of edits is one block when the whole is similar enough). It is
reported, and the columns left on either side are searched again. The
similarity given is rapidfuzz's normalised Levenshtein similarity of the two
passages (at least the columns' figure: the alignment is one of many).

Code: identifiers are aligned as one placeholder, and an aligned pair of
identifiers is a match when it follows the renaming the passage uses
everywhere else (out name -> source name, one to one, first pairing wins);
the similarity counts a consistent renaming as no edit (names numbered by
first appearance in each passage, then compared).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from rapidfuzz.distance import Levenshtein

PLACEHOLDER = -1  # the alignment key of every identifier


@dataclass(frozen=True)
class Units:
    """A passage as units to align: keys (token hashes) and, for code, each unit's identifier name or None."""

    keys: list[int]
    names: list[str | None] | None = None


@dataclass(frozen=True)
class Block:
    """Unit ranges [start, end) in the output and in the source, and their similarity."""

    out_start: int
    out_end: int
    source_start: int
    source_end: int
    similarity: float
    method: str  # "tokens" or "code-identifiers"


def _alignment_keys(units: Units) -> list[int]:
    if units.names is None:
        return units.keys
    return [PLACEHOLDER if name is not None else key for key, name in zip(units.keys, units.names)]


def _columns(out: Units, src: Units, penalty: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per column: score, output units consumed before it, source units consumed before it."""
    ops: list[tuple[str, int, int, int, int]] = Levenshtein.opcodes(
        _alignment_keys(out), _alignment_keys(src)
    ).as_list()  # type: ignore[assignment]  # rapidfuzz's stubs type the tuples as Opcode
    if not ops:
        empty = np.zeros(0)
        return empty, empty.astype(np.int64), empty.astype(np.int64)
    equal = np.array([tag == "equal" for tag, *_ in ops])
    i1, i2, j1, j2 = np.array([ranges for _, *ranges in ops], dtype=np.int64).T
    k1, k2 = i2 - i1, j2 - j1
    width = np.maximum(k1, k2)  # a replace of unequal lengths pairs what it can, the rest are gaps
    op = np.repeat(np.arange(len(ops)), width)
    step = np.arange(len(op)) - np.repeat(np.cumsum(width) - width, width)
    at_out = i1[op] + np.minimum(step, k1[op])
    at_src = j1[op] + np.minimum(step, k2[op])
    score = np.where(equal[op], 1.0, -penalty)
    if out.names is not None and src.names is not None:
        _renamings(score, at_out, at_src, out.names, src.names, penalty)
    return score, at_out, at_src


def _renamings(score, at_out, at_src, out_names, src_names, penalty: float) -> None:
    """Aligned identifier pairs that break the passage's one-to-one renaming become edits."""
    forward: dict[str, str] = {}
    backward: dict[str, str] = {}
    for column in np.flatnonzero(score > 0).tolist():
        a, b = out_names[at_out[column]], src_names[at_src[column]]
        if a is None or b is None:
            continue
        if forward.setdefault(a, b) != b or backward.setdefault(b, a) != a:
            score[column] = -penalty


def _highest(score: np.ndarray) -> tuple[int, int, float]:
    """The column range [i, j) of highest score sum (the first of equals), and the sum."""
    prefix = np.concatenate(([0.0], np.cumsum(score)))
    lowest = np.minimum.accumulate(prefix)
    j = int(np.argmax(prefix - lowest))
    i = int(np.flatnonzero(prefix[: j + 1] == lowest[j])[-1])
    return i, j, float(prefix[j] - lowest[j])


def _longest(score: np.ndarray) -> tuple[int, int]:
    """The longest column range [i, j) whose scores sum to at least 0 (the first of equals); (0, 0) if none."""
    prefix = np.concatenate(([0.0], np.cumsum(score)))
    lowest = np.minimum.accumulate(prefix)  # non-increasing
    first = np.searchsorted(-lowest, -prefix, "left")  # for each j, the first i with prefix[i] <= prefix[j]
    lengths = np.arange(len(prefix)) - first
    j = int(np.argmax(lengths))
    return int(first[j]), j


def _similarity(out: Units, src: Units, a: int, b: int, c: int, d: int) -> tuple[float, str]:
    plain = Levenshtein.normalized_similarity(out.keys[a:b], src.keys[c:d])
    if out.names is None or src.names is None:
        return plain, "tokens"
    renamed = Levenshtein.normalized_similarity(_numbered(out, a, b), _numbered(src, c, d))
    return (renamed, "code-identifiers") if renamed > plain else (plain, "tokens")


def _numbered(units: Units, a: int, b: int) -> list:
    """Keys with each identifier replaced by the order of its first appearance in units [a, b)."""
    assert units.names is not None
    seen: dict[str, int] = {}
    return [
        key if name is None else ("name", seen.setdefault(name, len(seen)))
        for key, name in zip(units.keys[a:b], units.names[a:b])
    ]


def _grown(score: np.ndarray, same: np.ndarray, low: int, high: int, i: int, j: int) -> tuple[int, int]:
    """The longest column range inside [low, high) that holds [i, j), scores summing to at least 0, and
    begins and ends on equal tokens: the block's surplus spent on the text around it."""
    prefix = np.concatenate(([0.0], np.cumsum(score[low:high])))
    i, j = i - low, j - low
    lowest = np.minimum.accumulate(prefix[: i + 1])  # non-increasing: the best start for each end
    ends = np.arange(j, len(prefix))
    starts = np.searchsorted(-lowest, -prefix[j:], "left")  # the first start with prefix[start] <= prefix[end]
    valid = starts <= i
    if not valid.any():
        return low + i, low + j
    pick = int(np.argmax(np.where(valid, ends - starts, -1)))
    a, b = low + int(starts[pick]), low + int(ends[pick])
    matches = np.flatnonzero(same[a:b])
    return a + int(matches[0]), a + int(matches[-1]) + 1


def blocks(
    out: Units,
    src: Units,
    threshold: float,
    min_units: int,
    limit: int,
    long_enough: Callable[[int, int], bool] | None = None,
) -> list[Block]:
    """Up to ``limit`` blocks of at least ``min_units`` output units, at least ``threshold`` similar. A block
    that ``long_enough`` (output units [a, b)) rejects is grown to the longest passage still that similar."""
    penalty = threshold / (1.0 - threshold)
    score, at_out, at_src = _columns(out, src, penalty)
    same = score > 0
    same[same] = np.asarray(out.keys)[at_out[same]] == np.asarray(src.keys)[at_src[same]]
    found: list[Block] = []
    pending = [(0, len(score))]
    while pending and len(found) < limit:
        low, high = pending.pop()
        if high - low < min_units:
            continue
        loose = np.where(score[low:high] > 0, 1.0, -0.75 * penalty)
        i, j, best = _highest(loose)
        if best <= 0:
            continue
        k, m = _longest(score[low + i : low + j])
        i, j = low + i + k, low + i + m
        matches = np.flatnonzero(same[i:j])
        if not len(matches):
            continue
        i, j = i + int(matches[0]), i + int(matches[-1]) + 1  # begin and end on equal tokens (not on a renaming)
        if long_enough is not None and not long_enough(int(at_out[i]), int(at_out[j - 1]) + 1):
            i, j = _grown(score, same, low, high, i, j)
        a, b = int(at_out[i]), int(at_out[j - 1]) + 1
        c, d = int(at_src[i]), int(at_src[j - 1]) + 1
        if b - a < min_units:
            continue
        similarity, method = _similarity(out, src, a, b, c, d)
        found.append(Block(a, b, c, d, round(similarity, 4), method))
        pending.extend([(j, high), (low, i)])
    return sorted(found, key=lambda block: block.out_start)
