"""Accepted findings: a baseline file (as detect-secrets keeps one) and inline pragmas."""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Sequence

from licenselens.types.policy import PolicyFinding, PolicyReport, Verdict

BASELINE_VERSION = 1
PRAGMA = re.compile(r"licenselens:\s*ignore(-file)?\b")


class BaselineError(ValueError):
    pass


def baseline_document(report: PolicyReport) -> dict:
    accepted = sorted(
        {
            (f.fingerprint, f.path, f.rule or "", f.license_expression_spdx or "", f.verdict)
            for f in report.findings
            if f.verdict != Verdict.ALLOW
        }
    )
    return {
        "version": BASELINE_VERSION,
        "policy": report.policy,
        "findings": [
            dict(zip(("fingerprint", "path", "rule", "license_expression_spdx", "verdict"), row)) for row in accepted
        ],
    }


def read_baseline(path: str) -> set[str]:
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc.strerror or exc}") from exc
    except ValueError as exc:
        raise BaselineError(f"{path}: not valid JSON: {exc}") from exc
    if (
        not isinstance(data, dict)
        or data.get("version") != BASELINE_VERSION
        or not isinstance(data.get("findings"), list)
    ):
        raise BaselineError(f"{path}: not a licenselens baseline (version {BASELINE_VERSION})")
    try:
        return {str(item["fingerprint"]) for item in data["findings"]}
    except (TypeError, KeyError) as exc:
        raise BaselineError(f"{path}: a finding has no fingerprint") from exc


def _ignored(finding: PolicyFinding, lines: list[str]) -> bool:
    marks = {n: m.group(1) for n, line in enumerate(lines, start=1) if (m := PRAGMA.search(line))}
    if any(kind == "-file" for kind in marks.values()):
        return True
    if finding.start_line <= 0:
        return False
    return any(max(1, finding.start_line - 1) <= n <= finding.end_line for n in marks)


def mark_accepted(
    findings: Sequence[PolicyFinding], baseline: set[str], read_lines: Callable[[str], list[str]]
) -> list[PolicyFinding]:
    """Findings with ``status`` set: ``ignored`` by a pragma, ``baseline`` if accepted there, else ``new``."""
    lines_cache: dict[str, list[str]] = {}
    out = []
    for f in findings:
        status = "new"
        if f.verdict != Verdict.ALLOW:
            if f.path not in lines_cache:
                lines_cache[f.path] = read_lines(f.path)
            if _ignored(f, lines_cache[f.path]):
                status = "ignored"
            elif f.fingerprint in baseline:
                status = "baseline"
        out.append(dataclasses.replace(f, status=status))
    return out
