"""One statement, one detection, on real files: ScanCode's CLI function is the oracle for what it reads."""

from __future__ import annotations

import random
import re

import pytest
from scancode.api import get_licenses

from licenselens.detectors import DETECTORS
from licenselens.scan.analyse import analyse_file

from ..conftest import SITE_PACKAGES

TAG_LINE = re.compile(r"SPDX-License-Identifier\s*:", re.IGNORECASE)


def _tagged_files(count: int) -> list:
    found = []
    for path in sorted(SITE_PACKAGES.glob("*/**/*.py")):
        if "licensedcode/data" in str(path) or not path.is_file():
            continue
        head = path.read_bytes()[:4096]
        if b"SPDX-License-Identifier" in head:
            found.append(path)
    random.Random(5).shuffle(found)
    return found[:count]


@pytest.fixture(scope="module")
def tagged():
    files = _tagged_files(12)
    assert len(files) >= 8, "site-packages should hold real files with SPDX tags"
    return files


def test_each_tag_is_reported_once_with_scancodes_reading(tagged):
    for path in tagged:
        found = analyse_file(str(path), path.name, 120, tuple(DETECTORS))
        scancode = [d["license_expression"] for d in get_licenses(str(path))["license_detections"]]
        ours = [d.license_expression for d in found.detections if d.detector == "licensedcode"]
        assert ours == scancode, path
        covered = {
            line
            for d in found.detections
            if d.detector == "licensedcode"
            for m in d.matches
            for line in range(m.start_line, m.end_line + 1)
        }
        # no second detection of a statement ScanCode already reports
        assert not [d for d in found.detections if d.detector != "licensedcode" and d.start_line in covered], path
        # and every tag ScanCode reads names the tag detector on ScanCode's detection
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        tag_lines = {n for n, line in enumerate(lines, 1) if TAG_LINE.search(line)}
        for line in tag_lines & covered:
            owner = [d for d in found.detections if any(m.start_line <= line <= m.end_line for m in d.matches)]
            assert owner and all("spdx-tag" in d.also_detected_by for d in owner), (path, line)


def test_tag_alone_is_kept_where_scancodes_matcher_does_not_run(tmp_path):
    path = tmp_path / "tagged.py"
    path.write_text("# SPDX-License-Identifier: Apache-2.0\nprint('hi')\n", encoding="utf-8")
    alone = analyse_file(str(path), path.name, 60, ("spdx-tag",))
    assert [(d.detector, d.also_detected_by) for d in alone.detections] == [("spdx-tag", ())]
    both = analyse_file(str(path), path.name, 60, ("spdx-tag", "licensedcode"))
    assert [(d.detector, d.also_detected_by, d.license_expression) for d in both.detections] == [
        ("licensedcode", ("spdx-tag",), "apache-2.0")
    ]


def test_a_tag_scancode_reads_as_another_licence_stays_its_own_detection(tmp_path):
    path = tmp_path / "tagged.py"
    path.write_text("# SPDX-License-Identifier: LicenseRef-Acme-Proprietary\nprint('hi')\n", encoding="utf-8")
    found = analyse_file(str(path), path.name, 60, ("spdx-tag", "licensedcode"))
    scancode = [d["license_expression"] for d in get_licenses(str(path))["license_detections"]]
    assert scancode and "acme" not in " ".join(scancode).lower()  # ScanCode reads an unknown reference
    by_detector = {d.detector: d for d in found.detections}
    assert by_detector["spdx-tag"].license_expression_spdx == "LicenseRef-Acme-Proprietary"
    assert [d.license_expression for d in found.detections if d.detector == "licensedcode"] == scancode
    assert by_detector["licensedcode"].also_detected_by == ()


def test_file_copyright_text_keeps_the_tags_value_beside_scancodes_reading(tmp_path):
    path = tmp_path / "tagged.c"
    path.write_text(
        "// SPDX-FileCopyrightText: 2024 Jane Doe <jane@example.org>\n// SPDX-License-Identifier: MIT\n",
        encoding="utf-8",
    )
    found = analyse_file(str(path), path.name, 60, tuple(DETECTORS))
    copyrights = sorted((s.detector, s.value) for s in found.statements if s.kind == "copyright")
    assert [d for d, _ in copyrights] == ["copyright", "spdx-tag"]  # REUSE carries the tag's own value
    assert [(d.detector, d.also_detected_by) for d in found.detections] == [("licensedcode", ("spdx-tag",))]
