"""The fast candidate selection must give exactly what ScanCode's own function gives."""

from __future__ import annotations

import random

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from licensedcode import match_set
from licensedcode.cache import get_index
from licensedcode.query import build_query

from licenselens.scancode.patches import candidates

from ...conftest import SITE_PACKAGES, scancode_licence_text


def real_files(count: int, seed: int = 7) -> list[str]:
    pool = sorted(str(p) for p in (SITE_PACKAGES / "pip").rglob("*.py"))
    pool += sorted(str(p) for p in SITE_PACKAGES.glob("*.dist-info/*LICENSE*"))
    pool += sorted(str(p) for p in SITE_PACKAGES.glob("*.dist-info/licenses/*"))
    random.Random(seed).shuffle(pool)
    picked = pool[:count]
    picked += [str(scancode_licence_text(k)) for k in ("apache-2.0", "gpl-3.0", "bsd-new", "mpl-2.0")]
    return picked


def summary(cands):
    return [(rid, tuple(sv1), tuple(sv2)) for (sv1, sv2), rid, _rule, _inter in cands]


@pytest.mark.slow
def test_candidates_identical_to_scancode_on_real_files():
    idx = get_index()
    compared = 0
    for location in real_files(22):
        query = build_query(location=location, idx=idx)
        if query is None:
            continue
        runs = [query.whole_query_run(), *query.query_runs]
        for run in runs:
            for high_resemblance, top in ((True, 10), (False, 70)):
                expected = candidates._original_compute_candidates(
                    run, idx, idx.approx_matchable_rids, top=top, high_resemblance=high_resemblance
                )
                actual = candidates.compute_candidates(
                    run, idx, idx.approx_matchable_rids, top=top, high_resemblance=high_resemblance
                )
                assert summary(actual) == summary(expected), location
                compared += 1
    assert compared > 50


def test_install_replaces_scancode_function():
    candidates.install()
    assert match_set.compute_candidates is candidates.compute_candidates


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.integers(0, 4000).flatmap(lambda n: st.integers(1, 5000).map(lambda d: n / d)),  # ScanCode's ratios
            st.integers(0, 20000).map(lambda k: k / 20),  # halves (x.x5) and whole tenths
            st.floats(0, 1000, allow_nan=False),
        ),
        min_size=1,
        max_size=50,
    )
)
def test_arrays_round_as_python_rounds(values):
    import numpy as np

    assert candidates._round1(np.array(values, dtype=np.float64)).tolist() == [round(v, 1) for v in values]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(1, 60), st.integers(0, 80)), min_size=1, max_size=120),
    st.integers(1, 100),
    st.booleans(),
    st.integers(1, 30),
)
@example([(0, 6), (0, 5), (3, 5)], 10, False, 5)  # no shared token: equal vectors of two lengths, rid decides
def test_ranking_on_arrays_is_pythons_sort_of_score_vectors(pairs, query_length, high_resemblance, limit):
    import numpy as np

    rows = [(min(m, length), length, rid) for rid, (m, length) in enumerate((m, max(length, 1)) for m, length in pairs)]
    expected = sorted(
        ((candidates._scores(m, length, query_length, 0.8), rid) for m, length, rid in rows), reverse=True
    )
    if high_resemblance:
        expected = [(s, rid) for s, rid in expected if s[0].is_highly_resemblant and s[1].is_highly_resemblant]
    actual = candidates._ranked(
        np.array([r[2] for r in rows], dtype=np.int64),
        np.array([r[0] for r in rows], dtype=np.int64),
        np.array([r[1] for r in rows], dtype=np.int64),
        query_length,
        0.8,
        high_resemblance,
        limit,
    )
    assert actual == expected[:limit]
    # the same types too (bool, float, int): ScanCode's callers compare and print them
    assert [type(v) for s, _ in actual for vector in s for v in vector] == [
        type(v) for s, _ in expected[:limit] for vector in s for v in vector
    ]


def _same_postings(a, b) -> bool:
    import numpy as np

    return (a.n_rules, a.n_tokens, a.len_legalese) == (b.n_rules, b.n_tokens, b.len_legalese) and all(
        getattr(a, name).dtype == getattr(b, name).dtype and np.array_equal(getattr(a, name), getattr(b, name))
        for name in candidates._ARRAYS
    )


def test_postings_written_to_the_cache_folder_are_read_back_as_built(tmp_path, monkeypatch):
    idx = get_index()
    path = tmp_path / "postings.npz"
    built = candidates.RulePostings.build(idx)
    built.save(path)
    assert _same_postings(candidates.RulePostings.load(path, idx), built)
    # ScanCode's cached index: a new process reads them from the cache folder instead of building them
    monkeypatch.setattr(candidates, "_stored_path", lambda i: path if i is idx else None)
    monkeypatch.setattr(candidates, "_postings", {})
    monkeypatch.setattr(candidates.RulePostings, "build", None)  # would fail if called
    assert _same_postings(candidates.postings_for(idx), built)


def test_damaged_or_foreign_postings_are_built_again(tmp_path, monkeypatch):
    idx = get_index()
    path = tmp_path / "postings.npz"
    path.write_bytes(b"PK\x03\x04 cut short")
    assert candidates.RulePostings.load(path, idx) is None
    candidates.RulePostings.build(idx).save(path)
    monkeypatch.setattr(idx, "len_legalese", idx.len_legalese + 1)  # another index than the one written
    assert candidates.RulePostings.load(path, idx) is None


def test_the_postings_of_scancodes_index_are_kept_beside_the_index_facts():
    from licenselens.cachedir import cache_dir
    from licenselens.scancode.licensedb import index_version

    path = candidates._stored_path(get_index())
    assert path is not None and path.parent == cache_dir() and index_version() in path.name
    assert candidates._stored_path(object()) is None  # any other index object: built, never stored
