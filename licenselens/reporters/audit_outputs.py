"""The files of an audit's OUTDIR, each rendered from results.json alone (see audit_base)."""

from __future__ import annotations

import os

from licenselens.atomic import atomic_output
from licenselens.policy.ai_act import public_summary
from licenselens.policy.fair_use import assess
from licenselens.reporters.audit_base import AuditWriter
from licenselens.reporters.audit_sarif import AuditSarif
from licenselens.reporters.cyclonedx_bom import CycloneDxBom
from licenselens.reporters.html_report import HtmlReport
from licenselens.reporters.markdown_report import MarkdownReport
from licenselens.reporters.notice_file import NoticeFile
from licenselens.reporters.results_json import ResultsJson
from licenselens.reporters.spdx_document import SpdxDocument

AUDIT_WRITERS: dict[str, type[AuditWriter]] = {
    "results.json": ResultsJson,
    "report.html": HtmlReport,
    "report.md": MarkdownReport,
    "NOTICE.txt": NoticeFile,
    "summary.spdx.json": SpdxDocument,  # source trees' paths are relative to the working folder (SHA1 re-read)
    "bom.cdx.json": CycloneDxBom,
    "findings.sarif": AuditSarif,
}


def with_assessment(results: dict) -> dict:
    """The fair-use rationale and AI Act summary from the evidence and the current rules/ texts,
    so counsel's edits show on the next `licenselens report` without rescanning."""
    evidence = results["evidence"]
    summary_input = {**evidence, "model": {**results["model"], **evidence["model"]}}
    return {**results, "assessment": {"fair_use": assess(evidence), "ai_act": public_summary(summary_input)}}


def render_all(results: dict, output_dir: str) -> list[str]:
    """Writes every file of AUDIT_WRITERS into ``output_dir``, atomically; returns their paths."""
    results = with_assessment(results)
    os.makedirs(output_dir, exist_ok=True)
    written = []
    for name, writer_class in AUDIT_WRITERS.items():
        writer = writer_class()
        if not writer.wanted(results):
            continue
        path = os.path.join(output_dir, name)
        with atomic_output(path, writer.binary) as fh:
            writer.write(results, fh)
        written.append(path)
    return written
