"""Sorted .npy arrays merged and concatenated out of core: a part of an index written in bounded memory.

Inputs are read with plain file reads into small buffers, not mapped: pages read
once then do not stay in the process's resident set, and the memory a merge
takes is its buffers (``budget`` bytes across all inputs) plus one batch sorted
at a time, whatever the size of the corpus (rows of one key that fill a
buffer, boilerplate's n-grams, are written straight through, in input order).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

KEYS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    # postings sort by hash alone; equal hashes keep the order of the inputs (a stable sort), so documents
    # stay in index order as one build's stable argsort leaves them
    "postings": lambda a: a["hash"],
    # seeds are one uint64 each (key << 32 | position), all distinct
    "seeds": lambda a: a,
}


def shifted(kind: str, array: np.ndarray, base: int) -> np.ndarray:
    """An input's rows numbered within the merged array: documents (postings) or token positions (seeds)."""
    if kind == "postings":
        array["doc"] += np.uint32(base)
    else:
        array += np.uint64(base)
    return array


def _layout(path: str) -> tuple[np.dtype, int, int]:
    """(dtype, length, offset of the data) of a 1-d .npy file."""
    with open(path, "rb") as fh:
        version = np.lib.format.read_magic(fh)
        header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        shape, _, dtype = header(fh)
        return dtype, int(shape[0]), fh.tell()


class _Reader:
    """A sorted .npy file read front to back in pieces; opened for each read (a part may merge a thousand
    shards: more files than a process may hold open)."""

    def __init__(self, path: str, kind: str, base: int):
        self.path = path
        self.dtype, self.total, self.offset = _layout(path)
        self.kind, self.base, self.read = kind, base, 0
        self.buffer = np.zeros(0, dtype=self.dtype)

    @property
    def exhausted(self) -> bool:
        return self.read == self.total

    def fill(self, count: int) -> None:
        count = min(count, self.total - self.read)
        if count <= 0:
            return
        with open(self.path, "rb") as fh:
            fh.seek(self.offset + self.read * self.dtype.itemsize)
            more = shifted(self.kind, np.fromfile(fh, dtype=self.dtype, count=count), self.base)
        self.read += count
        self.buffer = np.concatenate((self.buffer, more)) if len(self.buffer) else more

    def take_below(self, pivot) -> np.ndarray:
        """The buffered rows whose key is below ``pivot`` (all of them when None)."""
        cut = len(self.buffer) if pivot is None else int(np.searchsorted(KEYS[self.kind](self.buffer), pivot, "left"))
        taken, self.buffer = self.buffer[:cut], self.buffer[cut:]
        return taken

    def drain(self, key, chunk: int, fh) -> int:
        """Write the rows of ``key`` at the head of this input, reading on while its buffer holds only them; the
        count. (Boilerplate repeats one n-gram millions of times: its rows go out without being held at once.)"""
        written = 0
        while True:
            keys = KEYS[self.kind](self.buffer)
            cut = int(np.searchsorted(keys, key, "right"))
            self.buffer[:cut].tofile(fh)
            written += cut
            self.buffer = self.buffer[cut:]
            if len(self.buffer) or self.exhausted:
                return written
            self.fill(chunk)


def _header(fh, dtype: np.dtype, length: int) -> None:
    np.lib.format.write_array_header_1_0(
        fh, {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": (length,)}
    )


def merge_sorted(sources: list[tuple[str, int]], out_path: str, kind: str, budget: int) -> int:
    """Merge sorted .npy files (each with the base its rows are shifted by) into one sorted .npy; its length.

    Equal keys come out in input order. Each round takes, from every input, the
    buffered rows below the smallest last-buffered key of the inputs not yet
    read to the end: every row below it is then in a buffer, so a round's rows
    sorted together are the next rows of the output.
    """
    readers = [_Reader(path, kind, base) for path, base in sources]
    dtype = readers[0].dtype if readers else np.dtype(np.uint64)
    total = sum(r.total for r in readers)
    chunk = max(1024, budget // max(1, len(readers)) // dtype.itemsize)
    written = 0
    with open(out_path, "wb") as fh:
        _header(fh, dtype, total)
        while written < total:
            for r in readers:
                if len(r.buffer) < chunk:
                    r.fill(chunk - len(r.buffer))
            limits = [KEYS[kind](r.buffer[-1:])[0] for r in readers if not r.exhausted]
            pivot = min(limits) if limits else None
            batch = [r.take_below(pivot) for r in readers]
            size = sum(len(b) for b in batch)
            if not size:  # nothing below the pivot: its rows, input by input (their order), however many
                written += sum(r.drain(pivot, chunk, fh) for r in readers)
                continue
            rows = np.concatenate(batch)
            rows = rows[np.argsort(KEYS[kind](rows), kind="stable")]
            rows.tofile(fh)
            written += size
    return total


def concatenate(sources: list[str], out_path: str, budget: int) -> int:
    """Concatenate .npy files of one dtype, ``budget`` bytes at a time; the length."""
    layouts = [_layout(path) for path in sources]
    dtype = layouts[0][0] if layouts else np.dtype(np.uint32)
    total = sum(length for _, length, _ in layouts)
    offsets = [(path, offset, length) for path, (_, length, offset) in zip(sources, layouts)]
    step = max(1, budget // dtype.itemsize)
    with open(out_path, "wb") as fh:
        _header(fh, dtype, total)
        for path, offset, length in offsets:
            with open(path, "rb") as src:
                src.seek(offset)
                for at in range(0, length, step):
                    np.fromfile(src, dtype=dtype, count=min(step, length - at)).tofile(fh)
    return total


def offsets_joined(sources: list[str], out_path: str) -> tuple[list[int], list[int]]:
    """Documents' token offsets of several inputs as one array (each input's start at the previous end); the
    number of the first document and of the first token of each input, and the totals after them."""
    doc_bases, token_bases, parts = [0], [0], [np.zeros(1, dtype=np.int64)]
    for path in sources:
        offsets = np.load(path)
        parts.append(offsets[1:] + token_bases[-1])
        doc_bases.append(doc_bases[-1] + len(offsets) - 1)
        token_bases.append(token_bases[-1] + int(offsets[-1]))
    with open(out_path, "wb") as fh:
        np.save(fh, np.concatenate(parts))
    return doc_bases, token_bases
