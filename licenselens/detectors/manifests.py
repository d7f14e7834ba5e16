"""Declared licences of package manifests, read by ScanCode's packagedcode."""

from __future__ import annotations

import fnmatch
from functools import cache

from ..rules import load_yaml
from ..types import Detection, FileError, Findings
from .base import Content, Detector
from .scancode_common import load_index, run_with_timeout, to_detection


@cache
def _patterns() -> tuple[str, ...]:
    return tuple(load_yaml("manifests.yaml")["patterns"])


def _get_package_data(location, deadline):
    from scancode.api import get_package_data

    return get_package_data(location, deadline=deadline)


class ManifestDetector(Detector):
    name = "manifest"

    def wants(self, content: Content) -> bool:
        return bool(content.text) and any(fnmatch.fnmatchcase(content.name, p) for p in _patterns())

    def detect(self, content: Content) -> Findings:
        load_index()  # packagedcode matches declared licence statements with it
        value, error = run_with_timeout(_get_package_data, content.location, content.timeout, self.name,
                                        memory_allowance=content.memory_allowance)
        if error:
            return Findings(errors=(error,))
        detections: list[Detection] = []
        errors: list[FileError] = []
        for package in value.get("package_data", []):
            found = [to_detection(d, self.name) for d in package.get("license_detections") or []]
            if not found and package.get("declared_license_expression"):
                found = [to_detection({
                    "license_expression": package["declared_license_expression"],
                    "license_expression_spdx": package.get("declared_license_expression_spdx"),
                    "matches": [],
                }, self.name)]
            detections.extend(found)
        return Findings(detections=tuple(detections), errors=tuple(errors))
