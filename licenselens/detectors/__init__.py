"""Detectors, in the order they run. Add one by writing a Detector and naming it here."""

from __future__ import annotations

from .base import Content, Detector
from .copyrights import CopyrightDetector
from .licensedcode import LicensedcodeDetector
from .manifests import ManifestDetector
from .spdx_tags import SpdxTagDetector

DETECTORS: dict[str, type[Detector]] = {
    SpdxTagDetector.name: SpdxTagDetector,
    ManifestDetector.name: ManifestDetector,
    LicensedcodeDetector.name: LicensedcodeDetector,
    CopyrightDetector.name: CopyrightDetector,
}

__all__ = ["DETECTORS", "Content", "Detector"]
