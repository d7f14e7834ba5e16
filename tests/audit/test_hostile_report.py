"""Scanned content is hostile: markup in documents, file names, metadata and model outputs goes through the
whole audit and the rendered page runs none of it (checked in a real Chromium)."""

from __future__ import annotations

import json

import pytest

from tests.audit.browser import chromium, open_page
from tests.audit.conftest import run_cli

pytestmark = pytest.mark.slow

PAYLOADS = [
    "<script>window.__pwned = 'script'</script>",
    "</textarea><img src=x onerror=\"window.__pwned = 'img'\">",
    "<svg onload=\"window.__pwned = 'svg'\"></svg>",
    "</style><script>alert('style')</script>",
    "\"><iframe srcdoc=\"<script>parent.__pwned='iframe'</script>\"></iframe>",
]
PROSE = (
    "The harbour ferry leaves at seven and returns before noon, weather permitting, "
    "and the timetable is posted on the pier beside the old customs house where the gulls gather. "
)


def hostile_manifest(root):
    root.mkdir(parents=True)
    text = PROSE + " ".join(PAYLOADS) + " " + PROSE * 2
    records = [
        {"id": PAYLOADS[1], "text": text, "url": "javascript:window.__pwned='url'", "license": "MIT"},
        {"id": "plain", "text": PROSE * 3, "url": "https://example.org/ok", "license": None},
    ]
    (root / "docs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    tree = root / "tree"
    tree.mkdir()
    (tree / "<img src=x onerror=alert(1)>.py").write_text(
        "# SPDX-License-Identifier: MIT\n# Copyright (c) 2024 <script>window.__pwned='holder'</script>\n",
        encoding="utf-8",
    )
    outputs = [
        {"id": "<script>window.__pwned='output-id'</script>", "text": text},
        {"id": "javascript:alert(1)", "text": "An original sentence about something else entirely."},
    ]
    (root / "outputs.jsonl").write_text("".join(json.dumps(o) + "\n" for o in outputs), encoding="utf-8")
    (root / "licenselens.toml").write_text(
        f'''
[model]
name = {json.dumps(PAYLOADS[0])}
description = {json.dumps(PAYLOADS[2])}

[[datasets]]
name = "hostile"
stage = "pretraining"
kind = "web"
paths = ["docs.jsonl"]
format = "jsonl"
source = "javascript:window.__pwned='source'"
notes = {json.dumps(PAYLOADS[3])}
[datasets.fields]
url = "url"
license = "license"

[[datasets]]
name = "tree"
stage = "pretraining"
kind = "code"
paths = ["tree"]
format = "tree"

[[outputs]]
name = "outputs"
paths = ["outputs.jsonl"]
format = "jsonl"
''',
        encoding="utf-8",
    )
    return root / "licenselens.toml"


def test_hostile_content_is_inert(tmp_path):
    manifest = hostile_manifest(tmp_path / "in")
    out = tmp_path / "out"
    done = run_cli("audit", str(manifest), "-o", str(out), "--jobs", "1")
    assert done.returncode == 0, done.stderr
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["overlap"]["by_verdict"]["verbatim"] == 1  # the copy of the hostile page was found

    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>window.__pwned" not in html and "onerror=\"window" not in html
    assert 'href="javascript:' not in html.lower()
    markdown = (out / "report.md").read_text(encoding="utf-8")
    assert "<script" not in markdown and "<img" not in markdown and "<svg" not in markdown

    with chromium() as browser:
        page = open_page(browser, out / "report.html")
        page.wait_for_load_state("load")
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert [e for e in page.events if e[0] in ("dialog", "pageerror")] == []
        assert page.locator("iframe, img, body svg:not(.chart)").count() == 0
        assert page.locator('a[href^="javascript:"]').count() == 0
        text = page.locator("body").inner_text()
        for payload in PAYLOADS:  # shown as text, where it was found
            assert payload in text
