"""clean -> audit on samples/: the cleaned corpus shows no opt-out, no personal data, no denied document or
file and no duplicate of either kind, and its report compares it with the corpus before cleaning."""

from __future__ import annotations

import json
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from ..conftest import REPO


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    root = tmp_path_factory.mktemp("samples-clean")
    cleaned, audit = root / "cleaned", root / "audit"
    for args in (
        ["clean", "samples/licenselens.toml", "-o", str(cleaned), "-j", "2"],
        ["audit", str(cleaned / "licenselens.toml"), "-o", str(audit), "-j", "2"],
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "licenselens", *args], cwd=REPO, capture_output=True, text=True, timeout=900
        )
        assert proc.returncode == 0, proc.stderr
    return cleaned, json.loads((audit / "results.json").read_text(encoding="utf-8")), audit


def test_the_zeros(audited):
    _, results, _ = audited
    totals = results["corpus"]["totals"]
    for key in ("tdm_opt_out", "personal_information", "duplicates", "near_duplicates"):
        assert totals[key]["documents"] == 0, key
    verdicts = results["policy"]
    assert all(v.get("deny", 0) == 0 for v in verdicts["document_verdicts"].values())
    assert verdicts["file_verdicts"].get("deny", 0) == 0
    assert results["processing_measured"] == {"opt_outs_removed": True, "pii_removed": True, "dedup": True}
    assert results["evidence"]["processing"] == results["processing_measured"]


def test_what_was_removed_from_the_samples(audited):
    """samples/corpus/EXPECTED.md: 7 opt-outs, the duplicate web-0012, the near duplicate web-0014, the
    non-commercial essays and abstract (denied by the samples' policy commercial-model)."""
    cleaned, _, _ = audited
    removed = {(r["dataset"], r["doc_id"]): r["reason"] for r in pq.read_table(cleaned / "removed.parquet").to_pylist()}
    opt_outs = {k for k, v in removed.items() if v == "opt-out"}
    assert opt_outs == {("web-pages", f"web-000{i}") for i in range(4, 10)} | {
        ("books-excerpts", "the-tidewater-clock.txt")
    }
    assert removed[("web-pages", "web-0012")] == "duplicate"
    assert removed[("web-pages", "web-0014")] == "near-duplicate"
    assert removed[("books-excerpts", "notes-from-a-hill-orchard.txt")] == "policy"
    assert removed[("medical", "med-0003")] == "policy"
    assert len([k for k in removed if k[1]]) == 11


def test_the_report_compares_before_and_after(audited):
    _, results, audit = audited
    remediation = results["remediation"]
    assert remediation["before"].endswith("cleaned/before")
    web = next(d for d in remediation["datasets"] if d["name"] == "web-pages")
    assert web["before"]["tdm_opt_out"] == 6 and web["after"]["tdm_opt_out"] == 0
    assert web["before"]["near_duplicates"] == 1 and web["after"]["near_duplicates"] == 0
    assert web["removed"] == {"duplicate": 1, "near-duplicate": 1, "opt-out": 6}
    assert remediation["totals"]["before"]["personal_information"] == 7
    assert remediation["totals"]["after"] == {
        "documents": 98,
        "tdm_opt_out": 0,
        "personal_information": 0,
        "duplicates": 0,
        "near_duplicates": 0,
        "denied": 0,
    }
    html = (audit / "report.html").read_text(encoding="utf-8")
    assert 'id="remediation-table"' in html and "14 &rarr; 6" in html
