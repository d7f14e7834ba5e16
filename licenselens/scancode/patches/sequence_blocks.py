"""Exact, faster sequence alignment for ScanCode's approximate matcher.

For every candidate rule, ScanCode aligns the query run with the rule's tokens
(cyseq's ``match_blocks``, difflib's algorithm restricted to legalese tokens):
it repeatedly finds the longest run of equal legalese tokens in a region and
splits the region around it. Each search walks every position of the region
with Python objects, so a long query run costs its full length per search, per
candidate, per repeat, although a rule's legalese tokens occur at a few places.

Here the places where a rule token occurs in the query are found once per call
with numpy, paired with the rule positions, and grouped into diagonal runs;
each search then only clips those runs to its region. The longest run wins, ties
going to the earliest start in the query, then in the rule, as in cyseq; the
extension over non-legalese tokens and the merging of adjacent blocks are
cyseq's own steps. Short regions, where cyseq's walk is already cheap, are left
to cyseq. ``tests/scancode/patches/test_sequence_blocks.py`` compares the two.
"""

from __future__ import annotations

from itertools import chain

import numpy as np
from cyseq import Match
from cyseq import match_blocks as cyseq_match_blocks
from intbitset import intbitset
from licensedcode import index as license_index

from licenselens.scancode.patches.arrays import gather, tokens_array
from licenselens.scancode.patches.state import current

SHORT_REGION = 1000  # query tokens; below this cyseq's own walk is faster than setting up arrays
FEW_RUNS = 24  # below this many runs a region is searched in plain Python
RESELECT_SLACK = 64  # a part's runs are looked up afresh when its parent's are this many more than its width
MANY_RUNS = 512  # above this many runs in a region, it is searched without listing them


class DiagonalRuns:
    """Maximal runs of (query position, rule position) pairs with equal legalese tokens on one diagonal."""

    def __init__(self, a, a_start: int, a_end: int, b2j, len_good: int, matchables):
        keys = sorted(k for k in b2j if k < len_good)
        empty = np.empty(0, dtype=np.int64)
        self.i, self.j, self.length = empty, empty, empty
        self.reach = 0
        self._lists: tuple[list, list, list] | None = None
        if not keys:
            return
        key_array = np.array(keys, dtype=np.int64)
        tokens = tokens_array(a)
        matchable = np.zeros(a_end - a_start, dtype=bool)
        positions = np.fromiter(matchables, dtype=np.int64)
        positions = positions[(positions >= a_start) & (positions < a_end)]
        matchable[positions - a_start] = True
        found = np.flatnonzero(np.isin(tokens[a_start:a_end], key_array) & matchable) + a_start
        if not len(found):
            return
        postings = [b2j[k] for k in keys]
        offsets = np.zeros(len(keys) + 1, dtype=np.int64)
        np.cumsum([len(p) for p in postings], out=offsets[1:])
        flat = np.fromiter(chain.from_iterable(postings), dtype=np.int64, count=int(offsets[-1]))
        positions, row = gather(offsets, np.searchsorted(key_array, tokens[found]))
        i, j = found[row], flat[positions]
        diagonal = i - j
        order = np.lexsort((i, diagonal))
        i, j, diagonal = i[order], j[order], diagonal[order]
        starts = np.ones(len(i), dtype=bool)
        starts[1:] = (diagonal[1:] != diagonal[:-1]) | (i[1:] != i[:-1] + 1)
        first = np.flatnonzero(starts)
        # ordered by start in b, then in a: the runs starting at one rule position form a slice sorted by query position
        by_j = np.lexsort((i[first], j[first]))
        self.i, self.j = i[first][by_j], j[first][by_j]
        self.length = np.diff(np.append(first, len(i)))[by_j]
        self.reach = int(self.length.max())
        self.stride = len(tokens) + 2  # a query position never reaches the next rule position's slice
        self.key = self.j * self.stride + self.i
        # single-token runs, by far the most common on long queries, apart: in one rule position's slice the
        # first at or after a query position is the earliest there
        self.points = np.flatnonzero(self.length == 1)
        self.point_key, self.point_i = self.key[self.points], self.i[self.points]
        self.longer = np.flatnonzero(self.length > 1)
        self.longer_key = self.key[self.longer]

    def _slices(
        self, keys: np.ndarray, reach: int, alo: int, ahi: int, blo: int, bhi: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per rule position that a run can start at and still reach b[blo:bhi]: the slice of ``keys`` of the
        runs that can reach a[alo:ahi]."""
        starts_j = np.arange(max(blo - reach + 1, 0), bhi) * self.stride
        return (np.searchsorted(keys, starts_j + max(alo - reach + 1, 0)), np.searchsorted(keys, starts_j + ahi))

    @staticmethod
    def _expand(low: np.ndarray, high: np.ndarray) -> np.ndarray:
        sizes = high - low
        return np.arange(int(sizes.sum())) + np.repeat(low - (np.cumsum(sizes) - sizes), sizes)

    def longest(
        self, runs: np.ndarray | None, alo: int, ahi: int, blo: int, bhi: int
    ) -> tuple[tuple[int, int, int], np.ndarray | None]:
        """Longest run inside a[alo:ahi] x b[blo:bhi], looked for among ``runs`` (indices, a superset of the
        runs reaching into the region; None: all): earliest in a, then in b, on ties; (alo, blo, 0) if none.
        Also the indices of the runs that reach into the region, for its parts (None: look them up again)."""
        if runs is None or len(runs) > 4 * (bhi - blo + self.reach) + RESELECT_SLACK:
            if not len(self.i):
                return (alo, blo, 0), None
            low, high = self._slices(self.key, self.reach, alo, ahi, blo, bhi)
            if int((high - low).sum()) > MANY_RUNS:
                return self._longest_of_many(alo, ahi, blo, bhi), None
            runs = self._expand(low, high)
        return self._longest_among(runs, alo, ahi, blo, bhi)

    def _longest_of_many(self, alo: int, ahi: int, blo: int, bhi: int) -> tuple[int, int, int]:
        """``longest`` without listing the region's runs: runs of two tokens or more are few and searched;
        of the single-token ones, only the earliest in each rule position's slice can win."""
        best = (alo, blo, 0)
        if len(self.longer):
            reach = int(self.length[self.longer].max())
            found = self.longer[self._expand(*self._slices(self.longer_key, reach, alo, ahi, blo, bhi))]
            best = self._longest_among(found, alo, ahi, blo, bhi)[0]
        if best[2] >= 2 or not len(self.points):
            return best
        rule_positions = np.arange(blo, bhi)
        first = np.searchsorted(self.point_key, rule_positions * self.stride + alo)
        present = first < len(self.points)
        first = np.minimum(first, len(self.points) - 1)
        present &= self.point_key[first] < rule_positions * self.stride + ahi
        if not present.any():
            return best
        starts_i, starts_j = self.point_i[first[present]], rule_positions[present]
        pick = np.lexsort((starts_j, starts_i))[0]
        point = (int(starts_i[pick]), int(starts_j[pick]), 1)
        return point if best[2] == 0 or point < best else best

    def _longest_among(
        self, runs: np.ndarray, alo: int, ahi: int, blo: int, bhi: int
    ) -> tuple[tuple[int, int, int], np.ndarray]:
        if not len(runs):
            return (alo, blo, 0), runs
        if len(runs) <= FEW_RUNS:
            return self._longest_of_few(runs, alo, ahi, blo, bhi)
        i, j = self.i[runs], self.j[runs]
        skip = np.maximum(np.maximum(alo - i, blo - j), 0)
        size = np.minimum(np.minimum(ahi - i, bhi - j), self.length[runs]) - skip
        inside = size > 0
        if not inside.any():
            return (alo, blo, 0), runs[inside]
        best = int(size.max())
        tied = np.flatnonzero(size == best)
        start_i, start_j = i[tied] + skip[tied], j[tied] + skip[tied]
        pick = np.lexsort((start_j, start_i))[0]
        return (int(start_i[pick]), int(start_j[pick]), best), runs[inside]

    def _longest_of_few(
        self, runs: np.ndarray, alo: int, ahi: int, blo: int, bhi: int
    ) -> tuple[tuple[int, int, int], np.ndarray]:
        """``longest`` in plain Python: for a handful of runs, array calls cost more than the work."""
        if self._lists is None:
            self._lists = (self.i.tolist(), self.j.tolist(), self.length.tolist())
        starts_i, starts_j, lengths = self._lists
        best, inside = (alo, blo, 0), []
        for run in runs.tolist():
            i, j = starts_i[run], starts_j[run]
            skip = max(alo - i, blo - j, 0)
            size = min(ahi - i, bhi - j, lengths[run]) - skip
            if size > 0:
                inside.append(run)
                found = (i + skip, j + skip, size)
                if size > best[2] or (size == best[2] and found < best):
                    best = found
        return best, np.array(inside, dtype=np.int64)


def _runs_for(a, a_start, a_end, b2j, len_good, matchables) -> DiagonalRuns:
    """The runs last built are reused by the calls that follow for the same rule on a part of the same
    region (ScanCode's sequence matcher calls again from where the last blocks ended)."""
    state = current()
    last = state.runs
    if (
        last is not None
        and last[0] is a
        and last[1] == len(a)
        and last[2] is b2j
        and last[4] <= a_start
        and a_end <= last[5]
        and last[3] == matchables
    ):
        return last[6]
    runs = DiagonalRuns(a, a_start, a_end, b2j, len_good, matchables)
    state.runs = (a, len(a), b2j, intbitset(matchables), a_start, a_end, runs)
    return runs


def _extend(i, j, k, a, b, alo, ahi, blo, bhi, matchables) -> tuple[int, int, int]:
    """cyseq's ``extend_match``: grow a block over equal tokens of any kind on both sides."""
    if k:
        while i > alo and j > blo and a[i - 1] == b[j - 1] and (i - 1) in matchables:
            i, j, k = i - 1, j - 1, k + 1
        while i + k < ahi and j + k < bhi and a[i + k] == b[j + k] and (i + k) in matchables:
            k += 1
    return i, j, k


def match_blocks(a, b, a_start, a_end, b2j, len_good, matchables, *args, **kwargs):
    """Drop-in for ``cyseq.match_blocks``."""
    if a_end - a_start < SHORT_REGION:
        return cyseq_match_blocks(a, b, a_start, a_end, b2j, len_good, matchables, *args, **kwargs)
    runs = _runs_for(a, a_start, a_end, b2j, len_good, matchables)
    queue = [(a_start, a_end, 0, len(b), None)]
    blocks = []
    while queue:
        alo, ahi, blo, bhi, within = queue.pop()
        found, within = runs.longest(within, alo, ahi, blo, bhi)
        i, j, k = _extend(*found, a, b, alo, ahi, blo, bhi, matchables)
        if k:
            blocks.append((i, j, k))
            if alo < i and blo < j:
                queue.append((alo, i, blo, j, within))
            if i + k < ahi and j + k < bhi:
                queue.append((i + k, ahi, j + k, bhi, within))
    blocks.sort()

    merged = []
    i1 = j1 = k1 = 0
    for i2, j2, k2 in blocks:
        if i1 + k1 == i2 and j1 + k1 == j2:
            k1 += k2
        else:
            if k1:
                merged.append(Match(i1, j1, k1))
            i1, j1, k1 = i2, j2, k2
    if k1:
        merged.append(Match(i1, j1, k1))
    return merged


def install() -> None:
    license_index.match_blocks_seq = match_blocks


def uninstall() -> None:
    license_index.match_blocks_seq = cyseq_match_blocks
