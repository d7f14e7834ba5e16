"""The JSON contracts of a corpus run and an audit: corpus-summary.json, results.json and the evidence the
fair-use rationale argues from (docs/corpus-schema.md, docs/results-schema.md).

They stay JSON-shaped mappings (reports are rendered from a results.json read back from disk), described
here as TypedDicts so that mypy checks their producers and readers, and ``audit.load.load_results``
validates a file against them.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


class ToolStamp(TypedDict, total=False):
    name: str
    version: str
    scancode_index: str


class Share(TypedDict):
    documents: int
    share: float


class DatasetSummary(TypedDict):
    """One dataset's figures in corpus-summary.json (``corpus.tally.DatasetTally``)."""

    name: str
    stage: str
    kind: str
    format: str
    declared_license: str | None
    source: str | None
    notes: str | None
    documents: int
    characters: int
    bytes: int
    tokens: int
    licenses: dict[str, int]
    categories: dict[str, int]
    declared_licenses: dict[str, int]
    governing_categories: dict[str, int]
    governing_basis: dict[str, int]
    documents_with_license: int
    license_mismatch: dict[str, Any]
    tdm_opt_out: dict[str, Any]
    notices: dict[str, int]
    personal_information: dict[str, Any]
    duplicates: dict[str, Any]
    near_duplicates: NotRequired[dict[str, Any]]  # absent from audits before near duplicates were measured
    copyright_holders: dict[str, int]
    documents_with_detector_errors: int
    skipped: dict[str, int]
    errors: list[dict[str, str]]


class CorpusTotals(TypedDict):
    datasets: int
    documents: int
    characters: int
    bytes: int
    tokens: int
    datasets_with_declared_license: int
    datasets_with_mismatches: dict[str, Any]
    documents_with_mismatch: Share
    tdm_opt_out: Share
    personal_information: Share
    duplicates: Share
    near_duplicates: NotRequired[Share]
    errors: int


class CorpusSummary(TypedDict):
    """corpus-summary.json."""

    tool: ToolStamp
    manifest: str
    model: dict[str, str | None]
    totals: CorpusTotals
    datasets: list[DatasetSummary]


class DatasetEvidence(TypedDict):
    """The measured numbers of one dataset (``audit.evidence``), what rules/fair_use.yaml's conditions test."""

    name: str
    stage: str
    kind: str
    declared_license: str | None
    source: str | None
    documents: int
    tokens: int
    license_share: float
    categories: dict[str, float]
    governing_categories: dict[str, float]
    declared_only_share: float
    all_rights_reserved_share: float
    non_commercial_share: float
    mismatch_share: float
    tdm_opt_out_share: float
    tdm_opt_out_documents: int
    pii_share: float
    duplicate_share: float
    near_duplicate_share: float | None
    outputs_checked: int
    outputs_with_spans: int
    outputs_verbatim: int
    outputs_near_verbatim: int
    regurgitation_rate: float
    longest_span_tokens: int
    longest_span_chars: int
    copied_token_share: float
    documents_reproduced: int
    near_best_similarity: float
    documents_reproduced_share: float


class Evidence(TypedDict):
    model: dict[str, str | None]
    processing: dict[str, bool | None]
    totals: dict[str, Any]
    datasets: dict[str, DatasetEvidence]


class PolicySection(TypedDict):
    name: str
    description: str
    document_verdicts: dict[str, dict[str, int]]  # dataset -> verdict -> documents
    output_verdicts: dict[str, int]
    file_verdicts: dict[str, int]


class CorpusSection(TypedDict):
    totals: CorpusTotals
    datasets: list[DatasetSummary]


class DocumentsSection(TypedDict):
    total: int
    shown: int
    rows: list[dict[str, Any]]


class TreeSection(TypedDict):
    dataset: str
    root: str
    declared_license: str | None
    scan: dict[str, Any]  # ScanResult as JSON (docs/scan-schema.md), with the policy's findings


class OverlapSection(TypedDict):
    index: dict[str, Any]
    thresholds: dict[str, Any]
    outputs: list[dict[str, Any]]  # OutputResult as JSON, with passages, texts and policy verdicts
    by_verdict: dict[str, int]
    span_lengths: list[dict[str, Any]]
    errors: list[dict[str, str]]


class Assessment(TypedDict):
    """Computed from the evidence and the current rules/ texts (``audit.assessment``), never measured."""

    fair_use: dict[str, Any]
    ai_act: dict[str, Any]
    obligations: dict[str, list[dict[str, Any]]]  # dataset -> obligations of its licences


class Results(TypedDict):
    """results.json: every measurement of an audit; ``assessment`` is added when reports are rendered."""

    schema_version: str
    created: str
    tool: ToolStamp
    manifest: str
    model: dict[str, str | None]
    processing: dict[str, bool | None]  # as the manifest declares it
    processing_measured: NotRequired[dict[str, bool | None]]  # as the corpus shows it (audit.remediation)
    remediation: NotRequired[dict[str, Any] | None]  # the corpus before cleaning beside this one
    policy: PolicySection
    corpus: CorpusSection
    documents: DocumentsSection
    trees: list[TreeSection]
    overlap: OverlapSection
    evidence: Evidence


class AssessedResults(Results):
    assessment: Assessment
