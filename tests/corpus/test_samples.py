"""``licenselens corpus samples/licenselens.toml``: the sample corpus, end to end through the CLI."""

import json
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from ..conftest import REPO

# personal data planted in the samples (samples/corpus/EXPECTED.md); none may appear in any output
PLANTED = [
    "mira.okafor@mail.licenselens-sample.net",
    "priya.raman@mail.licenselens-sample.net",
    "li.na.case@mail.licenselens-sample.net",
    "4111 1111 1111 1111",
    "4111111111111111",
    "13812345678",
    "415 555 0132",
]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("corpus-out")
    proc = subprocess.run(
        [sys.executable, "-m", "licenselens", "corpus", "samples/licenselens.toml", "-o", str(out), "-j", "2"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    rows = {(r["dataset"], r["doc_id"]): r for r in pq.read_table(out / "corpus.parquet").to_pylist()}
    summary = json.loads((out / "corpus-summary.json").read_text(encoding="utf-8"))
    return proc, out, rows, summary


def test_exit_code_table_and_files(run):
    proc, out, rows, summary = run
    assert proc.returncode == 0, proc.stderr
    assert "web-pages" in proc.stdout and "Datasets whose text contradicts their declared licence" in proc.stdout
    assert [d["name"] for d in summary["datasets"]][:2] == ["web-pages", "books-excerpts"]
    assert summary["totals"]["documents"] == len(rows)
    assert not any(d["errors"] for d in summary["datasets"])


def test_licences_mismatches_and_notices(run):
    _, _, rows, summary = run
    web = {doc: r for (ds, doc), r in rows.items() if ds == "web-pages"}
    assert web["web-0002"]["notices"] == ["all-rights-reserved"]
    assert web["web-0002"]["license_mismatch"] == "'all rights reserved' notice; declared CC-BY-4.0"
    assert web["web-0010"]["license_expression_spdx"] == "GPL-3.0-or-later"
    assert web["web-0010"]["license_mismatch"] == "text states GPL-3.0-or-later; declared MIT"
    assert web["web-0003"]["license_expression_spdx"] == "CC-BY-4.0" and web["web-0003"]["license_mismatch"] is None
    encyclopedia = [r for (ds, _), r in rows.items() if ds == "encyclopedia"]
    assert sorted(r["license_expression_spdx"] or "none" for r in encyclopedia) == ["CC-BY-SA-4.0"] * 5 + ["none"]
    assert rows[("medical", "med-0003")]["license_expression_spdx"] == "CC-BY-NC-4.0"
    assert rows[("code", "plugins/gpl_plugin.py")]["license_mismatch"] == "text states GPL-3.0-or-later; declared MIT"
    web_summary = summary["datasets"][0]
    assert web_summary["license_mismatch"]["documents"] == 2
    # the licence that governs a document: stated in its text, else declared and not contradicted
    by_name = {d["name"]: d for d in summary["datasets"]}
    assert by_name["shakespeare"]["categories"] == {"none": 1}
    assert by_name["shakespeare"]["governing_categories"] == {"Public Domain": 1}
    assert by_name["shakespeare"]["governing_basis"] == {"detected": 0, "declared": 1, "none": 0}
    assert by_name["encyclopedia"]["governing_categories"] == {"Copyleft Limited": 6}
    # web-0002 declares CC-BY-4.0 but reserves all rights: contradicted, so nothing governs it
    declared_web = sum(
        1
        for doc, r in web.items()
        if r["declared_license"] and not r["license_expression_spdx"] and not r["license_mismatch"]
    )
    assert web_summary["governing_basis"]["declared"] == declared_web
    assert (
        web_summary["governing_basis"]["none"]
        == sum(1 for r in web.values() if not r["license_expression_spdx"]) - declared_web
    )
    assert "web-pages" in summary["totals"]["datasets_with_mismatches"]["names"]


def test_opt_outs(run):
    _, _, rows, _ = run
    opted = {doc: [s["signal"] for s in r["tdm_signals"]] for (_, doc), r in rows.items() if r["tdm_opt_out"]}
    assert opted == {
        "web-0004": ["robots-noai", "robots-noimageai"],
        "web-0005": ["tdmrep-reservation", "tdm-rights-reserved"],
        "web-0006": ["ai-crawler-disallow"],
        "web-0007": ["ai-crawler-disallow"],
        "web-0008": ["terms-prohibit-ai-training"],
        "web-0009": ["zh-prohibit-ai-training"],
        "the-tidewater-clock.txt": ["terms-prohibit-ai-training"],
    }


def test_personal_information_is_counted_and_only_masked(run):
    _, out, rows, summary = run
    assert rows[("web-pages", "web-0011")]["pii_payment_card"] == 1
    assert rows[("medical", "med-0002")]["pii_cn_id"] == 1 and rows[("medical", "med-0002")]["pii_cn_mobile"] == 1
    assert rows[("sft-pairs", "sft-0005")]["pii_email"] == 1
    assert "payment_card:**** **** **** 1111" in rows[("web-pages", "web-0011")]["pii_samples"]
    by_type = {
        t: sum(d["personal_information"]["by_type"][t]["occurrences"] for d in summary["datasets"])
        for t in ("email", "cn_mobile", "cn_id", "payment_card")
    }
    assert by_type["cn_id"] == 2 and by_type["payment_card"] == 1 and by_type["email"] >= 3
    everything = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file())
    for value in PLANTED:
        assert value.encode() not in everything, value


def test_duplicates_and_sizes(run):
    _, _, rows, _ = run
    assert rows[("web-pages", "web-0012")]["duplicate_of"] == "web-pages:web-0003"
    assert rows[("web-pages", "web-0003")]["duplicate_of"] is None
    # the syndicated copy: nearly the same shingles (samples/corpus/EXPECTED.md), the original kept
    syndicated = rows[("web-pages", "web-0014")]
    assert syndicated["near_duplicate_of"] == syndicated["near_cluster"] == "web-pages:web-0001"
    assert 0.8 <= syndicated["near_similarity"] < 1
    assert rows[("web-pages", "web-0001")]["near_cluster"] == "web-pages:web-0001"
    assert rows[("web-pages", "web-0001")]["near_duplicate_of"] is None
    # an exact duplicate is not also a near one, and nothing else is near
    assert rows[("web-pages", "web-0012")]["near_duplicate_of"] is None
    assert sum(r["near_duplicate_of"] is not None for r in rows.values()) == 1
    shakespeare = rows[("shakespeare", "tinyshakespeare.txt")]
    assert shakespeare["bytes"] == (REPO.parent / "shared" / "data" / "tinyshakespeare.txt").stat().st_size
    assert shakespeare["tokens"] > 200_000
    classics = [r for (ds, _), r in rows.items() if ds == "chinese-classics"]
    assert len(classics) == 36 and all(0 < r["tokens"] <= r["chars"] for r in classics)
