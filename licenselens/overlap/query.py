"""Checking a model output against an overlap index: maximal verbatim spans, near copies, a verdict.

Every n-gram of the output is looked up in every shard's sorted postings
(binary search on memory-mapped arrays); a hit gives a source document and a
diagonal (source position minus output position). Each diagonal is extended
to its maximal run of equal tokens, compared as strings (hash collisions
cannot make a span); a run of at least ``n`` tokens is a span, unless another
occurrence contains it strictly (then it is not maximal).
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from functools import lru_cache

import numpy as np
import pyarrow.parquet as pq

from ..detectors.anchors import lowered
from ..rules import load_yaml
from ..types import NearMatch, OutputResult, Span, SpanSource
from .build import FORMAT_VERSION
from .hashing import ngram_hashes, token_hashes
from .near import near_matches
from .verdict import verdict

PRECISION_AT = (25, 50)  # besides the index's n


class IndexOpenError(ValueError):
    pass


class _Shard:
    def __init__(self, directory: str):
        self.directory = directory
        self.postings = np.load(os.path.join(directory, "postings.npy"), mmap_mode="r")
        self.hashes = self.postings["hash"]
        self.offsets = np.load(os.path.join(directory, "offsets.npy"))
        self.docs = pq.read_table(os.path.join(directory, "docs.parquet")).to_pylist()
        self.tokens = np.load(os.path.join(directory, "tokens.npy"), mmap_mode="r")
        self.token_offsets = np.load(os.path.join(directory, "token_offsets.npy"))
        self._texts = open(os.path.join(directory, "texts.bin"), "rb")

    def token_hashes(self, doc: int) -> np.ndarray:
        return self.tokens[self.token_offsets[doc]:self.token_offsets[doc + 1]]

    def text(self, doc: int) -> str:
        import zstandard

        start, end = int(self.offsets[doc]), int(self.offsets[doc + 1])
        self._texts.seek(start)
        return zstandard.ZstdDecompressor().decompress(self._texts.read(end - start)).decode("utf-8", "surrogatepass")


class _Tokens:
    """A text's tokens: offsets, hashes and lowercased strings."""

    def __init__(self, text: str):
        self.text = text
        self.low = lowered(text)
        self.starts, self.ends, self.hashes = token_hashes(self.low)
        self.short = self.hashes.astype(np.uint32)  # as the index stores them

    def token(self, i: int) -> str:
        return self.low[self.starts[i]:self.ends[i]]


class OverlapIndex:
    """An index opened once; ``check`` is safe to call many times (not from several threads at once)."""

    def __init__(self, path: str):
        manifest_path = os.path.join(path, "manifest.json")
        try:
            with open(manifest_path, encoding="utf-8") as fh:
                self.manifest = json.load(fh)
        except (OSError, ValueError) as exc:
            raise IndexOpenError(f"{path}: not a licenselens index ({exc})") from exc
        if self.manifest.get("format_version") != FORMAT_VERSION:
            raise IndexOpenError(f"{path}: index format {self.manifest.get('format_version')}, "
                                 f"this licenselens reads {FORMAT_VERSION}: rebuild it")
        self.n, self.gram = self.manifest["n"], self.manifest["gram"]
        self.shards = [_Shard(os.path.join(path, "shards", s["name"])) for s in self.manifest["shards"]]
        self.rules = load_yaml("overlap.yaml")
        self.licenses = self._corpus_licenses(path)
        self._source_tokens = lru_cache(maxsize=256)(self._load_source)

    @staticmethod
    def _corpus_licenses(path: str) -> dict[tuple[str, str], str]:
        file = os.path.join(path, "licenses.parquet")
        if not os.path.exists(file):
            return {}
        rows = pq.read_table(file).to_pylist()
        return {(r["dataset"], r["doc_id"]): r["license_expression_spdx"] or r["declared_license"] for r in rows}

    def _load_source(self, shard: int, doc: int) -> _Tokens:
        return _Tokens(self.shards[shard].text(doc))

    def _meta(self, shard: int, doc: int) -> dict:
        meta = self.shards[shard].docs[doc]
        return {**meta, "license": self.licenses.get((meta["dataset"], meta["doc_id"])) or meta["license"]}

    def _seeds(self, grams: np.ndarray) -> dict[tuple[int, int], dict[int, int]]:
        """(shard, doc) -> {diagonal: n-gram hits on it}; a diagonal is source position minus output position."""
        limit = self.rules["max_hits_per_ngram"]
        seeds: dict[tuple[int, int], dict[int, int]] = defaultdict(dict)
        for s, shard in enumerate(self.shards):
            if not len(shard.hashes):
                continue
            left = np.searchsorted(shard.hashes, grams, "left")
            right = np.minimum(np.searchsorted(shard.hashes, grams, "right"), left + limit)
            found = np.flatnonzero(right > left)
            if not len(found):
                continue
            counts = (right - left)[found]
            # every posting row of every found n-gram, without a Python loop over hits
            rows = np.repeat(left[found] - np.concatenate(([0], np.cumsum(counts)[:-1])), counts) + \
                np.arange(int(counts.sum()))
            out_pos = np.repeat(found, counts)
            docs = np.asarray(shard.postings["doc"][rows], dtype=np.int64)
            diagonals = np.asarray(shard.postings["pos"][rows], dtype=np.int64) - out_pos
            pairs, hits = np.unique(np.stack([docs, diagonals], axis=1), axis=0, return_counts=True)
            for (doc, diagonal), count in zip(pairs.tolist(), hits.tolist()):
                seeds[(s, doc)][diagonal] = count
        return seeds

    def _runs(self, out: _Tokens, source: np.ndarray, diagonal: int) -> list[tuple[int, int]]:
        """Maximal runs of at least n equal token hashes on one diagonal: (out_start, out_end)."""
        lo, hi = max(0, -diagonal), min(len(out.short), len(source) - diagonal)
        if hi - lo < self.n:
            return []
        equal = out.short[lo:hi] == source[lo + diagonal:hi + diagonal]
        edges = np.flatnonzero(np.diff(np.concatenate(([False], equal, [False])).astype(np.int8)))
        return [(a, b) for a, b in zip((edges[0::2] + lo).tolist(), (edges[1::2] + lo).tolist()) if b - a >= self.n]

    def _verified(self, out: _Tokens, shard: int, doc: int, diagonal: int, a: int, b: int) -> bool:
        """The tokens of a run, compared as strings with the source text: no hash collision makes a span."""
        src = self._source_tokens(shard, doc)
        if out.low[out.starts[a]:out.ends[b - 1]] == src.low[src.starts[a + diagonal]:src.ends[b - 1 + diagonal]]:
            return True  # the same text, so the same tokens
        return all(out.token(i) == src.token(i + diagonal) for i in range(a, b))

    def check(self, text: str, output_id: str = "-") -> OutputResult:
        out = _Tokens(text)
        grams = ngram_hashes(out.hashes, self.gram)
        diagonals = self._seeds(grams) if len(grams) else {}
        occurrences: dict[tuple[int, int], list[tuple[int, int, int]]] = defaultdict(list)
        for (shard, doc), hits in sorted(diagonals.items()):
            source = self.shards[shard].token_hashes(doc)
            for diagonal in sorted(hits):
                for a, b in self._runs(out, source, diagonal):
                    occurrences[(a, b)].append((shard, doc, diagonal))
        spans = self._maximal_spans(out, occurrences)
        occurrences = {iv: where for iv, where in occurrences.items() if where}
        longest_tokens = max((s.tokens for s in spans), default=0)
        # an output that is verbatim already needs no search for near copies (the costly part)
        near = near_matches(self, out, diagonals, self.rules) \
            if longest_tokens < self.rules["verbatim"]["min_span_tokens"] else []
        coverage, precision = _coverage(len(out.hashes), list(occurrences), sorted({self.n, *PRECISION_AT}))
        longest = max(spans, key=lambda s: (s.tokens, s.chars), default=None)
        result = OutputResult(
            id=output_id, verdict="", tokens=len(out.hashes), chars=len(text),
            longest_span_tokens=longest.tokens if longest else 0,
            longest_span_chars=max((s.chars for s in spans), default=0),
            coverage=coverage, precision=precision, spans=tuple(spans), near=tuple(near),
        )
        return OutputResult(**{**result.__dict__, "verdict": verdict(result, self.rules)})

    def _maximal_spans(self, out: _Tokens, occurrences) -> list[Span]:
        """Runs that no other run contains; each listed source is checked against its text.

        Sources beyond the listed ones are counted by their 32-bit token hashes
        (a false one needs n consecutive collisions). A run whose listed sources
        all fail the text check is dropped (and with it its occurrences).
        """
        limit = self.rules["max_sources_per_span"]
        verified: dict[tuple[int, int], list] = {}
        for interval in sorted(occurrences):
            good, unchecked = [], 0
            for occurrence in sorted(occurrences[interval]):
                if len(good) >= limit:
                    unchecked += 1
                elif self._verified(out, *occurrence, *interval):
                    good.append(occurrence)
            if good:
                verified[interval] = (good, len(good) + unchecked)
            occurrences[interval] = good
        intervals = sorted(verified)
        maximal = [iv for iv in intervals
                   if not any(o != iv and o[0] <= iv[0] and iv[1] <= o[1] for o in intervals)]
        spans = []
        for a, b in maximal:
            where, count = verified[(a, b)]
            sources = []
            for shard, doc, diagonal in where:
                src = self._source_tokens(shard, doc)
                meta = self._meta(shard, doc)
                sources.append(SpanSource(meta["dataset"], meta["doc_id"], meta["origin"], meta["url"], meta["path"],
                                          meta["license"], int(src.starts[a + diagonal]),
                                          int(src.ends[b - 1 + diagonal])))
            start, end = int(out.starts[a]), int(out.ends[b - 1])
            spans.append(Span(start, end, b - a, end - start, tuple(sources), count))
        return spans


def _coverage(tokens: int, intervals: list[tuple[int, int]], sizes: list[int]) -> tuple[float, dict[str, float]]:
    """Share of tokens inside spans; for each n, share of the output's n-grams inside one span.

    Exact for n at least the index's n, since every shared span that long is found.
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
    coverage = float(np.count_nonzero(np.cumsum(covered)[:tokens] > 0) / tokens)
    precision = {}
    for n in sizes:
        count = tokens - n + 1
        precision[str(n)] = round(float(np.count_nonzero(reach[:count] >= np.arange(count) + n) / count), 6) \
            if count > 0 else 0.0
    return round(coverage, 6), precision


__all__ = ["OverlapIndex", "IndexOpenError", "NearMatch"]
