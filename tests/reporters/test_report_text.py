"""The pieces the HTML and Markdown reports are built from: escaping, URL links, span highlighting, charts."""

from __future__ import annotations

import pytest

from licenselens.reporters.charts import bar_chart, histogram, stacked_bars
from licenselens.reporters.html_report import content_security_policy, safe_url
from licenselens.reporters.markdown_report import markdown_text
from licenselens.reporters.report_view import segments


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://example.org/a?b=1", "https://example.org/a?b=1"),
        ("http://x.test", "http://x.test"),
        ("javascript:alert(1)", None),
        (" JaVaScRiPt:alert(1)", None),
        ("data:text/html,<script>", None),
        ("file:///etc/passwd", None),
        ("//evil.test/x", None),
        ("", None),
        (None, None),
    ],
)
def test_safe_url(url, expected):
    assert safe_url(url) == expected


def test_markdown_text_is_inert():
    hostile = "<script>alert(1)</script> [x](javascript:alert(1)) **b** `c` | d\n# e"
    text = markdown_text(hostile)
    assert "<" not in text and ">" not in text and "\n" not in text
    assert "\\[x\\]" in text and "\\*\\*b\\*\\*" in text and "\\`c\\`" in text and "\\|" in text and "\\#" in text


def test_segments_cut_text_at_spans():
    text = "aaa bbb ccc ddd eee"
    parts = segments(text, [{"start_char": 4, "end_char": 11}, {"start_char": 8, "end_char": 15}])
    assert "".join(p["text"] for p in parts) == text
    assert [(p["text"], p["span"]) for p in parts] == [("aaa ", None), ("bbb ccc", 0), (" ddd", 1), (" eee", None)]


def test_charts_geometry():
    bars = stacked_bars([("a", {"Permissive": 0.5, "none": 0.5}, "#a"), ("b", {"Copyleft": 1.0}, "#b")])
    first = bars["rows"][0]["parts"]
    assert [p["category"] for p in first] == ["Permissive", "none"]  # "none" always last
    assert first[0]["w"] == pytest.approx(first[1]["w"]) and first[1]["x"] > first[0]["x"]
    chart = bar_chart([("verbatim", 3, "#o", "verbatim"), ("transformative", 0, "#o", "transformative")])
    assert chart["bars"][0]["h"] > 0 and chart["bars"][1]["h"] == 0
    spans = histogram([{"from": 0, "to": 50, "spans": 2}, {"from": 50, "to": None, "spans": 1}], 50)
    assert [b["cls"] for b in spans["bars"]] == ["c-under", "c-over"]


def test_csp_allows_exactly_the_inline_assets():
    policy = content_security_policy("body{}", "console.log(1)")
    assert "default-src 'none'" in policy and "'unsafe-inline'" not in policy
    assert policy.count("sha256-") == 2
