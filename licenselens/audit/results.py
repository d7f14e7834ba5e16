"""results.json: every measurement of an audit, in the form reports are rendered from (docs/results-schema.md)."""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from typing import Any, cast

import numpy as np
import pyarrow.parquet as pq

from licenselens.audit.evidence import build_evidence
from licenselens.audit.remediation import measured_processing, remediation
from licenselens.overlap.query import OverlapIndex
from licenselens.policy.base import Subject
from licenselens.policy.evaluate import PolicyEvaluator
from licenselens.rules import load_yaml
from licenselens.scancode.licensedb import index_version
from licenselens.signals.pii import PII_TYPES, mask_around, mask_text
from licenselens.sources.manifest import PROCESSING_KEYS
from licenselens.stamp import tool_stamp
from licenselens.tokens import token_spans
from licenselens.types.audit import CorpusSummary, Results
from licenselens.types.convert import asdict, to_jsonable
from licenselens.types.corpus import Document, DocumentError, Manifest
from licenselens.types.overlap import OVERLAP_VERDICTS, OutputResult
from licenselens.types.policy import Policy, Verdict

SCHEMA_VERSION = "1.1"  # 1.1: outputs carry near_copies (blocks) instead of near (closest passage)
DOCUMENT_COLUMNS = (
    "dataset",
    "doc_id",
    "origin",
    "url",
    "path",
    "chars",
    "tokens",
    "license_expression_spdx",
    "license_categories",
    "declared_license",
    "license_mismatch",
    "notices",
    "holders",
    "tdm_signals",
    "pii_samples",
    "duplicate_of",
    "near_duplicate_of",
    "near_similarity",
    *(f"pii_{t}" for t in PII_TYPES),
)
PASSAGE_CONTEXT = 160  # characters shown around a span in its source
SPANS_WITH_PASSAGES = 5  # per output, the longest spans and the longest near-copy blocks
SPAN_BINS = ((0, 25), (25, 50), (50, 100), (100, 200), (200, None))  # tokens; the verbatim threshold is 50


def _judge(evaluator: PolicyEvaluator, cache: dict, key: tuple) -> tuple[str, str | None]:
    if key not in cache:
        expression, opt_out, pii, overlap = key
        verdict, rule = evaluator.judge(
            Subject(
                license_expression_spdx=expression,
                tdm_opt_out=opt_out,
                personal_information=pii,
                overlap_verdict=overlap,
            )
        )
        cache[key] = (verdict, rule.id if rule else None)
    return cache[key]


def _flagged(row: dict) -> bool:
    return bool(
        row["license_mismatch"]
        or row["tdm_signals"]
        or row["pii_samples"]
        or row["notices"]
        or row["duplicate_of"]
        or row["near_duplicate_of"]
        or row["policy_verdict"] != Verdict.ALLOW
    )


def _documents(corpus_results: str, evaluator: PolicyEvaluator, limit: int) -> tuple[dict, dict]:
    """Rows for the report (flagged rows first when over ``limit``, shown in corpus order) and the
    policy verdicts per dataset of all rows. At most twice ``limit`` rows are held."""
    cache: dict = {}
    verdicts: dict[str, Counter] = defaultdict(Counter)
    flagged: list[tuple[int, dict]] = []
    plain: list[tuple[int, dict]] = []
    total = 0
    for batch in pq.ParquetFile(corpus_results).iter_batches(columns=list(DOCUMENT_COLUMNS)):
        for row in batch.to_pylist():
            row["tdm_signals"] = sorted({s["signal"] for s in row["tdm_signals"]})
            row["pii"] = {t: row[f"pii_{t}"] for t in PII_TYPES if row[f"pii_{t}"]}
            for t in PII_TYPES:
                del row[f"pii_{t}"]
            verdict, rule = _judge(
                evaluator, cache, (row["license_expression_spdx"], bool(row["tdm_signals"]), bool(row["pii"]), None)
            )
            row["policy_verdict"], row["policy_rule"] = verdict, rule
            verdicts[row["dataset"]][verdict] += 1
            target = flagged if _flagged(row) else plain
            if len(target) < limit:
                target.append((total, row))
            total += 1
    shown = sorted(flagged + plain[: max(0, limit - len(flagged))], key=lambda item: item[0])
    return (
        {"total": total, "shown": len(shown), "rows": [row for _, row in shown]},
        {name: dict(sorted(c.items())) for name, c in verdicts.items()},
    )


_MARGIN = 64  # characters around a passage that its masking reads: longer than any item of personal data


def _passage(index: OverlapIndex, source: dict) -> dict | None:
    text = index.source_text(source["dataset"], source["origin"])
    if text is None:
        return None
    a, b = source["start_char"], source["end_char"]
    lo, hi = max(0, a - PASSAGE_CONTEXT), b + PASSAGE_CONTEXT
    wide = max(0, lo - _MARGIN)  # masked with a margin, so a value cut by the passage's edges is still seen
    masked, (lo, a, b, hi) = mask_around(text[wide : hi + _MARGIN], (lo - wide, a - wide, b - wide, hi - wide))
    return {"before": masked[lo:a], "match": masked[a:b], "after": masked[b:hi]}


def _copied_tokens(text: str, spans) -> dict[str, int]:
    """Per dataset, the output tokens inside spans with a listed source from that dataset (each counted once)."""
    starts, ends = token_spans(text)
    copied: dict[str, int] = {}
    for dataset in sorted({s.dataset for span in spans for s in span.sources}):
        inside = np.zeros(len(starts), dtype=bool)
        for span in spans:
            if any(s.dataset == dataset for s in span.sources):
                inside |= (starts >= span.start_char) & (ends <= span.end_char)
        copied[dataset] = int(inside.sum())
    return copied


def _output(document: Document, result: OutputResult, index: OverlapIndex, judge) -> dict:
    data = to_jsonable(result)
    data["copied_tokens_by_dataset"] = _copied_tokens(document.text, result.spans)
    data["text"] = mask_text(document.text, same_length=True)  # the spans' offsets still hold
    data["origin"] = document.origin
    data["policy_verdict"], data["policy_rule"] = judge(result.verdict)
    for item in data["spans"] + data["near_copies"]:
        item["source_passage"] = None
    longest = sorted(range(len(data["spans"])), key=lambda i: -data["spans"][i]["tokens"])[:SPANS_WITH_PASSAGES]
    for i in longest:
        span = data["spans"][i]
        span["source_passage"] = _passage(index, span["sources"][0]) if span["sources"] else None
    blocks = data["near_copies"]
    for i in sorted(range(len(blocks)), key=lambda i: -blocks[i]["tokens"])[:SPANS_WITH_PASSAGES]:
        blocks[i]["source_passage"] = _passage(index, blocks[i]["source"])
    return data


def _span_bins(outputs: list[dict]) -> list[dict]:
    bins = []
    for low, high in SPAN_BINS:
        count = sum(
            1 for o in outputs for s in o["spans"] if s["tokens"] >= low and (high is None or s["tokens"] < high)
        )
        bins.append({"from": low, "to": high, "spans": count})
    return bins


def assemble(
    *,
    manifest: Manifest,
    policy: Policy,
    corpus_summary: CorpusSummary,
    corpus_results: str,
    trees: list[dict],
    index: OverlapIndex,
    index_info: dict,
    checked: list[tuple[Document, OutputResult]],
    output_errors: list[DocumentError],
    created: str,
    max_documents: int,
    before: str | None = None,
) -> Results:
    evaluator = PolicyEvaluator(policy)
    cache: dict = {}
    documents, document_verdicts = _documents(corpus_results, evaluator, max_documents)
    outputs = [
        _output(doc, result, index, lambda v: _judge(evaluator, cache, (None, None, None, v)))
        for doc, result in checked
    ]
    rules = load_yaml("overlap.yaml")
    measured: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "created": created,
        "tool": tool_stamp(index_version()),
        "manifest": manifest.source.replace(os.sep, "/"),
        "model": {
            "name": manifest.model,
            "description": manifest.description,
            "provider": manifest.provider,
            "use": manifest.model_use,
            "knowledge_cutoff": manifest.knowledge_cutoff,
        },
        "processing": {key: dict(manifest.processing).get(key) for key in PROCESSING_KEYS},
        "processing_measured": measured_processing(corpus_summary["totals"]),
        "remediation": remediation(
            before, corpus_summary, document_verdicts, lambda path: _documents(path, evaluator, 0)[1]
        )
        if before
        else None,
        "policy": {
            "name": policy.name,
            "description": policy.description,
            "document_verdicts": document_verdicts,
            "output_verdicts": dict(sorted(Counter(o["policy_verdict"] for o in outputs).items())),
            "file_verdicts": dict(
                sorted(
                    Counter(
                        f["verdict"] for t in trees for f in (t["scan"].get("policy") or {}).get("findings", [])
                    ).items()
                )
            ),
        },
        "corpus": {"totals": corpus_summary["totals"], "datasets": corpus_summary["datasets"]},
        "documents": documents,
        "trees": trees,
        "overlap": {
            "index": {
                "n": index_info["n"],
                "gram": index_info["gram"],
                "documents": index_info["counts"]["documents"],
                "tokens": index_info["counts"]["tokens"],
                "bytes_per_token": index_info["counts"]["bytes_per_token"],
            },
            "thresholds": {k: rules[k] for k in ("verbatim", "near_verbatim", "derivative")},
            "outputs": outputs,
            "by_verdict": {v: sum(1 for o in outputs if o["verdict"] == v) for v in OVERLAP_VERDICTS},
            "span_lengths": _span_bins(outputs),
            "errors": [asdict(e) for e in output_errors],
        },
    }
    return cast(Results, {**measured, "evidence": build_evidence(measured)})
