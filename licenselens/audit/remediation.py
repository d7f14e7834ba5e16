"""What cleaning changed: the corpus before (`clean`'s OUTDIR/before, or any corpus or audit folder) beside the
audited one, per dataset, and the processing the audit measured (what the corpus holds none of)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from licenselens.sources.readers import display_path
from licenselens.types.audit import CorpusSummary, CorpusTotals
from licenselens.types.policy import Verdict

CLEAN_SUMMARY, BEFORE_DIR = "clean-summary.json", "before"  # remedy/clean.py writes these beside its manifest
CORPUS_RESULTS, CORPUS_SUMMARY = "corpus.parquet", "corpus-summary.json"
MEASURES = ("documents", "tdm_opt_out", "personal_information", "duplicates", "near_duplicates", "denied")


class RemediationError(ValueError):
    pass


def measured_processing(totals: CorpusTotals) -> dict[str, bool | None]:
    """The manifest's processing flags as the corpus shows them: true when it holds none of what the flag
    says was removed (the fair-use rationale weighs these, not what the manifest declares)."""
    near = totals.get("near_duplicates")
    return {
        "opt_outs_removed": totals["tdm_opt_out"]["documents"] == 0,
        "pii_removed": totals["personal_information"]["documents"] == 0,
        "dedup": None if near is None else totals["duplicates"]["documents"] + near["documents"] == 0,
    }


def before_of(manifest_source: str, given: str | None) -> str | None:
    """The folder measured before cleaning: the one given, else `clean`'s, beside a cleaned manifest."""
    if given:
        return given
    folder = os.path.dirname(os.path.abspath(manifest_source))
    if os.path.isfile(os.path.join(folder, CLEAN_SUMMARY)) and os.path.isdir(os.path.join(folder, BEFORE_DIR)):
        return os.path.join(folder, BEFORE_DIR)
    return None


def _counts(summary: Mapping[str, Any], verdicts: dict[str, int]) -> dict[str, int | None]:
    near = summary.get("near_duplicates")
    return {
        "documents": summary["documents"],
        "tdm_opt_out": summary["tdm_opt_out"]["documents"],
        "personal_information": summary["personal_information"]["documents"],
        "duplicates": summary["duplicates"]["documents"],
        "near_duplicates": None if near is None else near["documents"],
        "denied": verdicts.get(Verdict.DENY, 0),
    }


def remediation(
    before_dir: str,
    after: CorpusSummary,
    after_verdicts: dict[str, dict[str, int]],
    before_verdicts: Any,
) -> dict[str, Any]:
    """Per dataset, each measure before and after; ``before_verdicts(corpus.parquet)`` judges the rows
    before with the audit's policy, so "denied" means the same on both sides."""
    try:
        with open(os.path.join(before_dir, CORPUS_SUMMARY), encoding="utf-8") as fh:
            before: dict = json.load(fh)
        verdicts_before = before_verdicts(os.path.join(before_dir, CORPUS_RESULTS))
    except (OSError, ValueError, KeyError) as exc:
        raise RemediationError(f"{before_dir}: not a corpus measured by licenselens ({exc})") from exc
    clean: dict = {}
    summary_path = os.path.join(os.path.dirname(os.path.abspath(before_dir)), CLEAN_SUMMARY)
    if os.path.isfile(summary_path):
        with open(summary_path, encoding="utf-8") as fh:
            clean = {d["name"]: d for d in json.load(fh)["datasets"]}
    now = {d["name"]: d for d in after["datasets"]}
    rows = []
    for d in before["datasets"]:
        name = d["name"]
        was = _counts(d, verdicts_before.get(name, {}))
        is_ = _counts(now[name], after_verdicts.get(name, {})) if name in now else dict.fromkeys(MEASURES, 0)
        rows.append(
            {
                "name": name,
                "before": was,
                "after": is_,
                "removed": (clean.get(name) or {}).get("removed", {}),
                "pii_replaced": (clean.get(name) or {}).get("pii_replaced", {}),
            }
        )
    totals = {side: {m: sum(r[side][m] or 0 for r in rows) for m in MEASURES} for side in ("before", "after")}
    return {"before": display_path(before_dir), "datasets": rows, "totals": totals}
