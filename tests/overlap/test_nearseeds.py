"""Seeds of the near-copy search: sampled by content, never across documents, found exactly."""

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from licenselens.overlap.hashing import ngram_hashes
from licenselens.overlap.nearseeds import hits_at, seed_keys, seed_lookup, shard_seeds


def _brute_seeds(docs: list[list[int]], size: int, sampling: int) -> list[tuple[int, int]]:
    """(32-bit key, global position) of every kept window inside one document, sorted."""
    found, base = [], 0
    for doc in docs:
        for i in range(len(doc) - size + 1):
            h = int(ngram_hashes(np.array(doc[i : i + size], dtype=np.uint64), size)[0])
            if h % sampling == 0:
                found.append((h >> 32, base + i))
        base += len(doc)
    return sorted(found)


def seed_hits(seeds, corpus_tokens, out, size, sampling, limit):
    """(output positions, source positions) of the seeds an output shares with one seed table (one part)."""
    positions, keys = seed_keys(out, size, sampling)
    if not len(keys) or not len(seeds):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    left, right = seed_lookup(seeds, keys)
    return hits_at(seeds, corpus_tokens, out, positions, left, np.minimum(right - left, limit), size)


documents = st.lists(st.lists(st.integers(0, 6), min_size=0, max_size=12), min_size=1, max_size=6)


@settings(max_examples=60, deadline=None)
@given(documents, st.integers(2, 4), st.sampled_from([1, 2, 3]))
def test_seed_table_is_every_sampled_window_inside_a_document(docs, size, sampling):
    tokens = np.array([t for d in docs for t in d], dtype=np.uint32)
    offsets = np.concatenate(([0], np.cumsum([len(d) for d in docs]))).astype(np.int64)
    table = shard_seeds(tokens, offsets, size, sampling)
    assert [(int(v) >> 32, int(v) & 0xFFFFFFFF) for v in table] == _brute_seeds(docs, size, sampling)


@settings(max_examples=60, deadline=None)
@given(documents, st.lists(st.integers(0, 6), min_size=0, max_size=15), st.integers(1, 3))
def test_hits_are_every_shared_sampled_seed_up_to_the_limit(docs, out, limit):
    size, sampling = 3, 2
    tokens = np.array([t for d in docs for t in d], dtype=np.uint32)
    offsets = np.concatenate(([0], np.cumsum([len(d) for d in docs]))).astype(np.int64)
    table = shard_seeds(tokens, offsets, size, sampling)
    out_pos, src_pos = seed_hits(table, tokens, np.array(out, dtype=np.uint32), size, sampling, limit)
    expected = []
    stored = _brute_seeds(docs, size, sampling)
    for i in range(len(out) - size + 1):
        h = int(ngram_hashes(np.array(out[i : i + size], dtype=np.uint64), size)[0])
        if h % sampling:
            continue
        places = [p for key, p in stored if key == h >> 32][:limit]  # the first ones, by position
        expected += [(i, p) for p in places if list(tokens[p : p + size]) == out[i : i + size]]
    assert sorted(zip(out_pos.tolist(), src_pos.tolist())) == sorted(expected)


def test_a_seed_with_equal_key_but_other_tokens_is_no_hit():
    """32-bit keys may collide; the tokens decide."""
    tokens = np.array([1, 2, 3, 4, 5, 6, 7, 8], dtype=np.uint32)
    offsets = np.array([0, 8])
    table = shard_seeds(tokens, offsets, 2, 1)
    forged = ((table >> np.uint64(32)) << np.uint64(32)) | ((table & np.uint64(0xFFFFFFFF)) + np.uint64(1)) % np.uint64(
        7
    )
    # every key now points at other tokens
    out = np.array([1, 2, 3], dtype=np.uint32)
    assert len(seed_hits(table, tokens, out, 2, 1, 10)[0]) == 2
    assert len(seed_hits(forged, tokens, out, 2, 1, 10)[0]) == 0


def test_a_seed_of_the_highest_key_is_found():
    """Key 2**32 - 1: the end of its rows is the end of the table (no key above it to search for)."""
    from licenselens.overlap.nearseeds import seed_lookup

    table = np.array([(5 << 32) | 1, (0xFFFFFFFF << 32) | 3, (0xFFFFFFFF << 32) | 9], dtype=np.uint64)
    left, right = seed_lookup(table, np.array([0xFFFFFFFF, 5, 6], dtype=np.uint32))
    assert left.tolist() == [1, 0, 1] and right.tolist() == [3, 1, 1]
