"""`licenselens corpus` on hostile datasets: each bad item is named with its file and line or row, every good
document beside it is still processed, the inputs are untouched, exit 2, memory bounded."""

from __future__ import annotations

import gzip
import json
import os
import random

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from ..conftest import shakespeare
from .conftest import BOUND_WITH_INDEX, BOUND_WITHOUT_INDEX, GiB, MiB, run_cli, snapshot, sparse_single_line

DEEP = "[" * 100_000 + "]" * 100_000


def line(**record) -> bytes:
    return json.dumps(record).encode() + b"\n"


def paragraphs(n: int) -> list[str]:
    return [p for p in shakespeare().split("\n\n") if p.strip()][:n]


def build_lines(data):
    """JSON Lines: bad lines between good ones, bad files beside good ones."""
    data.mkdir(parents=True)
    (data / "good.jsonl").write_bytes(
        line(id="good-1", text="Write to ada@lovelace-analytical.co.uk for a copy.")
        + line(id="good-2", text="Plain prose, nothing to see.")
    )
    (data / "alias.jsonl").symlink_to("good.jsonl")  # the same file twice: read once
    (data / "mixed.jsonl").write_bytes(
        line(id="mixed-1", text="first good line")
        + '{"id": "latin", "text": "caf\u00e9"}\n'.encode("latin-1")  # 2: not UTF-8
        + b'{"id": "nul", "text": "raw \x00 byte"}\n'  # 3: NUL inside a string
        + b'{"id": "surrogate", "text": "lone \\udcff escape"}\n'  # 4: good, U+FFFD
        + DEEP.encode()
        + b"\n"  # 5: nested too deeply
        + b"\n"  # 6: blank, skipped
        + line(id="mixed-7", text="last good line")
    )
    (data / "binary.jsonl").write_bytes(bytes(range(256)) * 64)
    (data / "utf16.jsonl").write_bytes(line(id="u16", text="wide").decode().encode("utf-16"))
    (data / "utf16-nobom.jsonl").write_bytes(line(id="u16", text="wide").decode().encode("utf-16-le"))
    (data / "empty.jsonl").write_bytes(b"")
    records = b"".join(line(id=f"gz-{i}", text=p) for i, p in enumerate(paragraphs(3000)))
    packed = gzip.compress(records, mtime=0)
    (data / "cut.jsonl.gz").write_bytes(packed[: len(packed) // 2])
    packed = zstandard.ZstdCompressor().compress(records.replace(b'"gz-', b'"zst-'))
    (data / "cut.jsonl.zst").write_bytes(packed[: len(packed) // 2])
    (data / "new\nline.jsonl").write_bytes(line(id="newline-1", text="odd name") + b"{oops\n")
    (data / os.fsdecode(b"bad\xffname.jsonl")).write_bytes(line(id="badname-1", text="odd bytes") + b"{oops\n")
    os.mkfifo(data / "pipe.jsonl")
    (data / "loop-a.jsonl").symlink_to("loop-b.jsonl")
    (data / "loop-b.jsonl").symlink_to("loop-a.jsonl")
    (data / "tree" / "a" / "b").mkdir(parents=True)
    (data / "tree" / "a" / "b" / "deep.jsonl").write_bytes(line(id="globbed", text="found through **"))
    (data / "tree" / "a" / "up").symlink_to("..")  # two folder loops: glob's ** would never end
    (data / "tree" / "a" / "b" / "up").symlink_to("../..")


def build_books(books, outside):
    """A folder of text files: odd encodings, binary, empty, links that loop or escape, a pipe."""
    (books / "sub").mkdir(parents=True)
    (books / "good.txt").write_text("\n\n".join(paragraphs(5)), encoding="utf-8")
    (books / "licensed.txt").write_text("This essay is licensed under the MIT License.\n", encoding="utf-8")
    (books / "latin1.txt").write_bytes("Zoë's café, Köln\n".encode("latin-1"))
    (books / "utf16.txt").write_bytes("A wide text with a BOM\n".encode("utf-16"))
    (books / "utf16-nobom.txt").write_bytes("A wide text without a BOM\n".encode("utf-16-le"))
    (books / "fake.txt").write_bytes(bytes(range(256)) * 8)
    (books / "empty.txt").write_bytes(b"")
    (books / "sub" / "up").symlink_to("..")
    (books / "loop").symlink_to("loop")
    (outside / "secret.txt").write_text("outside the dataset")
    (books / "escape.txt").symlink_to(outside / "secret.txt")
    os.mkfifo(books / "pipe.txt")


def build_tables(tables):
    tables.mkdir(parents=True)
    rows = [{"id": f"row-{i}", "text": f"row {i} " + "word " * 40} for i in range(300)]
    pq.write_table(pa.Table.from_pylist(rows), tables / "good.parquet", row_group_size=100, compression="none")
    data = bytearray((tables / "good.parquet").read_bytes())
    meta = pq.ParquetFile(tables / "good.parquet").metadata
    start = meta.row_group(1).column(1).data_page_offset  # the text pages of rows 100..199
    page = list(data[start + 10 : start + 400])
    random.Random(8).shuffle(page)  # scrambled page bytes: that row group no longer decodes
    data[start + 10 : start + 400] = bytes(page)
    (tables / "damaged-group.parquet").write_bytes(bytes(data))
    (tables / "truncated.parquet").write_bytes((tables / "good.parquet").read_bytes()[:-100])
    (tables / "not.parquet").write_bytes(b"PAR1 not really parquet PAR1")
    raw = bytearray((tables / "good.parquet").read_bytes())
    at = raw.find(b"row 7 ")
    raw[at : at + 5] = b"\xff\xfe\xff\xfe\xff"  # Arrow does not check UTF-8 when it reads
    (tables / "bad-utf8.parquet").write_bytes(bytes(raw))


MANIFEST = """
[[datasets]]
name = "lines"
stage = "sft"
kind = "qa"
paths = ["data/lines/*.jsonl", "data/lines/*.jsonl.gz", "data/lines/*.jsonl.zst", "data/lines/tree/**/*.jsonl"]
format = "jsonl"

[[datasets]]
name = "books"
stage = "pretraining"
kind = "books"
paths = ["data/books"]
format = "text"

[[datasets]]
name = "tables"
stage = "pretraining"
kind = "web"
paths = ["data/tables/*.parquet"]

[[datasets]]
name = "records"
stage = "domain"
kind = "other"
paths = ["data/records/*.json"]
text_field = "text"

[[datasets]]
name = "nothing"
stage = "domain"
kind = "other"
paths = ["data/none/*.jsonl"]
format = "jsonl"
"""


def corpus_run(tmp_path, manifest=MANIFEST, *extra):
    root = tmp_path / "in"
    (root / "licenselens.toml").write_text(manifest, encoding="utf-8")
    before = snapshot(root)
    run = run_cli("corpus", root / "licenselens.toml", "-o", tmp_path / "out", "--format", "json", *extra, cwd=tmp_path)
    assert snapshot(root) == before  # nothing written into the inputs
    rows = pq.read_table(tmp_path / "out" / "corpus.parquet").to_pylist()
    return run, {d["name"]: d for d in run.json()["datasets"]}, rows


def errors_of(dataset) -> set[tuple[str, str]]:
    """(origin relative to the dataset folder, code) of each error."""
    return {(e["origin"].split("/data/", 1)[-1], e["code"]) for e in dataset["errors"]}


@pytest.mark.slow
def test_hostile_corpus_reports_each_bad_item_and_reads_the_rest(tmp_path):
    data, outside = tmp_path / "in" / "data", tmp_path / "outside"
    outside.mkdir()
    build_lines(data / "lines")
    build_books(data / "books", outside)
    build_tables(data / "tables")
    (data / "records").mkdir()
    (data / "records" / "deep.json").write_text(DEEP)
    (data / "records" / "good.json").write_text(json.dumps([{"id": "rec-1", "text": "a record"}]))

    run, datasets, rows = corpus_run(tmp_path)
    assert run.returncode == 2, run.stderr
    assert run.peak_rss < BOUND_WITH_INDEX  # licensed.txt loads ScanCode's index
    by_id = {(r["dataset"], r["doc_id"]): r for r in rows}

    lines = datasets["lines"]
    found = errors_of(lines)
    for expected in [
        ("lines/mixed.jsonl:2", "bad-encoding"),
        ("lines/mixed.jsonl:3", "malformed-json"),
        ("lines/mixed.jsonl:5", "malformed-json"),
        ("lines/binary.jsonl", "not-jsonl"),
        ("lines/utf16.jsonl", "not-jsonl"),
        ("lines/utf16-nobom.jsonl", "not-jsonl"),
        ("lines/new\nline.jsonl:2", "malformed-json"),
        ("lines/bad\ufffdname.jsonl:2", "malformed-json"),
        ("lines/pipe.jsonl", "not-a-regular-file"),
        ("lines/loop-a.jsonl", "unreadable"),
        ("lines/loop-b.jsonl", "unreadable"),
    ]:
        assert expected in found, (expected, sorted(found))
    messages = {e["origin"].split("/data/", 1)[-1]: e["message"] for e in lines["errors"]}
    assert messages["lines/mixed.jsonl:5"] == "nested too deeply"
    assert "must be UTF-8" in messages["lines/utf16.jsonl"] and "binary" in messages["lines/binary.jsonl"]
    assert messages["lines/pipe.jsonl"] == "named pipe: not read"
    cut = {origin: code for origin, code in found if origin.startswith("lines/cut.")}
    assert set(cut.values()) == {"corrupt-file"} and len(cut) == 2, cut
    assert "truncated" in next(m for o, m in messages.items() if o.startswith("lines/cut.jsonl.zst"))
    assert lines["skipped"] == {"skipped-empty": 1}
    for doc_id in ("good-1", "good-2", "mixed-1", "surrogate", "mixed-7", "newline-1", "badname-1", "globbed"):
        assert ("lines", doc_id) in by_id, doc_id
    assert by_id[("lines", "good-1")]["pii_email"] == 1
    assert by_id[("lines", "surrogate")]["chars"] == len("lone \ufffd escape")
    assert sum(1 for r in rows if r["doc_id"] == "good-1") == 1  # alias.jsonl is good.jsonl: read once
    assert sum(1 for r in rows if r["doc_id"] == "globbed") == 1  # the ** glob did not follow the loops
    # what the truncated streams held before the cut is kept, and numbered: origin of the error = next line
    for prefix, origin in (("gz-", "lines/cut.jsonl.gz"), ("zst-", "lines/cut.jsonl.zst")):
        kept = [r for r in rows if r["doc_id"].startswith(prefix)]
        assert 0 < len(kept) < 3000, prefix
        assert (f"{origin}:{len(kept) + 1}", "corrupt-file") in found or (
            f"{origin}:{len(kept) + 2}",
            "corrupt-file",
        ) in found, (len(kept), cut)  # a cut line may be bad too

    books = datasets["books"]
    assert errors_of(books) == {
        ("books/loop", "broken-symlink"),
        ("books/escape.txt", "symlink-outside-root"),
        ("books/pipe.txt", "not-a-regular-file"),
    }
    assert books["skipped"] == {"skipped-binary": 1, "skipped-empty": 1}
    book_ids = {doc_id for dataset, doc_id in by_id if dataset == "books"}
    assert book_ids == {"good.txt", "licensed.txt", "latin1.txt", "utf16.txt", "utf16-nobom.txt"}
    assert by_id[("books", "licensed.txt")]["license_expression_spdx"] == "MIT"
    assert by_id[("books", "utf16-nobom.txt")]["chars"] == len("A wide text without a BOM\n")
    assert by_id[("books", "latin1.txt")]["chars"] == len("Zo\ufffd's caf\ufffd, K\ufffdln\n")

    tables = datasets["tables"]
    assert errors_of(tables) == {
        ("tables/damaged-group.parquet#100", "corrupt-file"),
        ("tables/truncated.parquet", "corrupt-file"),
        ("tables/not.parquet", "corrupt-file"),
        ("tables/bad-utf8.parquet#7", "bad-encoding"),
    }
    damaged = [r["doc_id"] for r in rows if "/damaged-group.parquet#" in r["origin"]]
    assert damaged == [f"row-{i}" for i in range(300) if not 100 <= i < 200]  # the groups around it are read
    assert tables["documents"] == 300 + 200 + 299

    assert errors_of(datasets["records"]) == {("records/deep.json", "malformed-json")}
    assert [r["doc_id"] for r in rows if r["dataset"] == "records"] == ["rec-1"]
    assert errors_of(datasets["nothing"]) == {("none/*.jsonl", "missing-input")}
    assert datasets["nothing"]["documents"] == 0
    assert run.json()["totals"]["errors"] == sum(len(d["errors"]) for d in datasets.values())


@pytest.mark.slow
def test_a_100_mib_line_and_a_1_gib_file_are_refused_with_bounded_memory(tmp_path):
    data = tmp_path / "in" / "data"
    (data / "files").mkdir(parents=True)
    filler = b"lorem ipsum dolor sit amet " * 40_000  # ~1 MiB, no licence or copyright anchor
    copies = 100 * MiB // len(filler) + 1
    with open(data / "big.jsonl", "wb") as plain, gzip.open(data / "big.jsonl.gz", "wb", compresslevel=1) as packed:
        for prefix, fh in (("", plain), ("gz-", packed)):
            fh.write(line(id=f"{prefix}before", text="Mail bob@babbage-engines.co.uk"))
            fh.write(f'{{"id": "{prefix}huge", "text": "'.encode())
            for _ in range(copies):
                fh.write(filler)
            fh.write(b'"}\n')
            fh.write(line(id=f"{prefix}after", text="still read"))
    sparse_single_line(data / "files" / "huge.txt", GiB, b"lorem ipsum " * 1000)
    (data / "files" / "small.txt").write_text("A small file beside a huge one.\n")
    manifest = """
[[datasets]]
name = "lines"
stage = "pretraining"
kind = "web"
paths = ["data/big.jsonl", "data/big.jsonl.gz"]

[[datasets]]
name = "files"
stage = "pretraining"
kind = "books"
paths = ["data/files"]
format = "text"
"""
    run, datasets, rows = corpus_run(tmp_path, manifest, "-j", "2")
    assert run.returncode == 2, run.stderr
    assert run.peak_rss < BOUND_WITHOUT_INDEX  # holding the line would take 100 MiB, its analysis ~1.2 GiB
    sizes = [len(f'{{"id": "{prefix}huge", "text": "'.encode()) + copies * len(filler) + 3 for prefix in ("", "gz-")]
    assert [(e["origin"].split("/data/", 1)[-1], e["code"], e["message"]) for e in datasets["lines"]["errors"]] == [
        (f"{name}:2", "line-too-long", f"{size} bytes is over the {16 * MiB}-byte line limit (--max-line-bytes)")
        for name, size in zip(("big.jsonl", "big.jsonl.gz"), sizes)
    ]
    assert [r["doc_id"] for r in rows if r["dataset"] == "lines"] == ["before", "after", "gz-before", "gz-after"]
    assert rows[0]["pii_email"] == 1
    assert [(e["origin"], e["code"]) for e in datasets["files"]["errors"]] == [("files/huge.txt", "too-large")]
    assert f"{GiB} bytes is over the {64 * MiB}-byte limit" in datasets["files"]["errors"][0]["message"]
    assert [r["doc_id"] for r in rows if r["dataset"] == "files"] == ["small.txt"]


def test_the_line_limit_is_an_option(tmp_path):
    data = tmp_path / "in" / "data"
    data.mkdir(parents=True)
    (data / "a.jsonl").write_bytes(line(id="short", text="x" * 10) + line(id="long", text="y" * 5000))
    manifest = '[[datasets]]\nname = "a"\nstage = "sft"\nkind = "qa"\npaths = ["data/a.jsonl"]\n'
    run, datasets, rows = corpus_run(tmp_path, manifest, "--max-line-bytes", "1000", "-j", "1")
    assert run.returncode == 2
    assert [(e["origin"].split("/data/", 1)[-1], e["code"]) for e in datasets["a"]["errors"]] == [
        ("a.jsonl:2", "line-too-long")
    ]
    assert [r["doc_id"] for r in rows] == ["short"]
    run, datasets, rows = corpus_run(tmp_path, manifest, "--max-line-bytes", "100000", "-j", "1")
    assert run.returncode == 0 and [r["doc_id"] for r in rows] == ["short", "long"]  # a new limit redoes shards


def test_empty_corpus(tmp_path):
    (tmp_path / "in" / "data").mkdir(parents=True)
    (tmp_path / "in" / "data" / "empty.jsonl").write_bytes(b"")
    manifest = '[[datasets]]\nname = "empty"\nstage = "sft"\nkind = "qa"\npaths = ["data/empty.jsonl"]\n'
    run, datasets, rows = corpus_run(tmp_path, manifest, "-j", "1")
    assert run.returncode == 0 and rows == []  # an empty file is read without fault: skipped, not an error
    assert datasets["empty"]["skipped"] == {"skipped-empty": 1} and datasets["empty"]["documents"] == 0
    manifest = manifest.replace("data/empty.jsonl", "data/no-such-*.jsonl")
    run, datasets, rows = corpus_run(tmp_path, manifest, "-j", "1")
    assert run.returncode == 2 and rows == []
    assert [(e["origin"].split("/in/", 1)[-1], e["code"]) for e in datasets["empty"]["errors"]] == [
        ("data/no-such-*.jsonl", "missing-input")
    ]
    assert "missing-input" not in run.stdout or run.json()["totals"]["documents"] == 0


def test_unreadable_inputs_are_named(tmp_path, unprivileged):
    data = tmp_path / "in" / "data"
    (data / "books" / "locked").mkdir(parents=True)
    # texts no ScanCode rule could match, so the index stays unloaded and the bound tight
    (data / "books" / "good.txt").write_text("Copyright 2024 Alice Example\n")
    (data / "books" / "secret.txt").write_text("Copyright 2024 Secret Holder\n")
    (data / "books" / "locked" / "inner.txt").write_text("Copyright 2024 Inner Holder\n")
    (data / "secret.jsonl").write_bytes(line(id="s", text="hidden"))
    (data / "good.jsonl").write_bytes(line(id="g", text="visible"))
    manifest = """
[[datasets]]
name = "books"
stage = "pretraining"
kind = "books"
paths = ["data/books"]
format = "text"

[[datasets]]
name = "lines"
stage = "sft"
kind = "qa"
paths = ["data/*.jsonl"]
"""
    (tmp_path / "in" / "licenselens.toml").write_text(manifest, encoding="utf-8")
    locked = [data / "books" / "secret.txt", data / "books" / "locked", data / "secret.jsonl"]
    for path in locked:
        os.chmod(path, 0)
    try:
        before = snapshot(tmp_path / "in")
        run = run_cli(
            "corpus",
            tmp_path / "in" / "licenselens.toml",
            "-o",
            tmp_path / "out",
            "--format",
            "json",
            "-j",
            "1",
            cwd=tmp_path,
            prefix=unprivileged,
        )
        assert snapshot(tmp_path / "in") == before
    finally:
        for path in locked:
            os.chmod(path, 0o755)
    assert run.returncode == 2 and run.peak_rss < BOUND_WITHOUT_INDEX
    datasets = {d["name"]: d for d in run.json()["datasets"]}
    assert {(e["origin"], e["code"], e["message"]) for e in datasets["books"]["errors"]} == {
        ("books/secret.txt", "unreadable", "Permission denied"),
        ("books/locked", "unreadable", "folder cannot be listed: Permission denied"),
    }
    assert [(e["origin"].split("/data/", 1)[-1], e["code"]) for e in datasets["lines"]["errors"]] == [
        ("secret.jsonl", "unreadable")
    ]
    assert datasets["books"]["documents"] == 1 and datasets["lines"]["documents"] == 1
