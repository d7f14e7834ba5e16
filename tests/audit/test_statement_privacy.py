"""Personal data inside copyright statements (an author's e-mail, a company's phone number) reaches no
output of `licenselens audit` unmasked: not corpus.parquet's copyrights and holders, not the summary's
copyright holders, not the source-tree section, NOTICE, SPDX or CycloneDX, not a work file, not the
terminal. The statements themselves stay (masked), so the search below is shown to look at them."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest

from tests.audit.conftest import run_cli
from tests.audit.test_privacy import corpus_copies, texts_of, variants

pytestmark = pytest.mark.slow

EMAIL = "jane.roe@mail.licenselens-sample.net"
PHONE = "+49 30 87518440"
STATEMENTS = (
    f"Copyright (c) 2023 Jane Roe <{EMAIL}>",
    f"Copyright 2024 Nordlicht Consulting GmbH, Tel. {PHONE}",
)


def build(tmp_path):
    data = tmp_path / "data"
    tree = tmp_path / "tree"
    data.mkdir()
    tree.mkdir()
    notice = "\n".join(STATEMENTS) + "\nLicensed under the MIT License.\n"
    records = [{"id": f"d{n}", "text": f"An essay on rivers, part {n}.\n\n{notice}"} for n in range(3)]
    (data / "web.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    (tree / "tool.py").write_text("".join(f"# {line}\n" for line in notice.splitlines()) + "print(1)\n")
    (tree / "LICENSE").write_text(notice, encoding="utf-8")
    manifest = tmp_path / "licenselens.toml"
    manifest.write_text(
        """
[[datasets]]
name = "web"
stage = "pretraining"
kind = "web"
paths = ["data/web.jsonl"]

[[datasets]]
name = "code"
stage = "pretraining"
kind = "code"
paths = ["tree"]
format = "tree"
""",
        encoding="utf-8",
    )
    return manifest


def test_statements_are_kept_but_their_personal_data_is_masked_everywhere(tmp_path):
    manifest = build(tmp_path)
    out = tmp_path / "out"
    done = run_cli("audit", str(manifest), "-o", str(out), "--jobs", "2", "--no-cache")
    assert done.returncode == 0, done.stderr[-4000:]
    rows = pq.read_table(out / "corpus.parquet").to_pylist()
    holders = [h for row in rows for h in row["holders"]]
    assert any("Jane Roe" in h for h in holders) and any("Nordlicht" in h for h in holders)  # kept, masked
    copies = set(corpus_copies(out))  # the index's copy of the training texts, by design (test_privacy)
    files = [p for p in sorted(out.rglob("*")) if p.is_file() and p not in copies]
    assert any(p.name == "rows.parquet" for p in files) and any(p.parent.name == "trees" for p in files)
    leaks = [
        (str(path.relative_to(out)), value)
        for path in files
        for text in texts_of(path)
        for planted in (EMAIL, PHONE)
        for value in variants(planted)
        if value in text
    ]
    leaks += [
        ("terminal", v) for planted in (EMAIL, PHONE) for v in variants(planted) if v in done.stdout + done.stderr
    ]
    assert leaks == []
