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
class NearCopy:
    """A near-copy block: a passage of an output aligned with a source passage, edits allowed."""

    start_char: int  # in the output
    end_char: int
    tokens: int  # output tokens in the block
    source_tokens: int
    similarity: float  # normalised token edit similarity of the two passages, 0..1 (what the verdict uses)
    method: str  # "tokens", or "code-identifiers": consistent identifier renames counted as matches
    source: SpanSource
    source_count: int  # documents holding a passage this close (``source`` is the first)


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
    near_copies: tuple[NearCopy, ...]
    near_copy_coverage: float  # share of the output's tokens inside near-copy blocks
