"""An index's parts: immutable, memory-mapped arrays of consecutive documents, and queries fanned out over them.

A part (``parts/<name>/`` in the index) holds, for its documents in index order:

    postings.npy       kept n-grams (hash, doc, pos) sorted by hash; doc numbered within the part
    seeds.npy          near-copy seeds, sorted uint64 (32-bit key << 32 | token position in the part)
    tokens.npy         every document's token hashes (low 32 bits), concatenated
    token_offsets.npy  where each document's tokens start (and the last ends)
    done.json          written last (``ShardStore``): the part's shards, counts

Build shards carry the same four arrays, so a part is written from shards
(``index build``, ``index add``) or from other parts (``index compact``) by the
same out-of-core merge (``sortedfiles``). A query searches every part and shares
the per-n-gram and per-seed limits among them in index order, which gives
exactly the hits, runs and spans of one merged index (the first postings of an
n-gram are its lowest documents; of a seed, its lowest positions).
"""

from __future__ import annotations

import os

import numpy as np

from licenselens.execution.shards import ShardStore
from licenselens.overlap.chains import Chain, chains
from licenselens.overlap.nearseeds import MAX_TOKENS, hits_at, seed_keys, seed_lookup
from licenselens.overlap.seeds import NO_RUNS, Runs, gram_lookup, joined, runs_at
from licenselens.overlap.sortedfiles import concatenate, merge_sorted, offsets_joined

ARRAYS = ("postings.npy", "seeds.npy", "tokens.npy", "token_offsets.npy")
MERGE_BUDGET = 256 * 2**20  # bytes of input buffers a part's merge holds (docs/overlap.md, memory)


class PartTooLarge(ValueError):
    pass


def write_part(store: ShardStore, name: str, sources: list[str], record: dict, budget: int = MERGE_BUDGET) -> dict:
    """Part ``name`` from the arrays in folders ``sources`` (shards or parts, in index order); its record."""
    offsets = [os.path.join(s, "token_offsets.npy") for s in sources]
    with store.writing(name, record) as tmp:
        doc_bases, token_bases = offsets_joined(offsets, _at(tmp, 3))
        if token_bases[-1] >= MAX_TOKENS:
            raise PartTooLarge(f"{token_bases[-1]:,} tokens in one part: positions in a part are 32-bit")
        postings = merge_sorted(
            [(os.path.join(s, "postings.npy"), b) for s, b in zip(sources, doc_bases)], _at(tmp, 0), "postings", budget
        )
        seeds = merge_sorted(
            [(os.path.join(s, "seeds.npy"), b) for s, b in zip(sources, token_bases)], _at(tmp, 1), "seeds", budget
        )
        concatenate([os.path.join(s, "tokens.npy") for s in sources], _at(tmp, 2), budget)
        record.update(documents=doc_bases[-1], tokens=token_bases[-1], postings=postings, seeds=seeds)
    return record


def _at(folder: str, which: int) -> str:
    return os.path.join(folder, ARRAYS[which])


class PartArrays:
    """One part's arrays, memory-mapped (the token offsets read whole: 8 bytes a document); the searches a query
    makes in one part, with documents numbered within it (``Parts`` shares the limits and numbers them)."""

    def __init__(self, directory: str):
        self.postings = np.load(os.path.join(directory, "postings.npy"), mmap_mode="r")
        self.hashes = self.postings["hash"]
        self.seeds = np.load(os.path.join(directory, "seeds.npy"), mmap_mode="r")
        self.tokens = np.load(os.path.join(directory, "tokens.npy"), mmap_mode="r")
        self.token_offsets = np.load(os.path.join(directory, "token_offsets.npy"))

    def gram_rows(self, grams: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if not len(self.hashes):
            return np.zeros(len(grams), dtype=np.int64), np.zeros(len(grams), dtype=np.int64)
        return gram_lookup(self.hashes, grams)

    def runs(self, out: np.ndarray, left: np.ndarray, counts: np.ndarray, n: int, gram: int) -> Runs:
        return runs_at(self, out, left, counts, n, gram)

    def seed_rows(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if not len(self.seeds):
            return np.zeros(len(keys), dtype=np.int64), np.zeros(len(keys), dtype=np.int64)
        return seed_lookup(self.seeds, keys)

    def seed_hits(self, out: np.ndarray, positions, left, counts, size: int):
        """(output positions, documents, positions in them) of the seed rows asked for whose tokens are equal."""
        out_pos, src_pos = hits_at(self.seeds, self.tokens, out, positions, left, counts, size)
        doc = np.searchsorted(self.token_offsets, src_pos, "right") - 1
        return out_pos, doc, src_pos - self.token_offsets[doc]

    def document_tokens(self, local: int, a: int, b: int | None) -> np.ndarray:
        base, end = int(self.token_offsets[local]), int(self.token_offsets[local + 1])
        return np.asarray(self.tokens[base + a : end if b is None else base + b])


def call_local(parts: list, method: str, arguments: list[tuple]) -> list:
    """Each part's ``method`` with its arguments, here (``ray_parts.call_ray``: in actors, in parallel)."""
    return [getattr(part, method)(*args) for part, args in zip(parts, arguments)]


class Parts:
    """The parts of an index, in order, with documents numbered across them; the searches of a query over all.

    ``parts`` are ``PartArrays`` or handles with the same methods called through ``call`` (``ray_parts``);
    ``offsets`` each part's token offsets (where its documents start and end), held here.
    """

    def __init__(self, parts: list, offsets: list[np.ndarray], call=call_local):
        self.parts, self.offsets, self.call = parts, offsets, call
        self.bases = np.cumsum([0] + [len(o) - 1 for o in offsets]).astype(np.int64)

    @classmethod
    def open(cls, directories: list[str]) -> Parts:
        parts = [PartArrays(d) for d in directories]
        return cls(parts, [p.token_offsets for p in parts])

    def _part(self, doc: int) -> tuple[int, int]:
        k = int(np.searchsorted(self.bases, doc, "right")) - 1
        return k, doc - int(self.bases[k])

    def document_tokens(self, doc: int, a: int = 0, b: int | None = None) -> np.ndarray:
        """Token hashes [a, b) of a document (all of them by default)."""
        k, local = self._part(doc)
        return self.call([self.parts[k]], "document_tokens", [(local, a, b)])[0]

    def document_length(self, doc: int) -> int:
        k, local = self._part(doc)
        return int(self.offsets[k][local + 1] - self.offsets[k][local])

    @staticmethod
    def _shared(rows: list[tuple[np.ndarray, np.ndarray]], limit: int) -> list[np.ndarray]:
        """Each part's share of every needle's ``limit`` rows, taken from the first part on (a merged array's
        first rows are its lowest documents and positions)."""
        remaining = np.full(len(rows[0][0]) if rows else 0, limit, dtype=np.int64)
        shares = []
        for left, right in rows:
            counts = np.minimum(right - left, remaining)
            remaining -= counts
            shares.append(counts)
        return shares

    def runs(self, out: np.ndarray, grams: np.ndarray, n: int, gram: int, limit: int) -> Runs:
        """The runs (``seeds``) of an output's 32-bit token hashes ``out`` and n-gram hashes ``grams`` over every
        part, an n-gram's ``limit`` postings taken from the first parts on."""
        if not len(grams) or not self.parts:
            return NO_RUNS
        rows = self.call(self.parts, "gram_rows", [(grams,)] * len(self.parts))
        shares = self._shared(rows, limit)
        asked = [k for k, c in enumerate(shares) if c.any()]
        found = self.call(
            [self.parts[k] for k in asked], "runs", [(out, rows[k][0], shares[k], n, gram) for k in asked]
        )
        return joined([(r, int(self.bases[k])) for r, k in zip(found, asked)])

    def seed_hits(self, out: np.ndarray, size: int, sampling: int, limit: int):
        """(output positions, documents, positions in them) of the seeds an output shares with the index, a seed's
        ``limit`` occurrences taken from the first parts on (``nearseeds``: a seed found more often than ``limit``
        keeps its lowest positions, so boilerplate links all its seeds to the same first documents)."""
        positions, keys = seed_keys(out, size, sampling)
        empty = np.zeros(0, dtype=np.int64)
        if not len(keys) or not self.parts:
            return empty, empty, empty
        rows = self.call(self.parts, "seed_rows", [(keys,)] * len(self.parts))
        shares = self._shared(rows, limit)
        asked = [k for k, c in enumerate(shares) if c.any()]
        found = self.call(
            [self.parts[k] for k in asked],
            "seed_hits",
            [(out, positions, rows[k][0], shares[k], size) for k in asked],
        )
        if not found:
            return empty, empty, empty
        return (
            np.concatenate([f[0] for f in found]),
            np.concatenate([f[1] + self.bases[k] for f, k in zip(found, asked)]),
            np.concatenate([f[2] for f in found]),
        )

    def chains(self, out: np.ndarray, size: int, sampling: int, limit: int, *args, **kwargs) -> list[Chain]:
        """``chains.chains`` of the output's seed hits (the further arguments are theirs)."""
        out_pos, doc, local = self.seed_hits(out, size, sampling, limit)
        return chains(out_pos, doc, local, size, *args, **kwargs)
