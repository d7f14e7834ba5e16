from __future__ import annotations

import json
import os
import subprocess
import sys

import pyarrow.parquet as pq
from click.testing import CliRunner

from licenselens.cli import main

from ..conftest import SAMPLES


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_scan_json_schema(tmp_path):
    out = tmp_path / "r.json"
    res = run("scan", str(SAMPLES), "--format", "json", "-o", str(out), "--jobs", "1")
    assert res.exit_code == 0, res.output
    doc = json.loads(out.read_text())
    assert doc["schema_version"] == "1.0" and doc["tool"]["name"] == "licenselens"
    f = next(x for x in doc["files"] if x["path"] == "LICENSE")
    assert set(f) >= {"path", "sha256", "size", "license_expression_spdx", "detections", "copyrights", "errors"}
    d = f["detections"][0]
    assert set(d) >= {
        "detector",
        "license_expression",
        "license_expression_spdx",
        "category",
        "score",
        "start_line",
        "end_line",
        "matches",
    }
    assert set(d["matches"][0]) == {
        "license_expression",
        "license_expression_spdx",
        "start_line",
        "end_line",
        "score",
        "matched_length",
        "rule_identifier",
        "matcher",
        "referenced_filenames",
        "is_license_intro",
        "from_file",
    }
    assert set(doc["summary"]) >= {
        "declared_license_expression_spdx",
        "licenses",
        "categories",
        "files_without_license",
        "copyleft",
        "non_commercial",
        "holders",
    }


def test_jsonl_and_parquet_agree_with_json(tmp_path):
    run("scan", str(SAMPLES), "--format", "json", "-o", str(tmp_path / "r.json"))
    run("scan", str(SAMPLES), "--format", "jsonl", "-o", str(tmp_path / "r.jsonl"))
    run("scan", str(SAMPLES), "--format", "parquet", "-o", str(tmp_path / "r.parquet"))
    doc = json.loads((tmp_path / "r.json").read_text())
    lines = [json.loads(x) for x in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert lines[0]["type"] == "header" and lines[-1]["type"] == "summary"
    assert [x["path"] for x in lines[1:-1]] == [f["path"] for f in doc["files"]]
    table = pq.read_table(tmp_path / "r.parquet").to_pylist()
    assert [r["path"] for r in table] == [f["path"] for f in doc["files"]]
    assert [r["license_expression_spdx"] for r in table] == [f["license_expression_spdx"] for f in doc["files"]]


def test_table_output_default():
    res = run("scan", str(SAMPLES / "LICENSE"))
    assert res.exit_code == 0
    assert "MIT" in res.output and "Summary" in res.output


def test_exit_codes(tmp_path):
    assert run("scan", str(tmp_path / "missing")).exit_code == 2
    assert run("scan", str(SAMPLES), "--format", "parquet").exit_code == 2  # parquet needs -o
    (tmp_path / "a.txt").write_text("x" * 100)
    res = run("scan", str(tmp_path), "--max-file-size", "10")
    assert res.exit_code == 2 and "nothing could be scanned" in res.output


def test_console_script_runs_as_a_real_process(tmp_path):
    exe = os.path.join(os.path.dirname(sys.executable), "licenselens")
    proc = subprocess.run([exe, "scan", str(SAMPLES / "src"), "--format", "jsonl"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "files:" in proc.stderr or "files" in proc.stderr
    assert sum(1 for line in proc.stdout.splitlines() if '"type":"file"' in line) == 3


def test_another_scancode_toolkit_is_refused_with_a_clear_message_and_exit_2(tmp_path):
    """The patches are proven on the pinned toolkit only: a different one stops the run before any file."""
    other = (
        "import importlib.metadata as m; real = m.version; "
        "m.version = lambda name: '32.6.0' if name == 'scancode-toolkit' else real(name); "
        "from licenselens.cli import main; main()"
    )
    done = subprocess.run(
        [sys.executable, "-c", other, "scan", str(SAMPLES / "LICENSE"), "--no-cache", "--jobs", "1"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 2, done.stderr
    assert "needs scancode-toolkit 32.5.0" in done.stderr and "found 32.6.0" in done.stderr
    assert "Traceback" not in done.stderr
