from __future__ import annotations

import pytest
from license_expression import ExpressionError

from licenselens.detectors.spdx_tags import clean_tag_value, parse_spdx_tag
from licenselens.scan.analyse import analyse_file


@pytest.mark.parametrize(
    "value, spdx, keys",
    [
        ("MIT", "MIT", "mit"),
        ("MIT OR Apache-2.0", "MIT OR Apache-2.0", "mit OR apache-2.0"),
        ("apache-2.0 and bsd-3-clause", "Apache-2.0 AND BSD-3-Clause", "apache-2.0 AND bsd-new"),
        (
            "GPL-2.0-or-later WITH Classpath-exception-2.0",
            "GPL-2.0-or-later WITH Classpath-exception-2.0",
            "gpl-2.0-plus WITH classpath-exception-2.0",
        ),
        ("LicenseRef-Acme", "LicenseRef-Acme", "unknown-spdx"),
    ],
)
def test_parse(value, spdx, keys):
    assert parse_spdx_tag(value) == (spdx, keys)


@pytest.mark.parametrize("value", ["Nonsense-License-9", "MIT OR", "(MIT"])
def test_parse_rejects(value):
    with pytest.raises(ExpressionError):
        parse_spdx_tag(value)


@pytest.mark.parametrize(
    "raw, clean", [("MIT */", "MIT"), ("Apache-2.0 -->", "Apache-2.0"), ('MIT"', "MIT"), ("MIT", "MIT")]
)
def test_comment_closers_are_removed(raw, clean):
    assert clean_tag_value(raw) == clean


def test_tags_in_a_file(tmp_path):
    f = tmp_path / "a.c"
    f.write_text(
        "/* SPDX-License-Identifier: GPL-2.0-only */\n"
        "// SPDX-FileCopyrightText: 2020 Jane Doe <jane@example.org>\n"
        "// SPDX-License-Identifier: Bogus-1\nint x;\n"
    )
    findings = analyse_file(str(f), "a.c", 30, ("spdx-tag",))
    assert [(d.license_expression_spdx, d.start_line, d.category) for d in findings.detections] == [
        ("GPL-2.0-only", 1, "Copyleft")
    ]
    assert [s.value for s in findings.statements] == ["2020 Jane Doe <jane@example.org>"]
    assert findings.errors == ()
    assert [w.code for w in findings.warnings] == ["invalid-spdx-tag"]
    assert "line 3" in findings.warnings[0].message
