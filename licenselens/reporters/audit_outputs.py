"""The files of an audit's OUTDIR, each rendered from results.json alone (see audit_base)."""

from __future__ import annotations

import os

from licenselens.atomic import atomic_output
from licenselens.reporters.audit_base import AuditWriter
from licenselens.reporters.audit_sarif import AuditSarif
from licenselens.reporters.cyclonedx_bom import CycloneDxBom
from licenselens.reporters.html_report import HtmlReport
from licenselens.reporters.markdown_report import MarkdownReport
from licenselens.reporters.notice_file import NoticeFile
from licenselens.reporters.results_json import ResultsJson
from licenselens.reporters.spdx_document import SpdxDocument
from licenselens.types.audit import AssessedResults

# by the file each writes (summary.spdx.json: source trees' paths are relative to the working folder, SHA1 re-read)
AUDIT_WRITERS: dict[str, type[AuditWriter]] = {
    writer.filename: writer
    for writer in (ResultsJson, HtmlReport, MarkdownReport, NoticeFile, SpdxDocument, CycloneDxBom, AuditSarif)
}


def render_all(results: AssessedResults, output_dir: str) -> list[str]:
    """Writes every file of AUDIT_WRITERS into ``output_dir``, atomically; returns their paths."""
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
