"""The per-shard function: read a shard's documents, analyse each, store the rows. Runs in any engine's worker."""

from __future__ import annotations

import hashlib
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
from licenselens.signals.pii import mask_text
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


def extra_name(name: str, extra: ShardExtra) -> str:
    """The store's name for an extra's outputs of shard ``name``: apart from the measurements, so another
    extra (another exclusion list, policy or seed of `clean`) reuses them."""
    return f"{name}-{extra.key}"


def process_shard(task: ShardTask) -> dict:
    store = ShardStore(task.directory)
    wanted_extra = task.extra is not None and not store.is_done(extra_name(task.name, task.extra))
    if store.is_done(task.name):
        if not wanted_extra:
            return {"key": task.shard.key, "reused": True}
        return _extra_only(task, store)
    started = time.perf_counter()
    worker = analyser(task.timeout, task.surrogates)
    files = tree_findings(task.tree_results) if task.tree_results else None
    rows, errors, signatures = [], [], []
    settings = dedup_settings()
    reader = READERS[task.shard.reader](task.limits)
    extra = task.extra.begin(task.spec, task.shard) if task.extra and wanted_extra else None
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
    if extra and task.extra:
        with store.writing(extra_name(task.name, task.extra), {"shard": asdict(task.shard)}) as folder:
            extra.save(folder)
    return {"key": task.shard.key, "reused": False, **stats}


def _extra_only(task: ShardTask, store: ShardStore) -> dict:
    """The extra's work on a shard measured before: its documents read again beside their rows."""
    assert task.extra is not None
    started = time.perf_counter()
    extra = task.extra.begin(task.spec, task.shard)
    rows = shard_rows(store, task.name).to_pylist()
    signatures = shard_signatures(store, task.name)
    failed = {e["origin"] for e in store.record(task.name)["errors"] if e["code"] == "analysis-failed"}
    at = 0
    for item, source in READERS[task.shard.reader](task.limits).records(task.spec, task.shard):
        assert item is not None  # every item is parsed when none is refused
        if isinstance(item, DocumentError):
            extra.unread(item)
        elif failed and mask_text(item.origin) in failed:  # no row: the measuring could not analyse it
            extra.failed(item)
        elif (
            at < len(rows)
            and rows[at]["sha256"] == hashlib.sha256(item.text.encode("utf-8", "surrogatepass")).hexdigest()
        ):
            extra.document(item, source, rows[at], signatures[at])
            at += 1
        else:
            raise ShardChanged(f"{item.origin}: the input changed after it was measured; run again with --fresh")
    with store.writing(extra_name(task.name, task.extra), {"shard": asdict(task.shard)}) as folder:
        extra.save(folder)
    return {"key": task.shard.key, "reused": True, "seconds": round(time.perf_counter() - started, 3)}


class ShardChanged(ValueError):
    pass


def shard_rows(store: ShardStore, name: str, columns: list[str] | None = None) -> pa.Table:
    return pq.read_table(os.path.join(store.path(name), ROWS), schema=ROW_SCHEMA, columns=columns)


def shard_signatures(store: ShardStore, name: str) -> np.ndarray:
    return np.load(os.path.join(store.path(name), SIGNATURES))
