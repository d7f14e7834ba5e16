"""`licenselens clean`: the corpus a policy allows, written in its input's formats, with what was removed and why.

The corpus pipeline measures every document first (into OUTDIR/before: resumable, any engine); then one
pass in manifest order reads each document again beside its measured row and decides: excluded, opted
out, personal data to drop, denied by the policy; otherwise its personal data is masked or replaced by
synthetic surrogates, and it is kept unless its cleaned text repeats, exactly or nearly, a document kept
before it. Deciding on the cleaned text, against kept documents only, is what makes an audit of the
cleaned corpus find no duplicate: the audit makes the same comparisons on the same texts.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from licenselens.atomic import atomic_output
from licenselens.corpus.neardup import NearDuplicates, comparable, dedup_settings, signature
from licenselens.corpus.process import shard_rows, shard_signatures
from licenselens.corpus.runner import CorpusOptions, CorpusRun, run_corpus
from licenselens.corpus.surrogate_ledger import ledger_text
from licenselens.execution.shards import ShardStore
from licenselens.policy.base import Subject
from licenselens.policy.evaluate import PolicyEvaluator
from licenselens.policy.loading import load_policy
from licenselens.privacy import redact
from licenselens.remedy.cleaned_manifest import write_manifest
from licenselens.remedy.exclusions import document_key
from licenselens.remedy.surrogates import Replacer
from licenselens.remedy.writers import WRITERS, ArrowWriter, CorpusWriter, transformed
from licenselens.scancode.licensedb import index_version
from licenselens.signals.pii import PII_TYPES, find_pii, mask_text
from licenselens.sources.readers import READERS, expand_inputs
from licenselens.sources.records import record_to_document
from licenselens.stamp import tool_stamp
from licenselens.types.corpus import DatasetSpec, Document, DocumentError, Manifest, Shard
from licenselens.types.policy import Verdict

PII_MODES = ("mask", "synthetic", "drop")
BEFORE_DIR, DATA_DIR = "before", "data"
MANIFEST_FILE, REMOVED_FILE, SUMMARY_FILE, LEDGER_FILE = (
    "licenselens.toml",
    "removed.parquet",
    "clean-summary.json",
    "pii-surrogates.txt",
)
# why a document is not in the cleaned corpus (besides reading errors, which keep their own codes)
REASONS = (
    "excluded",
    "opt-out",
    "personal-information",
    "policy",
    "personal-information-remains",
    "duplicate",
    "near-duplicate",
)
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
class CleanOptions:
    output_dir: str
    policy: str | None = None  # overrides the manifest's `policy`
    pii: str = "mask"
    exclude: frozenset[str] = frozenset()  # DATASET:DOC_ID keys (remedy/exclusions.py)
    seed: str = "licenselens"  # of the synthetic surrogates
    corpus: CorpusOptions = CorpusOptions()  # how the documents are measured first (its output_dir is ignored)


@dataclass(frozen=True)
class CleanRun:
    summary: dict
    manifest_path: str
    removed_path: str
    summary_path: str
    before: CorpusRun


@dataclass
class _Tally:
    """One dataset's counts."""

    documents: int = 0
    kept: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    changed: int = 0
    removed: Counter = field(default_factory=Counter)
    replaced: Counter = field(default_factory=Counter)


class _Cleaner:
    def __init__(self, options: CleanOptions, evaluator: PolicyEvaluator, staging: str, removed: pq.ParquetWriter):
        self.options, self.evaluator, self.staging, self.removed_out = options, evaluator, staging, removed
        self.settings = dedup_settings()
        self.near = NearDuplicates(self.settings)
        self.digests: dict[str, str] = {}  # sha256 of a kept text -> its document
        self.kept_keys: list[str] = []
        self.ledger: set[str] = set()
        self.verdicts: dict[str | None, tuple[str, str | None]] = {}
        self.removed_rows: list[dict] = []

    # --- one dataset ---

    def dataset(self, spec: DatasetSpec, shards: tuple[tuple[Shard, str], ...], store: ShardStore) -> dict:
        tally = _Tally()
        inputs, errors = expand_inputs(spec)
        for error in errors:
            self._remove(spec.name, "", error.origin, error.code, error.message, 0, tally)
        base = _common_base(inputs)
        writers: dict[str, CorpusWriter] = {}
        for shard, name in shards:
            if shard.location not in writers:
                target = os.path.join(self.staging, spec.name, os.path.relpath(shard.location, base))
                writers[shard.location] = WRITERS[spec.format](spec, shard.location, target)
            self._shard(spec, shard, name, store, writers[shard.location], tally)
        self._flush_removed()
        written = [w.target for w in writers.values() if w.close()]
        for folder in (i for i in inputs if spec.format == ArrowWriter.name and os.path.isdir(i)):
            for extra in ArrowWriter.folder_files(folder):  # state.json and dataset_info.json, as they are
                shutil.copyfile(extra, os.path.join(self.staging, spec.name, os.path.relpath(extra, base)))
            written = [os.path.join(self.staging, spec.name, os.path.relpath(folder, base))]
        paths = sorted({os.path.relpath(p, self.staging) for p in written})
        return {
            "name": spec.name,
            "format": spec.format,
            "documents": tally.documents,
            "kept": tally.kept,
            "removed": dict(sorted(tally.removed.items())),
            "bytes_in": tally.bytes_in,
            "bytes_out": tally.bytes_out,
            "documents_changed": tally.changed,
            "pii_replaced": {t: tally.replaced[t] for t in PII_TYPES if tally.replaced[t]},
            "paths": [f"{DATA_DIR}/{p}".replace(os.sep, "/") for p in paths],
        }

    def _shard(
        self, spec: DatasetSpec, shard: Shard, name: str, store: ShardStore, writer: CorpusWriter, tally: _Tally
    ) -> None:
        rows = shard_rows(store, name).to_pylist()
        signatures = shard_signatures(store, name)
        failed = {e["origin"] for e in store.record(name)["errors"] if e["code"] == "analysis-failed"}
        at = 0
        for item, record in READERS[shard.reader](self.options.corpus.limits).records(spec, shard):
            if isinstance(item, DocumentError):
                self._remove(spec.name, "", item.origin, item.code, item.message, 0, tally)
                continue
            data = item.text.encode("utf-8", "surrogatepass")
            tally.documents += 1
            tally.bytes_in += len(data)
            if at < len(rows) and rows[at]["sha256"] == hashlib.sha256(data).hexdigest():
                self._document(spec, item, record, rows[at], signatures[at], writer, tally)
                at += 1
            elif mask_text(item.origin) in failed:
                self._remove(spec.name, item.doc_id, item.origin, "analysis-failed", None, len(data), tally)
            else:
                raise CleanError(f"{item.origin}: the input changed after it was measured; run clean again")

    # --- one document ---

    def _judge(self, key: str, row: dict) -> tuple[str, str | None] | None:
        # trace writes ids as every output does, masked: an id holding personal data is matched masked too
        if key in self.options.exclude or mask_text(key) in self.options.exclude:
            return "excluded", None
        if row["tdm_opt_out"]:
            return "opt-out", row["tdm_signals"][0]["signal"]
        found = [t for t in PII_TYPES if row[f"pii_{t}"]]
        if found and self.options.pii == "drop":
            return "personal-information", ", ".join(found)
        expression = row["license_expression_spdx"]
        if expression not in self.verdicts:
            verdict, rule = self.evaluator.judge(Subject(license_expression_spdx=expression))
            self.verdicts[expression] = (verdict, rule.id if rule else None)
        verdict, rule_id = self.verdicts[expression]
        return ("policy", rule_id) if verdict == Verdict.DENY else None

    def _document(
        self,
        spec: DatasetSpec,
        item: Document,
        record: dict | None,
        row: dict,
        values: np.ndarray,
        writer: CorpusWriter,
        tally: _Tally,
    ) -> None:
        key = document_key(spec.name, item.doc_id)
        size = len(item.text.encode("utf-8", "surrogatepass"))
        judged = self._judge(key, row)
        if judged:
            self._remove(spec.name, item.doc_id, item.origin, *judged, size, tally)
            return
        text, changed, replacer = item.text, None, None
        if any(row[f"pii_{t}"] for t in PII_TYPES):
            replacer = Replacer(self.options.seed, key) if self.options.pii == "synthetic" else None
            change: Callable[[str], str] = replacer or _mask
            if record is not None:
                record = transformed(spec, record, change)
                made = record_to_document(spec, record, item.origin, item.doc_id)
                assert isinstance(made, Document)  # the same fields as before, changed within
                text = made.text
            else:
                text = changed = change(item.text)
            ledger = self.ledger | (replacer.ledger() if replacer else set())
            if find_pii(text, surrogates=frozenset(ledger)).counts:  # a value only the whole text shows
                self._remove(spec.name, item.doc_id, item.origin, "personal-information-remains", None, size, tally)
                return
        data = text.encode("utf-8", "surrogatepass")
        digest = hashlib.sha256(data).hexdigest()
        if digest in self.digests:
            self._remove(spec.name, item.doc_id, item.origin, "duplicate", self.digests[digest], size, tally)
            return
        edited = text != item.text
        if edited:
            values = signature(text, self.settings)
        match = self.near.match(values) if comparable(values) else None
        if match is not None:
            first = self.kept_keys[match.first]
            self._remove(spec.name, item.doc_id, item.origin, "near-duplicate", first, size, tally)
            return
        writer.keep(item, record, changed)
        self.digests[digest] = key
        if comparable(values):
            self.near.keep(len(self.kept_keys), values)
        self.kept_keys.append(key)
        tally.kept += 1
        tally.bytes_out += len(data)
        tally.changed += edited
        if replacer:
            self.ledger |= replacer.ledger()
            tally.replaced.update(replacer.counts)
        elif edited:
            tally.replaced.update({t: row[f"pii_{t}"] for t in PII_TYPES if row[f"pii_{t}"]})

    def _remove(
        self, dataset: str, doc_id: str, origin: str, reason: str, rule: str | None, size: int, tally: _Tally
    ) -> None:
        tally.removed[reason] += 1
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


def _mask(text: str) -> str:
    return mask_text(text)


def _common_base(inputs: list[str]) -> str:
    """The folder the dataset's inputs are written under, relative to: their parents' common path."""
    parents = [os.path.dirname(os.path.abspath(i.rstrip(os.sep))) for i in inputs]
    return os.path.commonpath(parents) if parents else "."


def run_clean(manifest: Manifest, options: CleanOptions, progress: Callable[[dict], None] | None = None) -> CleanRun:
    if options.pii not in PII_MODES:
        raise CleanError(f"unknown --pii {options.pii!r} (known: {', '.join(PII_MODES)})")
    out = options.output_dir
    policy = load_policy(options.policy or manifest.policy or "default")
    before = run_corpus(
        manifest, dataclasses.replace(options.corpus, output_dir=os.path.join(out, BEFORE_DIR)), progress
    )
    staging = os.path.join(out, f".{DATA_DIR}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging)
    removed_path = os.path.join(out, REMOVED_FILE)
    with atomic_output(removed_path, binary=True) as fh, pq.ParquetWriter(fh, REMOVED_SCHEMA) as removed:
        cleaner = _Cleaner(options, PolicyEvaluator(policy), staging, removed)
        store = ShardStore(before.store)
        datasets = [cleaner.dataset(spec, shards, store) for spec, shards in before.shards_by_dataset]
    data = os.path.join(out, DATA_DIR)
    shutil.rmtree(data, ignore_errors=True)
    os.replace(staging, data)
    ledger = None
    if options.pii == "synthetic":
        ledger = os.path.join(out, LEDGER_FILE)
        with atomic_output(ledger, binary=False) as fh:
            fh.write(ledger_text(cleaner.ledger))
    manifest_path = os.path.join(out, MANIFEST_FILE)
    write_manifest(manifest, policy.name, datasets, manifest_path, LEDGER_FILE if ledger else None)
    totals = {
        key: sum(d[key] for d in datasets)
        for key in ("documents", "kept", "bytes_in", "bytes_out", "documents_changed")
    }
    removed_counts: Counter = Counter()
    for d in datasets:
        removed_counts.update(d["removed"])
    summary = redact(
        {
            "tool": tool_stamp(index_version()),
            "manifest": manifest.source,
            "policy": policy.name,
            "pii": options.pii,
            "seed": options.seed if options.pii == "synthetic" else None,
            "excluded_keys": len(options.exclude),
            "totals": {**totals, "removed": dict(sorted(removed_counts.items()))},
            "datasets": datasets,
            "files": {
                "manifest": MANIFEST_FILE,
                "removed": REMOVED_FILE,
                "surrogates": LEDGER_FILE if ledger else None,
                "before": f"{BEFORE_DIR}/corpus.parquet",
            },
        }
    )
    summary_path = os.path.join(out, SUMMARY_FILE)
    with atomic_output(summary_path, binary=False) as fh:
        json.dump(summary, fh, indent=2, ensure_ascii=False)
        fh.write("\n")
    return CleanRun(summary, manifest_path, removed_path, summary_path, before)
