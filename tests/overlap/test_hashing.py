import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from licenselens.overlap.hashing import ngram_hashes, token_hashes, winnow

from ..conftest import mencius_paragraphs, shakespeare


def test_equal_tokens_have_equal_hashes_and_distinct_ones_differ_on_real_text():
    for text in (shakespeare().lower(), "".join(mencius_paragraphs())):
        starts, ends, hashes = token_hashes(text)
        seen = {}
        for s, e, h in zip(starts.tolist(), ends.tolist(), hashes.tolist()):
            assert seen.setdefault(text[s:e], h) == h
        assert len(set(seen.values())) == len(seen)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), min_size=0, max_size=300), st.integers(1, 12))
def test_winnowing_keeps_one_position_in_every_window(values, window):
    hashes = np.array(values, dtype=np.uint64)
    kept = winnow(hashes, window)
    assert np.all(np.diff(kept) > 0) if len(kept) else True
    mark = np.zeros(len(hashes), dtype=bool)
    mark[kept] = True
    counts = np.concatenate(([0], np.cumsum(mark)))
    if len(hashes) >= window:
        assert np.all(counts[window:] - counts[:-window] >= 1)
    elif len(hashes):
        assert mark.sum() == 1


def test_ngram_hashes_depend_on_order_and_content():
    _, _, h = token_hashes("a b c d a b c d b a c d")
    grams = ngram_hashes(h, 4)
    assert grams[0] == grams[4] and grams[0] != grams[8] and len(grams) == 9
    assert len(ngram_hashes(h[:3], 4)) == 0
