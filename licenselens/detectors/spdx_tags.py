"""``SPDX-License-Identifier`` and ``SPDX-FileCopyrightText`` tags, parsed with license-expression.

Runs without ScanCode's index, so tagged files are classified even where the
index is never loaded (pre-commit on small changes).
"""

from __future__ import annotations

import re

from license_expression import ExpressionError

from licenselens.detectors.base import Content, Detector
from licenselens.expressions import rename_keys, spdx_licensing
from licenselens.scancode.licensedb import license_db
from licenselens.types.findings import Detection, FileError, Findings, LicenseMatch, Statement

UNKNOWN_SPDX_KEY = "unknown-spdx"  # ScanCode's key for an SPDX id that is not one of its licences
TAG = re.compile(r"SPDX-(License-Identifier|FileCopyrightText)\s*:\s*(.*)", re.IGNORECASE)
# comment closers and string quotes that trail a tag on the same line (longer ones first)
CLOSERS = ("*/", "-->", "#}", '"""', "'''", '"', "'", ";", ",", ")")


def clean_tag_value(raw: str) -> str:
    value = raw.strip()
    while True:
        # a ")" is a closer only when unbalanced: "(MIT OR Apache-2.0)" keeps its own
        closer = next(
            (c for c in CLOSERS if value.endswith(c) and (c != ")" or value.count(")") > value.count("("))), None
        )
        if closer is None:
            return value
        value = value[: -len(closer)].rstrip()


def parse_spdx_tag(value: str) -> tuple[str, str]:
    """Parse an SPDX expression; returns (SPDX expression, ScanCode key expression).

    Raises ExpressionError for syntax errors and for identifiers that are
    neither on the SPDX list nor ``LicenseRef-``/``DocumentRef-`` references.
    """
    licensing = spdx_licensing()
    try:
        parsed = licensing.parse(value, validate=False, strict=False)
    except ExpressionError:
        raise
    except Exception as exc:  # the parser fails on some malformed input, e.g. IndexError on "()"
        raise ExpressionError(f"invalid expression: {type(exc).__name__}") from exc
    if parsed is None:
        raise ExpressionError("empty expression")
    unknown = [
        k for k in licensing.unknown_license_keys(parsed) if not k.lower().startswith(("licenseref-", "documentref-"))
    ]
    if unknown:
        raise ExpressionError(f"unknown SPDX identifier(s): {', '.join(unknown)}")
    db = license_db()
    keys = rename_keys(licensing, parsed, lambda key: db.key_for_spdx(key) or UNKNOWN_SPDX_KEY)
    return parsed.render("{symbol.key}"), keys


class SpdxTagDetector(Detector):
    name = "spdx-tag"

    def wants(self, content: Content) -> bool:
        return content.text is not None and "spdx-" in content.text.lower()

    def detect(self, content: Content) -> Findings:
        detections, statements, warnings = [], [], []
        db = license_db()
        for number, line in enumerate(content.lines, start=1):
            found = TAG.search(line)
            if not found:
                continue
            kind, value = found.group(1).lower(), clean_tag_value(found.group(2))
            if kind == "filecopyrighttext":
                if value:
                    statements.append(Statement("copyright", value, number, number, self.name))
                continue
            if not value:
                continue
            try:
                spdx, key_expression = parse_spdx_tag(value)
            except ExpressionError as exc:
                # the file was read fine; its tag is what is wrong (or it is code that mentions tags)
                warnings.append(FileError("invalid-spdx-tag", f"line {number}: {value!r}: {exc}", self.name))
                continue
            match = LicenseMatch(
                key_expression, spdx, number, number, 100.0, len(value.split()), "spdx-license-identifier", "spdx-tag"
            )
            detections.append(
                Detection(self.name, key_expression, spdx, db.category(key_expression), 100.0, number, number, (match,))
            )
        return Findings(detections=tuple(detections), statements=tuple(statements), warnings=tuple(warnings))
