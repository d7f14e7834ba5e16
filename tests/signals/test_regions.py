"""Licence statements in corpus documents: only the regions around anchors go through ScanCode."""

import random
from pathlib import Path

import pytest

from licenselens.corpus.analyser import DocumentAnalyser
from licenselens.signals.anchors import lowered
from licenselens.signals.regions import _context, regions

from ..conftest import shakespeare


def test_regions_are_anchor_paragraphs_of_short_lines():
    text = "a long paragraph of prose " * 20 + "\n\nLicensed under the MIT License.\nSee LICENSE.\n\nmore prose"
    ((start, end),) = regions(text, [text.index("Licensed")], _context())
    assert text[start:end] == "Licensed under the MIT License.\nSee LICENSE."
    one_line = "word " * 400 + "Copyright 2020 Jane Doe. " + "word " * 400
    ((start, end),) = regions(one_line, [one_line.index("Copyright")], _context())
    assert "Copyright 2020 Jane Doe." in one_line[start:end] and end - start <= 2 * _context()["long_line_chars"]


def real_notices(n, seed=5):
    import licensedcode

    rules = sorted((Path(licensedcode.__file__).parent / "data" / "rules").glob("*.RULE"))
    random.Random(seed).shuffle(rules)
    found = []
    for path in rules:
        head, _, body = path.read_text(encoding="utf-8", errors="replace").partition("\n---\n")
        if "is_license_notice: yes" in head and "is_false_positive" not in head and 40 < len(body) < 1200:
            found.append(body.strip())
        if len(found) == n:
            return found


@pytest.mark.slow
def test_a_notice_in_a_document_is_found_as_scancode_finds_it_alone():
    """Real licence notices (ScanCode's own rule texts) as footers of real prose."""
    from licensedcode.detection import detect_licenses

    analyser = DocumentAnalyser()
    prose = shakespeare()
    agree, total = 0, 0
    for i, notice in enumerate(real_notices(40)):
        alone = sorted({d.license_expression for d in detect_licenses(query_string=notice) if d.license_expression})
        if not alone:
            continue
        body = prose[i * 3000 : i * 3000 + 2500]
        text = body + "\n\n" + notice + "\n"
        low = lowered(text)
        found = analyser.licence_findings(
            type("D", (), {"location": None, "text": text})(), low, analyser.scanner.scan(low)
        )
        total += 1
        agree += sorted({d.license_expression for d in found.detections}) == alone
    assert total >= 30
    print(f"region detection agrees with ScanCode on the notice alone: {agree}/{total}")
    assert agree / total >= 0.95, f"{agree}/{total}"


@pytest.mark.parametrize(
    "text, copyright, holder",
    [
        ("版权所有 © 2024 华信科技有限公司\n保留所有权利。", "版权所有 © 2024 华信科技有限公司", "华信科技有限公司"),
        (
            "Copyright © 2024 北京华信科技有限公司. All rights reserved.",
            "Copyright © 2024 北京华信科技有限公司",
            "北京华信科技有限公司",
        ),
        (
            "版權所有 © 2019-2024 臺灣數位出版股份有限公司",
            "版權所有 © 2019-2024 臺灣數位出版股份有限公司",
            "臺灣數位出版股份有限公司",
        ),
        # lines without Chinese characters stay as ScanCode reports them
        ("Copyright (c) 2023 Jane Roe. All rights reserved.", "Copyright (c) 2023 Jane Roe", "Jane Roe"),
    ],
)
def test_chinese_holders_are_kept_in_their_own_script(text, copyright, holder):
    """ScanCode transliterates and cuts them ("(c) 2024 Hua Xin Ke"): a holder is named as it names itself."""
    from licenselens.types.corpus import DatasetSpec, Document

    row = DocumentAnalyser().analyse(
        Document("d", "1", text, "o"), DatasetSpec("d", "pretraining", "web", ("x",), "jsonl")
    )
    assert row["copyrights"] == [copyright] and row["holders"] == [holder]
