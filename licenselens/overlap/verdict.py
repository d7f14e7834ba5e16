"""The verdict of one output, from the thresholds of rules/overlap.yaml."""

from __future__ import annotations

from licenselens.types.overlap import OVERLAP_VERDICTS as VERDICTS
from licenselens.types.overlap import OutputResult, OverlapVerdict


def qualifies(similarity: float, chars: int, near: dict) -> bool:
    """Whether a passage this similar and this long makes an output near-verbatim (rules' ``near_verbatim``)."""
    return similarity >= near["min_similarity"] and chars >= near["min_chars"]


def verdict(result: OutputResult, rules: dict) -> str:
    if result.longest_span_tokens >= rules["verbatim"]["min_span_tokens"]:
        return OverlapVerdict.VERBATIM.value
    near = rules["near_verbatim"]
    if qualifies(1.0, result.longest_span_chars, near) or any(  # an exact span is a block of similarity 1
        qualifies(block.similarity, block.end_char - block.start_char, near) for block in result.near_copies
    ):
        return OverlapVerdict.NEAR_VERBATIM.value
    if result.longest_span_chars >= rules["derivative"]["min_span_chars"]:
        return OverlapVerdict.DERIVATIVE.value
    return OverlapVerdict.TRANSFORMATIVE.value


def reaches(result_verdict: str, threshold: str) -> bool:
    """Whether a verdict is at least as much copying as ``threshold``."""
    return VERDICTS.index(result_verdict) <= VERDICTS.index(threshold)
