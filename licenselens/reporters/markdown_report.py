"""report.md: the report's findings as Markdown, for reviews and pull requests.

Markdown renderers pass raw HTML through, so scanned text is escaped twice: HTML
entities for ``& < >`` and backslashes for Markdown's own syntax.
"""

from __future__ import annotations

import re
from typing import IO

from licenselens.reporters.audit_base import AuditWriter
from licenselens.reporters.html_report import environment
from licenselens.reporters.report_view import build_view
from licenselens.types.audit import AssessedResults

_MARKDOWN_SYNTAX = re.compile(r"([\\`*_\[\]#|~])")


def markdown_text(value) -> str:
    """Scanned or user text as inert Markdown on one line."""
    text = "" if value is None else str(value)
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MARKDOWN_SYNTAX.sub(r"\\\1", text)
    return re.sub(r"\s*[\r\n]+\s*", " ", text).strip()


class MarkdownReport(AuditWriter):
    filename = "report.md"

    def render(self, results: AssessedResults, out: IO) -> None:
        env = environment(autoescape=False)
        env.filters["md"] = markdown_text
        view = build_view(results)
        out.write(env.get_template("report.md.j2").render(**view))
