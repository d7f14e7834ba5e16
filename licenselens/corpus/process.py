"""The per-shard function: read a shard's documents, analyse each, store the rows. Runs in any engine's worker."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.parquet as pq

from licenselens.corpus.analyser import DocumentAnalyser
from licenselens.corpus.schema import ROW_SCHEMA
from licenselens.corpus.trees import tree_findings
from licenselens.execution.shards import ShardStore
from licenselens.privacy import redact
from licenselens.sources.base import ReadLimits
from licenselens.sources.readers import READERS
from licenselens.types.convert import asdict
from licenselens.types.corpus import DatasetSpec, DocumentError, Shard

ROWS = "rows.parquet"


@dataclass(frozen=True)
class ShardTask:
    shard: Shard
    spec: DatasetSpec
    directory: str
    name: str  # the shard's name in the store: settings, input and (for trees) the tree scan
    timeout: float
    limits: ReadLimits = ReadLimits()
    tree_results: str | None = None  # a source tree's scan (corpus.trees), whose file findings the rows take


_analysers: dict[float, DocumentAnalyser] = {}  # one per worker process: its anchors and region cache


def analyser(timeout: float) -> DocumentAnalyser:
    if timeout not in _analysers:
        _analysers[timeout] = DocumentAnalyser(timeout)
    return _analysers[timeout]


def process_shard(task: ShardTask) -> dict:
    store = ShardStore(task.directory)
    if store.is_done(task.name):
        return {"key": task.shard.key, "reused": True}
    started = time.perf_counter()
    worker = analyser(task.timeout)
    files = tree_findings(task.tree_results) if task.tree_results else None
    rows, errors = [], []
    for item in READERS[task.shard.reader](task.limits).read(task.spec, task.shard):
        if isinstance(item, DocumentError):
            errors.append(item)
            continue
        try:
            rows.append(worker.analyse(item, task.spec, files))
        except Exception as exc:  # one document must not sink its shard
            errors.append(DocumentError(item.dataset, item.origin, "analysis-failed", f"{type(exc).__name__}: {exc}"))
    stats = {
        "documents": len(rows),
        "bytes": sum(r["bytes"] for r in rows),
        "seconds": round(time.perf_counter() - started, 3),
    }
    record = {"shard": asdict(task.shard), "errors": [asdict(redact(e)) for e in errors], "stats": stats}
    with store.writing(task.name, record) as folder:
        pq.write_table(pa.Table.from_pylist(rows, schema=ROW_SCHEMA), os.path.join(folder, ROWS))
    return {"key": task.shard.key, "reused": False, **stats}


def shard_rows(store: ShardStore, name: str) -> pa.Table:
    return pq.read_table(os.path.join(store.path(name), ROWS), schema=ROW_SCHEMA)
