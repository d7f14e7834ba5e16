"""Exact, faster candidate selection for ScanCode's approximate matcher.

ScanCode's ``match_set.compute_candidates`` compares a query run with each of
its ~37,000 rules in Python, and that loop is where most of its time goes.
Step one of that function rejects every rule whose legalese ("high") tokens
shared with the query number fewer than the rule's
``min_high_matched_length_unique``. Those shared counts are computed here for
all rules at once from an inverted index (legalese token -> rules), and only
the survivors are handed to ScanCode's own ``compare_token_sets`` in the same
rule order, so the candidates, their scores and their ranking are the ones
ScanCode computes. ``tests/detectors/test_candidates.py`` checks the two
functions agree on real files.
"""

from __future__ import annotations

from functools import partial

import numpy as np
from licensedcode import match_set

_original_compute_candidates = match_set.compute_candidates


class HighTokenPostings:
    """Rules by legalese token id, for one loaded ScanCode index."""

    def __init__(self, idx):
        len_legalese = idx.len_legalese
        rids: list[np.ndarray] = []
        tids: list[np.ndarray] = []
        min_high = np.zeros(len(idx.rules_by_rid), dtype=np.int32)
        for rid, rule in enumerate(idx.rules_by_rid):
            min_high[rid] = rule.get_min_high_matched_length(True)
            high = [t for t in idx.sets_by_rid[rid] if t < len_legalese] if rule.high_length else []
            if high:
                tids.append(np.asarray(high, dtype=np.int32))
                rids.append(np.full(len(high), rid, dtype=np.int32))
        all_tids = np.concatenate(tids)
        all_rids = np.concatenate(rids)
        order = np.argsort(all_tids, kind="stable")
        self.rids_sorted = all_rids[order]
        self.offsets = np.searchsorted(all_tids[order], np.arange(len_legalese + 1))
        self.min_high = np.maximum(min_high, 1)
        self.n_rules = len(idx.rules_by_rid)

    def rules_passing_high_filter(self, high_tids) -> np.ndarray:
        """Rule ids, ascending, sharing enough legalese tokens with a query."""
        if not high_tids:
            return np.empty(0, dtype=np.int32)
        parts = [self.rids_sorted[self.offsets[t]:self.offsets[t + 1]] for t in high_tids]
        counts = np.bincount(np.concatenate(parts), minlength=self.n_rules)
        return np.flatnonzero(counts >= self.min_high)


_postings_by_index: dict[int, HighTokenPostings] = {}


def postings_for(idx) -> HighTokenPostings:
    key = id(idx)
    if key not in _postings_by_index:
        _postings_by_index[key] = HighTokenPostings(idx)
    return _postings_by_index[key]


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
    high_tids = [t for t in qset if t < len_legalese]
    survivors = postings_for(idx).rules_passing_high_filter(high_tids)

    rules_by_rid = idx.rules_by_rid
    sets_by_rid = idx.sets_by_rid
    sortable = []
    for rid in survivors.tolist():
        if rid not in matchable_rids:
            continue
        rule = rules_by_rid[rid]
        scores, high_inter = match_set.compare_token_sets(
            qset=qset, iset=sets_by_rid[rid],
            intersector=match_set.tids_sets_intersector,
            counter=match_set.tids_set_counter,
            high_intersection_filter=match_set.high_tids_set_subset,
            len_legalese=len_legalese, unique=True, rule=rule,
            filter_non_matching=True,
            high_resemblance_threshold=high_resemblance_threshold)
        if scores and (not high_resemblance or (scores[0].is_highly_resemblant
                                                and scores[1].is_highly_resemblant)):
            sortable.append((scores, rid, rule, high_inter))
    if not sortable:
        return sortable
    sortable.sort(reverse=True)

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
