"""Copyright statements, holders and authors through ScanCode's cluecode detector."""

from __future__ import annotations

from ..types import Findings, Statement
from .base import Content, Detector
from .scancode_common import run_with_timeout


class CopyrightDetector(Detector):
    name = "copyright"

    def wants(self, content: Content) -> bool:
        return bool(content.text)

    def detect(self, content: Content) -> Findings:
        from scancode.api import get_copyrights

        value, error = run_with_timeout(get_copyrights, content.location, content.timeout, self.name,
                                        memory_allowance=content.memory_allowance)
        if error:
            return Findings(errors=(error,))
        statements = []
        for kind, plural in (("copyright", "copyrights"), ("holder", "holders"), ("author", "authors")):
            for item in value.get(plural, []):
                statements.append(Statement(kind, item[kind], item["start_line"], item["end_line"], self.name))
        return Findings(statements=tuple(statements))
