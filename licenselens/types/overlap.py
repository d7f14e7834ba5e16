"""Spans, near copies and verdicts of model outputs against a corpus (the overlap layer)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class OverlapVerdict(StrEnum):
    """How much of the corpus an output copies, from most to least."""

    VERBATIM = "verbatim"
    NEAR_VERBATIM = "near-verbatim"
    DERIVATIVE = "derivative"
    TRANSFORMATIVE = "transformative"


OVERLAP_VERDICTS: tuple[str, ...] = tuple(v.value for v in OverlapVerdict)  # from most to least copying


@dataclass(frozen=True)
class SpanSource:
    """Where a verbatim span of an output occurs in the corpus."""

    dataset: str
    doc_id: str
    origin: str
    url: str | None
    path: str | None
    license: str | None
    start_char: int
    end_char: int


@dataclass(frozen=True)
class Span:
    """A maximal verbatim span of an output shared with the corpus (offsets in the output)."""

    start_char: int
    end_char: int
    tokens: int
    chars: int
    sources: tuple[SpanSource, ...]
    source_count: int  # all occurrences; ``sources`` lists the first few


@dataclass(frozen=True)
class NearMatch:
    """The closest source passage of an output, aligned with edits allowed."""

    dataset: str
    doc_id: str
    origin: str
    license: str | None
    similarity: float  # edit similarity (rapidfuzz) of the aligned parts, 0..1
    jaccard: float  # MinHash estimate of the token 5-shingle Jaccard similarity of the same parts
    start_char: int
    end_char: int
    source_start_char: int
    source_end_char: int


@dataclass(frozen=True)
class OutputResult:
    id: str
    verdict: str
    tokens: int
    chars: int
    longest_span_tokens: int
    longest_span_chars: int
    coverage: float
    precision: dict[str, float]  # n-gram precision by n: share of the output's n-grams found in the corpus
    spans: tuple[Span, ...]
    near: tuple[NearMatch, ...]
