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
from licenselens.overlap.chains import Chain, document_chains
from licenselens.overlap.nearseeds import MAX_TOKENS, hits_at, seed_keys, seed_lookup
from licenselens.overlap.seeds import NO_RUNS, Runs, gram_lookup, joined, runs_at
from licenselens.overlap.sortedfiles import concatenate, merge_sorted, offsets_joined

ARRAYS = ("postings.npy", "seeds.npy", "tokens.npy", "token_offsets.npy")
MERGE_BUDGET = 256 * 2**20  # bytes of input buffers a part's merge holds (docs/overlap.md, memory)


class PartTooLarge(ValueError):
    pass


def write_part(store: ShardStore, name: str, sources: list[str], record: dict, budget: int = MERGE_BUDGET) -> dict:
    """Part ``name`` from the arrays in folders ``sources`` (shards or parts, in index order); its record."""
    tokens = [int(np.load(os.path.join(s, "token_offsets.npy"), mmap_mode="r")[-1]) for s in sources]
    if sum(tokens) >= MAX_TOKENS:
        raise PartTooLarge(f"{sum(tokens):,} tokens in one part: positions in a part are 32-bit")
    with store.writing(name, record) as tmp:
        doc_bases = [0]
        for s in sources:
            doc_bases.append(doc_bases[-1] + len(np.load(os.path.join(s, "token_offsets.npy"), mmap_mode="r")) - 1)
        token_bases = offsets_joined([os.path.join(s, "token_offsets.npy") for s in sources], _at(tmp, 3))
        postings = merge_sorted(
            [(os.path.join(s, "postings.npy"), b) for s, b in zip(sources, doc_bases)], _at(tmp, 0), "postings", budget
        )
        seeds = merge_sorted(
            [(os.path.join(s, "seeds.npy"), int(b)) for s, b in zip(sources, token_bases)], _at(tmp, 1), "seeds", budget
        )
        concatenate([os.path.join(s, "tokens.npy") for s in sources], _at(tmp, 2), budget)
        record.update(documents=doc_bases[-1], tokens=sum(tokens), postings=postings, seeds=seeds)
    return record


def _at(folder: str, which: int) -> str:
    return os.path.join(folder, ARRAYS[which])


class PartArrays:
    """One part's arrays, memory-mapped (the token offsets read whole: 8 bytes a document)."""

    def __init__(self, directory: str, doc_base: int):
        self.postings = np.load(os.path.join(directory, "postings.npy"), mmap_mode="r")
        self.hashes = self.postings["hash"]
        self.seeds = np.load(os.path.join(directory, "seeds.npy"), mmap_mode="r")
        self.tokens = np.load(os.path.join(directory, "tokens.npy"), mmap_mode="r")
        self.token_offsets = np.load(os.path.join(directory, "token_offsets.npy"))
        self.doc_base = doc_base

    @property
    def documents(self) -> int:
        return len(self.token_offsets) - 1


class Parts:
    """The parts of an index, in order; documents numbered across them."""

    def __init__(self, parts: list[PartArrays]):
        self.parts = parts
        self.bases = np.array([p.doc_base for p in parts] + [sum(p.documents for p in parts)], dtype=np.int64)

    def _part(self, doc: int) -> tuple[PartArrays, int]:
        k = int(np.searchsorted(self.bases, doc, "right")) - 1
        return self.parts[k], doc - int(self.bases[k])

    def document_tokens(self, doc: int, a: int = 0, b: int | None = None) -> np.ndarray:
        """Token hashes [a, b) of a document (all of them by default)."""
        part, local = self._part(doc)
        base, end = int(part.token_offsets[local]), int(part.token_offsets[local + 1])
        return np.asarray(part.tokens[base + a : end if b is None else base + b])

    def document_length(self, doc: int) -> int:
        part, local = self._part(doc)
        return int(part.token_offsets[local + 1] - part.token_offsets[local])

    def runs(self, out: np.ndarray, grams: np.ndarray, n: int, gram: int, limit: int) -> Runs:
        """``seeds.find_runs`` over every part, an n-gram's ``limit`` postings taken from the first parts on."""
        if not len(grams):
            return NO_RUNS
        remaining = np.full(len(grams), limit, dtype=np.int64)
        found = []
        for part in self.parts:
            if not len(part.hashes) or not remaining.any():
                continue
            left, right = gram_lookup(part.hashes, grams)
            counts = np.minimum(right - left, remaining)
            remaining -= counts
            found.append((runs_at(part, out, left, counts, n, gram), part.doc_base))
        return joined(found)

    def seed_hits(self, out: np.ndarray, size: int, sampling: int, limit: int):
        """(output positions, documents, positions in them) of the seeds an output shares with the index, a seed's
        ``limit`` occurrences taken from the first parts on (``nearseeds.seed_hits``)."""
        positions, keys = seed_keys(out, size, sampling)
        remaining = np.full(len(keys), limit, dtype=np.int64)
        found_out, found_doc, found_local = [], [], []
        for part in self.parts:
            if not len(keys) or not len(part.seeds) or not remaining.any():
                continue
            left, right = seed_lookup(part.seeds, keys)
            counts = np.minimum(right - left, remaining)
            remaining -= counts
            out_pos, src_pos = hits_at(part.seeds, part.tokens, out, positions, left, counts, size)
            doc = np.searchsorted(part.token_offsets, src_pos, "right") - 1
            found_out.append(out_pos)
            found_doc.append(doc + part.doc_base)
            found_local.append(src_pos - part.token_offsets[doc])
        if not found_out:
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, empty
        return np.concatenate(found_out), np.concatenate(found_doc), np.concatenate(found_local)

    def chains(self, out: np.ndarray, size: int, sampling: int, limit: int, *args, **kwargs) -> list[Chain]:
        """``chains.chains`` of the output's seed hits (the further arguments are theirs)."""
        out_pos, doc, local = self.seed_hits(out, size, sampling, limit)
        return document_chains(out_pos, doc, local, size, *args, **kwargs)
