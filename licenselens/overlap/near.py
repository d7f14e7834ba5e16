"""Near-verbatim copies: the closest passages of the source documents that share n-grams with an output.

Candidates are the documents with most n-gram hits (an edited copy keeps exact
runs between its edits). Within each, datasketch MinHash over token shingles
picks, among the placements of the output over the source (the diagonals with
hits), the passage most like the output; rapidfuzz then gives the token-level
edit similarity (normalised Levenshtein) of the output and that passage.

The placements of one document overlap (nearby diagonals), so each source
shingle is hashed once per document, not once per placement: hashing shingles
one by one in Python was most of the time of checking an edited output.
"""

from __future__ import annotations

import hashlib
import struct
from functools import cache
from itertools import accumulate

from rapidfuzz.distance import Levenshtein

from licenselens.types.overlap import NearMatch


@cache
def _template(permutations: int):
    """A MinHash with the permutations every sketch here uses (seed 1), and its shingle hash function."""
    from datasketch import MinHash

    return MinHash(num_perm=permutations, seed=1)


def preload(rules: dict) -> None:
    """Import datasketch and make the sketches' permutations now (about half a second), not in a check."""
    _template(rules["near_search"]["minhash_permutations"])


def _shingle_values(words: list[str], size: int, permutations: int) -> list[int]:
    """The MinHash's hash of each shingle of ``size`` words (" ".join(shingle).encode()).

    With datasketch's sha1_hash32 the shingles are cut from the encoded text
    of all the words instead of joined one by one: the same bytes, the same
    values, a third less time (this is most of the search for near copies).
    """
    from datasketch.hashfunc import sha1_hash32

    hashfunc = _template(permutations).hashfunc
    if hashfunc is not sha1_hash32:
        return [hashfunc(" ".join(words[j : j + size]).encode()) for j in range(len(words) - size + 1)]
    joined = " ".join(words)
    text = joined.encode()
    lengths = map(len, words) if joined.isascii() else (len(word.encode()) for word in words)
    offsets = [0, *accumulate(length + 1 for length in lengths)]  # where each word starts in text
    sha1, first_four = hashlib.sha1, struct.Struct("<I").unpack_from
    return [first_four(sha1(text[a : b - 1]).digest())[0] for a, b in zip(offsets, offsets[size:])]


def _identity(value):
    return value


def _sketch(values: list[int], permutations: int):
    """The MinHash of shingles given by their hash values: the same as updating one with the shingles."""
    from datasketch import MinHash

    template = _template(permutations)
    sketch = MinHash(
        num_perm=permutations, seed=1, hashfunc=_identity, permutations=template.permutations, scheme=template.scheme
    )
    sketch.update_batch(values)
    return sketch


class _Shingles:
    """Token strings and shingle hash values of stretches of a text's tokens, each computed once."""

    def __init__(self, tokens, size: int, permutations: int, ranges: list[tuple[int, int]]):
        """``ranges``: the [start, end) token ranges that will be asked for."""
        self.size = size
        self.hash = _template(permutations).hashfunc
        merged: list[list[int]] = []
        for start, end in sorted(ranges):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        low, starts, ends = tokens.low, tokens.starts, tokens.ends
        self.segments = []  # (start, end, words, shingle hash values), overlapping ranges merged
        for start, end in merged:
            words = [low[a:b] for a, b in zip(starts[start:end].tolist(), ends[start:end].tolist())]
            values = _shingle_values(words, size, permutations)
            self.segments.append((start, end, words, values))

    def _segment(self, start: int, end: int):
        for segment in self.segments:
            if segment[0] <= start and end <= segment[1]:
                return segment
        raise KeyError((start, end))

    def words(self, start: int, end: int) -> list[str]:
        first, _, words, _ = self._segment(start, end)
        return words[start - first : end - first]

    def values(self, start: int, end: int) -> list[int]:
        """Hash values of the shingles of tokens [start, end), as the set of " ".join(shingle) would give."""
        first, _, words, values = self._segment(start, end)
        if end - start < self.size:  # one shingle: all the tokens there are
            return [self.hash(" ".join(words[start - first : end - first]).encode())]
        return values[start - first : end - self.size + 1 - first]


def near_matches(index, out, diagonals: dict, rules: dict) -> list[NearMatch]:
    """``diagonals``: doc -> {diagonal: n-gram hits on it}."""
    settings = rules["near_search"]
    if not len(out.hashes) or not diagonals:
        return []
    size, permutations = settings["shingle_tokens"], settings["minhash_permutations"]
    length = len(out.hashes)
    out_shingles = _Shingles(out, size, permutations, [(0, length)])
    out_words = out_shingles.words(0, length)
    out_sketch = _sketch(out_shingles.values(0, length), permutations)
    ranked = sorted(diagonals.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))[: settings["candidates"]]
    found = []
    for doc, hits in ranked:
        src = index._source_tokens(doc)
        # the output laid over the source at each diagonal with hits: the one most like it by MinHash
        starts = [
            min(max(0, diagonal), max(0, len(src) - 1))
            for diagonal in sorted(hits, key=lambda d: (-hits[d], d))[: settings["windows"]]
        ]
        shingles = _Shingles(src, size, permutations, [(start, min(len(src), start + length)) for start in starts])
        best: tuple[float, int] | None = None
        for start in starts:
            score = out_sketch.jaccard(_sketch(shingles.values(start, min(len(src), start + length)), permutations))
            if best is None or score > best[0]:
                best = (score, start)
        assert best is not None  # hits name at least one diagonal
        score, start = best
        end = min(len(src), start + length)
        similarity = Levenshtein.normalized_similarity(out_words, shingles.words(start, end))
        meta = index.meta(doc)
        found.append(
            NearMatch(
                meta["dataset"],
                meta["doc_id"],
                meta["origin"],
                meta["license"],
                similarity=round(similarity, 4),
                jaccard=round(score, 4),
                start_char=int(out.starts[0]),
                end_char=int(out.ends[length - 1]),
                source_start_char=int(src.starts[start]),
                source_end_char=int(src.ends[end - 1]),
            )
        )
    return sorted(found, key=lambda m: (-m.similarity, m.dataset, m.doc_id))
