"""Outputs of ``licenselens check``: the policy findings that are not plainly allowed."""

from __future__ import annotations

import json
from typing import IO, Any

from licenselens.reporters.base import Reporter
from licenselens.stamp import TOOL_NAME
from licenselens.types.convert import to_jsonable
from licenselens.types.policy import PolicyFinding, Verdict
from licenselens.types.scan import ScanResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVEL: dict[str, str] = {Verdict.DENY: "error", Verdict.REVIEW: "warning", Verdict.ALLOW: "note"}


def not_allowed(findings) -> list[PolicyFinding]:
    return [f for f in findings if f.verdict != Verdict.ALLOW]


def reported(result: ScanResult) -> list[PolicyFinding]:
    return not_allowed(result.policy.findings if result.policy else ())


def file_errors(result: ScanResult) -> list[tuple[str, str, str]]:
    return [(f.path, e.code, e.message) for f in result.files for e in f.errors]


class CheckTextReporter(Reporter):
    def render(self, result: ScanResult, out: IO) -> None:
        findings = reported(result)
        for f in findings:
            where = f"{f.path}:{f.start_line}" if f.start_line else f.path
            status = "" if f.status == "new" else f" ({f.status})"
            licence = f.license_expression_spdx or "no licence"
            out.write(f"{where}: {f.verdict.upper()}{status} [{f.rule or 'default'}] {licence}: {f.message}\n")
        for path, code, message in file_errors(result):
            out.write(f"{path}: ERROR {code}: {message}\n")
        failing = result.policy.failing if result.policy else ()
        new_reviews = sum(1 for f in findings if f.verdict == Verdict.REVIEW and f.status == "new")
        out.write(
            f"licenselens check ({result.policy.policy if result.policy else 'no policy'}): "
            f"{len(result.files)} files, {len(failing)} denied, {new_reviews} to review, "
            f"{sum(1 for f in findings if f.status != 'new')} accepted\n"
        )


class CheckJsonReporter(Reporter):
    def render(self, result: ScanResult, out: IO) -> None:
        doc = {
            "policy": result.policy.policy if result.policy else None,
            "files": len(result.files),
            "failing": len(result.policy.failing) if result.policy else 0,
            "findings": to_jsonable(reported(result)),
            "errors": [{"path": p, "code": c, "message": m} for p, c, m in file_errors(result)],
        }
        json.dump(doc, out, indent=2, ensure_ascii=False)
        out.write("\n")


def sarif_run(findings: list[PolicyFinding], tool_version: str) -> dict:
    """One SARIF run of policy findings; each finding's path is its artifact URI."""
    rule_ids = sorted({f.rule or "default" for f in findings})
    messages = {f.rule or "default": f.message for f in findings}
    return {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": tool_version,
                "informationUri": "https://pypi.org/project/licenselens/",
                "rules": [{"id": r, "shortDescription": {"text": messages[r] or r}} for r in rule_ids],
            }
        },
        "results": [sarif_result(f) for f in findings],
    }


def sarif_result(f: PolicyFinding) -> dict:
    location: dict[str, Any] = {"artifactLocation": {"uri": f.path}}
    if f.start_line:
        location["region"] = {"startLine": f.start_line, "endLine": max(f.end_line, f.start_line)}
    item = {
        "ruleId": f.rule or "default",
        "level": SARIF_LEVEL[f.verdict],
        "message": {"text": f"{f.license_expression_spdx or 'no licence'}: {f.message}"},
        "locations": [{"physicalLocation": location}],
        "partialFingerprints": {"licenselens/v1": f.fingerprint},
    }
    if f.status != "new":
        item["suppressions"] = [{"kind": "inSource" if f.status == "ignored" else "external"}]
    return item


def write_sarif(runs: list[dict], out: IO) -> None:
    json.dump({"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": runs}, out, indent=2, ensure_ascii=False)
    out.write("\n")


class SarifReporter(Reporter):
    """SARIF 2.1.0 for code-scanning dashboards; suppressed findings carry a suppression."""

    def render(self, result: ScanResult, out: IO) -> None:
        write_sarif([sarif_run(reported(result), result.tool.get("version", ""))], out)
