"""The array alignment must give exactly cyseq's matching blocks, and ScanCode's licences stay the same."""

from __future__ import annotations

import pytest
from cyseq import match_blocks as cyseq_match_blocks
from hypothesis import given, settings
from hypothesis import strategies as st
from intbitset import intbitset

from licenselens.scancode.patches import query_runs, sequence_blocks
from licenselens.scancode.patches.state import query_scope

from ...conftest import SITE_PACKAGES
from .licences import licences, licences_without

LEN_GOOD = 4  # token ids below this are "legalese"


@st.composite
def alignments(draw):
    if draw(st.booleans()):  # few token kinds: long runs of shared tokens
        a = draw(st.lists(st.integers(0, 7), min_size=1, max_size=300))
        b = draw(st.lists(st.integers(0, 7), min_size=1, max_size=40))
    else:  # a rule of distinct tokens: mostly single-token runs, many of them
        b = draw(st.lists(st.integers(0, 7), min_size=1, max_size=8, unique=True))
        a = draw(st.lists(st.sampled_from(b + [5, 6, 7]), min_size=1, max_size=300))
    kept = draw(st.sets(st.integers(0, LEN_GOOD - 1)))  # the rule's legalese tokens shared with the query
    b2j = {}
    for j, token in enumerate(b):
        if token in kept:
            b2j.setdefault(token, []).append(j)
    start = draw(st.integers(0, len(a) - 1))
    end = draw(st.integers(start, len(a)))
    matchables = intbitset([i for i in range(len(a)) if draw(st.booleans()) or i % 3])
    return a, b, start, end, b2j, matchables


# (FEW_RUNS, RESELECT_SLACK, MANY_RUNS): each way of searching a region, alone or mixed with the others
SEARCH_SETTINGS = [
    (0, -(10**9), 10**9),  # arrays, each part's runs listed afresh
    (0, 64, 10**9),  # arrays, parts narrowed from their parent's runs
    (24, 64, 10**9),  # plain Python when runs are few
    (0, -(10**9), 0),  # never listing runs: longer runs apart, single-token runs per rule position
    (24, 64, 512),  # the settings in use
]


@settings(max_examples=1000, deadline=None)
@given(alignments(), st.sampled_from(SEARCH_SETTINGS))
def test_blocks_identical_to_cyseq(case, search_settings):
    a, b, start, end, b2j, matchables = case
    expected = cyseq_match_blocks(a, b, start, end, b2j, LEN_GOOD, matchables)
    names = ("SHORT_REGION", "FEW_RUNS", "RESELECT_SLACK", "MANY_RUNS")
    saved = [getattr(sequence_blocks, n) for n in names]
    for name, value in zip(names, (0, *search_settings)):  # SHORT_REGION 0: never handed to cyseq
        setattr(sequence_blocks, name, value)
    try:
        with query_scope():
            actual = sequence_blocks.match_blocks(a, b, start, end, b2j, LEN_GOOD, matchables)
    finally:
        for name, value in zip(names, saved):
            setattr(sequence_blocks, name, value)
    assert [tuple(m) for m in actual] == [tuple(m) for m in expected]


def long_real_files() -> list[str]:
    """Real files with long query runs full of licence words (where the array path is taken)."""
    names = [
        "licensedcode/match.py",
        "licensedcode/index.py",
        "licensedcode/detection.py",
        "license_expression/__init__.py",
        "packagedcode/pypi.py",
    ]
    return [str(SITE_PACKAGES / n) for n in names if (SITE_PACKAGES / n).exists()]


@pytest.mark.slow
def test_licences_identical_with_and_without_the_fast_paths():
    from licenselens.scancode.patches import candidates

    candidates.install()
    files = long_real_files()
    assert len(files) >= 4
    expected = licences_without([sequence_blocks, query_runs], files)
    assert licences(files) == expected
    assert any('"license_detections": [{' in r for r in expected)


def longest_by_brute_force(a, b, b2j, matchables, alo, ahi, blo, bhi):
    """The longest run of equal, matchable legalese tokens in a[alo:ahi] x b[blo:bhi], earliest in a then b."""
    best = (alo, blo, 0)
    for i in range(alo, ahi):
        for j in range(blo, bhi):
            size = 0
            while (
                i + size < ahi
                and j + size < bhi
                and a[i + size] < LEN_GOOD
                and i + size in matchables
                and j + size in b2j.get(a[i + size], ())
            ):
                size += 1
            if size > best[2]:
                best = (i, j, size)
    return best


@settings(max_examples=1000, deadline=None)
@given(alignments(), st.sampled_from(SEARCH_SETTINGS), st.data())
def test_longest_run_in_any_region_is_the_brute_force_one(case, search_settings, data):
    a, b, start, end, b2j, matchables = case
    alo = data.draw(st.integers(start, end))
    ahi = data.draw(st.integers(alo, end))
    blo = data.draw(st.integers(0, len(b)))
    bhi = data.draw(st.integers(blo, len(b)))
    names = ("FEW_RUNS", "RESELECT_SLACK", "MANY_RUNS")
    saved = [getattr(sequence_blocks, n) for n in names]
    for name, value in zip(names, search_settings):
        setattr(sequence_blocks, name, value)
    try:
        with query_scope():
            runs = sequence_blocks.DiagonalRuns(a, start, end, b2j, LEN_GOOD, matchables)
            found, _ = runs.longest(None, alo, ahi, blo, bhi)
    finally:
        for name, value in zip(names, saved):
            setattr(sequence_blocks, name, value)
    expected = longest_by_brute_force(a, b, b2j, matchables, alo, ahi, blo, bhi)
    assert found == expected if expected[2] else found[2] == 0


def test_a_clipped_longer_run_and_a_single_token_run_tie_to_the_earliest():
    a, b = [0, 0, 9, 1], [0, 0, 1]
    b2j = {0: [0, 1], 1: [2]}
    matchables = intbitset(range(len(a)))
    saved = sequence_blocks.MANY_RUNS
    sequence_blocks.MANY_RUNS = 0  # the path that keeps single-token runs apart
    try:
        runs = sequence_blocks.DiagonalRuns(a, 0, len(a), b2j, LEN_GOOD, matchables)
        # the two-token run at (0, 0) is clipped to (1, 1); the single-token run at (1, 0) is earlier in b
        assert runs.longest(None, 1, 4, 0, 3)[0] == (1, 0, 1)
    finally:
        sequence_blocks.MANY_RUNS = saved
    assert longest_by_brute_force(a, b, b2j, matchables, 1, 4, 0, 3) == (1, 0, 1)
