"""`licenselens clean` on awkward inputs: where OUTDIR may not be, Hugging Face folders, every field of a record,
nested inputs, Arrow types, lone surrogates in JSON, a policy file, a corpus with nothing left, exclusion
digests, and a corpus cleaned twice."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from licenselens.corpus.runner import CorpusOptions, run_corpus
from licenselens.remedy.clean import CleanError, CleanOptions, run_clean
from licenselens.remedy.exclusions import listed_key
from licenselens.sources.manifest import load_manifest

from ..conftest import REPO, shakespeare

PLAYS = shakespeare()
EMAIL = "john.smith@mailbox.org"


def text(i: int, size: int = 900) -> str:
    return PLAYS[i * size : (i + 1) * size]


def manifest(root: Path, body: str, name: str = "m.toml") -> Path:
    path = root / name
    path.write_text(body, encoding="utf-8")
    return path


def dataset(name: str, paths: list[str], fmt: str, extra: str = "") -> str:
    return f'[[datasets]]\nname = "{name}"\nstage = "pretraining"\nkind = "web"\npaths = {json.dumps(paths)}\nformat = "{fmt}"\n{extra}\n'


def clean(path: Path, out: Path, **options) -> tuple:
    run = run_clean(load_manifest(path), CleanOptions(output_dir=str(out), corpus=CorpusOptions(jobs=1), **options))
    return run, {(r["dataset"], r["doc_id"]): r["reason"] for r in pq.read_table(out / "removed.parquet").to_pylist()}


def test_outdir_never_touches_inputs_or_the_manifest(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "d.jsonl").write_text(json.dumps({"id": "a", "text": text(1)}) + "\n", encoding="utf-8")
    (tmp_path / "data" / "precious.txt").write_text("keep me", encoding="utf-8")
    path = manifest(tmp_path, dataset("ds", ["data/d.jsonl"], "jsonl"), "licenselens.toml")
    for out, why in ((tmp_path, "holds the manifest"), (tmp_path / "data", "data/d.jsonl of dataset")):
        with pytest.raises(CleanError, match=why):
            clean(path, out)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(CleanError, match="not written by licenselens clean"):
        clean(path, tmp_path / "other")
    assert (tmp_path / "data" / "precious.txt").read_text() == "keep me" and (tmp_path / "other" / "notes.txt").exists()
    assert (tmp_path / "licenselens.toml").read_text().startswith("[[datasets]]")
    clean(path, tmp_path / "out")
    clean(path, tmp_path / "out")  # its own earlier output is replaced


def test_hugging_face_folders_every_field_and_types(tmp_path):
    import datasets

    for split, start in (("train", 0), ("test", 10)):
        records = [
            {"id": f"{split}{i}", "text": text(start + i), "author": EMAIL if i == 1 else "anon", "n": i}
            for i in range(6)
        ]
        datasets.Dataset.from_list(records).save_to_disk(str(tmp_path / "hf" / split), max_shard_size="3KB")
    (tmp_path / "hf" / "train" / "cache-0123.arrow").write_bytes(b"rows of the original data " + EMAIL.encode())
    nanos = pa.array([1_000_000_001, 2], pa.time64("ns"))
    not_utf8 = pa.array([b"ok", b"\xff\xfe"], pa.binary()).view(pa.string())  # a column no reader decodes
    pq.write_table(
        pa.table({"id": ["p0", "p1"], "text": [text(30), text(31)], "t": nanos, "bad": not_utf8}),
        tmp_path / "t.parquet",
    )
    path = manifest(
        tmp_path, dataset("qa", ["hf/train", "hf/test"], "arrow") + dataset("tab", ["t.parquet"], "parquet")
    )
    run, _ = clean(path, tmp_path / "out")
    cleaned = load_manifest(tmp_path / "out" / "licenselens.toml")
    assert list(cleaned.datasets[0].paths) == [str(tmp_path / "out" / "data" / "qa" / s) for s in ("train", "test")]
    data = tmp_path / "out" / "data" / "qa"
    assert sorted(p.name for p in (data / "train").iterdir() if not p.name.endswith(".arrow")) == [
        "dataset_info.json",
        "state.json",
    ]  # the cache beside the data is not copied
    train = datasets.load_from_disk(str(data / "train"))
    assert len(train) == 6 and EMAIL not in json.dumps(train.to_list()) and train[0]["author"] == "anon"
    assert run.summary["datasets"][0]["pii_replaced"] == {"email": 2}  # one in each split
    out = pq.read_table(tmp_path / "out" / "data" / "tab" / "t.parquet")
    assert out.column("t").to_pylist() == nanos.to_pylist() and out.schema == pq.read_schema(tmp_path / "t.parquet")
    measured = run_corpus(cleaned, CorpusOptions(output_dir=str(tmp_path / "m"), jobs=1))
    assert measured.summary["totals"]["documents"] == 14


def test_nested_inputs_and_file_names(tmp_path):
    (tmp_path / "docs" / "sub").mkdir(parents=True)
    (tmp_path / "docs" / "a.txt").write_text(text(40), encoding="utf-8")
    (tmp_path / "docs" / "sub" / "deep.txt").write_text(text(41), encoding="utf-8")
    (tmp_path / "docs" / f"to {EMAIL} notes.txt").write_text(text(42), encoding="utf-8")
    path = manifest(tmp_path, dataset("docs", ["docs", "docs/sub"], "text"))
    run, removed = clean(path, tmp_path / "out")
    files = sorted(str(p.relative_to(tmp_path / "out" / "data")) for p in (tmp_path / "out" / "data").rglob("*.txt"))
    assert "docs/000/docs/a.txt" in files and "docs/000/docs/sub/deep.txt" in files
    assert not any(EMAIL in f for f in files) and any("to j***@m***.org notes" in f for f in files)
    assert removed == {("docs", "sub/deep.txt"): "duplicate"}  # read again through the second path


def test_json_lines_keep_their_bytes_and_escapes(tmp_path):
    lines = [
        json.dumps({"id": "s", "text": text(50) + "\udcff", "x": 1e300}),
        '{"id":"raw",  "text": ' + json.dumps(text(51)) + ', "big": 123456789012345678901234567890}',
        json.dumps({"id": "p", "text": text(52) + f" Write to {EMAIL}."}),
    ]
    (tmp_path / "d.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "r.json").write_text(json.dumps([{"id": "j", "text": text(53) + "\udcff"}]), encoding="utf-8")
    path = manifest(tmp_path, dataset("d", ["d.jsonl"], "jsonl") + dataset("r", ["r.json"], "json"))
    clean(path, tmp_path / "out")
    written = (tmp_path / "out" / "data" / "d" / "d.jsonl").read_bytes()
    written.decode("utf-8")  # valid UTF-8: the lone surrogate stays an escape
    assert written.splitlines()[:2] == [line.encode() for line in lines[:2]]  # unchanged lines, byte for byte
    assert EMAIL.encode() not in written
    (tmp_path / "out" / "data" / "r" / "r.json").read_bytes().decode("utf-8")


def test_policy_file_nothing_left_exclusion_digests_and_cleaning_twice(tmp_path):
    (tmp_path / "acme.yaml").write_text(
        "name: acme-internal\ndescription: test\ndefault: allow\nrules:\n"
        "  - id: no-mit\n    match: {licenses: [MIT]}\n    verdict: deny\n",
        encoding="utf-8",
    )
    records = [
        {"id": "mit", "text": text(60) + "\n\nSPDX-License-Identifier: MIT"},
        {"id": EMAIL, "text": text(61)},
        {"id": "phone", "text": text(62) + " Call 13812345678."},
    ]
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    path = manifest(tmp_path, 'policy = "acme.yaml"\n' + dataset("d", ["d.jsonl"], "jsonl"))
    (tmp_path / "x.txt").write_text(listed_key("d", EMAIL) + "\nd:j***@m***.org\n", encoding="utf-8")
    run, removed = clean(
        path, tmp_path / "one", pii="synthetic", exclude=frozenset((tmp_path / "x.txt").read_text().split())
    )
    assert removed == {("d", "mit"): "policy", ("d", "j***@m***.org"): "excluded"}
    assert listed_key("d", EMAIL).startswith("d:sha256:") and run.summary["exclusions"] == {"listed": 2, "matched": 1}
    again = load_manifest(tmp_path / "one" / "licenselens.toml")
    assert again.policy == str(tmp_path / "one" / "policy.yaml")  # copied beside it: the manifest stays auditable
    twice, _ = clean(tmp_path / "one" / "licenselens.toml", tmp_path / "two")
    assert (tmp_path / "two" / "pii-surrogates.txt").read_text() == (
        tmp_path / "one" / "pii-surrogates.txt"
    ).read_text()
    measured = run_corpus(
        load_manifest(tmp_path / "two" / "licenselens.toml"), CorpusOptions(output_dir=str(tmp_path / "m"))
    )
    assert measured.summary["totals"]["personal_information"]["documents"] == 0
    empty = manifest(tmp_path, 'policy = "acme.yaml"\n' + dataset("d", ["d.jsonl"], "jsonl"), "e.toml")
    none, _ = clean(empty, tmp_path / "none", pii="drop", exclude=frozenset({"d:phone"}))
    assert none.manifest_path is None and not (tmp_path / "none" / "licenselens.toml").exists()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "licenselens",
            "clean",
            str(empty),
            "-o",
            str(tmp_path / "none2"),
            "--pii",
            "drop",
            "--exclude",
            str(tmp_path / "x.txt"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0 and "1 of 2 lines of the exclusion list named no document" in proc.stderr
