"""The array alignment must give exactly cyseq's matching blocks, and ScanCode's licences stay the same."""

from __future__ import annotations

import json

import pytest
from cyseq import match_blocks as cyseq_match_blocks
from hypothesis import given, settings
from hypothesis import strategies as st
from intbitset import intbitset

from licenselens.detectors import query_runs, sequence_blocks

from ..conftest import SITE_PACKAGES

LEN_GOOD = 4  # token ids below this are "legalese"


@st.composite
def alignments(draw):
    a = draw(st.lists(st.integers(0, 7), min_size=1, max_size=300))
    b = draw(st.lists(st.integers(0, 7), min_size=1, max_size=40))
    kept = draw(st.sets(st.integers(0, LEN_GOOD - 1)))  # the rule's legalese tokens shared with the query
    b2j = {}
    for j, token in enumerate(b):
        if token in kept:
            b2j.setdefault(token, []).append(j)
    start = draw(st.integers(0, len(a) - 1))
    end = draw(st.integers(start, len(a)))
    matchables = intbitset([i for i in range(len(a)) if draw(st.booleans()) or i % 3])
    return a, b, start, end, b2j, matchables


@settings(max_examples=400, deadline=None)
@given(alignments())
def test_blocks_identical_to_cyseq(case):
    a, b, start, end, b2j, matchables = case
    expected = cyseq_match_blocks(a, b, start, end, b2j, LEN_GOOD, matchables)
    saved = sequence_blocks.SHORT_REGION
    sequence_blocks.SHORT_REGION = 0  # always the array path
    try:
        sequence_blocks.release()
        actual = sequence_blocks.match_blocks(a, b, start, end, b2j, LEN_GOOD, matchables)
    finally:
        sequence_blocks.SHORT_REGION = saved
    assert [tuple(m) for m in actual] == [tuple(m) for m in expected]


def long_real_files() -> list[str]:
    """Real files with long query runs full of licence words (where the array path is taken)."""
    names = ["licensedcode/match.py", "licensedcode/index.py", "licensedcode/detection.py",
             "license_expression/__init__.py", "packagedcode/models.py", "packagedcode/pypi.py"]
    return [str(SITE_PACKAGES / n) for n in names if (SITE_PACKAGES / n).exists()]


@pytest.mark.slow
def test_licences_identical_with_and_without_the_fast_paths():
    from licensedcode.cache import get_index
    from scancode.api import get_licenses

    from licenselens.detectors import candidates

    get_index()
    candidates.install()
    files = long_real_files()
    assert len(files) >= 4

    def run():
        results = [json.dumps(get_licenses(f), sort_keys=True, default=str) for f in files]
        sequence_blocks.release()
        query_runs.release()
        return results

    sequence_blocks.uninstall()
    query_runs.uninstall()
    try:
        expected = run()
    finally:
        sequence_blocks.install()
        query_runs.install()
    assert run() == expected
    assert any('"license_detections": [{' in r for r in expected)
