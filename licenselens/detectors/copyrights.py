"""Copyright statements, holders and authors through ScanCode's cluecode detector."""

from __future__ import annotations

from licenselens.detectors.base import Content, Detector
from licenselens.scancode.api import file_copyrights
from licenselens.types.findings import Findings


class CopyrightDetector(Detector):
    name = "copyright"

    def wants(self, content: Content) -> bool:
        return bool(content.text)

    def detect(self, content: Content) -> Findings:
        return file_copyrights(content.location, content.timeout, self.name, content.memory_allowance)
