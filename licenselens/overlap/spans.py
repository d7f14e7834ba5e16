"""From runs to maximal verbatim spans: which runs no other contains, each checked against the source text.

A run is a span unless another run contains it strictly. Only the runs that
can still be spans are checked against their text: the longest first, and a
run inside a span already found is not looked at. (Checking every run first
would give the same spans: a run inside a checked one is never maximal; but
text that the corpus holds hundreds of times makes hundreds of distinct runs
inside one span, and reading their sources was most of a check's time.)
"""

from __future__ import annotations

from bisect import bisect_right

import numpy as np

from licenselens.overlap.seeds import Runs
from licenselens.types.overlap import Span


def maximal_spans(index, out, runs: Runs, limit: int) -> tuple[list[Span], list[tuple[int, int]]]:
    """Spans, in output order, each listing its first ``limit`` sources that pass the text check; their token
    intervals [start, end).

    ``index`` gives ``verified(out, doc, diagonal, a, b)``, ``source(doc, first, last)``
    (the SpanSource of tokens first to last - 1).
    Sources beyond the listed ones are counted by their 32-bit token hashes (a
    false one needs n consecutive collisions); a run whose listed sources all
    fail the text check is dropped.
    """
    if not len(runs):
        return [], []
    first = np.flatnonzero(
        np.concatenate(([True], (runs.start[1:] != runs.start[:-1]) | (runs.end[1:] != runs.end[:-1])))
    )
    last = np.append(first[1:], len(runs))
    starts, ends = runs.start[first], runs.end[first]
    found_starts: list[int] = []  # spans found so far: none contains another, so ends ascend with starts
    found_ends: list[int] = []
    listed: dict[tuple[int, int], tuple[list, int]] = {}
    first_list, last_list = first.tolist(), last.tolist()
    for k in np.lexsort((starts, starts - ends)).tolist():  # longest first
        a, b = int(starts[k]), int(ends[k])
        j = bisect_right(found_starts, a) - 1
        if j >= 0 and found_ends[j] >= b:
            continue  # inside a span: not maximal, whether or not its text matches
        good: list = []
        unchecked = 0
        for row in range(first_list[k], last_list[k]):
            if len(good) >= limit:
                unchecked = last_list[k] - row
                break
            doc, diagonal = int(runs.doc[row]), int(runs.diagonal[row])
            if index.verified(out, doc, diagonal, a, b):
                good.append((doc, diagonal))
        if good:
            listed[(a, b)] = (good, len(good) + unchecked)
            place = bisect_right(found_starts, a)
            found_starts.insert(place, a)
            found_ends.insert(place, b)
    spans = []
    for a, b in sorted(listed):
        where, count = listed[(a, b)]
        sources = [index.source(doc, a + diagonal, b + diagonal) for doc, diagonal in where]
        start, end = int(out.starts[a]), int(out.ends[b - 1])
        spans.append(Span(start, end, b - a, end - start, tuple(sources), count))
    return spans, sorted(listed)


def coverage(tokens: int, intervals: list[tuple[int, int]], sizes: list[int]) -> tuple[float, dict[str, float]]:
    """Share of tokens inside spans; for each n, share of the output's n-grams inside one span.

    Exact for n at least the index's n, since every shared span that long is
    found; runs inside spans change neither figure, so the spans suffice.
    """
    if not tokens:
        return 0.0, {str(n): 0.0 for n in sizes}
    reach = np.full(tokens, -1, dtype=np.int64)  # furthest end of a span starting at or before i
    covered = np.zeros(tokens + 1, dtype=np.int64)
    for a, b in intervals:
        reach[a] = max(reach[a], b)
        covered[a] += 1
        covered[b] -= 1
    reach = np.maximum.accumulate(reach)
    share = float(np.count_nonzero(np.cumsum(covered)[:tokens] > 0) / tokens)
    precision = {}
    for n in sizes:
        count = tokens - n + 1
        precision[str(n)] = (
            round(float(np.count_nonzero(reach[:count] >= np.arange(count) + n) / count), 6) if count > 0 else 0.0
        )
    return round(share, 6), precision
