"""Per-chain alignment: blocks are the passages at least as similar as the threshold, never less."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import Levenshtein

from licenselens.overlap.align import Units, blocks


def _words(n: int, seed: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.randrange(10_000) for _ in range(n)]


def test_a_substitution_every_fifth_token_is_one_block_of_0_8():
    source = _words(100, 1)
    copy = [t if i % 5 != 4 else t + 1 for i, t in enumerate(source)]
    (block,) = blocks(Units(copy), Units(source), 0.8, 13, 4)
    assert (block.out_start, block.out_end, block.source_start, block.source_end) == (0, 99, 0, 99)
    assert block.similarity >= 0.8


def test_a_substitution_every_fourth_token_is_no_block():
    source = _words(100, 2)
    copy = [t if i % 4 != 3 else t + 1 for i, t in enumerate(source)]
    assert blocks(Units(copy), Units(source), 0.8, 13, 4) == []


def test_a_copy_inside_other_text_is_cut_at_its_ends():
    """Margins of unrelated tokens around a copy are not part of its block, even where the alignment pairs
    a few of their tokens by chance."""
    source, copy = _words(60, 3), _words(60, 3)
    for i in range(6, 60, 7):
        copy[i] += 1
    before, after = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [11, 12, 13, 1, 2, 14, 15]
    (block,) = blocks(Units(before + copy + after), Units([5, 6] + source + [1, 2, 3]), 0.8, 13, 4)
    assert (block.out_start, block.out_end, block.source_start, block.source_end) == (10, 70, 2, 62)


def test_two_copies_in_one_region_are_two_blocks():
    a, b = _words(40, 4), _words(40, 5)
    out = a + _words(30, 6) + b
    found = blocks(Units(out), Units(a + b), 0.8, 13, 4)
    assert [(x.out_start, x.out_end, x.source_start, x.source_end) for x in found] == [
        (0, 40, 0, 40),
        (70, 110, 40, 80),
    ]


def test_a_block_too_short_alone_grows_across_a_dip_while_it_stays_similar_enough():
    """Two copied stretches with a run of edits between: each alone is too short for the length rule, together
    they are one block at least 0.8 similar; without a length rule they stay two tight blocks."""
    source = _words(70, 7)
    copy = list(source)
    for i in range(30, 42):
        copy[i] += 1  # twelve edits in a row: the loose stretch stops there
    tight = blocks(Units(copy), Units(source), 0.8, 13, 4)
    assert [(b.out_start, b.out_end) for b in tight] == [(0, 30), (42, 70)]
    (grown,) = blocks(Units(copy), Units(source), 0.8, 13, 4, lambda a, b: b - a >= 50)
    assert (grown.out_start, grown.out_end, grown.source_start, grown.source_end) == (0, 70, 0, 70)
    assert grown.similarity == round(Levenshtein.normalized_similarity(copy, source), 4) >= 0.8


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 5), max_size=60), st.lists(st.integers(0, 5), max_size=60), st.sampled_from([0.7, 0.8]))
def test_every_block_is_at_least_as_similar_as_the_threshold_by_rapidfuzz(out, src, threshold):
    for block in blocks(Units(out), Units(src), threshold, 5, 4):
        similarity = Levenshtein.normalized_similarity(
            out[block.out_start : block.out_end], src[block.source_start : block.source_end]
        )
        assert block.similarity == round(similarity, 4) >= threshold - 1e-9
        assert block.out_end - block.out_start >= 5


def test_consistent_identifier_renames_count_as_matches_and_inconsistent_ones_do_not():
    # def area(w, h): return w * h ... as units: keywords and operators' words as keys, identifiers named
    keys = [1, 100, 101, 102, 2, 101, 102, 3, 100, 101, 101, 2, 101, 4, 102, 102, 5, 6, 100, 101, 102]
    names = [None, "area", "w", "h", None, "w", "h", None, "area", "w", "w", None, "w", None, "h", "h", None, None]
    names += ["area", "w", "h"]
    source = Units(keys, names)
    renamed = Units([k if n is None else k + 500 for k, n in zip(keys, names)], [n and n.upper() for n in names])
    (block,) = blocks(renamed, source, 0.8, 13, 4)
    assert (block.similarity, block.method) == (1.0, "code-identifiers")
    swapped = [{"w": "H", "h": "W"}.get(n, n and n.upper()) if i > 10 else n and n.upper() for i, n in enumerate(names)]
    (block,) = blocks(Units(renamed.keys, swapped), source, 0.6, 13, 4)
    assert block.similarity < 0.9  # w and h swap roles half way: those are edits, not a renaming
