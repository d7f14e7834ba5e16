"""Bad items are reported with file and line or row, skipped, and the rest is processed; inputs stay untouched."""

import gzip
import json
import os
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq

from ..conftest import shakespeare


def snapshot(root):
    return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in root.rglob("*")}


def test_bad_items_are_reported_and_the_run_goes_on(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    text = shakespeare()
    lines = [json.dumps({"id": f"a{i}", "text": text[i * 500 : (i + 1) * 500]}) for i in range(20)]
    lines[3] = '{"id": "a3", "text": "unterminated'
    lines[7] = json.dumps({"id": "a7", "body": "no text field"})
    (data / "a.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (data / "b.parquet").write_bytes(b"PAR1 not really parquet PAR1")
    pq.write_table(pa.Table.from_pylist([{"id": "c0", "text": text[:300]}]), data / "c.parquet")
    full = gzip.compress("".join(line + "\n" for line in lines[8:]).encode(), mtime=0)
    (data / "d.jsonl.gz").write_bytes(full[: len(full) // 2])
    (tmp_path / "licenselens.toml").write_text(
        """
[[datasets]]
name = "lines"
stage = "sft"
kind = "qa"
paths = ["data/a.jsonl", "data/d.jsonl.gz", "data/missing.jsonl"]

[[datasets]]
name = "tables"
stage = "pretraining"
kind = "web"
paths = ["data/*.parquet"]
""",
        encoding="utf-8",
    )
    before = snapshot(tmp_path)
    out = tmp_path.parent / (tmp_path.name + "-out")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "licenselens",
            "corpus",
            str(tmp_path / "licenselens.toml"),
            "-o",
            str(out),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2, proc.stderr
    assert snapshot(tmp_path) == before  # nothing written into the inputs
    summary = json.loads(proc.stdout)
    lines_ds, tables_ds = summary["datasets"]
    errors = {(os.path.basename(e["origin"]), e["code"]) for e in lines_ds["errors"]}
    assert ("a.jsonl:4", "malformed-json") in errors and ("a.jsonl:8", "missing-field") in errors
    assert ("missing.jsonl", "missing-input") in errors
    assert any(origin.startswith("d.jsonl.gz:") and code == "corrupt-file" for origin, code in errors)
    assert lines_ds["documents"] >= 18  # every good line of a.jsonl and what the truncated gzip held
    assert [(os.path.basename(e["origin"]), e["code"]) for e in tables_ds["errors"]] == [("b.parquet", "corrupt-file")]
    assert tables_ds["documents"] == 1


def test_bad_manifest_is_a_usage_error_naming_line_and_field(tmp_path):
    (tmp_path / "licenselens.toml").write_text(
        '[[datasets]]\nname = "x"\nstage = "pretraining"\nkind = "blog"\npaths = ["a.jsonl"]\n', encoding="utf-8"
    )
    proc = subprocess.run(
        [sys.executable, "-m", "licenselens", "corpus", str(tmp_path / "licenselens.toml")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "licenselens.toml:4: datasets[0] (x).kind: 'blog' is not one of" in proc.stderr
    assert not (tmp_path / "licenselens-out").exists()


def test_output_folder_inside_an_input_folder_is_refused(tmp_path):
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "a.txt").write_text("hello", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "licenselens", "corpus", "tree", "-o", "tree/out"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 2 and "inside dataset 'tree'" in proc.stderr
    assert not (tmp_path / "tree" / "out").exists()
