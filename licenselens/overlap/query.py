"""Checking a model output against an overlap index: maximal verbatim spans, near copies, a verdict.

Every n-gram of the output is looked up in the index's sorted postings
(binary search on the memory-mapped arrays of each of the index's parts,
``parts``); a hit gives a source document and a
diagonal (source position minus output position). On each diagonal the
stored token hashes give the maximal runs of equal tokens (``seeds``); a run
of at least ``n`` tokens is a span unless another run contains it strictly,
and a span's listed sources are compared with their text, so hash collisions
cannot make one (``spans``). Near copies (edited passages, found from short
seeds whatever the length of their exact runs): ``near``; the verdict: ``verdict``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import BinaryIO

import numpy as np
import pyarrow.parquet as pq

from licenselens.overlap.chains import Chain
from licenselens.overlap.hashing import ngram_hashes, token_hashes
from licenselens.overlap.manifest import IndexBuildError, read_manifest
from licenselens.overlap.near import candidates, near_copies
from licenselens.overlap.parts import Parts
from licenselens.overlap.ray_parts import ray_parts
from licenselens.overlap.remote import is_uri, pull, shown
from licenselens.overlap.spans import coverage, maximal_spans
from licenselens.overlap.verdict import verdict
from licenselens.rules import load_yaml
from licenselens.signals.anchors import lowered
from licenselens.signals.pii import mask_text
from licenselens.tokens import token_spans
from licenselens.types.overlap import NearCopy, OutputResult, SpanSource

PRECISION_AT = (25, 50)  # besides the index's n


class IndexOpenError(ValueError):
    pass


def _not_arrays(rel: str) -> bool:
    return not rel.startswith("parts/") or rel.endswith("token_offsets.npy")


class _Shard:
    """A build shard at query time: its documents' texts and metadata, read when first asked for (an index of
    a billion tokens has a million documents: their metadata as Python rows would take a gigabyte)."""

    def __init__(self, directory: str):
        self.directory = directory
        self._offsets: np.ndarray | None = None
        self._docs: list[dict] | None = None
        self._texts: BinaryIO | None = None

    @property
    def docs(self) -> list[dict]:
        if self._docs is None:
            self._docs = pq.read_table(os.path.join(self.directory, "docs.parquet")).to_pylist()
        return self._docs

    @property
    def offsets(self) -> np.ndarray:
        if self._offsets is None:
            self._offsets = np.load(os.path.join(self.directory, "offsets.npy"))
            self._texts = open(os.path.join(self.directory, "texts.bin"), "rb")
        return self._offsets

    def text(self, doc: int) -> str:
        import zstandard

        start, end = int(self.offsets[doc]), int(self.offsets[doc + 1])
        assert self._texts is not None  # opened with the offsets
        self._texts.seek(start)
        return zstandard.ZstdDecompressor().decompress(self._texts.read(end - start)).decode("utf-8", "surrogatepass")


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
        return self.low[self.starts[i] : self.ends[i]]


class OverlapIndex:
    """An index opened once; ``check`` is safe to call many times (not from several threads at once)."""

    def __init__(self, path: str, engine: str = "local", ray_address: str | None = None):
        """``engine`` "ray": the parts' arrays held in Ray actors (``ray_parts``), the same results."""
        uri = path if is_uri(path) else None
        self.location = shown(path) if uri else path  # for reports: a URI's query may hold credentials
        try:  # an index at a URI: its local copy, without the parts' arrays where actors hold them
            if uri:
                self.copy = pull(uri, None if engine == "local" else _not_arrays)  # held open while in use
                path, self.manifest = self.copy.folder, self.copy.manifest
            else:
                self.manifest = read_manifest(path)
        except IndexBuildError as exc:
            raise IndexOpenError(str(exc)) from exc
        self.n, self.gram = self.manifest["n"], self.manifest["gram"]
        self.shards = [_Shard(os.path.join(path, "shards", s["name"])) for s in self.manifest["shards"]]
        self.shard_bases = np.cumsum([0] + [s["documents"] for s in self.manifest["shards"]])
        directories = [os.path.join(path, "parts", p["name"]) for p in self.manifest["parts"]]
        if engine == "local":
            self.arrays = Parts.open(directories)
        else:
            self.arrays = ray_parts(directories, ray_address, (uri, self.copy.sizes) if uri else None)
        self.seed_size, self.seed_sampling = self.manifest["seed"], self.manifest["seed_sampling"]
        self.rules = load_yaml("overlap.yaml")
        self.licenses = self._corpus_licenses(path, self.manifest.get("licenses"))
        self._source_tokens = lru_cache(maxsize=256)(self._load_source)
        self._doc_numbers: dict[tuple[str, str], int] | None = None  # built on first source_text

    @staticmethod
    def _corpus_licenses(path: str, name: str | None) -> dict[tuple[str, str], str]:
        if not name:
            return {}
        file = os.path.join(path, name)
        table = pq.read_table(file)
        return {
            (r["dataset"], r["origin"]): r["license_expression_spdx"] or r["declared_license"]
            for r in table.to_pylist()
        }

    def _locate(self, doc: int) -> tuple[_Shard, int]:
        shard = int(np.searchsorted(self.shard_bases, doc, "right")) - 1
        return self.shards[shard], doc - int(self.shard_bases[shard])

    def _load_source(self, doc: int) -> _Tokens:
        part, local = self._locate(doc)
        return _Tokens(part.text(local), hashed=False)

    def meta(self, doc: int) -> dict:
        part, local = self._locate(doc)
        meta = part.docs[local]
        # corpus.parquet's origins are masked like every output (privacy.redact); the index keeps the real ones
        found = self.licenses.get((meta["dataset"], mask_text(meta["origin"])))
        return {**meta, "license": found or meta["license"]}

    def source_text(self, dataset: str, origin: str) -> str | None:
        """The text of a source document (by its origin: ids need not be unique), to show a span beside it."""
        if self._doc_numbers is None:
            self._doc_numbers = {
                (meta["dataset"], meta["origin"]): int(base) + local
                for shard, base in zip(self.shards, self.shard_bases)
                for local, meta in enumerate(shard.docs)
            }
        doc = self._doc_numbers.get((dataset, origin))
        return None if doc is None else self._source_tokens(doc).text

    def verified(self, out: _Tokens, doc: int, diagonal: int, a: int, b: int) -> bool:
        """The tokens of a run, compared as strings with the source text: no hash collision makes a span."""
        src = self._source_tokens(doc)
        if out.low[out.starts[a] : out.ends[b - 1]] == src.low[src.starts[a + diagonal] : src.ends[b - 1 + diagonal]]:
            return True  # the same text, so the same tokens
        return all(out.token(i) == src.token(i + diagonal) for i in range(a, b))

    def source(self, doc: int, first: int, last: int) -> SpanSource:
        """A source document's passage from token ``first`` to token last - 1, with character offsets."""
        src, meta = self._source_tokens(doc), self.meta(doc)
        return SpanSource(
            meta["dataset"],
            meta["doc_id"],
            meta["origin"],
            meta["url"],
            meta["path"],
            meta["license"],
            int(src.starts[first]),
            int(src.ends[last - 1]),
        )

    def near_candidates(self, text: str) -> list[NearCandidate]:
        """The source passages a check aligns with ``text`` in search of near copies (for measuring recall)."""
        out = _Tokens(text)
        found = []
        for chain, count in candidates(self, out, self.rules["near_search"], self._spans(out)[1]):
            meta = self.meta(chain.doc)
            found.append(NearCandidate(chain, meta["dataset"], meta["doc_id"], meta["origin"], count))
        return found

    def _spans(self, out: _Tokens) -> tuple[list, list[tuple[int, int]]]:
        grams = ngram_hashes(out.hashes, self.gram)
        runs = self.arrays.runs(out.short, grams, self.n, self.gram, self.rules["max_hits_per_ngram"])
        return maximal_spans(self, out, runs, self.rules["max_sources_per_span"])

    def check(self, text: str, output_id: str = "-") -> OutputResult:
        out = _Tokens(text)
        spans, intervals = self._spans(out)
        near = near_copies(self, out, self.rules, intervals)
        share, precision = coverage(len(out.hashes), intervals, sorted({self.n, *PRECISION_AT}))
        near_share, _ = coverage(len(out.hashes), _token_ranges(out, near), [])
        longest = max(spans, key=lambda s: (s.tokens, s.chars), default=None)
        result = OutputResult(
            id=output_id,
            verdict="",
            tokens=len(out.hashes),
            chars=len(text),
            longest_span_tokens=longest.tokens if longest else 0,
            longest_span_chars=max((s.chars for s in spans), default=0),
            coverage=share,
            precision=precision,
            spans=tuple(spans),
            near_copies=tuple(near),
            near_copy_coverage=near_share,
        )
        return OutputResult(**{**result.__dict__, "verdict": verdict(result, self.rules)})


@dataclass(frozen=True)
class NearCandidate:
    """A chain of seed hits that a check aligns: where it is in the corpus, and how many documents hold it."""

    chain: Chain
    dataset: str
    doc_id: str
    origin: str
    documents: int


def _token_ranges(out: _Tokens, near: list[NearCopy]) -> list[tuple[int, int]]:
    """Token intervals [start, end) of blocks given by character offsets."""
    return [
        (int(np.searchsorted(out.starts, c.start_char)), int(np.searchsorted(out.ends, c.end_char)) + 1) for c in near
    ]


__all__ = ["OverlapIndex", "IndexOpenError", "NearCandidate", "NearCopy"]
