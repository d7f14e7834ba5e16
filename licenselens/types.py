"""Domain types shared by every layer. Frozen so results can be cached and compared."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields
from typing import Any

_SURROGATES = re.compile("[\ud800-\udfff]")


def printable(text: str) -> str:
    """Text that can be written as UTF-8: lone surrogates (undecodable bytes of a file name kept by
    ``surrogateescape``, or ``\\udcff`` escapes in JSON) become U+FFFD."""
    return _SURROGATES.sub("\ufffd", text)


@dataclass(frozen=True)
class LicenseMatch:
    license_expression: str
    license_expression_spdx: str
    start_line: int
    end_line: int
    score: float
    matched_length: int
    rule_identifier: str
    matcher: str
    # from the matched ScanCode rule: files it points to ("see LICENSE") and whether it is a bare intro
    referenced_filenames: tuple[str, ...] = ()
    is_license_intro: bool = False
    from_file: str | None = None  # set when the match was taken from a referenced file


@dataclass(frozen=True)
class Detection:
    detector: str
    license_expression: str
    license_expression_spdx: str
    category: str
    score: float
    start_line: int
    end_line: int
    matches: tuple[LicenseMatch, ...] = ()


@dataclass(frozen=True)
class Statement:
    """A copyright statement, holder or author found in a file."""

    kind: str  # "copyright" | "holder" | "author"
    value: str
    start_line: int
    end_line: int
    detector: str


@dataclass(frozen=True)
class FileError:
    code: str  # e.g. "unreadable", "too-large", "timeout", "detector-failed"
    message: str
    detector: str | None = None


@dataclass(frozen=True)
class Findings:
    """What the detectors found in one file's content; path-independent, so cacheable."""

    detections: tuple[Detection, ...] = ()
    clues: tuple[LicenseMatch, ...] = ()
    statements: tuple[Statement, ...] = ()
    errors: tuple[FileError, ...] = ()
    warnings: tuple[FileError, ...] = ()
    file_type: str = "text"  # "text" | "binary" | "empty" | "error"
    skipped: str | None = None  # why no detector ran, e.g. "binary file"

    def merged(self, other: "Findings") -> "Findings":
        return Findings(
            detections=self.detections + other.detections,
            clues=self.clues + other.clues,
            statements=self.statements + other.statements,
            errors=self.errors + other.errors,
            warnings=self.warnings + other.warnings,
            file_type=self.file_type,
            skipped=self.skipped,
        )


@dataclass(frozen=True)
class SourceFile:
    """A file to scan: where it is, what it is called in the results, its content key."""

    location: str
    path: str
    size: int
    sha256: str


@dataclass(frozen=True)
class FileResult:
    path: str
    sha256: str | None
    size: int
    file_type: str
    license_expression_spdx: str | None
    detections: tuple[Detection, ...]
    clues: tuple[LicenseMatch, ...]
    copyrights: tuple[Statement, ...]
    holders: tuple[Statement, ...]
    authors: tuple[Statement, ...]
    errors: tuple[FileError, ...]
    warnings: tuple[FileError, ...] = ()
    skipped: str | None = None


@dataclass(frozen=True)
class LicenseCount:
    license_expression_spdx: str
    category: str
    files: int


@dataclass(frozen=True)
class ScanSummary:
    files: int
    scanned: int
    binary: int
    failed: int
    declared_license_expression_spdx: str | None
    declared_license_sources: tuple[str, ...]
    licenses: tuple[LicenseCount, ...]
    categories: dict[str, int]
    files_without_license: tuple[str, ...]
    copyleft: tuple[str, ...]
    non_commercial: tuple[str, ...]
    holders: dict[str, int]


@dataclass(frozen=True)
class RunStats:
    """How a run went; kept out of the results so equal inputs give equal results."""

    files: int
    analysed: int
    from_cache: int
    deduplicated: int
    seconds: float


VERDICTS = ("allow", "review", "deny")  # in increasing severity


@dataclass(frozen=True)
class RuleMatch:
    """What a policy rule applies to; every set field must hold."""

    licenses: tuple[str, ...] = ()  # SPDX ids or "ID WITH EXCEPTION", case-insensitive
    categories: tuple[str, ...] = ()
    unknown: bool | None = None
    non_commercial: bool | None = None
    missing: bool | None = None
    tdm_opt_out: bool | None = None
    personal_information: bool | None = None
    overlap_verdicts: tuple[str, ...] = ()


@dataclass(frozen=True)
class PolicyRule:
    id: str
    match: RuleMatch
    verdict: str
    message: str = ""
    obligation: str | None = None


@dataclass(frozen=True)
class Policy:
    name: str
    description: str
    default: str
    rules: tuple[PolicyRule, ...]
    source: str = ""


@dataclass(frozen=True)
class PolicyFinding:
    path: str
    verdict: str
    rule: str | None
    message: str
    obligation: str | None
    license_expression_spdx: str | None
    detector: str | None
    start_line: int
    end_line: int
    fingerprint: str
    status: str = "new"  # "new" | "baseline" (accepted) | "ignored" (pragma)


@dataclass(frozen=True)
class PolicyReport:
    policy: str
    findings: tuple[PolicyFinding, ...]

    @property
    def failing(self) -> tuple[PolicyFinding, ...]:
        return tuple(f for f in self.findings if f.verdict == "deny" and f.status == "new")


@dataclass(frozen=True)
class ScanResult:
    tool: dict[str, str]
    roots: tuple[str, ...]
    files: tuple[FileResult, ...]
    summary: ScanSummary
    policy: PolicyReport | None = None

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(self)


STAGES = ("pretraining", "sft", "rlhf", "domain")
KINDS = ("web", "books", "encyclopedia", "code", "qa", "legal", "medical", "other")
METADATA_FIELDS = ("url", "license", "source", "repo", "path")


@dataclass(frozen=True)
class DatasetSpec:
    """One dataset of a manifest: what it is, where its files are and how to read them."""

    name: str
    stage: str
    kind: str
    paths: tuple[str, ...]  # absolute, globs expanded at planning time
    format: str
    text_field: tuple[str, ...] = ("text", "content")  # several fields are joined with a blank line
    id_field: str = "id"
    fields: tuple[tuple[str, str], ...] = ()  # (metadata name, record field)
    license: str | None = None  # declared SPDX expression
    source: str | None = None
    notes: str | None = None
    text_field_given: bool = False  # a given field is required; the defaults are alternatives


@dataclass(frozen=True)
class Manifest:
    model: str | None
    description: str | None
    datasets: tuple[DatasetSpec, ...]
    outputs: tuple[DatasetSpec, ...]  # model outputs, read like datasets
    source: str  # file it came from, or the path given
    provider: str | None = None
    model_use: str = "generative"  # or "non-generative": weighs on fair use (Thomson Reuters v. Ross)
    knowledge_cutoff: str | None = None
    policy: str | None = None  # policy of `licenselens audit`: a built-in name or a path
    processing: tuple[tuple[str, bool], ...] = ()  # what was done to the data: opt_outs_removed, pii_removed, dedup


@dataclass(frozen=True)
class Document:
    dataset: str
    doc_id: str
    text: str
    origin: str  # "file:line" or "file#row": where the record is
    metadata: tuple[tuple[str, str], ...] = ()  # url, license, source, repo, path when present
    location: str | None = None  # a real file, for documents that are files of a source tree


@dataclass(frozen=True)
class DocumentError:
    dataset: str
    origin: str
    code: str  # "malformed-json" | "missing-field" | "bad-field" | "unreadable" | "corrupt-file" | ...
    message: str

    def __post_init__(self) -> None:
        # origins and messages name files, whose names need not be UTF-8; results are written as UTF-8
        object.__setattr__(self, "origin", printable(self.origin))
        object.__setattr__(self, "message", printable(self.message))


@dataclass(frozen=True)
class Shard:
    """A unit of corpus work: part of one input file. ``key`` changes when the input changes."""

    dataset: str
    reader: str
    location: str
    start: int
    stop: int
    key: str
    first_record: int = 1  # line or row number of the shard's first record, for error messages


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


def to_jsonable(obj: Any) -> Any:
    """asdict with tuples as lists, for JSON and Parquet writers."""
    if hasattr(obj, "__dataclass_fields__"):
        return {f.name: to_jsonable(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(x) for x in obj]
    if isinstance(obj, dict):
        return {k: to_jsonable(v) for k, v in obj.items()}
    return obj


def findings_from_dict(data: dict[str, Any]) -> Findings:
    """Inverse of ``to_jsonable`` for cached Findings."""
    def match(m):
        return LicenseMatch(**{**m, "referenced_filenames": tuple(m.get("referenced_filenames", ()))})

    def det(d):
        return Detection(**{**d, "matches": tuple(match(m) for m in d["matches"])})
    return Findings(
        detections=tuple(det(d) for d in data["detections"]),
        clues=tuple(match(m) for m in data["clues"]),
        statements=tuple(Statement(**s) for s in data["statements"]),
        errors=tuple(FileError(**e) for e in data["errors"]),
        warnings=tuple(FileError(**e) for e in data["warnings"]),
        file_type=data["file_type"],
        skipped=data["skipped"],
    )


__all__ = [n for n in dir() if n[0].isupper()] + ["to_jsonable", "findings_from_dict", "asdict"]
