"""Checking a model output against an overlap index: maximal verbatim spans, near copies, a verdict.

Every n-gram of the output is looked up in the index's sorted postings
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
from ..tokens import token_spans
from ..types import NearMatch, OutputResult, Span, SpanSource
from .build import FORMAT_VERSION
from .hashing import ngram_hashes, token_hashes
from .near import near_matches
from .verdict import verdict

PRECISION_AT = (25, 50)  # besides the index's n


class IndexOpenError(ValueError):
    pass


class _Part:
    """A build shard at query time: its documents' texts and metadata."""

    def __init__(self, directory: str):
        self.offsets = np.load(os.path.join(directory, "offsets.npy"))
        self.docs = pq.read_table(os.path.join(directory, "docs.parquet")).to_pylist()
        self._texts = open(os.path.join(directory, "texts.bin"), "rb")

    def text(self, doc: int) -> str:
        import zstandard

        start, end = int(self.offsets[doc]), int(self.offsets[doc + 1])
        self._texts.seek(start)
        return zstandard.ZstdDecompressor().decompress(self._texts.read(end - start)).decode("utf-8", "surrogatepass")


class _Merged:
    """The whole index's postings and token hashes, memory-mapped; documents by global id."""

    def __init__(self, path: str):
        self.postings = np.load(os.path.join(path, "postings.npy"), mmap_mode="r")
        self.hashes = self.postings["hash"]
        self.tokens = np.load(os.path.join(path, "tokens.npy"), mmap_mode="r")
        self.token_offsets = np.load(os.path.join(path, "token_offsets.npy"))


class _Tokens:
    """A text's tokens: offsets, lowercased strings and (for outputs) hashes.

    Sources need no hashes here: the index stores theirs.
    """

    def __init__(self, text: str, hashed: bool = True):
        self.text = text
        self.low = lowered(text)
        if hashed:
            self.starts, self.ends, self.hashes = token_hashes(self.low)
            self.short = self.hashes.astype(np.uint32)  # as the index stores them
        else:
            self.starts, self.ends = token_spans(self.low)

    def __len__(self) -> int:
        return len(self.starts)

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
        self.parts = [_Part(os.path.join(path, "shards", s["name"])) for s in self.manifest["shards"]]
        self.part_bases = np.cumsum([0] + [s["documents"] for s in self.manifest["shards"]])
        self.merged = _Merged(path)
        self.rules = load_yaml("overlap.yaml")
        self.licenses = self._corpus_licenses(path)
        self._source_tokens = lru_cache(maxsize=256)(self._load_source)
        self._doc_numbers: dict[tuple[str, str], int] | None = None  # built on first source_text

    @staticmethod
    def _corpus_licenses(path: str) -> dict[tuple[str, str], str]:
        file = os.path.join(path, "licenses.parquet")
        if not os.path.exists(file):
            return {}
        rows = pq.read_table(file).to_pylist()
        return {(r["dataset"], r["doc_id"]): r["license_expression_spdx"] or r["declared_license"] for r in rows}

    def _locate(self, doc: int) -> tuple[_Part, int]:
        part = int(np.searchsorted(self.part_bases, doc, "right")) - 1
        return self.parts[part], doc - int(self.part_bases[part])

    def _load_source(self, doc: int) -> _Tokens:
        part, local = self._locate(doc)
        return _Tokens(part.text(local), hashed=False)

    def _meta(self, doc: int) -> dict:
        part, local = self._locate(doc)
        meta = part.docs[local]
        return {**meta, "license": self.licenses.get((meta["dataset"], meta["doc_id"])) or meta["license"]}

    def source_text(self, dataset: str, doc_id: str) -> str | None:
        """The text of a source document, for showing a span beside its passage."""
        if self._doc_numbers is None:
            self._doc_numbers = {(meta["dataset"], meta["doc_id"]): int(base) + local
                                 for part, base in zip(self.parts, self.part_bases)
                                 for local, meta in enumerate(part.docs)}
        doc = self._doc_numbers.get((dataset, doc_id))
        return None if doc is None else self._source_tokens(doc).text

    def _seeds(self, out: _Tokens, grams: np.ndarray):
        """Hits of the output's n-grams, and the runs of at least n equal token hashes through them.

        Returns ((keys, hits), [(out_start, out_end, doc, diagonal)]); a key is
        doc << 32 | (diagonal + 2**31), see ``_hits_by_document``.
        A diagonal is source position minus output position. A hit can only be
        part of a run of n tokens if the n - gram tokens around it can make up
        the rest; that is checked for all hits at once (numpy gathers on the
        stored token hashes), and the hits that pass are extended, all at once too.
        """
        limit = self.rules["max_hits_per_ngram"]
        runs: list[tuple[int, int, int, int]] = []  # (out_start, out_end, doc, diagonal)
        extra = self.n - self.gram
        offsets = np.arange(-extra, self.gram + extra)
        index = self.merged
        no_hits = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64))
        if not len(index.hashes):
            return no_hits, runs
        left = np.searchsorted(index.hashes, grams, "left")
        right = np.minimum(np.searchsorted(index.hashes, grams, "right"), left + limit)
        found = np.flatnonzero(right > left)
        if not len(found):
            return no_hits, runs
        counts = (right - left)[found]
        # every posting row of every found n-gram, without a Python loop over hits
        rows = np.repeat(left[found] - np.concatenate(([0], np.cumsum(counts)[:-1])), counts) + \
            np.arange(int(counts.sum()))
        out_pos = np.repeat(found, counts)
        docs = np.asarray(index.postings["doc"][rows], dtype=np.int64)
        diagonals = np.asarray(index.postings["pos"][rows], dtype=np.int64) - out_pos
        pair_key = (docs << 32) + diagonals + (1 << 31)  # doc and diagonal in one sortable int64
        hit_table = np.unique(pair_key, return_counts=True)
        # the window of n + (n - gram) tokens around each hit, compared at once
        out_index = out_pos[:, None] + offsets
        source_index = out_index + diagonals[:, None]
        starts = index.token_offsets[docs]
        lengths = index.token_offsets[docs + 1] - starts
        valid = (out_index >= 0) & (out_index < len(out.short)) & (source_index >= 0) & \
            (source_index < lengths[:, None])
        source_values = index.tokens[np.where(valid, starts[:, None] + source_index, 0)]
        equal = valid & (source_values == out.short[np.clip(out_index, 0, len(out.short) - 1)])
        stop = np.zeros((len(equal), 1), dtype=bool)
        left_run = np.argmin(np.concatenate([equal[:, :extra][:, ::-1], stop], axis=1), axis=1)
        right_run = np.argmin(np.concatenate([equal[:, extra + self.gram:], stop], axis=1), axis=1)
        middle = equal[:, extra:extra + self.gram].all(axis=1)
        keep = np.flatnonzero(middle & (left_run + self.gram + right_run >= self.n))
        if not len(keep):
            return hit_table, runs
        # one extension per run: the first hit of each diagonal, then the first hit past that run, ...
        keep = keep[np.argsort(pair_key[keep], kind="stable")]  # out_pos is ascending already
        pending_docs, pending_diag = docs[keep], diagonals[keep]
        pending_a = out_pos[keep] - left_run[keep]
        pending_b = out_pos[keep] + self.gram + right_run[keep]
        while len(pending_docs):
            group = np.concatenate(([True], (pending_docs[1:] != pending_docs[:-1]) |
                                    (pending_diag[1:] != pending_diag[:-1])))
            first = np.flatnonzero(group)
            a, b = _extend(out.short, index, pending_docs[first], pending_diag[first],
                           pending_a[first], pending_b[first])
            for doc, diagonal, start, end in zip(pending_docs[first].tolist(), pending_diag[first].tolist(),
                                                 a.tolist(), b.tolist()):
                runs.append((start, end, doc, diagonal))
            reach = np.repeat(b, np.diff(np.append(first, len(pending_docs))))
            rest = np.flatnonzero(~group & (pending_b > reach))
            pending_docs, pending_diag = pending_docs[rest], pending_diag[rest]
            pending_a, pending_b = pending_a[rest], pending_b[rest]
        return hit_table, sorted(runs)

    def _verified(self, out: _Tokens, doc: int, diagonal: int, a: int, b: int) -> bool:
        """The tokens of a run, compared as strings with the source text: no hash collision makes a span."""
        src = self._source_tokens(doc)
        if out.low[out.starts[a]:out.ends[b - 1]] == src.low[src.starts[a + diagonal]:src.ends[b - 1 + diagonal]]:
            return True  # the same text, so the same tokens
        return all(out.token(i) == src.token(i + diagonal) for i in range(a, b))

    def check(self, text: str, output_id: str = "-") -> OutputResult:
        out = _Tokens(text)
        grams = ngram_hashes(out.hashes, self.gram)
        hit_table, runs = self._seeds(out, grams) if len(grams) else ((np.zeros(0, np.int64),) * 2, [])
        occurrences: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
        for a, b, doc, diagonal in runs:
            occurrences[(a, b)].append((doc, diagonal))
        spans = self._maximal_spans(out, occurrences)
        occurrences = {iv: where for iv, where in occurrences.items() if where}
        longest_tokens = max((s.tokens for s in spans), default=0)
        # an output that is verbatim already needs no search for near copies (the costly part)
        near = near_matches(self, out, _hits_by_document(*hit_table, self.rules["near_search"]["candidates"]),
                            self.rules) \
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
            for doc, diagonal in where:
                src = self._source_tokens(doc)
                meta = self._meta(doc)
                sources.append(SpanSource(meta["dataset"], meta["doc_id"], meta["origin"], meta["url"], meta["path"],
                                          meta["license"], int(src.starts[a + diagonal]),
                                          int(src.ends[b - 1 + diagonal])))
            start, end = int(out.starts[a]), int(out.ends[b - 1])
            spans.append(Span(start, end, b - a, end - start, tuple(sources), count))
        return spans


def _hits_by_document(keys: np.ndarray, hits: np.ndarray, top: int) -> dict[int, dict[int, int]]:
    """{doc: {diagonal: hits}} for the ``top`` documents with most hits (ties: the first documents)."""
    if not len(keys):
        return {}
    docs = keys >> 32
    unique_docs, first = np.unique(docs, return_index=True)
    sums = np.add.reduceat(hits, first)
    chosen = {int(d) for _, d in sorted(zip((-sums).tolist(), unique_docs.tolist()))[:top]}
    table: dict[int, dict[int, int]] = defaultdict(dict)
    for key, count in zip(keys.tolist(), hits.tolist()):
        if key >> 32 in chosen:
            table[key >> 32][(key & 0xFFFFFFFF) - (1 << 31)] = count
    return table


def _extend(out: np.ndarray, index: _Merged, docs, diagonals, a, b, chunk: int = 32):
    """Grow runs [a, b) of equal token hashes (output vs source on its diagonal) as far as they go, all at once."""
    a, b = a.copy(), b.copy()
    starts = index.token_offsets[docs]
    lengths = index.token_offsets[docs + 1] - starts
    steps = np.arange(chunk)
    stop = np.zeros((1, 1), dtype=bool)
    for direction in (1, -1):
        active = np.arange(len(a))
        while len(active):
            edge = b[active] if direction == 1 else a[active] - 1
            out_index = edge[:, None] + direction * steps
            source_index = out_index + diagonals[active][:, None]
            valid = (out_index >= 0) & (out_index < len(out)) & (source_index >= 0) & \
                (source_index < lengths[active][:, None])
            equal = valid & (index.tokens[np.where(valid, starts[active][:, None] + source_index, 0)] ==
                             out[np.clip(out_index, 0, len(out) - 1)])
            grown = np.argmin(np.concatenate([equal, np.repeat(stop, len(active), axis=0)], axis=1), axis=1)
            if direction == 1:
                b[active] += grown
            else:
                a[active] -= grown
            active = active[grown == chunk]
    return a, b


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
