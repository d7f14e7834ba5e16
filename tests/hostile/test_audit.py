"""`licenselens audit` over a manifest that mixes bad items with good ones: every bad item is listed with its
file and line, the good ones are audited (licences, overlap verdicts), the reports are written, exit 2."""

from __future__ import annotations

import json
import os

import pytest

from ..conftest import shakespeare
from .conftest import BOUND_WITH_INDEX, mit_text, run_cli, snapshot

DEEP = "[" * 100_000 + "]" * 100_000
MANIFEST = """
[model]
name = "hostile-model"

[[datasets]]
name = "web"
stage = "pretraining"
kind = "web"
paths = ["data/web.jsonl"]

[[datasets]]
name = "books"
stage = "pretraining"
kind = "books"
paths = ["data/books"]
format = "text"

[[datasets]]
name = "code"
stage = "pretraining"
kind = "code"
paths = ["repo"]
format = "tree"
license = "MIT"

[[datasets]]
name = "gone"
stage = "sft"
kind = "qa"
paths = ["data/gone/*.jsonl"]
format = "jsonl"

[[outputs]]
name = "outputs"
paths = ["outputs.jsonl"]
"""


def line(**record) -> str:
    return json.dumps(record) + "\n"


@pytest.mark.slow
def test_audit_lists_bad_items_and_audits_the_good_ones(tmp_path):
    root, outside = tmp_path / "in", tmp_path / "outside"
    (root / "data" / "books").mkdir(parents=True)
    (root / "repo" / "src").mkdir(parents=True)
    outside.mkdir()
    passage = " ".join(shakespeare().split()[1000:1060])
    (root / "data" / "web.jsonl").write_bytes(
        (line(id="page-1", text=passage) + '{"id": "page-2", "text": "unterminated\n' + DEEP + "\n").encode()
        + '{"id": "page-4", "text": "caf\u00e9"}\n'.encode("latin-1")
        + line(id="page-5", text="last page").encode()
    )
    (root / "data" / "books" / "good.txt").write_text("A short book of plain prose.\n")
    (root / "data" / "books" / "fake.txt").write_bytes(bytes(range(256)) * 8)
    os.mkfifo(root / "data" / "books" / "pipe.txt")
    (root / "data" / "books" / "loop").symlink_to("loop")
    (root / "repo" / "LICENSE").write_text(mit_text())
    (root / "repo" / "src" / "a.py").write_text("# SPDX-License-Identifier: Apache-2.0\nprint('a')\n")
    (root / "repo" / os.fsdecode(b"caf\xe9.py")).write_text("# SPDX-License-Identifier: BSD-2-Clause\n")
    (root / "repo" / "REUSE.toml").write_text(f"version = 1\nx = {DEEP}\n")
    os.mkfifo(root / "repo" / "pipe")
    (outside / "secret.py").write_text("# SPDX-License-Identifier: GPL-3.0-only\n")
    (root / "repo" / "escape.py").symlink_to(outside / "secret.py")
    (root / "outputs.jsonl").write_text(
        line(id="copy", text=passage) + "{broken\n" + line(id="own", text="I wrote this.")
    )
    (root / "licenselens.toml").write_text(MANIFEST)
    before = snapshot(root)

    # one process: ScanCode's index is loaded once, by the corpus step, and reused by the scan
    run = run_cli("audit", root / "licenselens.toml", "-o", tmp_path / "audit", "-j", "1", cwd=tmp_path)
    assert run.returncode == 2, run.stderr
    assert snapshot(root) == before
    assert run.peak_rss < BOUND_WITH_INDEX  # the repository's LICENSE loads ScanCode's index
    stderr = "".join(run.stderr.split())  # the console folds long lines
    for dataset, origin, code in [
        ("web", "data/web.jsonl:2", "malformed-json"),
        ("web", "data/web.jsonl:3", "malformed-json"),
        ("web", "data/web.jsonl:4", "bad-encoding"),
        ("books", "books/pipe.txt", "not-a-regular-file"),
        ("books", "books/loop", "broken-symlink"),
        ("code", "repo/pipe", "not-a-regular-file"),
        ("code", "repo/escape.py", "symlink-outside-root"),
        ("gone", "data/gone/*.jsonl", "missing-input"),
        ("outputs", "outputs.jsonl:2", "malformed-json"),
    ]:
        assert f"error{dataset}:" in stderr and f"{origin}:{code}:" in stderr, (dataset, origin, code)

    results = json.loads((tmp_path / "audit" / "results.json").read_text(encoding="utf-8"))
    datasets = {d["name"]: d for d in results["corpus"]["datasets"]}
    assert datasets["web"]["documents"] == 2 and datasets["books"]["documents"] == 1
    assert datasets["books"]["skipped"] == {"skipped-binary": 1}
    [tree] = results["trees"]
    files = {f["path"]: f for f in tree["scan"]["files"]}
    assert files["LICENSE"]["license_expression_spdx"] == "MIT"
    assert files["src/a.py"]["license_expression_spdx"] == "Apache-2.0"
    assert files["caf\ufffd.py"]["license_expression_spdx"] == "BSD-2-Clause"
    assert [e["code"] for e in files["REUSE.toml"]["errors"]] == ["invalid-reuse-toml"]
    assert [e["code"] for e in files["pipe"]["errors"]] == ["not-a-regular-file"]
    assert [e["code"] for e in files["escape.py"]["errors"]] == ["symlink-outside-root"]
    verdicts = {o["id"]: o["verdict"] for o in results["overlap"]["outputs"]}
    assert verdicts["copy"] == "verbatim" and verdicts["own"] != "verbatim"
    for name in ("report.html", "report.md", "results.json", "corpus.parquet"):
        assert (tmp_path / "audit" / name).is_file(), name
    assert "caf\ufffd.py" in (tmp_path / "audit" / "report.html").read_text(encoding="utf-8")
