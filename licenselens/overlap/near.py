"""Near-verbatim copies: the closest passages of the source documents that share n-grams with an output.

Candidates are the documents with most n-gram hits (an edited copy keeps exact
runs between its edits). Within each, datasketch MinHash over token shingles
picks, among the placements of the output over the source (the diagonals with
hits), the passage most like the output; rapidfuzz then gives the token-level
edit similarity (normalised Levenshtein) of the output and that passage.
"""

from __future__ import annotations

from rapidfuzz.distance import Levenshtein

from ..types import NearMatch


def _shingles(tokens: list[str], size: int) -> set[bytes]:
    return {" ".join(tokens[i:i + size]).encode() for i in range(max(1, len(tokens) - size + 1))}


def _minhash(shingles: set[bytes], permutations: int):
    from datasketch import MinHash

    sketch = MinHash(num_perm=permutations, seed=1)
    sketch.update_batch(list(shingles))
    return sketch


def near_matches(index, out, diagonals: dict, rules: dict) -> list[NearMatch]:
    """``diagonals``: doc -> {diagonal: n-gram hits on it}."""
    settings = rules["near_search"]
    if not len(out.hashes) or not diagonals:
        return []
    size, permutations = settings["shingle_tokens"], settings["minhash_permutations"]
    length = len(out.hashes)
    out_sketch = _minhash(_shingles([out.token(i) for i in range(length)], size), permutations)
    ranked = sorted(diagonals.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))[:settings["candidates"]]
    found = []
    for doc, hits in ranked:
        src = index._source_tokens(doc)
        best = None
        # the output laid over the source at each diagonal with hits: the one most like it by MinHash
        for diagonal in sorted(hits, key=lambda d: (-hits[d], d))[:settings["windows"]]:
            start = min(max(0, diagonal), max(0, len(src) - 1))
            window = [src.token(i) for i in range(start, min(len(src), start + length))]
            score = out_sketch.jaccard(_minhash(_shingles(window, size), permutations))
            if best is None or score > best[0]:
                best = (score, start)
        score, start = best
        end = min(len(src), start + length)
        similarity = Levenshtein.normalized_similarity([out.token(i) for i in range(length)],
                                                       [src.token(i) for i in range(start, end)])
        meta = index._meta(doc)
        found.append(NearMatch(
            meta["dataset"], meta["doc_id"], meta["origin"], meta["license"],
            similarity=round(similarity, 4), jaccard=round(score, 4),
            start_char=int(out.starts[0]), end_char=int(out.ends[length - 1]),
            source_start_char=int(src.starts[start]), source_end_char=int(src.ends[end - 1]),
        ))
    return sorted(found, key=lambda m: (-m.similarity, m.dataset, m.doc_id))
