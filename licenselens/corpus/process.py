"""The per-shard function: read a shard's documents, analyse each, store the rows. Runs in any engine's worker."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from licenselens.corpus.analyser import DocumentAnalyser
from licenselens.corpus.neardup import dedup_settings, signature
from licenselens.corpus.schema import ROW_SCHEMA
from licenselens.corpus.surrogate_ledger import read_ledger
from licenselens.corpus.trees import tree_findings
from licenselens.execution.shards import ShardStore
from licenselens.privacy import redact
from licenselens.sources.base import ReadLimits, SourceRecord
from licenselens.sources.readers import READERS
from licenselens.types.convert import asdict
from licenselens.types.corpus import DatasetSpec, Document, DocumentError, Shard

ROWS, SIGNATURES = "rows.parquet", "minhash.npy"  # a row of MinHash values per row of ROWS


class ShardExtra(Protocol):
    """More per-document work in the same read as the measuring (`clean`'s decisions): its outputs are saved
    in the shard's folder, and the shard's name in the store holds ``key``."""

    @property
    def key(self) -> str: ...

    def begin(self, spec: DatasetSpec, shard: Shard) -> ExtraShard: ...


class ExtraShard(Protocol):
    def document(self, item: Document, record: SourceRecord | None, row: dict, values: np.ndarray) -> None: ...

    def failed(self, item: Document) -> None: ...

    def unread(self, error: DocumentError) -> None: ...

    def save(self, folder: str) -> None: ...


@dataclass(frozen=True)
class ShardTask:
    shard: Shard
    spec: DatasetSpec
    directory: str
    name: str  # the shard's name in the store: settings, input and (for trees) the tree scan
    timeout: float
    limits: ReadLimits = ReadLimits()
    tree_results: str | None = None  # a source tree's scan (corpus.trees), whose file findings the rows take
    surrogates: str | None = None  # the ledger of a cleaned corpus's synthetic surrogates (Manifest.surrogates)
    extra: ShardExtra | None = None


_analysers: dict[tuple[float, str | None], DocumentAnalyser] = {}  # per worker process: anchors, region cache


def analyser(timeout: float, surrogates: str | None = None) -> DocumentAnalyser:
    if (timeout, surrogates) not in _analysers:
        _analysers[timeout, surrogates] = DocumentAnalyser(timeout, read_ledger(surrogates) if surrogates else None)
    return _analysers[timeout, surrogates]


def process_shard(task: ShardTask) -> dict:
    store = ShardStore(task.directory)
    if store.is_done(task.name):
        return {"key": task.shard.key, "reused": True}
    started = time.perf_counter()
    worker = analyser(task.timeout, task.surrogates)
    files = tree_findings(task.tree_results) if task.tree_results else None
    rows, errors, signatures = [], [], []
    settings = dedup_settings()
    reader = READERS[task.shard.reader](task.limits)
    extra = task.extra.begin(task.spec, task.shard) if task.extra else None
    items = (
        reader.records(task.spec, task.shard)
        if extra
        else ((item, None) for item in reader.read(task.spec, task.shard))
    )
    for item, source in items:
        assert item is not None  # every item is parsed when none is refused
        if isinstance(item, DocumentError):
            errors.append(item)
            if extra:
                extra.unread(item)
            continue
        try:
            row, values = worker.analyse(item, task.spec, files), signature(item.text, settings)
        except Exception as exc:  # one document must not sink its shard
            errors.append(DocumentError(item.dataset, item.origin, "analysis-failed", f"{type(exc).__name__}: {exc}"))
            if extra:
                extra.failed(item)
            continue
        rows.append(row)
        signatures.append(values)
        if extra:
            extra.document(item, source, row, values)
    stats = {
        "documents": len(rows),
        "bytes": sum(r["bytes"] for r in rows),
        "seconds": round(time.perf_counter() - started, 3),
    }
    record = {"shard": asdict(task.shard), "errors": [asdict(redact(e)) for e in errors], "stats": stats}
    with store.writing(task.name, record) as folder:
        pq.write_table(pa.Table.from_pylist(rows, schema=ROW_SCHEMA), os.path.join(folder, ROWS))
        np.save(os.path.join(folder, SIGNATURES), np.array(signatures, np.uint32).reshape(len(rows), settings.num_perm))
        if extra:
            extra.save(folder)
    return {"key": task.shard.key, "reused": False, **stats}


def shard_rows(store: ShardStore, name: str, columns: list[str] | None = None) -> pa.Table:
    return pq.read_table(os.path.join(store.path(name), ROWS), schema=ROW_SCHEMA, columns=columns)


def shard_signatures(store: ShardStore, name: str) -> np.ndarray:
    return np.load(os.path.join(store.path(name), SIGNATURES))
