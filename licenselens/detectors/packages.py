"""Declared licences of package manifests (package.json, pyproject.toml, ...), read by ScanCode's packagedcode."""

from __future__ import annotations

import fnmatch
from functools import cache

from licenselens.detectors.base import Content, Detector
from licenselens.rules import load_yaml
from licenselens.scancode.api import file_packages
from licenselens.types.findings import Findings


@cache
def _patterns() -> tuple[str, ...]:
    return tuple(load_yaml("manifests.yaml")["patterns"])


class PackageManifestDetector(Detector):
    name = "manifest"
    needs_index = True

    def wants(self, content: Content) -> bool:
        return bool(content.text) and any(fnmatch.fnmatchcase(content.name, p) for p in _patterns())

    def detect(self, content: Content) -> Findings:
        return file_packages(content.location, content.timeout, self.name, content.memory_allowance)
