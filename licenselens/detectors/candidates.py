"""Exact, faster candidate selection for ScanCode's approximate matcher.

ScanCode's ``match_set.compute_candidates`` compares a query run with each of
its ~37,000 rules in Python, and that loop is where most of its time goes.
Step one of that function rejects every rule that shares too few legalese
("high") tokens, too few tokens, or too small a share of its own tokens with
the query. Those shared counts are computed here for all rules at once from an
inverted index (token -> rules), and only the survivors are handed to
ScanCode's own ``compare_token_sets`` in the same rule order, so the
candidates, their scores and their ranking are the ones ScanCode computes. ``tests/detectors/test_candidates.py`` checks the two
functions agree on real files.
"""

from __future__ import annotations

from functools import partial

import numpy as np
from licensedcode import match_set
from licensedcode.match_set import ScoresVector

_original_compute_candidates = match_set.compute_candidates


class RulePostings:
    """Rules by token id, for one loaded ScanCode index: enough to apply step one's filters to all rules at once."""

    def __init__(self, idx):
        n_rules = len(idx.rules_by_rid)
        sets = [np.fromiter(idx.sets_by_rid[rid] or (), dtype=np.int32) for rid in range(n_rules)]
        lengths = np.array([len(s) for s in sets], dtype=np.int64)
        all_tids = np.concatenate(sets)
        all_rids = np.repeat(np.arange(n_rules, dtype=np.int32), lengths)
        order = np.argsort(all_tids, kind="stable")
        self.rids_sorted = all_rids[order]
        self.offsets = np.searchsorted(all_tids[order], np.arange(len(idx.tokens_by_tid) + 1))
        rules = idx.rules_by_rid
        self.min_high = np.array([max(r.get_min_high_matched_length(True), 1) for r in rules], dtype=np.int64)
        self.min_matched = np.array([r.get_min_matched_length(True) for r in rules], dtype=np.int64)
        self.length = np.array([max(r.get_length(True), 1) for r in rules], dtype=np.float64)
        self.min_containment = np.array([r._minimum_containment or 0.0 for r in rules], dtype=np.float64)
        self.n_rules = n_rules
        self.len_legalese = idx.len_legalese

    def _counts(self, tids) -> np.ndarray:
        if not tids:
            return np.zeros(self.n_rules, dtype=np.int64)
        parts = [self.rids_sorted[self.offsets[t]:self.offsets[t + 1]] for t in tids]
        return np.bincount(np.concatenate(parts), minlength=self.n_rules)

    def rules_passing_set_filters(self, qset) -> tuple[np.ndarray, np.ndarray]:
        """Rule ids, ascending, that ScanCode's step one would not reject outright.

        The shared legalese tokens must reach ``min_high_matched_length_unique``,
        all shared tokens ``min_matched_length_unique`` and the containment the
        rule's minimum; the last test keeps a small margin, ``compare_token_sets``
        decides exactly.
        """
        tids = [t for t in qset if t < len(self.offsets) - 1]
        high = [t for t in tids if t < self.len_legalese]
        high_counts = self._counts(high)
        keep = high_counts >= self.min_high
        if not keep.any():
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
        matched = self._counts(tids)
        keep &= matched >= self.min_matched
        keep &= (self.min_containment == 0) | (matched / self.length >= self.min_containment - 1e-9)
        survivors = np.flatnonzero(keep)
        return survivors, matched[survivors]


# LicenseIndex has __slots__ and no weak references: keep the index itself beside its
# postings, so its id cannot be reused by another index while the entry exists.
_postings: dict[int, tuple[object, RulePostings]] = {}


def postings_for(idx) -> RulePostings:
    """The postings of this index object, built on first use."""
    entry = _postings.get(id(idx))
    if entry is None or entry[0] is not idx:
        entry = _postings[id(idx)] = (idx, RulePostings(idx))
    return entry[1]


def compute_candidates(query_run, idx, matchable_rids, top=50,
                       high_resemblance=False, high_resemblance_threshold=0.8,
                       _use_bigrams=False):
    """Drop-in for ``licensedcode.match_set.compute_candidates``."""
    if _use_bigrams:
        return _original_compute_candidates(
            query_run, idx, matchable_rids, top, high_resemblance,
            high_resemblance_threshold, _use_bigrams)

    qset, qmset = match_set.build_set_and_mset(query_run.matchable_tokens())
    len_legalese = idx.len_legalese
    survivors, matched = postings_for(idx).rules_passing_set_filters(qset)

    # Step one's scores, computed from the shared-token counts with the same
    # arithmetic as ``compare_token_sets`` (its intersections are only built
    # for the candidates kept below).
    rules_by_rid = idx.rules_by_rid
    qset_len = len(qset)
    threshold = high_resemblance_threshold
    sortable = []
    for rid, matched_length in zip(survivors.tolist(), matched.tolist()):
        if rid not in matchable_rids:
            continue
        rule = rules_by_rid[rid]
        iset_len = rule.get_length(True)
        resemblance = matched_length / (qset_len + iset_len - matched_length)
        containment = matched_length / iset_len
        if rule._minimum_containment and containment < rule._minimum_containment:
            continue
        amplified = resemblance ** 2
        scores = (
            ScoresVector(round(resemblance, 1) >= threshold, round(containment, 1),
                         round(amplified, 1), round(matched_length / 20, 1)),
            ScoresVector(resemblance >= threshold, containment, amplified, matched_length),
        )
        if not high_resemblance or (scores[0].is_highly_resemblant and scores[1].is_highly_resemblant):
            sortable.append((scores, rid, rule))
    if not sortable:
        return sortable
    sortable.sort(reverse=True)
    sets_by_rid = idx.sets_by_rid
    sortable = [
        (scores, rid, rule, match_set.high_tids_set_subset(qset & sets_by_rid[rid], len_legalese))
        for scores, rid, rule in sortable[:top * 10]
    ]

    msets_by_rid = idx.msets_by_rid
    high_filter = partial(match_set.high_multiset_subset, _use_bigrams=False)
    refined = []
    for _scores, rid, rule, high_inter in sortable[:top * 10]:
        scores, _ = match_set.compare_token_sets(
            qset=qmset, iset=msets_by_rid[rid],
            intersector=match_set.multisets_intersector,
            counter=match_set.multiset_counter,
            high_intersection_filter=high_filter,
            len_legalese=len_legalese, unique=False, rule=rule,
            filter_non_matching=True,
            high_resemblance_threshold=high_resemblance_threshold)
        if scores and (not high_resemblance or (scores[0].is_highly_resemblant
                                                and scores[1].is_highly_resemblant)):
            refined.append((scores, rid, rule, high_inter))
    if not refined:
        return refined
    return sorted(match_set.filter_dupes(refined), reverse=True)[:top]


def install() -> None:
    """Route ScanCode's approximate matcher through the exact fast path."""
    match_set.compute_candidates = compute_candidates
