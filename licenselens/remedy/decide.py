"""The pass of `clean` in manifest order: each document's decision, made in its shard's worker
(remedy/prepare.py), completed with the duplicate decisions, which depend on what was kept before; the kept
documents written in their input's format.

Duplicates are decided on the cleaned text against the documents kept so far: an audit of the cleaned
corpus makes the same comparisons on the same texts, so it finds none.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from licenselens.corpus.neardup import NONE, band_keys, dedup_settings
from licenselens.corpus.process import extra_name
from licenselens.corpus.repeats import NearDuplicates, SeenTexts
from licenselens.execution.shards import ShardStore
from licenselens.privacy import redact
from licenselens.remedy.prepare import CleanSettings, read_decisions
from licenselens.remedy.writers import WRITERS, ArrowWriter, CorpusWriter, Kept
from licenselens.signals.pii import PII_TYPES
from licenselens.sources.base import ReadLimits
from licenselens.sources.readers import READERS, expand_inputs
from licenselens.types.corpus import DatasetSpec, Document, DocumentError, Shard

REMOVED_SCHEMA = pa.schema(
    [
        ("dataset", pa.string()),
        ("doc_id", pa.string()),
        ("origin", pa.string()),
        ("reason", pa.string()),
        ("rule", pa.string()),  # the policy rule, the opt-out signal, the document kept instead, the error
        ("bytes", pa.int64()),
    ]
)


DEDUP_DIR = "dedup-clean"


class CleanError(ValueError):
    pass


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class _Tally:
    documents: int = 0
    kept: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    changed: int = 0
    removed: Counter = field(default_factory=Counter)  # documents, by reason
    unread: Counter = field(default_factory=Counter)  # items that were never documents, by error code
    replaced: Counter = field(default_factory=Counter)


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _targets(inputs: list[str]) -> dict[str, str]:
    """Where each input goes under its dataset's folder: its path from the inputs' common parent, or, when
    two inputs would nest or meet (a folder and its subfolder), a numbered folder each."""
    parents = [os.path.dirname(os.path.abspath(i.rstrip(os.sep))) for i in inputs]
    base = os.path.commonpath(parents) if parents else "."
    found = {i: os.path.relpath(os.path.abspath(i), base) for i in inputs}
    values = list(found.values())
    if any(a != b and _inside(a, b) for a in values for b in values) or len(set(values)) < len(values):
        found = {i: os.path.join(f"{n:03d}", os.path.basename(os.path.abspath(i))) for n, i in enumerate(inputs)}
    return found


class Cleaner:
    def __init__(
        self,
        settings: CleanSettings,
        limits: ReadLimits,
        staging: str,
        ledger: set[str],
        published: str,
        work: str,
        memory: int,
    ):
        self.settings, self.limits, self.staging = settings, limits, staging
        self.removed_out: pq.ParquetWriter | None = None  # removed.parquet, open while datasets are decided
        self.published = published  # the folder of OUTDIR that ``staging`` becomes
        self.dedup = dedup_settings()
        folder = os.path.join(work, DEDUP_DIR)  # this pass's own: the corpus merge may run meanwhile
        shutil.rmtree(folder, ignore_errors=True)  # a stopped run's files
        self.folder = folder
        self.seen = SeenTexts(folder, memory)  # sha256 of a kept text -> its document
        self.near = NearDuplicates(self.dedup, folder, memory)
        self.kept_count = 0
        self.ledger = ledger  # surrogates (of this run, and of the corpus when it was cleaned before)
        self.removed_rows: list[dict] = []
        self.excluded: set[str] = set()  # lines of the exclusion list that named a document

    def close(self) -> None:
        self.seen.close()
        self.near.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    # --- one dataset ---

    def dataset(
        self,
        spec: DatasetSpec,
        shards: tuple[tuple[Shard, str], ...],
        plan_errors: tuple[DocumentError, ...],
        store: ShardStore,
        removed: pq.ParquetWriter,
    ) -> dict:
        self.removed_out = removed
        tally = _Tally()
        inputs, _ = expand_inputs(spec)
        for error in plan_errors:  # missing, corrupt, unreadable inputs, as the corpus run planned them
            self._unread(spec.name, error, tally)
        targets = _targets(inputs)
        root = os.path.join(self.staging, spec.name)
        writers: dict[str, CorpusWriter] = {}
        for shard, name in shards:
            if shard.location not in writers:
                source = max(
                    (i for i in inputs if _inside(os.path.abspath(shard.location), os.path.abspath(i))), key=len
                )
                rest = os.path.relpath(os.path.abspath(shard.location), os.path.abspath(source))
                target = os.path.normpath(os.path.join(root, targets[source], rest))
                writers[shard.location] = WRITERS[spec.format](spec, shard.location, target)
            self._shard(spec, shard, name, store, writers[shard.location], tally)
        self._flush_removed()
        written = [w.target for w in writers.values() if w.close()]
        paths = []
        for source in inputs:
            target = os.path.normpath(os.path.join(root, targets[source]))
            inside = [w for w in written if _inside(w, target)]
            if spec.format == ArrowWriter.name and os.path.isdir(source) and inside:
                ArrowWriter.write_metadata(source, target, inside)
            if inside:
                paths.append(f"{self.published}/" + os.path.relpath(target, self.staging).replace(os.sep, "/"))
        return {
            "name": spec.name,
            "format": spec.format,
            "documents": tally.documents,
            "kept": tally.kept,
            "removed": dict(sorted(tally.removed.items())),
            "not_documents": dict(sorted(tally.unread.items())),
            "bytes_in": tally.bytes_in,
            "bytes_out": tally.bytes_out,
            "documents_changed": tally.changed,
            "pii_replaced": {t: tally.replaced[t] for t in PII_TYPES if tally.replaced[t]},
            "paths": paths,
        }

    def _shard(
        self, spec: DatasetSpec, shard: Shard, name: str, store: ShardStore, writer: CorpusWriter, tally: _Tally
    ) -> None:
        decisions, signatures = read_decisions(store.path(extra_name(name, self.settings)))
        kept = self._decide(spec, decisions, signatures, tally)
        if kept:
            self._write(spec, shard, decisions, kept, writer)

    def _decide(self, spec: DatasetSpec, decisions: list[dict], signatures: np.ndarray, tally: _Tally) -> set[int]:
        """The places of the shard's items that are kept: in manifest order, from what the workers decided
        and what was kept before; nothing of the input is read."""
        keys = band_keys(signatures, self.dedup)
        usable = (signatures != NONE).any(axis=1) if len(signatures) else np.zeros(0, dtype=bool)
        kept: set[int] = set()
        candidate = 0
        for place, decision in enumerate(decisions):
            if decision["unread"]:
                tally.unread[decision["reason"]] += 1
                self._remove(spec.name, decision, decision["reason"], decision["rule"], None)
                continue
            tally.documents += 1
            tally.bytes_in += decision["bytes"]
            if decision["reason"] is not None:
                if decision["excluded_by"] is not None:
                    self.excluded.add(decision["excluded_by"])
                self._remove(spec.name, decision, decision["reason"], decision["rule"], tally)
                continue
            values, band, comparable = signatures[candidate], keys[candidate], usable[candidate]
            candidate += 1
            first = self.seen.first(decision["sha256"])
            if first is not None:
                self._remove(spec.name, decision, "duplicate", first, tally)
                continue
            match = self.near.match(values, band) if comparable else None
            if match is not None:
                self._remove(spec.name, decision, "near-duplicate", match.name, tally)
                continue
            self.seen.add(decision["sha256"], decision["name"])
            if comparable:
                self.near.keep(self.kept_count, decision["name"], values, band)
            kept.add(place)
            self.kept_count += 1
            tally.kept += 1
            tally.bytes_out += decision["bytes_out"]
            tally.changed += decision["changed"]
            self.ledger.update(decision["ledger"])
            if decision["replaced"]:
                tally.replaced.update(json.loads(decision["replaced"]))
        return kept

    def _write(
        self, spec: DatasetSpec, shard: Shard, decisions: list[dict], kept: set[int], writer: CorpusWriter
    ) -> None:
        """The kept items of the shard, read again (a reader that can skips parsing the others), each checked
        to be the document that was measured."""
        place = -1
        for place, (item, record) in enumerate(
            READERS[shard.reader](self.limits).records(spec, shard, kept.__contains__)
        ):
            if place not in kept:
                continue
            decision = decisions[place] if place < len(decisions) else None
            if not isinstance(item, Document) or decision is None or decision["source_sha256"] != _digest(item.text):
                raise CleanError(f"{shard.location}: the input changed after it was measured; run clean again")
            fields = pickle.loads(decision["fields"]) if decision["fields"] else None
            writer.keep(Kept(item, record, fields=fields, text=decision["text"], path=decision["path"]))
        if place + 1 != len(decisions):
            raise CleanError(f"{shard.location}: the input changed after it was measured; run clean again")

    def _remove(self, dataset: str, decision: dict, reason: str, rule: str | None, tally: _Tally | None) -> None:
        """A removed row: the worker masked the id, origin, rule and the names of kept documents."""
        if tally is not None:
            tally.removed[reason] += 1
        shown = {"doc_id": decision["doc_id"], "origin": decision["origin"], "rule": rule}
        self._add_row({"dataset": redact(dataset), "reason": reason, **shown, "bytes": decision["bytes"]})

    def _unread(self, dataset: str, error: DocumentError, tally: _Tally) -> None:
        """An input the corpus run could not plan (missing, unreadable)."""
        tally.unread[error.code] += 1
        row = {"dataset": dataset, "doc_id": "", "origin": error.origin, "reason": error.code, "rule": error.message}
        self._add_row(redact(row) | {"bytes": 0})

    def _add_row(self, row: dict) -> None:
        self.removed_rows.append(row)
        if len(self.removed_rows) >= 4096:
            self._flush_removed()

    def _flush_removed(self) -> None:
        if self.removed_rows:
            assert self.removed_out is not None
            self.removed_out.write_table(pa.Table.from_pylist(self.removed_rows, schema=REMOVED_SCHEMA))
            self.removed_rows = []
