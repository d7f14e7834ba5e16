"""The files of `licenselens trace` OUTDIR: trace.json, trace.html and exclusions.txt (TRACE_WRITERS).

Writers render a ``TraceResult`` only; ``write`` masks personal data first (docs/privacy.md). The exclusion
list is written as `licenselens clean --exclude` reads it (``remedy.exclusions``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from abc import ABC, abstractmethod
from difflib import SequenceMatcher
from typing import IO, ClassVar, TextIO, cast

from markupsafe import Markup

from licenselens.atomic import atomic_output
from licenselens.privacy import redact
from licenselens.remedy.exclusions import write_exclusions
from licenselens.reporters.html_report import environment
from licenselens.reporters.report_view import slug
from licenselens.rules import templates_dir
from licenselens.tokens import TOKEN_PATTERN
from licenselens.types.convert import to_jsonable
from licenselens.types.trace import Passage, TraceResult


class TraceWriter(ABC):
    filename: ClassVar[str]  # name of the file in OUTDIR

    def write(self, result: TraceResult, out: IO) -> None:
        """Write the whole file to an open text stream, personal data masked (the one way out)."""
        self.render(redact(result), out)

    @abstractmethod
    def render(self, result: TraceResult, out: IO) -> None:
        """Render a result whose personal data is already masked."""


class TraceJson(TraceWriter):
    filename = "trace.json"

    def render(self, result: TraceResult, out: IO) -> None:
        json.dump(to_jsonable(result), out, indent=2, ensure_ascii=False)
        out.write("\n")


class TraceHtml(TraceWriter):
    """One self-contained page: inline CSS allowed by its hash, no script, nothing loaded."""

    filename = "trace.html"

    def render(self, result: TraceResult, out: IO) -> None:
        css = (templates_dir() / "trace.css").read_text(encoding="utf-8")
        digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
        csp = f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
        anchors = _anchors([w.work_id for w in result.works])
        page = (
            environment()
            .get_template("trace.html.j2")
            .render(
                r=result,
                anchors=anchors,
                differences=differences,
                css=Markup(css),
                csp=csp,
                excluded_count=len(result.excluded),
            )
        )
        out.write(page)


Segments = list[tuple[str, bool]]


def differences(passage: Passage) -> tuple[Segments, Segments]:
    """Each side's shown match cut into (text, differs) segments: the words that a near copy changed, added or
    dropped, found with difflib on the tokens of ``licenselens.tokens`` (lowercased, as the engine compares)."""
    if passage.kind == "verbatim":
        return [(passage.work.match, False)], [(passage.copy.match, False)]
    work = [(m.start(), m.end()) for m in TOKEN_PATTERN.finditer(passage.work.match)]
    copy = [(m.start(), m.end()) for m in TOKEN_PATTERN.finditer(passage.copy.match)]
    matcher = SequenceMatcher(
        None,
        [passage.work.match[a:b].lower() for a, b in work],
        [passage.copy.match[a:b].lower() for a, b in copy],
        autojunk=False,
    )
    work_changed: set[int] = set()
    copy_changed: set[int] = set()
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            work_changed.update(range(i1, i2))
            copy_changed.update(range(j1, j2))
    return _segments(passage.work.match, work, work_changed), _segments(passage.copy.match, copy, copy_changed)


def _segments(text: str, tokens: list[tuple[int, int]], changed: set[int]) -> Segments:
    """``text`` cut at the edges of runs of changed tokens (the space between two changed tokens is changed)."""
    segments: Segments = []
    at, i = 0, 0
    while i < len(tokens):
        if i not in changed:
            i += 1
            continue
        j = i
        while j + 1 < len(tokens) and j + 1 in changed:
            j += 1
        start, end = tokens[i][0], tokens[j][1]
        if start > at:
            segments.append((text[at:start], False))
        segments.append((text[start:end], True))
        at, i = end, j + 1
    if at < len(text):
        segments.append((text[at:], False))
    return segments


def _anchors(names: list[str]) -> list[str]:
    """A unique fragment id per work (two names can slug alike)."""
    seen: dict[str, int] = {}
    anchors = []
    for name in names:
        base = "work-" + slug(name)
        seen[base] = seen.get(base, 0) + 1
        anchors.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return anchors


class ExclusionList(TraceWriter):
    filename = "exclusions.txt"

    def render(self, result: TraceResult, out: IO) -> None:
        names = [w.work_id for w in result.works]
        works = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        header = (
            f"licenselens trace {result.tool['version']}: {len(result.excluded)} corpus document(s) holding "
            f"the works verbatim or near-verbatim (rules/trace.yaml exclude)\n"
            f"works: {works or 'none'}\n"
            f"index: {result.source.index}\n"
            "for: licenselens clean --exclude THIS_FILE"
        )
        write_exclusions(cast(TextIO, out), result.excluded, header)


TRACE_WRITERS: dict[str, type[TraceWriter]] = {w.filename: w for w in (TraceJson, TraceHtml, ExclusionList)}


def write_trace(result: TraceResult, output_dir: str) -> list[str]:
    """Writes every file of TRACE_WRITERS into ``output_dir``, atomically; returns their paths."""
    os.makedirs(output_dir, exist_ok=True)
    written = []
    for name, writer_class in TRACE_WRITERS.items():
        path = os.path.join(output_dir, name)
        with atomic_output(path, binary=False) as fh:
            writer_class().write(result, fh)
        written.append(path)
    return written
