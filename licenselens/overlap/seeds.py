"""The first step of a check: the output's n-gram hits in the index, and the runs of equal tokens through them.

A hit (an output n-gram found among the index's kept n-grams) gives a source
document and a diagonal (source position minus output position). A run is a
maximal stretch of equal token hashes on a diagonal, at least n tokens long,
that contains the whole n-gram of some hit whose tokens are equal too (so a
64-bit n-gram collision alone never makes one). Everything is computed with
numpy over all hits at once: text that the corpus holds thousands of times
gives hundreds of thousands of hits, and a Python loop over them would be
the whole cost of a check.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

EMPTY = np.zeros(0, dtype=np.int64)


@dataclass(frozen=True)
class Runs:
    """Runs as parallel int64 arrays, sorted by (start, end, doc, diagonal); output token offsets [start, end)."""

    start: np.ndarray
    end: np.ndarray
    doc: np.ndarray
    diagonal: np.ndarray

    def __len__(self) -> int:
        return len(self.start)


NO_RUNS = Runs(EMPTY, EMPTY, EMPTY, EMPTY)


def gram_lookup(hashes: np.ndarray, grams: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """[left, right) rows of each n-gram in a part's sorted postings hashes."""
    order = np.argsort(grams)  # sorted needles: each search starts where the last ended (fewer page faults)
    left, right = np.empty(len(grams), dtype=np.int64), np.empty(len(grams), dtype=np.int64)
    left[order] = np.searchsorted(hashes, grams[order], "left")
    right[order] = np.searchsorted(hashes, grams[order], "right")
    return left, right


def runs_at(merged, out: np.ndarray, left: np.ndarray, counts: np.ndarray, n: int, gram: int) -> Runs:
    """The runs seeded by the first ``counts`` postings from row ``left`` of each output n-gram, in one part
    (documents numbered within it)."""
    found = np.flatnonzero(counts > 0)
    if not len(found):
        return NO_RUNS
    counts = counts[found]
    rows = _ranges(left[found], counts)
    out_pos = np.repeat(found, counts)
    docs = np.asarray(merged.postings["doc"][rows], dtype=np.int64)
    local = np.asarray(merged.postings["pos"][rows], dtype=np.int64)
    if n > gram:
        docs, local, out_pos = _flanked(merged, out, docs, local, out_pos, gram)
        if not len(docs):
            return NO_RUNS
    diagonals = local - out_pos
    pair_key = (docs << 32) + diagonals + (1 << 31)  # doc and diagonal in one sortable int64
    order = np.argsort(pair_key, kind="stable")  # hits were made in output order: stays so within a key
    key, pos = pair_key[order], out_pos[order]
    new_key = np.concatenate(([True], key[1:] != key[:-1]))
    return _runs(merged, out, key, pos, new_key, n, gram)


def joined(parts: list[tuple[Runs, int]]) -> Runs:
    """Runs of several parts, each with the number of its part's first document, as one index's runs."""
    parts = [(r, base) for r, base in parts if len(r)]
    if not parts:
        return NO_RUNS
    if len(parts) == 1 and parts[0][1] == 0:
        return parts[0][0]
    a = np.concatenate([r.start for r, _ in parts])
    b = np.concatenate([r.end for r, _ in parts])
    docs = np.concatenate([r.doc + base for r, base in parts])
    diagonals = np.concatenate([r.diagonal for r, _ in parts])
    order = np.lexsort((diagonals, docs, b, a))
    return Runs(a[order], b[order], docs[order], diagonals[order])


def _flanked(merged, out: np.ndarray, docs, local, out_pos, gram: int):
    """The hits whose n-gram has an equal token just before or just after it, on both sides.

    A hit whose neighbours differ on both sides lies in a stretch of at most
    ``gram`` equal tokens, fewer than n (the caller's test): it seeds no run and no other hit's run passes
    through it, so dropping it changes no result (its region, where another
    hit shares it, is then read by growing that hit's stretch). Boilerplate
    outputs have a hundred thousand such hits; two reads each cost far less
    than their regions.
    """
    size = merged.token_offsets[docs + 1] - merged.token_offsets[docs]
    source = merged.token_offsets[docs] + local
    before = (out_pos > 0) & (local > 0)
    before[before] = merged.tokens[source[before] - 1] == out[out_pos[before] - 1]
    after = (out_pos + gram < len(out)) & (local + gram < size)
    after[after] = merged.tokens[source[after] + gram] == out[out_pos[after] + gram]
    keep = np.flatnonzero(before | after)
    return docs[keep], local[keep], out_pos[keep]


def _runs(merged, out: np.ndarray, key, pos, new_key, n: int, gram: int) -> Runs:
    """The runs through hits sorted by (key, output position).

    Hits on one diagonal whose n-grams overlap or touch form a cluster; its
    region (those n-grams and a margin, see ``_regions``) is compared at once,
    not the n + n - gram tokens around every hit. Stretches of equal tokens
    that reach a region's edge are followed beyond it, and joined across the
    gap to the next region of the diagonal when the gap's tokens are equal
    too (each gap is compared once, not once per cluster of the run: a run of
    boilerplate can have hundreds). A joined stretch of at least n tokens is a
    run if the whole n-gram of one of its hits is equal tokens.
    """
    cluster_start = np.flatnonzero(new_key | np.concatenate(([True], pos[1:] - pos[:-1] > gram)))
    sizes = np.diff(np.append(cluster_start, len(key)))
    docs = key[cluster_start] >> 32
    diagonals = (key[cluster_start] & 0xFFFFFFFF) - (1 << 31)
    same_key_next = np.append(key[cluster_start[1:]] == key[cluster_start[:-1]], False)
    region_a, region_b = _regions(
        merged,
        len(out),
        docs,
        diagonals,
        pos[cluster_start],
        pos[cluster_start + sizes - 1] + gram,
        same_key_next,
        n - gram + 1,
    )
    lengths = region_b - region_a
    flat_base = np.concatenate(([0], np.cumsum(lengths)[:-1]))  # each region's place in the flat arrays
    shift = np.repeat(region_a - flat_base, lengths)
    out_index = np.arange(len(shift)) + shift
    source_index = out_index + np.repeat(merged.token_offsets[docs] + diagonals, lengths)
    equal = np.take(merged.tokens, source_index, mode="clip") == np.take(out, out_index, mode="clip")  # in range
    # stretches of equal tokens, cut at region edges
    edge_start = np.zeros(len(equal), dtype=bool)
    edge_start[flat_base] = True
    edge_end = np.zeros(len(equal), dtype=bool)
    edge_end[flat_base + lengths - 1] = True
    begins = equal & ~(np.concatenate(([False], equal[:-1])) & ~edge_start)
    stretch_a = np.flatnonzero(begins)
    if not len(stretch_a):
        return NO_RUNS
    stretch_b = np.flatnonzero(equal & ~(np.concatenate((equal[1:], [False])) & ~edge_end)) + 1
    # a hit seeds the stretch its n-gram is in if all of the n-gram's tokens are equal
    at = np.repeat(flat_base - region_a, sizes) + pos
    stretch = np.searchsorted(stretch_a, at, "right") - 1
    inside = stretch >= 0
    inside[inside] = stretch_b[stretch[inside]] >= at[inside] + gram  # (stretches end at region edges)
    seeded = np.zeros(len(stretch_a), dtype=bool)
    seeded[stretch[inside]] = True
    region = np.searchsorted(flat_base, stretch_a, "right") - 1
    a = stretch_a - flat_base[region] + region_a[region]
    b = stretch_b - flat_base[region] + region_a[region]
    touches_left = stretch_a == flat_base[region]
    touches_right = stretch_b == flat_base[region] + lengths[region]
    # right ends: up to the next region of the diagonal at most (from there on its own stretches go on)
    gap = np.full(len(a), np.iinfo(np.int64).max)
    has_next = same_key_next[region]
    gap[has_next] = region_a[region[has_next] + 1] - b[has_next]
    grow = np.flatnonzero(touches_right)
    b[grow] += _grow(out, merged, docs[region[grow]], diagonals[region[grow]], b[grow], 1, gap[grow])
    joins = np.zeros(len(a), dtype=bool)  # stretch i goes on into stretch i + 1
    joins[:-1] = (
        touches_right[:-1] & has_next[:-1] & (b[:-1] == a[1:]) & (region[1:] == region[:-1] + 1) & touches_left[1:]
    )
    head = np.flatnonzero(~np.concatenate(([False], joins[:-1])))
    tail = np.append(head[1:], len(a)) - 1
    grow = head[touches_left[head]]  # stops before the previous region: else that one would have joined it
    a[grow] -= _grow(
        out,
        merged,
        docs[region[grow]],
        diagonals[region[grow]],
        a[grow] - 1,
        -1,
        np.full(len(grow), np.iinfo(np.int64).max),
    )
    a, b = a[head], b[tail]
    docs, diagonals = docs[region[head]], diagonals[region[head]]
    keep = (b - a >= n) & (np.add.reduceat(seeded, head) > 0)
    a, b, docs, diagonals = a[keep], b[keep], docs[keep], diagonals[keep]
    order = np.lexsort((diagonals, docs, b, a))
    return Runs(a[order], b[order], docs[order], diagonals[order])


def _regions(merged, out_length: int, docs, diagonals, first, end, same_key_next, margin: int):
    """Where to compare tokens for each cluster: its n-grams [first, end) and ``margin`` tokens either side.

    Within both texts, and the regions of one diagonal never overlap. The
    margin decides most runs here: one that goes on past the cluster's
    n-grams for ``margin`` tokens would have had another hit there (winnowing
    keeps an n-gram in every window), unless its n-grams are beyond the
    per-n-gram limit. Comparing a few tokens next to ones just read costs far
    less than a second, scattered, read per cluster.
    """
    lowest = np.maximum(0, -diagonals)
    highest = np.minimum(out_length, merged.token_offsets[docs + 1] - merged.token_offsets[docs] - diagonals)
    a, b = np.maximum(first - margin, lowest), np.minimum(end + margin, highest)
    close = np.flatnonzero(same_key_next[:-1] & (b[:-1] > a[1:]))  # share the gap between them
    cut = (end[close] + first[close + 1]) // 2
    b[close], a[close + 1] = np.minimum(b[close], cut), np.maximum(a[close + 1], cut)
    return a, b


def _ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """starts[0], starts[0] + 1, ..., starts[0] + counts[0] - 1, starts[1], ... without a Python loop."""
    before = np.concatenate(([0], np.cumsum(counts)[:-1]))
    return np.repeat(starts - before, counts) + np.arange(int(counts.sum()))


def _grow(out: np.ndarray, merged, docs, diagonals, edge, direction: int, limit) -> np.ndarray:
    """How many tokens from output position ``edge`` on (direction 1 or -1) are equal to the source's on the
    diagonal, up to ``limit``; all at once.

    The first step looks a few tokens ahead only, where most stretches stop;
    the ones that go on (past n-grams beyond the per-n-gram limit) are followed
    in longer steps.
    """
    base = merged.token_offsets[docs] + diagonals  # source token of output position 0, in the merged array
    if direction == 1:
        room = np.minimum(len(out) - edge, merged.token_offsets[docs + 1] - base - edge)
    else:
        room = np.minimum(edge, edge + diagonals) + 1
    room = np.minimum(room, limit)  # tokens that exist on both sides, within the limit
    grown = np.zeros(len(edge), dtype=np.int64)
    active, chunk = np.flatnonzero(room > 0), 8
    while len(active):
        steps = np.arange(chunk)
        out_index = (edge[active] + direction * grown[active])[:, None] + direction * steps
        equal = np.take(merged.tokens, base[active][:, None] + out_index, mode="clip") == np.take(
            out, out_index, mode="clip"
        )
        equal &= steps < (room[active] - grown[active])[:, None]
        step = np.where(equal.all(axis=1), chunk, np.argmin(equal, axis=1))
        grown[active] += step
        active, chunk = active[step == chunk], 64
    return grown
