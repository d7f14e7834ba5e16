"""One statement, one detection: where ScanCode's matcher and another detector read the same licence
statement, the file reports ScanCode's detection once and names the other detector on it.

ScanCode's CLI is the reference, so its detection is the one kept; what only licenselens sees (a tag
ScanCode does not read, a manifest's declared licence stated nowhere else in the file) stays a detection
of its own detector, which marks it as an addition. Copyright statements are left as they are: a tag's
``SPDX-FileCopyrightText`` value is what REUSE carries over to the file a sidecar describes, and
ScanCode's reading of the same line differs from it ("Copyright 2024 Ann" for "2024 Ann")."""

from __future__ import annotations

import dataclasses

from licenselens.detectors.spdx_tags import UNKNOWN_SPDX_KEY
from licenselens.types.findings import Detection, Findings

SCANCODE = "licensedcode"
# detectors whose statements ScanCode's matcher also reads, and how a statement is recognised as the same
BY_LINE = ("spdx-tag",)  # a tag is the line it is on
BY_EXPRESSION = ("manifest",)  # a manifest's declared licence is the same licence, wherever it is stated


def _reads_the_same(tag: Detection, scancode: Detection) -> bool:
    """ScanCode matched the tag's line as the same licence (a ``LicenseRef-`` it reads as unknown is not)."""
    line = tag.start_line
    if UNKNOWN_SPDX_KEY in tag.license_expression:  # the tag's own LicenseRef- names what ScanCode cannot
        return False
    return line > 0 and any(
        m.start_line <= line <= m.end_line and m.license_expression == tag.license_expression for m in scancode.matches
    )


def _same_statement(other: Detection, scancode: Detection) -> bool:
    if other.detector in BY_LINE:
        return _reads_the_same(other, scancode)
    if other.detector in BY_EXPRESSION:
        return other.license_expression == scancode.license_expression
    return False


def one_per_statement(findings: Findings) -> Findings:
    """``findings`` with every detection that repeats one of ScanCode's folded into it (``also_detected_by``),
    in the detectors' order otherwise."""
    scancode = [d for d in findings.detections if d.detector == SCANCODE]
    if not scancode or len(scancode) == len(findings.detections):
        return findings
    seen_by: dict[int, set[str]] = {id(s): set() for s in scancode}
    folded: set[int] = set()
    for d in findings.detections:
        if d.detector != SCANCODE and (target := next((s for s in scancode if _same_statement(d, s)), None)):
            seen_by[id(target)].add(d.detector)
            folded.add(id(d))
    if not folded:
        return findings
    detections = tuple(
        dataclasses.replace(d, also_detected_by=tuple(sorted({*d.also_detected_by, *seen_by[id(d)]})))
        if d.detector == SCANCODE
        else d
        for d in findings.detections
        if id(d) not in folded
    )
    return dataclasses.replace(findings, detections=detections)
