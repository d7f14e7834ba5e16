"""The evidence of `licenselens trace`: where a rights holder's works are in the corpus and in model outputs.

trace.json is these dataclasses as JSON (``types.convert.to_jsonable``); docs/trace.md describes the fields.
Offsets are Python string indices: ``work_*`` in the work's text, ``copy_*`` in the corpus document's or
the output's text; shares are of the work's tokens (``licenselens.tokens``).
"""

from __future__ import annotations

from dataclasses import dataclass

from licenselens.types.audit import ToolStamp

SCHEMA_VERSION = "1.0"


@dataclass(frozen=True)
class Excerpt:
    """A passage with some context either side; ``match`` is cut in its middle when long (``[…]``)."""

    before: str
    match: str
    after: str


@dataclass(frozen=True)
class Passage:
    """One exact span or near-copy block: the work's passage beside the copy's."""

    kind: str  # "verbatim" (an exact span) or "near-verbatim" (an aligned block, edits allowed)
    tokens: int  # tokens of the copy's side
    similarity: float  # 1.0 for an exact span
    work_start_char: int
    work_end_char: int
    copy_start_char: int
    copy_end_char: int
    work: Excerpt
    copy: Excerpt


@dataclass(frozen=True)
class Match:
    """What one text (a corpus document or a model output) holds of one work, checked against that work alone."""

    verdict: str  # of the check (rules/overlap.yaml)
    share: float  # of the work's tokens inside the text's exact spans or near-copy blocks
    found_tokens: int
    copy_share: float  # of the text's own tokens inside those spans and blocks (a page of a book: near 1)
    verbatim_tokens: int  # of the work's tokens inside exact spans
    longest_span_tokens: int
    longest_span_chars: int
    spans: int
    near_copies: int  # near-copy blocks outside the exact spans
    passages: tuple[Passage, ...]  # the longest few (rules/trace.yaml report), the rest counted above


@dataclass(frozen=True)
class DocumentTrace:
    """A corpus document that holds part of a work."""

    dataset: str
    doc_id: str
    origin: str
    url: str | None
    license: str | None  # detected by `licenselens corpus` when the index has its results, else declared
    opt_out: bool | None  # a TDM / AI-training opt-out in corpus.parquet; None: unknown (no corpus results)
    opt_out_signals: tuple[str, ...]
    excluded: bool  # on exclusions.txt (rules/trace.yaml exclude)
    match: Match


@dataclass(frozen=True)
class OutputTrace:
    """A model output of the manifest that reproduces a work (rules/trace.yaml outputs)."""

    output_id: str
    origin: str
    tokens: int
    match: Match


@dataclass(frozen=True)
class DatasetCount:
    dataset: str
    documents: int  # holding part of the work
    excluded: int


@dataclass(frozen=True)
class WorkTrace:
    work_id: str
    origin: str
    tokens: int
    chars: int
    share: float  # of its tokens found in at least one corpus document
    verbatim_share: float  # of its tokens inside an exact span of at least one corpus document
    longest_span_tokens: int  # over all corpus documents
    longest_span_chars: int
    strongest_verdict: str | None  # the most copying verdict of its documents; None: found in none
    candidates: int  # corpus documents the index linked to it and that were checked
    datasets: tuple[DatasetCount, ...]
    documents: tuple[DocumentTrace, ...]  # most of the work first
    outputs: tuple[OutputTrace, ...]


@dataclass(frozen=True)
class ItemError:
    """A work or an output that could not be traced; the others were."""

    item: str
    code: str
    message: str


@dataclass(frozen=True)
class TraceSource:
    """What the works were traced in."""

    index: str
    index_documents: int
    index_tokens: int
    n: int
    corpus_results: str | None  # where licences and opt-outs came from; None: opt-out state unknown
    manifest: str | None  # whose [[outputs]] were checked
    outputs_checked: int


@dataclass(frozen=True)
class TraceResult:
    schema_version: str
    tool: ToolStamp
    source: TraceSource
    rules: dict  # rules/trace.yaml as applied, and the verdict thresholds of rules/overlap.yaml
    works: tuple[WorkTrace, ...]
    excluded: tuple[str, ...]  # DATASET:DOC_ID of every excluded document (remedy.exclusions), sorted
    errors: tuple[ItemError, ...]
