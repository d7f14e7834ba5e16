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
    "out-09": "near-verbatim",
    "out-10": "near-verbatim",
    "out-11": "near-verbatim",
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
    assert "indexed in" in proc.stderr and " 109 documents" in proc.stderr
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


def test_edited_samples_are_near_copy_blocks_beside_their_source_passages(index):
    """out-09 (every sixth word replaced), out-10 (every sixth Han character) and out-11 (renamed identifiers)
    have no exact span of 50 tokens; each is one block whose source offsets hold the passage it was cut from."""
    proc = licenselens("overlap", "--index", str(index), "samples/outputs/model-outputs.jsonl", "--format", "json")
    outputs = {o["id"]: o for o in json.loads(proc.stdout)["outputs"]}
    texts = {
        row["id"]: row["text"]
        for row in map(json.loads, (REPO / "samples/outputs/model-outputs.jsonl").read_text("utf-8").splitlines())
    }
    shakespeare = (REPO.parent / "shared" / "data" / "tinyshakespeare.txt").read_text(encoding="utf-8")
    (block,) = outputs["out-09"]["near_copies"]
    assert block["source"]["doc_id"] == "tinyshakespeare.txt" and 0.8 <= block["similarity"] < 1
    assert shakespeare[block["source"]["start_char"] : block["source"]["end_char"]].startswith("I tell you, friends")
    assert texts["out-09"][block["start_char"] : block["end_char"]].startswith("I tell you, friends")
    assert outputs["out-09"]["longest_span_tokens"] < 13 and outputs["out-09"]["near_copy_coverage"] > 0.7
    (block,) = outputs["out-10"]["near_copies"]
    assert block["source"]["doc_id"] == "大學" and block["end_char"] - block["start_char"] >= 150
    (block,) = outputs["out-11"]["near_copies"]
    assert (block["source"]["doc_id"], block["method"]) == ("src/lenscore/geometry.py", "code-identifiers")
    assert texts["out-11"][block["start_char"] :].startswith("def focal_length(u: float")
    proc = licenselens("overlap", "--index", str(index), "-", "--fail-on", "near-verbatim", stdin=texts["out-09"])
    assert proc.returncode == 1


def test_a_long_output_gets_every_near_copy_it_holds(index):
    """The chain limits are per 1,000 output tokens: forty edited copies in one long output are forty blocks."""
    from licenselens.overlap import OverlapIndex

    texts = {
        row["id"]: row["text"]
        for row in map(json.loads, (REPO / "samples/outputs/model-outputs.jsonl").read_text("utf-8").splitlines())
    }
    idx = OverlapIndex(str(index))
    one = texts["out-09"] + "\n\n" + texts["out-10"] + "\n\n"
    single = idx.check(one)
    assert len(single.near_copies) == 2
    long = idx.check(one * 20)
    assert len(long.near_copies) == 40
    assert {(c.source.doc_id, c.similarity) for c in long.near_copies} == {
        (c.source.doc_id, c.similarity) for c in single.near_copies
    }


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
    assert ray["parts"] == local["parts"]
    for part in local["parts"]:
        for name in ("postings.npy", "tokens.npy", "token_offsets.npy", "seeds.npy"):
            a, b = index / "parts" / part["name"] / name, tmp_path / "ray" / "parts" / part["name"] / name
            assert np.array_equal(np.load(a), np.load(b))
