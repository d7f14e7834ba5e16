"""Copyright statements, holders and authors through ScanCode's cluecode detector."""

from __future__ import annotations

from licenselens.detectors.base import Content, Detector
from licenselens.scancode.api import file_copyrights
from licenselens.signals.own_script import in_own_script, own_script
from licenselens.types.findings import Findings


class CopyrightDetector(Detector):
    name = "copyright"

    def wants(self, content: Content) -> bool:
        return bool(content.text)

    def detect(self, content: Content) -> Findings:
        found = file_copyrights(content.location, content.timeout, self.name, content.memory_allowance)
        return in_own_script(found, content.text or "", own_script())  # Chinese holders as written
