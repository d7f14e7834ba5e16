"""Near-verbatim copies: the closest passages of the source documents that share n-grams with an output.

Candidates are the documents with most n-gram hits (an edited copy keeps exact
runs between its edits). Within each, datasketch MinHash over token shingles
picks the passage windows most like the output, and rapidfuzz aligns the
output with the best one, giving an edit similarity over the aligned parts.
"""

from __future__ import annotations

from rapidfuzz import fuzz

from ..types import NearMatch


def _shingles(tokens: list[str], size: int) -> set[bytes]:
    return {" ".join(tokens[i:i + size]).encode() for i in range(max(1, len(tokens) - size + 1))}


def _minhash(shingles: set[bytes], permutations: int):
    from datasketch import MinHash

    sketch = MinHash(num_perm=permutations, seed=1)
    sketch.update_batch(list(shingles))
    return sketch


def near_matches(index, out, diagonals: dict, rules: dict) -> list[NearMatch]:
    """``diagonals``: (shard, doc) -> {diagonal: n-gram hits on it}."""
    settings = rules["near_search"]
    if not len(out.hashes) or not diagonals:
        return []
    size, permutations = settings["shingle_tokens"], settings["minhash_permutations"]
    length = len(out.hashes)
    out_sketch = _minhash(_shingles([out.token(i) for i in range(length)], size), permutations)
    ranked = sorted(diagonals.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))[:settings["candidates"]]
    found = []
    for (shard, doc), hits in ranked:
        src = index._source_tokens(shard, doc)
        best = None
        # the output laid over the source at each diagonal with hits: the one most like it by MinHash
        for diagonal in sorted(hits, key=lambda d: (-hits[d], d))[:settings["windows"]]:
            start = min(max(0, diagonal), max(0, len(src.hashes) - 1))
            window = [src.token(i) for i in range(start, min(len(src.hashes), start + length))]
            score = out_sketch.jaccard(_minhash(_shingles(window, size), permutations))
            if best is None or score > best[0]:
                best = (score, start)
        score, start = best
        lo = int(src.starts[max(0, start - length // 2)])
        hi = int(src.ends[min(len(src.hashes), start + length + length // 2) - 1])
        alignment = fuzz.partial_ratio_alignment(out.low, src.low[lo:hi])
        if alignment is None:
            continue
        meta = index._meta(shard, doc)
        found.append(NearMatch(
            meta["dataset"], meta["doc_id"], meta["origin"], meta["license"],
            similarity=round(alignment.score / 100, 4), jaccard=round(score, 4),
            start_char=alignment.src_start, end_char=alignment.src_end,
            source_start_char=lo + alignment.dest_start, source_end_char=lo + alignment.dest_end,
        ))
    return sorted(found, key=lambda m: (-m.similarity, m.dataset, m.doc_id))
