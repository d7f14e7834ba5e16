"""The measured evidence per dataset that the fair-use rationale and the AI Act summary argue from.

A flat mapping of numbers per dataset (the contract of licenselens.policy.fair_use and
licenselens.policy.ai_act); every value is derived from the corpus summary and the checked outputs.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any, cast

from licenselens.expressions import spdx_licensing
from licenselens.overlap.verdict import qualifies
from licenselens.scancode.licensedb import license_db
from licenselens.types.audit import DatasetEvidence, Evidence
from licenselens.types.overlap import OverlapVerdict

ALL_RIGHTS_RESERVED = "all-rights-reserved"


def _share(part: float, whole: float) -> float:
    return round(part / whole, 6) if whole else 0.0


def _non_commercial(expression: str) -> bool:
    """Whether any licence of the expression restricts commercial use."""
    db = license_db()
    try:
        symbols = spdx_licensing().license_symbols(expression, unique=True, decompose=True)
    except Exception:  # an expression ScanCode wrote but the SPDX parser refuses: nothing to conclude
        return False
    return any(db.is_non_commercial(db.key_for_spdx(s.key) or "") for s in symbols)


def _qualifies(block: dict, thresholds: Mapping[str, Any]) -> bool:
    """A near-copy block that makes an output near-verbatim (rules/overlap.yaml, as the overlap check applied it)."""
    return qualifies(block["similarity"], block["end_char"] - block["start_char"], thresholds["near_verbatim"])


def _attribution(outputs: list[dict], dataset: str, thresholds: Mapping[str, Any]) -> dict:
    with_spans = verbatim = near_verbatim = copied = longest_tokens = longest_chars = 0
    reproduced: set[str] = set()
    best_near = 0.0
    for output in outputs:
        mine = [s for s in output["spans"] if any(src["dataset"] == dataset for src in s["sources"])]
        with_spans += bool(mine)
        reproduced.update(src["doc_id"] for s in mine for src in s["sources"] if src["dataset"] == dataset)
        longest_tokens = max([longest_tokens] + [s["tokens"] for s in mine])
        longest_chars = max([longest_chars] + [s["chars"] for s in mine])
        copied += output["copied_tokens_by_dataset"].get(dataset, 0)
        longest = max(output["spans"], key=lambda s: (s["tokens"], s["chars"]), default=None)
        if (
            output["verdict"] == OverlapVerdict.VERBATIM
            and longest
            and any(src["dataset"] == dataset for src in longest["sources"])
        ):
            verbatim += 1
        near = [c for c in output["near_copies"] if c["source"]["dataset"] == dataset]
        best_near = max([best_near] + [c["similarity"] for c in near])
        reproduced.update(c["source"]["doc_id"] for c in near if _qualifies(c, thresholds))
        exact = any(qualifies(1.0, s["chars"], thresholds["near_verbatim"]) for s in mine)  # a block of similarity 1
        if output["verdict"] == OverlapVerdict.NEAR_VERBATIM and (
            exact or any(_qualifies(c, thresholds) for c in near)
        ):
            near_verbatim += 1
    checked = len(outputs)
    return {
        "outputs_checked": checked,
        "outputs_with_spans": with_spans,
        "outputs_verbatim": verbatim,
        "outputs_near_verbatim": near_verbatim,
        "regurgitation_rate": _share(verbatim + near_verbatim, checked),
        "longest_span_tokens": longest_tokens,
        "longest_span_chars": longest_chars,
        "copied_token_share": _share(copied, sum(o["tokens"] for o in outputs)),
        "documents_reproduced": len(reproduced),
        "near_best_similarity": round(best_near, 6),
    }


def _dataset(d: Mapping[str, Any], outputs: list[dict], thresholds: Mapping[str, Any]) -> DatasetEvidence:
    n = d["documents"]
    non_commercial = sum(
        count for expression, count in d["licenses"].items() if expression != "none" and _non_commercial(expression)
    )
    overlap = _attribution(outputs, d["name"], thresholds)
    return cast(
        DatasetEvidence,
        {
            "name": d["name"],
            "stage": d["stage"],
            "kind": d["kind"],
            "declared_license": d["declared_license"],
            "source": d["source"],
            "documents": n,
            "tokens": d["tokens"],
            "license_share": _share(d["documents_with_license"], n),
            "categories": {category: _share(count, n) for category, count in d["categories"].items()},
            "governing_categories": {
                category: _share(count, n) for category, count in d["governing_categories"].items()
            },
            "declared_only_share": _share(d["governing_basis"]["declared"], n),
            "all_rights_reserved_share": _share(d["notices"].get(ALL_RIGHTS_RESERVED, 0), n),
            "non_commercial_share": _share(non_commercial, n),
            "mismatch_share": d["license_mismatch"]["share"],
            "tdm_opt_out_share": d["tdm_opt_out"]["share"],
            "tdm_opt_out_documents": d["tdm_opt_out"]["documents"],
            "pii_share": d["personal_information"]["share"],
            "duplicate_share": d["duplicates"]["share"],
            "near_duplicate_share": d["near_duplicates"]["share"] if "near_duplicates" in d else None,
            **overlap,
            "documents_reproduced_share": _share(overlap["documents_reproduced"], n),
        },
    )


def _processing(results: Mapping[str, Any]) -> dict[str, bool | None]:
    """What the corpus shows was done, where the audit measured it; else what the manifest declares."""
    declared, measured = results["processing"], results.get("processing_measured") or {}
    return {k: measured[k] if measured.get(k) is not None else v for k, v in declared.items()}


def build_evidence(results: Mapping[str, Any]) -> Evidence:
    outputs = results["overlap"]["outputs"]
    totals = results["corpus"]["totals"]
    return {
        "model": {"name": results["model"]["name"], "use": results["model"]["use"]},
        "processing": _processing(results),
        "totals": {
            "datasets": totals["datasets"],
            "documents": totals["documents"],
            "tokens": totals["tokens"],
            "outputs_checked": len(outputs),
            "outputs_by_verdict": dict(Counter(o["verdict"] for o in outputs)),
        },
        "datasets": {
            d["name"]: _dataset(d, outputs, results["overlap"]["thresholds"]) for d in results["corpus"]["datasets"]
        },
    }
