"""report.html: one self-contained page (inline CSS, a little vanilla JS, inline SVG), from jinja2 templates.

Everything that came from scanned content is escaped by jinja2's autoescape; links to
scanned URLs are kept only for http(s); the Content-Security-Policy allows exactly the
page's own inline style and script (by hash), so injected markup could not run anyway.
"""

from __future__ import annotations

import base64
import hashlib
from typing import IO
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from licenselens.reporters.audit_base import AuditWriter
from licenselens.reporters.report_view import build_view, slug
from licenselens.rules import templates_dir
from licenselens.types.audit import AssessedResults


def safe_url(value: str | None) -> str | None:
    """A URL worth linking to: http(s) only (no javascript:, data:, file:)."""
    if not value:
        return None
    try:
        scheme = urlsplit(str(value).strip()).scheme.lower()
    except ValueError:
        return None
    return str(value).strip() if scheme in ("http", "https") else None


def percent(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value * 100:.{digits}f} %"


def number(value) -> str:
    return "–" if value is None else f"{value:,}" if isinstance(value, int) else str(value)


def environment(autoescape: bool = True) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates_dir())),
        undefined=StrictUndefined,
        autoescape=select_autoescape(["html.j2"], default=autoescape),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(pct=percent, num=number, slug=slug, safe_url=safe_url)
    return env


def _sha256(text: str) -> str:
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def content_security_policy(css: str, js: str) -> str:
    return (
        f"default-src 'none'; style-src 'sha256-{_sha256(css)}'; script-src 'sha256-{_sha256(js)}'; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )


class HtmlReport(AuditWriter):
    filename = "report.html"

    def render(self, results: AssessedResults, out: IO) -> None:
        view = build_view(results)
        css = (templates_dir() / "report.css").read_text(encoding="utf-8")
        js = (templates_dir() / "report.js").read_text(encoding="utf-8")
        page = (
            environment()
            .get_template("report.html.j2")
            .render(**view, css=Markup(css), js=Markup(js), csp=content_security_policy(css, js))
        )
        out.write(page)
