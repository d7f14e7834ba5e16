"""The fast candidate selection must give exactly what ScanCode's own function gives."""

from __future__ import annotations

import random

import pytest
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
