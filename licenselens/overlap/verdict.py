"""The verdict of one output, from the thresholds of rules/overlap.yaml."""

from __future__ import annotations

from ..types import OutputResult

VERDICTS = ("verbatim", "near-verbatim", "derivative", "transformative")  # from most to least copying


def verdict(result: OutputResult, rules: dict) -> str:
    if result.longest_span_tokens >= rules["verbatim"]["min_span_tokens"]:
        return "verbatim"
    near = rules["near_verbatim"]
    if any(m.similarity >= near["min_similarity"] and m.end_char - m.start_char >= near["min_chars"]
           for m in result.near):
        return "near-verbatim"
    if result.longest_span_chars >= rules["derivative"]["min_span_chars"]:
        return "derivative"
    return "transformative"


def reaches(result_verdict: str, threshold: str) -> bool:
    """Whether a verdict is at least as much copying as ``threshold``."""
    return VERDICTS.index(result_verdict) <= VERDICTS.index(threshold)
