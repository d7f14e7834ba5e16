"""The fair-use rationale, the AI Act public summary and the licence obligations of an audit, from its evidence and the current
rules/ texts: computed here, in the audit layer, so that reporters only render (and counsel's edits
show on the next `licenselens report` without rescanning)."""

from __future__ import annotations

from typing import cast

from licenselens.policy.ai_act import public_summary
from licenselens.policy.fair_use import assess
from licenselens.policy.obligations import obligations
from licenselens.types.audit import AssessedResults, Assessment, Results


def with_assessment(results: Results) -> AssessedResults:
    evidence = results["evidence"]
    summary_input = {**evidence, "model": {**results["model"], **evidence["model"]}}
    assessment: Assessment = {
        "fair_use": assess(evidence),
        "ai_act": public_summary(summary_input),
        # what each dataset's licences oblige (rules/obligations.yaml), by dataset
        "obligations": {d["name"]: obligations(d["licenses"]) for d in results["corpus"]["datasets"]},
    }
    return cast(AssessedResults, {**results, "assessment": assessment})
