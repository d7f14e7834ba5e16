"""The per-shard function: read a shard's documents, analyse each, store the rows. Runs in any engine's worker."""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..sources.base import ReadLimits
from ..sources.readers import READERS
from ..types import DatasetSpec, DocumentError, Shard
from .shards import ShardStore
from .signals import DocumentAnalyser


@dataclass(frozen=True)
class ShardTask:
    shard: Shard
    spec: DatasetSpec
    directory: str
    settings_key: str
    timeout: float
    limits: ReadLimits = ReadLimits()


_analysers: dict[float, DocumentAnalyser] = {}  # one per worker process: its anchors and region cache


def analyser(timeout: float) -> DocumentAnalyser:
    if timeout not in _analysers:
        _analysers[timeout] = DocumentAnalyser(timeout)
    return _analysers[timeout]


def process_shard(task: ShardTask) -> dict:
    store = ShardStore(task.directory, task.settings_key)
    if store.is_done(task.shard):
        return {"key": task.shard.key, "reused": True}
    started = time.perf_counter()
    worker = analyser(task.timeout)
    rows, errors = [], []
    for item in READERS[task.shard.reader](task.limits).read(task.spec, task.shard):
        if isinstance(item, DocumentError):
            errors.append(item)
            continue
        try:
            rows.append(worker.analyse(item, task.spec))
        except Exception as exc:  # one document must not sink its shard
            errors.append(DocumentError(item.dataset, item.origin, "analysis-failed", f"{type(exc).__name__}: {exc}"))
    stats = {"documents": len(rows), "bytes": sum(r["bytes"] for r in rows),
             "seconds": round(time.perf_counter() - started, 3)}
    store.write(task.shard, rows, errors, stats)
    return {"key": task.shard.key, "reused": False, **stats}
