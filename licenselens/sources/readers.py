"""Document readers by format, and planning a dataset's inputs into shards."""

from __future__ import annotations

import glob
import os

from ..types import DatasetSpec, DocumentError, Shard
from .base import DocumentReader
from .columnar import ArrowReader, ParquetReader
from .files import JsonRecordsReader, SourceTreeReader, TextFilesReader
from .jsonl import JsonlReader

READERS: dict[str, type[DocumentReader]] = {
    JsonlReader.name: JsonlReader,
    ParquetReader.name: ParquetReader,
    ArrowReader.name: ArrowReader,
    JsonRecordsReader.name: JsonRecordsReader,
    TextFilesReader.name: TextFilesReader,
    SourceTreeReader.name: SourceTreeReader,
}

# file names a folder given to a record format is searched for
SUFFIXES = {
    "jsonl": (".jsonl", ".ndjson", ".jsonl.gz", ".jsonl.zst", ".ndjson.gz", ".ndjson.zst"),
    "parquet": (".parquet",),
    "json": (".json",),
}


def expand_inputs(spec: DatasetSpec) -> tuple[list[str], list[DocumentError]]:
    """The files or folders a dataset's paths and globs name, in a stable order."""
    found, errors = [], []
    for pattern in spec.paths:
        if any(c in pattern for c in "*?["):
            matches = sorted(glob.glob(pattern, recursive=True))
        elif os.path.isdir(pattern) and spec.format in SUFFIXES:
            matches = sorted(
                os.path.join(dirpath, name)
                for dirpath, dirnames, names in os.walk(pattern)
                for name in names if name.lower().endswith(SUFFIXES[spec.format])
            )
        else:
            matches = [pattern] if os.path.lexists(pattern) else []
        if not matches:
            errors.append(DocumentError(spec.name, pattern, "missing-input", "no file or folder matches this path"))
        found.extend(m for m in matches if m not in found)
    return found, errors


def plan_dataset(spec: DatasetSpec, shard_bytes: int) -> tuple[list[Shard], list[DocumentError]]:
    reader = READERS[spec.format]()
    inputs, errors = expand_inputs(spec)
    shards = []
    for location in inputs:
        for item in reader.plan(spec, location, shard_bytes):
            (errors if isinstance(item, DocumentError) else shards).append(item)
    return shards, errors


def read_documents(spec: DatasetSpec, shard_bytes: int = 64 * 2**20):
    """Every document of a dataset in order, with its planning and reading errors in between (one process)."""
    shards, errors = plan_dataset(spec, shard_bytes)
    yield from errors
    for shard in shards:
        yield from READERS[shard.reader]().read(spec, shard)
