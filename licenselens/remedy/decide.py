"""The decision pass of `clean`: each document read again beside its measured row, in manifest order; kept
(its personal data masked or replaced, in every field) or removed with its reason.

Duplicates are decided on the cleaned text against the documents kept so far: an audit of the cleaned
corpus makes the same comparisons on the same texts, so it finds none.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from licenselens.corpus.neardup import NearDuplicates, comparable, dedup_settings, signature
from licenselens.corpus.process import shard_rows, shard_signatures
from licenselens.execution.shards import ShardStore
from licenselens.policy.base import Subject
from licenselens.policy.evaluate import PolicyEvaluator
from licenselens.privacy import redact
from licenselens.remedy.exclusions import document_key, listed
from licenselens.remedy.fields import Scrubber, changed, holds_personal, string_columns
from licenselens.remedy.writers import WRITERS, ArrowWriter, CorpusWriter, Kept, text_fields
from licenselens.signals.pii import PII_TYPES, find_pii, mask_text
from licenselens.sources.base import ReadLimits, SourceRecord
from licenselens.sources.readers import READERS, expand_inputs
from licenselens.sources.records import record_to_document
from licenselens.types.corpus import DatasetSpec, Document, DocumentError, Shard
from licenselens.types.policy import Verdict

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


class CleanError(ValueError):
    pass


@dataclass(frozen=True)
class Settings:
    pii: str  # mask | synthetic | drop
    exclude: frozenset[str]
    seed: str
    limits: ReadLimits


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
        settings: Settings,
        evaluator: PolicyEvaluator,
        staging: str,
        removed: pq.ParquetWriter,
        ledger: set[str],
        published: str,
    ):
        self.settings, self.evaluator, self.staging, self.removed_out = settings, evaluator, staging, removed
        self.published = published  # the folder of OUTDIR that ``staging`` becomes
        self.dedup = dedup_settings()
        self.near = NearDuplicates(self.dedup)
        self.digests: dict[str, str] = {}  # sha256 of a kept text -> its document
        self.kept_keys: list[str] = []
        self.ledger = ledger  # surrogates (of this run, and of the corpus when it was cleaned before)
        self.verdicts: dict[str | None, tuple[str, str | None]] = {}
        self.removed_rows: list[dict] = []
        self.excluded: set[str] = set()  # lines of the exclusion list that named a document
        self._columns: tuple[object, dict] = (None, {})  # the last record batch's string columns

    # --- one dataset ---

    def dataset(
        self,
        spec: DatasetSpec,
        shards: tuple[tuple[Shard, str], ...],
        plan_errors: tuple[DocumentError, ...],
        store: ShardStore,
    ) -> dict:
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
        rows = shard_rows(store, name).to_pylist()
        signatures = shard_signatures(store, name)
        failed = {e["origin"] for e in store.record(name)["errors"] if e["code"] == "analysis-failed"}
        at = 0
        for item, record in READERS[shard.reader](self.settings.limits).records(spec, shard):
            if isinstance(item, DocumentError):
                self._unread(spec.name, item, tally)
                continue
            data = item.text.encode("utf-8", "surrogatepass")
            tally.documents += 1
            tally.bytes_in += len(data)
            if failed and mask_text(item.origin) in failed:  # no row: the corpus run could not analyse it
                self._remove(spec.name, item.doc_id, item.origin, "analysis-failed", None, len(data), tally)
            elif at < len(rows) and rows[at]["sha256"] == hashlib.sha256(data).hexdigest():
                self._document(spec, item, record, rows[at], signatures[at], writer, tally)
                at += 1
            else:
                raise CleanError(f"{item.origin}: the input changed after it was measured; run clean again")

    # --- one document ---

    def _judge(self, spec: DatasetSpec, item: Document, row: dict) -> tuple[str, str | None] | None:
        line = listed(self.settings.exclude, spec.name, item.doc_id) if self.settings.exclude else None
        if line is not None:
            self.excluded.add(line)
            return "excluded", None
        if row["tdm_opt_out"]:
            return "opt-out", row["tdm_signals"][0]["signal"]
        found = [t for t in PII_TYPES if row[f"pii_{t}"]]
        if found and self.settings.pii == "drop":
            return "personal-information", ", ".join(found)
        expression = row["license_expression_spdx"]
        if expression not in self.verdicts:
            verdict, rule = self.evaluator.judge(Subject(license_expression_spdx=expression))
            self.verdicts[expression] = (verdict, rule.id if rule else None)
        verdict, rule_id = self.verdicts[expression]
        return ("policy", rule_id) if verdict == Verdict.DENY else None

    def _row_strings(self, record: SourceRecord) -> dict:
        """Every field of the record that can hold text: all of a JSON record; a table row's string columns."""
        if record.batch is None:
            return record.fields
        if self._columns[0] is not record.batch:
            self._columns = (record.batch, string_columns(record.batch))
        return {**{name: values[record.row] for name, values in self._columns[1].items()}, **record.fields}

    def _document(
        self,
        spec: DatasetSpec,
        item: Document,
        record: SourceRecord | None,
        row: dict,
        values: np.ndarray,
        writer: CorpusWriter,
        tally: _Tally,
    ) -> None:
        key = document_key(spec.name, item.doc_id)
        size = len(item.text.encode("utf-8", "surrogatepass"))
        judged = self._judge(spec, item, row)
        if judged:
            self._remove(spec.name, item.doc_id, item.origin, *judged, size, tally)
            return
        text_holds = any(row[f"pii_{t}"] for t in PII_TYPES)
        scrubber = Scrubber(self.settings.pii == "synthetic", self.settings.seed, key)
        kept, text = Kept(item, record), item.text
        if record is not None:  # every field: ids and metadata hold personal data too, and no run measures them
            fields = self._row_strings(record)
            texts = set(text_fields(spec, record.fields))  # measured by the corpus run: its row says
            personal = text_holds or holds_personal({k: v for k, v in fields.items() if k not in texts})
            if personal and self.settings.pii == "drop":
                self._remove(spec.name, item.doc_id, item.origin, "personal-information", "a field", size, tally)
                return
            new = changed(fields, scrubber) if personal else {}
            if new:
                made = record_to_document(spec, {**record.fields, **new}, item.origin, item.doc_id)
                assert isinstance(made, Document)  # the same fields as before, changed within
                kept, text = Kept(item, record, fields=new), made.text
        else:
            path = dict(item.metadata).get("path") or ""
            masked_path = mask_text(path)
            if masked_path != path and self.settings.pii == "drop":
                self._remove(spec.name, item.doc_id, item.origin, "personal-information", "file name", size, tally)
                return
            new_text = scrubber(item.text) if text_holds else None
            kept = Kept(item, None, text=new_text, path=masked_path if masked_path != path else None)
            text = item.text if new_text is None else new_text
        if text != item.text:
            ledger = self.ledger | scrubber.ledger()
            if find_pii(text, surrogates=frozenset(ledger)).counts:  # a value only the whole text shows
                self._remove(spec.name, item.doc_id, item.origin, "personal-information-remains", None, size, tally)
                return
        self._keep(spec, key, item, text, kept, values, scrubber, writer, tally, size)

    def _keep(self, spec, key, item, text, kept, values, scrubber, writer, tally, size) -> None:
        data = text.encode("utf-8", "surrogatepass")
        digest = hashlib.sha256(data).hexdigest()
        if digest in self.digests:
            self._remove(spec.name, item.doc_id, item.origin, "duplicate", self.digests[digest], size, tally)
            return
        edited = text != item.text
        if edited:
            values = signature(text, self.dedup)
        match = self.near.match(values) if comparable(values) else None
        if match is not None:
            first = self.kept_keys[match.first]
            self._remove(spec.name, item.doc_id, item.origin, "near-duplicate", first, size, tally)
            return
        writer.keep(kept)
        self.digests[digest] = key
        if comparable(values):
            self.near.keep(len(self.kept_keys), values)
        self.kept_keys.append(key)
        tally.kept += 1
        tally.bytes_out += len(data)
        tally.changed += edited or bool(kept.fields) or kept.path is not None
        self.ledger |= scrubber.ledger()
        tally.replaced.update(scrubber.counts)

    def _unread(self, dataset: str, error: DocumentError, tally: _Tally) -> None:
        tally.unread[error.code] += 1
        self._row(dataset, "", error.origin, error.code, error.message, 0)

    def _remove(
        self, dataset: str, doc_id: str, origin: str, reason: str, rule: str | None, size: int, tally: _Tally
    ) -> None:
        tally.removed[reason] += 1
        self._row(dataset, doc_id, origin, reason, rule, size)

    def _row(self, dataset: str, doc_id: str, origin: str, reason: str, rule: str | None, size: int) -> None:
        self.removed_rows.append(
            redact({"dataset": dataset, "doc_id": doc_id, "origin": origin, "reason": reason, "rule": rule})
            | {"bytes": size}
        )
        if len(self.removed_rows) >= 4096:
            self._flush_removed()

    def _flush_removed(self) -> None:
        if self.removed_rows:
            self.removed_out.write_table(pa.Table.from_pylist(self.removed_rows, schema=REMOVED_SCHEMA))
            self.removed_rows = []
