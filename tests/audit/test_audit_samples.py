"""`licenselens audit` on samples/: every file of OUTDIR, from real measurements, and `report` re-renders it."""

from __future__ import annotations

import json
import re

import pyarrow.parquet as pq

from licenselens.reporters.audit_outputs import AUDIT_WRITERS
from tests.audit.conftest import run_cli


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def test_audit_writes_every_file(samples_audit):
    out, done = samples_audit
    assert done.returncode == 0, done.stderr
    for name in AUDIT_WRITERS:
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    assert pq.read_table(out / "corpus.parquet").num_rows == 109
    assert (out / "index" / "manifest.json").is_file()


def test_results_hold_the_measurements(samples_audit):
    out, _ = samples_audit
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert results["policy"]["name"] == "commercial-model"  # from the manifest
    assert results["model"]["provider"] == "Example Labs (fictional)"
    by_verdict = results["overlap"]["by_verdict"]
    assert by_verdict["verbatim"] >= 2 and by_verdict["transformative"] >= 2
    shakespeare = results["evidence"]["datasets"]["shakespeare"]
    assert shakespeare["outputs_verbatim"] >= 1 and shakespeare["longest_span_tokens"] >= 50
    assert results["evidence"]["datasets"]["rlhf-preferences"]["outputs_with_spans"] == 0
    # every dataset gets the four US factors and the three other jurisdictions
    for name, assessment in results["assessment"]["fair_use"]["datasets"].items():
        assert [f["id"] for f in assessment["us"]["factors"]] == ["purpose", "nature", "amount", "market"], name
        assert {j["id"] for j in assessment["jurisdictions"]} == {"eu", "jp", "cn"}
    # the verbatim spans shown beside their sources come from the index, verified text
    shown = [
        (o["text"][s["start_char"] : s["end_char"]], s["source_passage"]["match"])
        for o in results["overlap"]["outputs"]
        for s in o["spans"]
        if s["source_passage"]
    ]
    assert len(shown) >= 3
    for output_text, source_text in shown:
        assert words(output_text) == words(source_text)


def test_report_rerenders_the_same_files(samples_audit, tmp_path):
    out, _ = samples_audit
    done = run_cli("report", str(out / "results.json"), "-o", str(tmp_path))
    assert done.returncode == 0, done.stderr
    for name in AUDIT_WRITERS:
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


def test_report_refuses_other_json(tmp_path):
    other = tmp_path / "x.json"
    other.write_text("[1, 2]")
    done = run_cli("report", str(other), "-o", str(tmp_path / "out"))
    assert done.returncode == 2 and "not the results.json" in done.stderr


def test_report_names_what_an_incomplete_results_json_lacks(samples_audit, tmp_path):
    out, _ = samples_audit
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    del results["trees"]
    del results["corpus"]["datasets"][2]["governing_basis"]  # measured: cannot be recomputed from the file
    older = tmp_path / "results.json"
    older.write_text(json.dumps(results), encoding="utf-8")
    done = run_cli("report", str(older), "-o", str(tmp_path / "out"))
    assert done.returncode == 2 and "Traceback" not in done.stderr
    name = results["corpus"]["datasets"][2]["name"]
    assert f"malformed: trees, corpus.datasets.{name}.governing_basis" in " ".join(done.stderr.split())
    assert not (tmp_path / "out").exists()


def test_report_refuses_a_damaged_results_json_naming_what_is_wrong(samples_audit, tmp_path):
    out, _ = samples_audit
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    results["documents"] = {}
    results["corpus"]["totals"] = "x"
    damaged = tmp_path / "results.json"
    damaged.write_text(json.dumps(results), encoding="utf-8")
    done = run_cli("report", str(damaged), "-o", str(tmp_path / "out"))
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    said = " ".join(done.stderr.split())
    assert "corpus.totals: not an object" in said and "documents.rows" in said
    assert not (tmp_path / "out").exists()


def test_report_upgrades_evidence_an_older_results_json_lacks(samples_audit, tmp_path):
    """Evidence is derived from the measured sections: a file whose evidence lacks today's fields (or has
    a stale assessment) is upgraded and renders exactly what the audit rendered."""
    out, _ = samples_audit
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    for evidence in results["evidence"]["datasets"].values():
        del evidence["governing_categories"], evidence["regurgitation_rate"]
    results["assessment"] = {"fair_use": "stale", "ai_act": "stale"}
    older = tmp_path / "older.json"
    older.write_text(json.dumps(results), encoding="utf-8")
    done = run_cli("report", str(older), "-o", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    for name in AUDIT_WRITERS:
        assert (tmp_path / "out" / name).read_bytes() == (out / name).read_bytes(), name


def test_report_reads_a_schema_1_0_results_json_whose_outputs_have_a_closest_passage(samples_audit, tmp_path):
    """Schema 1.0 gave each output its closest passage (``near``) instead of near-copy blocks: such a file
    still renders, each passage shown as one block marked as measured on the whole output."""
    out, _ = samples_audit
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    results["schema_version"] = "1.0"
    for output in results["overlap"]["outputs"]:
        output["near"] = [
            {
                "dataset": b["source"]["dataset"],
                "doc_id": b["source"]["doc_id"],
                "origin": b["source"]["origin"],
                "license": b["source"]["license"],
                "similarity": b["similarity"],
                "jaccard": 0.5,
                "start_char": b["start_char"],
                "end_char": b["end_char"],
                "source_start_char": b["source"]["start_char"],
                "source_end_char": b["source"]["end_char"],
            }
            for b in output.pop("near_copies")[:1]
        ]
        del output["near_copy_coverage"]
    older = tmp_path / "older.json"
    older.write_text(json.dumps(results), encoding="utf-8")
    done = run_cli("report", str(older), "-o", str(tmp_path / "out"))
    assert done.returncode == 0, done.stderr
    upgraded = json.loads((tmp_path / "out" / "results.json").read_text(encoding="utf-8"))
    assert upgraded["schema_version"] == "1.1"
    out09 = next(o for o in upgraded["overlap"]["outputs"] if o["id"] == "out-09")
    (block,) = out09["near_copies"]
    assert block["method"] == "whole-output (schema 1.0)" and block["source"]["doc_id"] == "tinyshakespeare.txt"
    assert "whole-output" not in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")  # a method name only
    assert out09["near_copy_coverage"] is None


def test_source_tree_documents_carry_exactly_what_the_scan_of_their_tree_reports(samples_audit):
    """One scan_tree for `scan` and the tree datasets of `corpus`/`audit`: REUSE annotations and reference
    following reach the document rows too (data/cities.csv is CC-BY-4.0 by REUSE.toml in both sections)."""
    out, _ = samples_audit
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    rows = {(r["dataset"], r["path"]): r for r in results["documents"]["rows"]}
    compared = 0
    for tree in results["trees"]:
        for f in tree["scan"]["files"]:
            row = rows.get((tree["dataset"], f["path"]))
            if f["file_type"] != "text":
                assert row is None, f["path"]  # binary files are no documents
                continue
            assert row is not None, f["path"]
            assert row["license_expression_spdx"] == f["license_expression_spdx"], f["path"]
            assert sorted(row["holders"]) == sorted(dict.fromkeys(h["value"] for h in f["holders"])), f["path"]
            compared += 1
    assert compared >= 15
    assert rows[("code", "data/cities.csv")]["license_expression_spdx"] == "CC-BY-4.0"


def test_every_link_inside_the_report_has_a_target(samples_audit):
    """Every figure links to the rows behind it: no in-page link may point at nothing."""
    from html.parser import HTMLParser

    class Anchors(HTMLParser):
        def __init__(self):
            super().__init__()
            self.ids, self.links = set(), []

        def handle_starttag(self, tag, attrs):
            attrs = dict(attrs)
            if attrs.get("id"):
                self.ids.add(attrs["id"])
            if tag == "a" and (attrs.get("href") or "").startswith("#"):
                self.links.append(attrs["href"][1:])

    out, _ = samples_audit
    page = Anchors()
    page.feed((out / "report.html").read_text(encoding="utf-8"))
    assert len(page.links) > 500
    assert sorted({link for link in page.links if link not in page.ids}) == []


def test_evidence_rows_carry_the_labels_counsel_reads_in_the_rationale(samples_audit):
    out, _ = samples_audit
    html = (out / "report.html").read_text(encoding="utf-8")
    row = re.search(r'<tr id="dataset-shakespeare-regurgitation-rate"><th>([^<]*)</th><td class="n">([^<]*)</td>', html)
    assert row and row.groups() == (
        "Checked outputs reproducing this dataset",
        "27.3 %",
    )  # out-01, out-02, out-09 of 11
    assert "<th>Pii share</th>" not in html and "<th>Documents with personal information</th>" in html
