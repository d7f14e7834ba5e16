"""findings.sarif: the policy findings of every source tree of the audit, as one SARIF 2.1.0 run."""

from __future__ import annotations

from dataclasses import replace
from typing import IO
from urllib.parse import quote

from licenselens.reporters.audit_base import AuditWriter
from licenselens.reporters.check_reporters import not_allowed, sarif_run, write_sarif
from licenselens.types.audit import AssessedResults
from licenselens.types.policy import PolicyFinding


def repository_uri(root: str, path: str) -> str:
    """A URI reference relative to the repository root, as code-scanning dashboards resolve them."""
    root = root.strip("/")
    joined = path if root in ("", ".") else f"{root}/{path}"
    # percent-encoding keeps spaces, '#', '%' or control characters in names a valid URI reference
    return quote(joined, safe="/")


class AuditSarif(AuditWriter):
    filename = "findings.sarif"

    def wanted(self, results: AssessedResults) -> bool:
        return bool(results["trees"])

    def render(self, results: AssessedResults, out: IO) -> None:
        findings: list[PolicyFinding] = []
        for tree in results.get("trees", []):
            policy = tree["scan"].get("policy") or {}
            for finding in not_allowed(PolicyFinding(**d) for d in policy.get("findings", [])):
                # the finding's path becomes its URI from the repository root: trees share one run
                findings.append(replace(finding, path=repository_uri(tree["root"], finding.path)))
        write_sarif([sarif_run(findings, results.get("tool", {}).get("version", ""))], out)
