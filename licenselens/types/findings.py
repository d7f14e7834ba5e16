"""What detectors find in one file's content (the detectors layer)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
    # other detectors that read the same statement, folded into this detection (detectors/merge.py)
    also_detected_by: tuple[str, ...] = ()

    def seen_by(self, detector: str) -> bool:
        return detector == self.detector or detector in self.also_detected_by


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

    def merged(self, other: Findings) -> Findings:
        return Findings(
            detections=self.detections + other.detections,
            clues=self.clues + other.clues,
            statements=self.statements + other.statements,
            errors=self.errors + other.errors,
            warnings=self.warnings + other.warnings,
            file_type=self.file_type,
            skipped=self.skipped,
        )


def match_from_dict(m: dict[str, Any]) -> LicenseMatch:
    return LicenseMatch(**{**m, "referenced_filenames": tuple(m.get("referenced_filenames", ()))})


def detection_from_dict(d: dict[str, Any]) -> Detection:
    return Detection(
        **{
            **d,
            "matches": tuple(match_from_dict(m) for m in d["matches"]),
            "also_detected_by": tuple(d.get("also_detected_by", ())),
        }
    )


def findings_from_dict(data: dict[str, Any]) -> Findings:
    """Inverse of ``to_jsonable`` for cached Findings."""
    return Findings(
        detections=tuple(detection_from_dict(d) for d in data["detections"]),
        clues=tuple(match_from_dict(m) for m in data["clues"]),
        statements=tuple(Statement(**s) for s in data["statements"]),
        errors=tuple(FileError(**e) for e in data["errors"]),
        warnings=tuple(FileError(**e) for e in data["warnings"]),
        file_type=data["file_type"],
        skipped=data["skipped"],
    )
