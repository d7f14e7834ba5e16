"""What the HTML and Markdown reports show, computed once from results.json.

Templates only lay this out: every number here comes from results.json, and every
text that came from scanned content stays a plain string (the templates escape it).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from licenselens.policy.fair_use import load_rules
from licenselens.reporters.charts import bar_chart, histogram, stacked_bars
from licenselens.types.corpus import STAGES
from licenselens.types.overlap import OVERLAP_VERDICTS, OverlapVerdict
from licenselens.types.policy import VERDICTS, Verdict

TOP_SPANS = 5  # per dataset, shown beside their source passages
# Where a position's evidence links when the number is derived, not a row of the evidence table
DERIVED_ROWS = {
    "open_share": "governing",
    "public_domain_share": "governing",
    "no_licence_share": "governing",
    "outputs_reproducing": "overlap",
}


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", str(name).lower()).strip("-") or "x"


def segments(text: str, spans: list[dict], blocks: list[dict] = ()) -> list[dict]:  # type: ignore[assignment]
    """The output text cut at span and block edges: [{text, span (index or None), block (index or None)}].

    An exact span wins over a near-copy block where both cover a character; overlapping ones merge.
    """
    span_at = [-1] * (len(text) + 1)
    block_at = [-1] * (len(text) + 1)
    for marks, items in ((block_at, blocks), (span_at, spans)):
        for i, item in sorted(enumerate(items), key=lambda e: (e[1]["start_char"], e[0]), reverse=True):
            marks[item["start_char"] : item["end_char"]] = [i] * (item["end_char"] - item["start_char"])
    parts: list[dict] = []
    at = 0
    for end in range(1, len(text) + 1):
        here = (span_at[at], -1 if span_at[at] >= 0 else block_at[at])
        there = (span_at[end], -1 if span_at[end] >= 0 else block_at[end])
        if end == len(text) or there != here:
            parts.append(
                {
                    "text": text[at:end],
                    "span": here[0] if here[0] >= 0 else None,
                    "block": here[1] if here[1] >= 0 else None,
                }
            )
            at = end
    return parts


def _edited(output: dict) -> list[dict]:
    """Near-copy blocks that say more than the exact spans: edited, or reaching beyond one span."""
    return [
        block
        for block in output["near_copies"]
        if block["similarity"] < 1
        or not any(
            s["start_char"] <= block["start_char"] and block["end_char"] <= s["end_char"] for s in output["spans"]
        )
    ]


def _output_view(output: dict) -> dict:
    sources = sorted({(src["dataset"], src["license"] or "unknown") for s in output["spans"] for src in s["sources"]})
    blocks = _edited(output)
    near_sources = sorted({(b["source"]["dataset"], b["source"]["license"] or "unknown") for b in blocks})
    return {
        **output,
        "anchor": f"output-{slug(output['id'])}",
        "segments": segments(output["text"], output["spans"], blocks),
        "blocks": blocks,
        "source_datasets": sorted({d for d, _ in sources + near_sources}),
        "source_licenses": sorted({lic for _, lic in sources + near_sources}),
        "best_near": max((b["similarity"] for b in blocks), default=None),
    }


def _dataset_spans(outputs: list[dict], dataset: str) -> list[dict]:
    found = []
    for output in outputs:
        for span in output["spans"]:
            source = next((s for s in span["sources"] if s["dataset"] == dataset), None)
            if source and span.get("source_passage") and span["sources"][0] is source:
                found.append(
                    {
                        "output": output["id"],
                        "output_anchor": f"output-{slug(output['id'])}",
                        "text": output["text"][span["start_char"] : span["end_char"]],
                        "tokens": span["tokens"],
                        "chars": span["chars"],
                        "source": source,
                        "passage": span["source_passage"],
                        "source_count": span["source_count"],
                        "similarity": None,
                    }
                )
        for block in _edited(output):
            if block["source"]["dataset"] == dataset and block.get("source_passage"):
                found.append(
                    {
                        "output": output["id"],
                        "output_anchor": f"output-{slug(output['id'])}",
                        "text": output["text"][block["start_char"] : block["end_char"]],
                        "tokens": block["tokens"],
                        "chars": block["end_char"] - block["start_char"],
                        "source": block["source"],
                        "passage": block["source_passage"],
                        "source_count": block["source_count"],
                        "similarity": block["similarity"],
                    }
                )
    return sorted(found, key=lambda s: (-s["tokens"], s["output"], s["similarity"] or 1))[:TOP_SPANS]


def _linked(fair_use: dict | None, anchor: str, evidence: dict) -> dict | None:
    """The dataset's rationale with each cited number linked to the row that shows it."""
    if fair_use is None:
        return None

    def link(item: dict) -> dict:
        cited = [
            {
                **e,
                "href": f"#{anchor}-"
                + (slug(e["metric"]) if e["metric"] in evidence else DERIVED_ROWS.get(e["metric"], "evidence")),
            }
            for e in item["evidence"]
        ]
        return {**item, "evidence": cited}

    return {
        "us": {**fair_use["us"], "factors": [link(f) for f in fair_use["us"]["factors"]]},
        "jurisdictions": [{**j, "points": [link(p) for p in j["points"]]} for j in fair_use["jurisdictions"]],
    }


def _pii_samples(rows: list[dict], dataset: str) -> list[str]:
    samples: list[str] = []
    for row in rows:
        if row["dataset"] == dataset:
            samples.extend(s for s in row["pii_samples"] if s not in samples)
    return samples[:10]


def _datasets(results: Mapping[str, Any], assessment: dict, obligations: dict) -> list[dict]:
    rows = results["documents"]["rows"]
    outputs = results["overlap"]["outputs"]
    verdicts = results["policy"]["document_verdicts"]
    views = []
    for d in results["corpus"]["datasets"]:
        anchor = f"dataset-{slug(d['name'])}"
        views.append(
            {
                **d,
                "anchor": anchor,
                "evidence": results["evidence"]["datasets"][d["name"]],
                "obligations": obligations[d["name"]],
                "spans": _dataset_spans(outputs, d["name"]),
                "pii_samples": _pii_samples(rows, d["name"]),
                "policy_verdicts": verdicts.get(d["name"], {}),
                "fair_use": _linked(
                    assessment["datasets"].get(d["name"]), anchor, results["evidence"]["datasets"][d["name"]]
                ),
            }
        )
    return views


def _stages(datasets: list[dict]) -> list[dict]:
    by_stage = defaultdict(list)
    for d in datasets:
        by_stage[d["stage"]].append(d)
    return [
        {
            "stage": s,
            "datasets": by_stage[s],
            "documents": sum(d["documents"] for d in by_stage[s]),
            "tokens": sum(d["tokens"] for d in by_stage[s]),
        }
        for s in STAGES
        if by_stage[s]
    ]


def _headline(results: Mapping[str, Any]) -> list[dict]:
    t = results["corpus"]["totals"]
    by_verdict = results["overlap"]["by_verdict"]
    outputs = len(results["overlap"]["outputs"])
    copying = by_verdict[OverlapVerdict.VERBATIM] + by_verdict[OverlapVerdict.NEAR_VERBATIM]
    items = [
        {"label": "datasets", "value": f"{t['datasets']:,}", "href": "#datasets"},
        {"label": "documents", "value": f"{t['documents']:,}", "href": "#documents"},
        {"label": "tokens", "value": f"{t['tokens']:,}", "href": "#datasets"},
        {
            "label": "datasets whose text contradicts their declared licence",
            "value": f"{t['datasets_with_mismatches']['count']} of {t['datasets_with_declared_license']}",
            "href": "#documents",
            "filter": "is:mismatch",
        },
        {
            "label": "documents with a TDM opt-out",
            "value": f"{t['tdm_opt_out']['share']:.1%}",
            "href": "#documents",
            "filter": "is:opt-out",
        },
        {
            "label": "documents with personal information",
            "value": f"{t['personal_information']['share']:.1%}",
            "href": "#documents",
            "filter": "is:pii",
        },
        {
            "label": "model outputs reproducing training text (verbatim or near-verbatim)",
            "value": f"{copying} of {outputs}",
            "href": "#outputs",
            "filter": "is:verbatim",
        },
        {"label": "input errors", "value": f"{t['errors'] + len(results['overlap']['errors'])}", "href": "#errors"},
    ]
    return [{"filter": None, **h} for h in items]


def _charts(results: Mapping[str, Any], datasets: list[dict]) -> dict:
    by_verdict = results["overlap"]["by_verdict"]
    return {
        "categories": stacked_bars([(d["name"], d["governing_categories"], f"#{d['anchor']}") for d in datasets]),
        "verdicts": bar_chart([(v, by_verdict[v], "#outputs", v) for v in OVERLAP_VERDICTS]),
        "spans": histogram(
            results["overlap"]["span_lengths"], results["overlap"]["thresholds"]["verbatim"]["min_span_tokens"]
        ),
    }


def _files(results: Mapping[str, Any]) -> list[dict]:
    files = []
    for tree in results["trees"]:
        verdicts = defaultdict(list)
        for f in (tree["scan"].get("policy") or {}).get("findings", []):
            verdicts[f["path"]].append(f["verdict"])
        for f in tree["scan"]["files"]:
            worst = max(verdicts.get(f["path"], [Verdict.ALLOW.value]), key=VERDICTS.index)
            files.append(
                {
                    "dataset": tree["dataset"],
                    "root": tree["root"],
                    "path": f["path"],
                    "license": f["license_expression_spdx"],
                    "file_type": f["file_type"],
                    "categories": sorted({d["category"] for d in f["detections"]}),
                    "holders": [h["value"] for h in f["holders"]],
                    "policy_verdict": worst,
                    "errors": [f"{e['code']}: {e['message']}" for e in f["errors"]],
                }
            )
    return files


PROCESSING_LABELS = (
    ("opt_outs_removed", "Opt-outs removed"),
    ("pii_removed", "Personal data removed"),
    ("dedup", "Deduplicated (exact and near)"),
)
REMEDIATION_MEASURES = (
    ("documents", "documents"),
    ("tdm_opt_out", "opted out"),
    ("personal_information", "personal data"),
    ("duplicates", "duplicates"),
    ("near_duplicates", "near duplicates"),
    ("denied", "denied"),
)


def build_view(results: Mapping[str, Any]) -> dict:
    """The view of assessed results (``audit.assessment.with_assessment``)."""
    assessment, ai_act = results["assessment"]["fair_use"], results["assessment"]["ai_act"]
    datasets = _datasets(results, assessment, results["assessment"]["obligations"])
    errors = [{"dataset": d["name"], **e} for d in results["corpus"]["datasets"] for e in d["errors"]]
    errors += [{"dataset": "outputs", **e} for e in results["overlap"]["errors"]]
    return {
        "r": results,
        "assessment": assessment,
        "ai_act": ai_act,
        "datasets": datasets,
        "stages": _stages(datasets),
        "headline": _headline(results),
        "charts": _charts(results, datasets),
        "outputs": [_output_view(o) for o in results["overlap"]["outputs"]],
        "files": _files(results),
        "errors": errors,
        "verdicts": OVERLAP_VERDICTS,
        "policy_verdicts": VERDICTS,
        # the evidence table speaks counsel's words: the metric labels of rules/fair_use.yaml
        "metric_labels": {key: spec["label"] for key, spec in load_rules()["metrics"].items()},
        "processing_labels": PROCESSING_LABELS,
        "remediation_measures": REMEDIATION_MEASURES,
    }
