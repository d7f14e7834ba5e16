"""``licenselens index build`` and ``licenselens overlap`` on the samples, as a user runs them."""

import json
import subprocess
import sys

import numpy as np
import pyarrow.parquet as pq
import pytest

from ..conftest import REPO

# samples/corpus/EXPECTED.md, "Model outputs"
EXPECTED = {
    "out-01": "verbatim",
    "out-02": "near-verbatim",
    "out-03": "verbatim",
    "out-04": "near-verbatim",
    "out-05": "verbatim",
    "out-06": "transformative",
    "out-07": "transformative",
    "out-08": "transformative",
}


def licenselens(*args, stdin=None, cwd=REPO):
    return subprocess.run(
        [sys.executable, "-m", "licenselens", *args], capture_output=True, text=True, input=stdin, cwd=cwd, timeout=600
    )


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    path = tmp_path_factory.mktemp("index") / "samples-index"
    proc = licenselens("index", "build", "samples/licenselens.toml", "-o", str(path), "-j", "2")
    assert proc.returncode == 0, proc.stderr
    assert "indexed 108 documents" in proc.stderr
    return path


def test_samples_outputs_get_their_expected_verdicts(index, tmp_path):
    proc = licenselens("overlap", "--index", str(index), "samples/outputs/model-outputs.jsonl", "--format", "json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert {o["id"]: o["verdict"] for o in report["outputs"]} == EXPECTED
    out01 = next(o for o in report["outputs"] if o["id"] == "out-01")
    source = out01["spans"][0]["sources"][0]
    assert (source["dataset"], source["doc_id"]) == ("shakespeare", "tinyshakespeare.txt")
    shakespeare = (REPO.parent / "shared" / "data" / "tinyshakespeare.txt").read_text(encoding="utf-8")
    text = json.loads((REPO / "samples/outputs/model-outputs.jsonl").read_text(encoding="utf-8").splitlines()[0])[
        "text"
    ]
    span = out01["spans"][0]
    assert shakespeare[source["start_char"] : source["end_char"]] == text[span["start_char"] : span["end_char"]]
    assert source["license"] == "LicenseRef-scancode-public-domain"


def test_fail_on_stdin_manifest_outputs_and_parquet(index, tmp_path):
    assert (
        licenselens("overlap", "--index", str(index), "samples/licenselens.toml", "--fail-on", "verbatim").returncode
        == 1
    )
    original = "An entirely new sentence about rivers, written for this test alone."
    proc = licenselens(
        "overlap", "--index", str(index), "-", "--fail-on", "derivative", "--format", "jsonl", stdin=original
    )
    assert proc.returncode == 0
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert lines[0]["type"] == "header" and lines[1]["verdict"] == "transformative"
    out = tmp_path / "report.parquet"
    assert (
        licenselens(
            "overlap",
            "--index",
            str(index),
            "samples/outputs/model-outputs.jsonl",
            "--format",
            "parquet",
            "-o",
            str(out),
        ).returncode
        == 0
    )
    table = pq.read_table(out).to_pylist()
    assert [r["verdict"] for r in table] == list(EXPECTED.values())
    assert json.loads(table[0]["spans"])[0]["tokens"] == 81


def test_bad_index_and_missing_output_file(index, tmp_path):
    proc = licenselens("overlap", "--index", str(tmp_path), "-")
    assert proc.returncode == 2 and "not a licenselens index" in proc.stderr
    proc = licenselens("overlap", "--index", str(index), str(tmp_path / "none.jsonl"))
    assert proc.returncode == 2 and "missing-input" in proc.stderr


def test_an_index_of_another_format_asks_for_a_rebuild(index, tmp_path):
    old = tmp_path / "old-index"
    old.mkdir()
    manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    (old / "manifest.json").write_text(json.dumps({**manifest, "format_version": 2}), encoding="utf-8")
    proc = licenselens("overlap", "--index", str(old), "-", stdin="some text")
    assert proc.returncode == 2 and "index format 2" in proc.stderr and "rebuild it" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.slow
def test_ray_build_equals_local_build(index, tmp_path):
    pytest.importorskip("ray")
    proc = licenselens(
        "index", "build", "samples/licenselens.toml", "-o", str(tmp_path / "ray"), "--engine", "ray", "-j", "2"
    )
    assert proc.returncode == 0, proc.stderr
    local = json.loads((index / "manifest.json").read_text())
    ray = json.loads((tmp_path / "ray" / "manifest.json").read_text())
    assert [s["name"] for s in ray["shards"]] == [s["name"] for s in local["shards"]]
    assert ray["counts"] == local["counts"]
    for name in ("postings.npy", "tokens.npy", "token_offsets.npy"):
        assert np.array_equal(np.load(index / name), np.load(tmp_path / "ray" / name))
