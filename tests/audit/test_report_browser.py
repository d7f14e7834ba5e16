"""report.html of samples/ in a real headless Chromium: no console errors, search, sort, charts, links."""

from __future__ import annotations

import pytest

from tests.audit.browser import chromium, open_page
from tests.audit.conftest import ARTIFACTS

pytestmark = pytest.mark.slow


def visible_rows(page, table: str) -> int:
    return page.locator(f"#{table} tbody tr:not([hidden])").count()


def test_report_in_chromium(samples_audit):
    out, _ = samples_audit
    with chromium() as browser:
        page = open_page(browser, out / "report.html")
        page.wait_for_load_state("load")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report-samples.png"), full_page=False)
        page.screenshot(path=str(ARTIFACTS / "report-samples-full.png"), full_page=True)

        problems = [
            e for e in page.events if e[0] == "pageerror" or (e[0] == "console" and e[1] in ("error", "warning"))
        ]
        assert problems == []
        # a self-contained page: it loads nothing but itself
        assert [e for e in page.events if e[0] == "request" and not e[2].startswith("file:")] == []

        # long paths and licence expressions wrap: nothing runs off the side of the page
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        table = page.locator("#documents-table").bounding_box()
        assert (
            table["x"] + table["width"]
            <= page.locator("main").bounding_box()["x"] + page.locator("main").bounding_box()["width"] + 1
        )

        # charts render: bars with a real size in every chart
        for chart in ("chart-categories", "chart-verdicts", "chart-spans"):
            boxes = [
                page.locator(f"#{chart} rect").nth(i).bounding_box()
                for i in range(page.locator(f"#{chart} rect").count())
            ]
            assert boxes and any(b and b["width"] > 0 and b["height"] > 0 for b in boxes), chart

        # search filters the documents table, by tag and by text
        total = visible_rows(page, "documents-table")
        assert total == 109
        search = page.locator('input[data-table="documents-table"]')
        search.fill("is:mismatch")
        mismatched = visible_rows(page, "documents-table")
        assert 0 < mismatched < total
        assert all(
            "mismatch"
            in (page.locator("#documents-table tbody tr:not([hidden])").nth(i).get_attribute("data-tags") or "")
            for i in range(mismatched)
        )
        search.fill("公孫丑")
        assert 0 < visible_rows(page, "documents-table") < total
        search.fill("")
        assert visible_rows(page, "documents-table") == total

        # a figure links to the rows behind it: the verbatim bar filters the outputs table
        page.locator('#chart-verdicts a[data-filter="is:verbatim"]').click()
        verbatim = visible_rows(page, "outputs-table")
        assert 0 < verbatim < page.locator("#outputs-table tbody tr").count()
        assert page.locator('input[data-table="outputs-table"]').input_value() == "is:verbatim"

        # sorting by a numeric column orders the rows
        page.locator('input[data-table="outputs-table"]').fill("")
        page.locator("#outputs-table thead th", has_text="longest span (tokens)").click()
        page.locator("#outputs-table thead th", has_text="longest span (tokens)").click()  # descending
        column = [int(t) for t in page.locator("#outputs-table tbody tr td:nth-child(5)").all_inner_texts()]
        assert column == sorted(column, reverse=True) and column[0] >= 50


def test_report_content_without_javascript(samples_audit):
    """Every section and chart is in the HTML itself: readable with JavaScript off."""
    out, _ = samples_audit
    with chromium() as browser:
        page = open_page(browser, out / "report.html", javascript=False)
        assert page.locator("#documents-table tbody tr").count() == 109
        assert page.locator("#chart-verdicts rect").count() >= 4
        assert page.locator("#dataset-shakespeare .side-by-side mark").count() >= 1
        assert page.locator("#ai-act table").count() >= 3
        text = page.locator("body").inner_text()
        assert "not legal advice" in text.lower()
        assert "Bartz v. Anthropic" in text and "Art. 30-4" in text
