"""A scan of files and trees: per-file results, the summary, run statistics (the scan pipeline)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from licenselens.types.audit import ToolStamp
from licenselens.types.convert import to_jsonable
from licenselens.types.findings import Detection, FileError, LicenseMatch, Statement
from licenselens.types.policy import PolicyReport


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


@dataclass(frozen=True)
class ScanResult:
    tool: ToolStamp
    roots: tuple[str, ...]
    files: tuple[FileResult, ...]
    summary: ScanSummary
    policy: PolicyReport | None = None

    def to_dict(self) -> dict[str, Any]:
        return to_jsonable(self)
