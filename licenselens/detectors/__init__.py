"""Detectors, in the order they run. Add one by writing a Detector and naming it here."""

from __future__ import annotations

from licenselens.detectors.base import Content, Detector
from licenselens.detectors.copyrights import CopyrightDetector
from licenselens.detectors.licensedcode import LicensedcodeDetector
from licenselens.detectors.packages import PackageManifestDetector
from licenselens.detectors.spdx_tags import SpdxTagDetector

DETECTORS: dict[str, type[Detector]] = {
    SpdxTagDetector.name: SpdxTagDetector,
    PackageManifestDetector.name: PackageManifestDetector,
    LicensedcodeDetector.name: LicensedcodeDetector,
    CopyrightDetector.name: CopyrightDetector,
}

__all__ = ["DETECTORS", "Content", "Detector"]
