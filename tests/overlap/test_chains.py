"""Chains of seed hits: drift from insertions and deletions kept together, reordered passages apart."""

import numpy as np

from licenselens.overlap.chains import chains

OFFSETS = np.array([0, 1000, 5000])  # two documents


def _chains(pairs, drift=8, gap=48, min_hits=2):
    out_pos = np.array([o for o, _ in pairs], dtype=np.int64)
    src_pos = np.array([s for _, s in pairs], dtype=np.int64)
    doc = np.searchsorted(OFFSETS, src_pos, "right") - 1
    return chains(out_pos, doc, src_pos - OFFSETS[doc], 4, drift, gap, min_hits)


def test_a_diagonal_drifting_one_token_in_ten_is_one_chain():
    pairs = [(i, 1000 + 200 + i + i // 10) for i in range(0, 300, 5)]  # an insertion every ten tokens
    (chain,) = _chains(pairs)
    assert (chain.doc, chain.out_start, chain.out_end, chain.hits) == (1, 0, 295 + 4, 60)
    assert (chain.source_start, chain.source_end) == (200, 200 + 295 + 29 + 4)


def test_reordered_sentences_are_two_chains_and_a_gap_cuts_a_chain():
    first = [(i, 1000 + 500 + i) for i in range(0, 40, 4)]  # output 0..40 is source 500..540
    second = [(i, 1000 + 100 + i - 40) for i in range(40, 80, 4)]  # output 40..80 is source 100..140
    far = [(i, 1000 + 500 + i) for i in range(200, 220, 4)]  # the first diagonal again, 160 tokens on
    found = _chains(first + second + far)
    assert sorted((c.out_start, c.source_start) for c in found) == [(0, 500), (40, 100), (200, 700)]


def test_single_hits_and_other_documents_are_no_chain():
    assert _chains([(0, 10), (100, 1000 + 10)]) == []
    assert _chains([(0, 10), (4, 1000 + 14)]) == []  # same diagonal, different documents
    (chain,) = _chains([(0, 10), (4, 14)])
    assert chain.doc == 0 and chain.hits == 2
