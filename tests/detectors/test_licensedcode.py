from __future__ import annotations

import random

import pytest
from scancode.api import get_licenses

from licenselens.detectors.licensedcode import match_trigger
from licenselens.scan.analyse import analyse_file

from ..conftest import STDLIB, scancode_licence_text, strip_front_matter


@pytest.mark.parametrize(
    "key, expected",
    [
        ("apache-2.0", "apache-2.0"),
        ("gpl-3.0", "gpl-3.0"),
        ("mit", "mit"),
        ("bsd-new", "bsd-new"),
        ("mpl-2.0", "mpl-2.0"),
        ("cc-by-sa-4.0", "cc-by-sa-4.0"),
    ],
)
def test_full_licence_texts_from_scancode_data(tmp_path, key, expected):
    text = strip_front_matter(scancode_licence_text(key).read_text(encoding="utf-8"))
    path = tmp_path / "LICENSE"
    path.write_text(text, encoding="utf-8")
    findings = analyse_file(str(path), "LICENSE", 60, ("licensedcode",))
    assert [d.license_expression for d in findings.detections] == [expected]
    assert findings.detections[0].detector == "licensedcode"
    assert findings.detections[0].category
    match = findings.detections[0].matches[0]
    assert match.rule_identifier and match.matcher and match.matched_length > 50


def test_notice_header_in_real_stdlib_file():
    # The stdlib's own files carry few headers; ScanCode's rule texts are real notices.
    findings = analyse_file(str(scancode_licence_text("gpl-2.0-plus")), "gpl-2.0-plus.LICENSE", 60, ("licensedcode",))
    assert any("gpl-2.0-plus" in d.license_expression for d in findings.detections)


def test_trigger_false_means_scancode_finds_nothing_on_real_files():
    """The skip is exact: where the trigger says no, ScanCode itself finds no match."""
    files = sorted(STDLIB.glob("**/*.py"))
    random.Random(3).shuffle(files)
    skipped = 0
    for path in files[:400]:
        text = path.read_text(encoding="utf-8", errors="replace")
        if match_trigger().can_match(text):
            continue
        result = get_licenses(str(path))
        assert not result["license_detections"] and not result["license_clues"], path
        skipped += 1
        if skipped >= 15:
            break
    assert skipped >= 5, "expected some stdlib files with nothing licence-like"


def test_trigger_sees_licence_words_and_weak_rules():
    trigger = match_trigger()
    assert trigger.can_match("Permission is hereby granted, free of charge")
    assert trigger.can_match("license: MIT")
    assert not trigger.can_match("def add(a, b):\n    return a + b\n")


@pytest.mark.parametrize(
    "line",
    [
        # ScanCode's dictionary reads "licence", "licenced" as the legalese "license", "licensed"
        "# This project is under BSD open source licence.",  # ScanCode rules in British spelling
        "REM released under an MIT licence",
        "# MIT Licenced",
        # a line led by ScanCode's NuGet prefix holds no legalese word, yet its SPDX-id matcher reads it
        "https://licenses.nuget.org/MIT",
        "<licenseUrl>https://licenses.nuget.org/Apache-2.0</licenseUrl>",
    ],
)
def test_lines_scancode_matches_without_a_plain_legalese_word_pass_the_pre_test(tmp_path, line):
    path = tmp_path / "LICENSE.txt"
    path.write_text(line + "\n", encoding="utf-8")
    expected = [d["license_expression"] for d in get_licenses(str(path))["license_detections"]]
    assert expected, "ScanCode itself should detect the licence"
    found = analyse_file(str(path), "LICENSE.txt", 60, ("licensedcode",))
    assert [d.license_expression for d in found.detections] == expected
