"""The per-document half of `clean`, run in the corpus run's shard workers right after each document is
measured (any engine, resumable with its shard): excluded, opted out, personal data to drop, denied by the
policy; otherwise its personal data masked or replaced in every field, and the digest and MinHash signature
of what would be written. Only the duplicate decisions, which depend on what was kept before, are left to
the pass in manifest order (remedy/decide.py).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from licenselens.corpus.neardup import dedup_settings, signature
from licenselens.policy.base import Subject
from licenselens.policy.evaluate import PolicyEvaluator
from licenselens.privacy import redact
from licenselens.remedy.exclusions import document_key, listed
from licenselens.remedy.fields import Scrubber, changed, holds_personal, string_columns
from licenselens.remedy.surrogates import RULES as SURROGATE_RULES
from licenselens.remedy.writers import text_fields
from licenselens.rules import rules_dir
from licenselens.signals.pii import PII_TYPES, find_pii, mask_text
from licenselens.sources.base import SourceRecord
from licenselens.sources.records import record_to_document
from licenselens.types.corpus import DatasetSpec, Document, DocumentError, Shard
from licenselens.types.policy import Policy, Verdict

DECISIONS, SIGNATURES = "clean.parquet", "clean-minhash.npy"  # beside the shard's rows
# one row per item of the shard (documents, and errors of reading), in reading order; a candidate (reason null) is kept unless it repeats
DECISION_SCHEMA = pa.schema(
    [
        ("doc_id", pa.string()),  # masked, as removed.parquet lists it
        ("origin", pa.string()),
        ("name", pa.string()),  # DATASET:DOC_ID, masked: what a duplicate of it names
        ("source_sha256", pa.string()),  # of the text as read: the writing pass checks it reads the same
        ("reason", pa.string()),
        ("rule", pa.string()),
        ("excluded_by", pa.string()),  # sha256 of the line of the exclusion list that named it (a count)
        ("bytes", pa.int64()),
        ("unread", pa.bool_()),  # an item that was never a document: reason is its error code, rule its message
        ("sha256", pa.string()),  # of the text to be written
        ("bytes_out", pa.int64()),
        ("changed", pa.bool_()),
        ("fields", pa.binary()),  # the record's top-level fields with new values, pickled (tables hold dates)
        ("text", pa.string()),  # a whole-file document's new text
        ("path", pa.string()),  # a whole-file document's new name in its folder
        ("replaced", pa.string()),  # JSON: personal data replaced, by type
        ("ledger", pa.list_(pa.string())),  # digests of the synthetic surrogates written
    ]
)


@dataclass(frozen=True)
class CleanSettings:
    pii: str  # mask | synthetic | drop
    exclude: frozenset[str]
    seed: str
    policy: Policy
    earlier: frozenset[str] = frozenset()  # the surrogates of a corpus cleaned before

    @cached_property  # asked for every shard, by the planner and the workers: the exclusion list hashed once
    def key(self) -> str:
        """What the decisions depend on besides the shard: part of the shard's name in the store."""
        policy = dataclasses.replace(self.policy, source="")  # its content, wherever its file is
        digest = hashlib.sha256(
            json.dumps([self.pii, sorted(self.exclude), self.seed, repr(policy), sorted(self.earlier)]).encode()
        )
        digest.update((rules_dir() / SURROGATE_RULES).read_bytes())
        return "clean" + digest.hexdigest()[:10]

    def begin(self, spec: DatasetSpec, shard: Shard) -> ShardDecisions:
        return ShardDecisions(self, spec)


@dataclass
class ShardDecisions:
    settings: CleanSettings
    spec: DatasetSpec
    rows: list[dict] = field(default_factory=list)
    signatures: list[np.ndarray] = field(default_factory=list)  # of the candidates, in order
    _verdicts: dict = field(default_factory=dict)
    _columns: tuple = (None, {})  # the last record batch's string columns

    def unread(self, error: DocumentError) -> None:
        shown = redact({"origin": error.origin, "rule": error.message})
        self.rows.append({"doc_id": "", **shown, "reason": error.code, "unread": True, "bytes": 0})

    def failed(self, item: Document) -> None:
        """A document the corpus run could not analyse: no row says what it holds, so it is not kept."""
        self._removed(item, "analysis-failed", None)

    def document(self, item: Document, record: SourceRecord | None, row: dict, values: np.ndarray) -> None:
        judged = self._judge(item, row)
        if judged:
            self._removed(item, *judged, row=row)
            return
        settings = self.settings
        text_holds = any(row[f"pii_{t}"] for t in PII_TYPES)
        scrubber = Scrubber(settings.pii == "synthetic", settings.seed, document_key(self.spec.name, item.doc_id))
        text, new_fields, new_text, new_path = item.text, None, None, None
        if record is not None:  # every field: ids and metadata hold personal data too, and no run measures them
            fields = self._row_strings(record)
            texts = set(text_fields(self.spec, record.fields))  # measured by the corpus run: its row says
            personal = text_holds or holds_personal({k: v for k, v in fields.items() if k not in texts})
            if personal and settings.pii == "drop":
                self._removed(item, "personal-information", "a field", row=row)
                return
            new = changed(fields, scrubber) if personal else {}
            if new:
                made = record_to_document(self.spec, {**record.fields, **new}, item.origin, item.doc_id)
                assert isinstance(made, Document)  # the same fields as before, changed within
                text, new_fields = made.text, new
        else:
            path = dict(item.metadata).get("path") or ""
            masked_path = mask_text(path)
            if masked_path != path and settings.pii == "drop":
                self._removed(item, "personal-information", "file name", row=row)
                return
            new_text = scrubber(item.text) if text_holds else None
            new_path = masked_path if masked_path != path else None
            text = item.text if new_text is None else new_text
        ledger = scrubber.ledger()
        if text != item.text:
            if find_pii(text, surrogates=settings.earlier | ledger).counts:  # a value only the whole text shows
                self._removed(item, "personal-information-remains", None, row=row)
                return
            values = signature(text, dedup_settings())
        data = text.encode("utf-8", "surrogatepass")
        self.signatures.append(values)
        self._row(
            item,
            row,
            name=redact(document_key(self.spec.name, item.doc_id)),  # what a later duplicate names
            sha256=hashlib.sha256(data).hexdigest(),
            bytes_out=len(data),
            changed=text != item.text or bool(new_fields) or new_path is not None,
            fields=pickle.dumps(new_fields) if new_fields else None,
            text=new_text,
            path=new_path,
            replaced=json.dumps(dict(scrubber.counts)) if scrubber.counts else None,
            ledger=sorted(ledger),
        )

    def _judge(self, item: Document, row: dict) -> tuple[str, str | None, str | None] | None:
        """(reason, rule, line of the exclusion list) of a document removed whatever else was kept."""
        exclude = self.settings.exclude
        line = listed(exclude, self.spec.name, item.doc_id) if exclude else None
        if line is not None:  # kept as a digest: the line may name someone
            return "excluded", None, hashlib.sha256(line.encode("utf-8", "surrogatepass")).hexdigest()
        if row["tdm_opt_out"]:
            return "opt-out", row["tdm_signals"][0]["signal"], None
        found = [t for t in PII_TYPES if row[f"pii_{t}"]]
        if found and self.settings.pii == "drop":
            return "personal-information", ", ".join(found), None
        expression = row["license_expression_spdx"]
        if expression not in self._verdicts:
            verdict, rule = PolicyEvaluator(self.settings.policy).judge(Subject(license_expression_spdx=expression))
            self._verdicts[expression] = (verdict, rule.id if rule else None)
        verdict, rule_id = self._verdicts[expression]
        return ("policy", rule_id, None) if verdict == Verdict.DENY else None

    def _row_strings(self, record: SourceRecord) -> dict:
        """Every field of the record that can hold text: all of a JSON record; a table row's string columns."""
        if record.batch is None:
            return record.fields
        if self._columns[0] is not record.batch:
            self._columns = (record.batch, string_columns(record.batch))
        return {**{name: values[record.row] for name, values in self._columns[1].items()}, **record.fields}

    def _removed(
        self, item: Document, reason: str, rule: str | None, excluded_by: str | None = None, row: dict | None = None
    ) -> None:
        self._row(item, row, reason=reason, rule=redact(rule), excluded_by=excluded_by)

    def _row(self, item: Document, row: dict | None, **values) -> None:
        """Work files hold no one's data: ids, origins, rules and names masked as removed.parquet shows them
        (the measured row has the id and origin masked already, and the text's digest)."""
        if row is None:
            shown = redact({"doc_id": item.doc_id, "origin": item.origin})
            source = hashlib.sha256(item.text.encode("utf-8", "surrogatepass")).hexdigest()
        else:
            shown, source = {"doc_id": row["doc_id"], "origin": row["origin"]}, row["sha256"]
        self.rows.append(
            {**shown, "source_sha256": source, "bytes": row["bytes"] if row else _size(item), "unread": False, **values}
        )

    def save(self, folder: str) -> None:
        pq.write_table(pa.Table.from_pylist(self.rows, schema=DECISION_SCHEMA), os.path.join(folder, DECISIONS))
        width = dedup_settings().num_perm
        np.save(os.path.join(folder, SIGNATURES), np.array(self.signatures, np.uint32).reshape(-1, width))


def read_decisions(folder: str) -> tuple[list[dict], np.ndarray]:
    return (
        pq.read_table(os.path.join(folder, DECISIONS), schema=DECISION_SCHEMA).to_pylist(),
        np.load(os.path.join(folder, SIGNATURES)),
    )


def _size(item: Document) -> int:
    return len(item.text.encode("utf-8", "surrogatepass"))
