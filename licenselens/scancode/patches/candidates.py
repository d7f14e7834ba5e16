"""Exact, faster candidate selection for ScanCode's approximate matcher.

ScanCode's ``match_set.compute_candidates`` compares a query run with each of
its ~37,000 rules in Python, and that loop is where most of its time goes. It
works in two steps, both reproduced here on arrays:

1. token *sets*: rules sharing too few legalese ("high") tokens, too few
   tokens, or too small a share of their own tokens with the query are
   rejected; the rest are ranked by a score vector and the best ``top * 10``
   kept. The shared counts come from an inverted index (token -> rules) for all
   rules at once; the score vectors are computed with ScanCode's own arithmetic
   once per distinct (shared count, rule length) pair, and ranked with the rule
   id as the tie-break, as Python's tuple sort does.
2. token *multisets*: the kept rules are compared again with occurrence counts;
   the shared counts (sum of the smaller count per token) come from the rules'
   multisets held as one sparse table.

Candidates, their score vectors and their order are the ones ScanCode computes:
``tests/scancode/patches/test_candidates.py`` compares the two functions on real files.
"""

from __future__ import annotations

from itertools import chain
from pathlib import Path

import numpy as np
from intbitset import intbitset
from licensedcode import match_set
from licensedcode.match_set import ScoresVector

from licenselens.scancode.patches.arrays import gather, tokens_array

_original_compute_candidates = match_set.compute_candidates


# what RulePostings holds, as arrays; written to the cache folder next to the index facts, keyed by index
POSTINGS_FORMAT = 1
_ARRAYS = (
    "set_offsets", "set_tids", "rids_sorted", "offsets", "min_high", "min_matched", "set_length", "length",
    "min_containment", "mset_offsets", "mset_tids", "mset_counts", "mset_min_high", "mset_min_matched",
)  # fmt: skip


class RulePostings:
    """One loaded ScanCode index as arrays: rules by token for step one, rule multisets for step two."""

    def __init__(self, arrays: dict[str, np.ndarray], n_rules: int, n_tokens: int, len_legalese: int):
        for name in _ARRAYS:
            setattr(self, name, arrays[name])
        self.n_rules, self.n_tokens, self.len_legalese = n_rules, n_tokens, len_legalese
        self._matchable: tuple[object, np.ndarray] | None = None

    @classmethod
    def build(cls, idx) -> RulePostings:
        self = cls.__new__(cls)
        self._build(idx)
        return self

    def _shape(self) -> np.ndarray:
        return np.array([POSTINGS_FORMAT, self.n_rules, self.n_tokens, self.len_legalese], dtype=np.int64)

    def save(self, path: Path) -> None:
        """Write the arrays to ``path``, replaced whole (not written if the cache folder cannot be)."""
        from licenselens.scancode.licensedb import write_derived

        arrays = {name: getattr(self, name) for name in _ARRAYS}
        write_derived(path, lambda fh: np.savez(fh, shape=self._shape(), **arrays))

    @classmethod
    def load(cls, path: Path, idx) -> RulePostings | None:
        """The arrays written for this index, or None (absent, damaged, or of another index or format)."""
        try:
            with np.load(path, allow_pickle=False) as stored:
                shape = stored["shape"]
                arrays = {name: stored[name] for name in _ARRAYS}
        except Exception:  # absent, cut short, not an npz: built again
            return None
        postings = cls(arrays, len(idx.rules_by_rid), len(idx.tokens_by_tid), idx.len_legalese)
        return postings if np.array_equal(shape, postings._shape()) else None

    def _build(self, idx) -> None:
        n_rules = len(idx.rules_by_rid)
        sets = [np.fromiter(idx.sets_by_rid[rid] or (), dtype=np.int32) for rid in range(n_rules)]
        lengths = np.array([len(s) for s in sets], dtype=np.int64)
        all_tids = np.concatenate(sets)
        self.set_offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        self.set_tids = all_tids.astype(np.int64)
        all_rids = np.repeat(np.arange(n_rules, dtype=np.int32), lengths)
        order = np.argsort(all_tids, kind="stable")
        self.rids_sorted = all_rids[order]
        self.offsets = np.searchsorted(all_tids[order], np.arange(len(idx.tokens_by_tid) + 1))
        rules = idx.rules_by_rid
        self.min_high = np.array([max(r.get_min_high_matched_length(True), 1) for r in rules], dtype=np.int64)
        self.min_matched = np.array([r.get_min_matched_length(True) for r in rules], dtype=np.int64)
        self.set_length = np.array([r.get_length(True) for r in rules], dtype=np.int64)
        self.length = np.maximum(self.set_length, 1).astype(np.float64)
        self.min_containment = np.array([r._minimum_containment or 0.0 for r in rules], dtype=np.float64)
        self.n_rules = n_rules
        self.n_tokens = len(idx.tokens_by_tid)
        self.len_legalese = idx.len_legalese
        self._multisets(idx, rules)
        self._matchable = None

    def _multisets(self, idx, rules) -> None:
        msets = [m or {} for m in idx.msets_by_rid]
        sizes = np.array([len(m) for m in msets], dtype=np.int64)
        total = int(sizes.sum())
        tids = np.fromiter(chain.from_iterable(m.keys() for m in msets), dtype=np.int64, count=total)
        counts = np.fromiter(chain.from_iterable(m.values() for m in msets), dtype=np.int64, count=total)
        present = counts > 0  # ScanCode's own intersector can leave zero counts in a rule's multiset
        rows = np.repeat(np.arange(self.n_rules), sizes)[present]
        self.mset_offsets = np.zeros(self.n_rules + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=self.n_rules), out=self.mset_offsets[1:])
        self.mset_tids, self.mset_counts = tids[present], counts[present]
        self.mset_min_high = np.array([r.get_min_high_matched_length(False) for r in rules], dtype=np.int64)
        self.mset_min_matched = np.array([r.get_min_matched_length(False) for r in rules], dtype=np.int64)

    def matchable_mask(self, matchable_rids) -> np.ndarray:
        if self._matchable is None or self._matchable[0] is not matchable_rids:
            mask = np.zeros(self.n_rules, dtype=bool)
            mask[np.fromiter(matchable_rids, dtype=np.int64)] = True
            self._matchable = (matchable_rids, mask)
        return self._matchable[1]

    def _counts(self, tids: np.ndarray) -> np.ndarray:
        positions, _ = gather(self.offsets, tids)
        return np.bincount(self.rids_sorted[positions], minlength=self.n_rules)

    def rules_passing_set_filters(self, tids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Rule ids, ascending, that ScanCode's step one would not reject outright, given the query's
        distinct token ids.

        The shared legalese tokens must reach ``min_high_matched_length_unique``,
        all shared tokens ``min_matched_length_unique`` and the containment the
        rule's minimum; the last test keeps a small margin, the exact test follows.
        """
        high_counts = self._counts(tids[tids < self.len_legalese])
        keep = high_counts >= self.min_high
        if not keep.any():
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        # all shared tokens, counted for the rules left only: through their own token lists
        candidates = np.flatnonzero(keep)
        in_query = np.zeros(self.n_tokens, dtype=bool)
        in_query[tids] = True
        positions, row = gather(self.set_offsets, candidates)
        matched = np.bincount(row, weights=in_query[self.set_tids[positions]], minlength=len(candidates)).astype(
            np.int64
        )
        keep = matched >= self.min_matched[candidates]
        minimum = self.min_containment[candidates]
        keep &= (minimum == 0) | (matched / self.length[candidates] >= minimum - 1e-9)
        return candidates[keep], matched[keep]

    def multiset_shared(self, tids: np.ndarray, counts: np.ndarray, rids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each rule of ``rids``: the shared occurrences with the query multiset, all and legalese only."""
        dense = np.zeros(self.n_tokens, dtype=np.int64)
        dense[tids] = counts
        positions, row = gather(self.mset_offsets, rids)
        tids = self.mset_tids[positions]
        shared = np.minimum(dense[tids], self.mset_counts[positions])
        matched = np.bincount(row, weights=shared, minlength=len(rids)).astype(np.int64)
        high = np.bincount(row, weights=shared * (tids < self.len_legalese), minlength=len(rids)).astype(np.int64)
        return matched, high


# LicenseIndex has __slots__ and no weak references: keep the index itself beside its
# postings, so its id cannot be reused by another index while the entry exists.
_postings: dict[int, tuple[object, RulePostings]] = {}


def postings_for(idx) -> RulePostings:
    """The postings of this index object: on first use, read from the cache folder if ScanCode's own loaded
    index was written there before, else built (half a second) and, for that index, written there."""
    entry = _postings.get(id(idx))
    if entry is None or entry[0] is not idx:
        path = _stored_path(idx)
        postings = RulePostings.load(path, idx) if path else None
        if postings is None:
            postings = RulePostings.build(idx)
            if path:
                postings.save(path)
        entry = _postings[id(idx)] = (idx, postings)
    return entry[1]


def _stored_path(idx) -> Path | None:
    """Where the postings of ScanCode's cached index are kept (None for any other index object)."""
    import licensedcode.cache

    from licenselens.scancode.licensedb import derived_path

    loaded = licensedcode.cache._LICENSE_CACHE
    if loaded is None or loaded.index is not idx:
        return None
    return derived_path(f"postings-v{POSTINGS_FORMAT}", ".npz")


def _query_multiset(query_run) -> tuple[np.ndarray, np.ndarray]:
    """``build_set_and_mset(query_run.matchable_tokens())`` as arrays: distinct token ids (ascending) and
    their counts at the run's matchable positions; empty when the run has no matchable legalese token."""
    if not query_run.high_matchables:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    positions = np.fromiter(query_run.matchables, dtype=np.int64)
    return np.unique(tokens_array(query_run.query.tokens)[positions], return_counts=True)


def _scores(matched: int, rule_length: int, query_length: int, threshold: float):
    """``compare_token_sets``'s score vectors, same arithmetic."""
    resemblance = matched / (query_length + rule_length - matched)
    containment = matched / rule_length
    amplified = resemblance**2
    return (
        ScoresVector(
            round(resemblance, 1) >= threshold, round(containment, 1), round(amplified, 1), round(matched / 20, 1)
        ),
        ScoresVector(resemblance >= threshold, containment, amplified, matched),
    )


def _round1(values: np.ndarray) -> np.ndarray:
    """Python's ``round(x, 1)`` of each value (the decimal nearest the double's exact value, halves to even):
    numpy's own rounding scales by 10 first, which can cross a half; values that near one go to Python."""
    scaled = values * 10.0
    rounded = np.rint(scaled) / 10.0
    near_half = np.abs(scaled - np.floor(scaled) - 0.5) < 1e-6
    if near_half.any():
        rounded[near_half] = [round(v, 1) for v in values[near_half].tolist()]
    return rounded


def _ranked(
    rids: np.ndarray,
    matched: np.ndarray,
    lengths: np.ndarray,
    query_length: int,
    threshold: float,
    high_resemblance: bool,
    limit: int,
) -> list[tuple]:
    """(scores, rid), best first as ``sorted(..., reverse=True)`` orders them, at most ``limit``.

    The score vectors of each distinct (shared count, rule length) pair are computed on arrays with
    ScanCode's arithmetic: int / int divisions are the same IEEE divisions, the square is Python's own, and
    the rounding is Python's (``_round1``). Only the pairs of the candidates returned become ScoresVectors.
    """
    keys, inverse = np.unique(matched << 32 | lengths, return_inverse=True)
    inverse = inverse.reshape(-1)
    shared = (keys >> 32).astype(np.float64)
    rule_length = (keys & 0xFFFFFFFF).astype(np.float64)
    resemblance = shared / (query_length + rule_length - shared)
    containment = shared / rule_length
    amplified = np.array([r**2 for r in resemblance.tolist()], dtype=np.float64)
    by_20 = shared / 20
    resemblant, containment_1, amplified_1, by_20_1 = (
        _round1(resemblance) >= threshold,
        _round1(containment),
        _round1(amplified),
        _round1(by_20),
    )
    resemblant_full = resemblance >= threshold
    # the pairs ranked by their vectors, equal vectors sharing a rank (as Python compares tuples); np.lexsort's
    # last key sorts first
    vector = (resemblant, containment_1, amplified_1, by_20_1, resemblant_full, containment, amplified, shared)
    order = np.lexsort(vector[::-1])
    changes = np.zeros(len(keys), dtype=bool)
    changes[0] = True
    for column in vector:
        ordered = column[order]
        changes[1:] |= ordered[1:] != ordered[:-1]
    rank = np.empty(len(keys), dtype=np.int64)
    rank[order] = np.cumsum(changes)
    if high_resemblance:
        keep = (resemblant & resemblant_full)[inverse]
        rids, inverse = rids[keep], inverse[keep]
    best = np.lexsort((rids, rank[inverse]))[::-1][:limit]
    vectors: dict[int, tuple] = {}
    ranked = []
    for i in best.tolist():
        k = int(inverse[i])
        scores = vectors.get(k)
        if scores is None:
            scores = vectors[k] = (
                ScoresVector(bool(resemblant[k]), float(containment_1[k]), float(amplified_1[k]), float(by_20_1[k])),
                ScoresVector(bool(resemblant_full[k]), float(containment[k]), float(amplified[k]), int(keys[k] >> 32)),
            )
        ranked.append((scores, int(rids[i])))
    return ranked


def compute_candidates(
    query_run, idx, matchable_rids, top=50, high_resemblance=False, high_resemblance_threshold=0.8, _use_bigrams=False
):
    """Drop-in for ``licensedcode.match_set.compute_candidates``."""
    if _use_bigrams:
        return _original_compute_candidates(
            query_run, idx, matchable_rids, top, high_resemblance, high_resemblance_threshold, _use_bigrams
        )

    tids, counts = _query_multiset(query_run)
    if not len(tids):
        return []
    postings = postings_for(idx)
    survivors, matched = postings.rules_passing_set_filters(tids)
    keep = postings.matchable_mask(matchable_rids)[survivors]
    survivors, matched = survivors[keep], matched[keep]
    if not len(survivors):
        return []
    # step one's exact containment test (ScanCode's arithmetic: int / int)
    lengths = postings.set_length[survivors]
    minimum = postings.min_containment[survivors]
    keep = (minimum == 0) | ~(matched / lengths < minimum)
    survivors, matched, lengths = survivors[keep], matched[keep], lengths[keep]
    if not len(survivors):
        return []
    step_one = _ranked(survivors, matched, lengths, len(tids), high_resemblance_threshold, high_resemblance, top * 10)
    if not step_one:
        return []

    # step two, ``compare_token_sets`` on multisets with filter_non_matching=True
    rids = np.array([rid for _, rid in step_one], dtype=np.int64)
    shared, shared_high = postings.multiset_shared(tids, counts, rids)
    query_length = int(counts.sum())
    qset = intbitset(tids.tolist())
    rules_by_rid, sets_by_rid, len_legalese = idx.rules_by_rid, idx.sets_by_rid, idx.len_legalese
    refined = []
    for rid, matched_length, high_length in zip(rids.tolist(), shared.tolist(), shared_high.tolist()):
        if not high_length or high_length < postings.mset_min_high[rid]:
            continue
        if matched_length < postings.mset_min_matched[rid]:
            continue
        rule = rules_by_rid[rid]
        rule_length = rule.get_length(False)
        if rule._minimum_containment and matched_length / rule_length < rule._minimum_containment:
            continue
        scores = _scores(matched_length, rule_length, query_length, high_resemblance_threshold)
        if high_resemblance and not (scores[0].is_highly_resemblant and scores[1].is_highly_resemblant):
            continue
        high_inter = match_set.high_tids_set_subset(qset & sets_by_rid[rid], len_legalese)
        refined.append((scores, rid, rule, high_inter))
    if not refined:
        return refined
    return sorted(match_set.filter_dupes(refined), reverse=True)[:top]


def install() -> None:
    """Route ScanCode's approximate matcher through the exact fast path."""
    match_set.compute_candidates = compute_candidates


def uninstall() -> None:
    match_set.compute_candidates = _original_compute_candidates
