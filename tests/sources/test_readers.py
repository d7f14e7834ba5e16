import gzip
import json
import os

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard

from licenselens.sources.readers import READERS, plan_dataset
from licenselens.types.corpus import DatasetSpec, Document, DocumentError

from ..conftest import mencius_paragraphs, shakespeare


def spec(tmp_path, fmt, paths, **kw):
    return DatasetSpec(
        name="d", stage="pretraining", kind="other", paths=tuple(str(tmp_path / p) for p in paths), format=fmt, **kw
    )


def read_all(s, shard_bytes=1 << 20):
    shards, errors = plan_dataset(s, shard_bytes)
    items = list(errors)
    for shard in shards:
        items.extend(READERS[shard.reader]().read(s, shard))
    return shards, [i for i in items if isinstance(i, Document)], [i for i in items if isinstance(i, DocumentError)]


def real_records(n=300):
    lines = shakespeare().split("\n\n")[: n // 2] + mencius_paragraphs()[: n // 2]
    return [{"id": f"r{i}", "text": t, "url": f"https://example.org/{i}"} for i, t in enumerate(lines)]


def jsonl_bytes(records):
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode()


@pytest.mark.parametrize("suffix", ["", ".gz", ".zst"])
def test_jsonl_plain_and_compressed_read_every_record_in_order(tmp_path, suffix):
    records = real_records()
    data = jsonl_bytes(records)
    if suffix == ".gz":
        data = gzip.compress(data, mtime=0)
    elif suffix == ".zst":
        data = zstandard.ZstdCompressor().compress(data)
    (tmp_path / f"c.jsonl{suffix}").write_bytes(data)
    s = spec(tmp_path, "jsonl", [f"c.jsonl{suffix}"], fields=(("url", "url"),))
    shards, docs, errors = read_all(s, shard_bytes=4096)
    assert not errors
    assert [d.doc_id for d in docs] == [r["id"] for r in records]
    assert [d.text for d in docs] == [r["text"] for r in records]
    assert docs[5].metadata == (("url", "https://example.org/5"),)
    assert docs[5].origin.endswith(f"c.jsonl{suffix}:6")
    assert len(shards) > 1 if not suffix else len(shards) == 1


def test_jsonl_shards_cut_at_line_starts_and_keep_line_numbers(tmp_path):
    records = real_records()
    (tmp_path / "c.jsonl").write_bytes(jsonl_bytes(records))
    s = spec(tmp_path, "jsonl", ["c.jsonl"])
    for shard_bytes in (1, 100, 777, 5000, 10**9):
        shards, docs, errors = read_all(s, shard_bytes)
        assert [d.doc_id for d in docs] == [r["id"] for r in records], shard_bytes
        assert [d.origin.rsplit(":", 1)[1] for d in docs] == [str(i + 1) for i in range(len(records))]


def test_jsonl_bad_lines_are_reported_with_their_line_and_skipped(tmp_path):
    lines = [
        json.dumps({"id": "a", "text": "first"}),
        "{not json",
        json.dumps({"id": "b"}),
        "",
        json.dumps({"id": "c", "text": 7}),
        json.dumps(["x"]),
        b"\xff\xfe{}".decode("latin-1"),
        json.dumps({"text": "no id here"}),
        '{"id": ' + "1" * 5000 + ', "text": "huge id"}',
    ]
    raw = "\n".join(lines).encode("utf-8").replace("ÿþ".encode(), b"\xff\xfe")
    (tmp_path / "bad.jsonl").write_bytes(raw)
    s = spec(tmp_path, "jsonl", ["bad.jsonl"])
    _, docs, errors = read_all(s)
    assert [d.doc_id for d in docs] == ["a", "d:8"]
    found = {(e.origin.rsplit(":", 1)[1], e.code) for e in errors}
    assert found == {
        ("2", "malformed-json"),
        ("3", "missing-field"),
        ("5", "bad-field"),
        ("6", "bad-record"),
        ("7", "bad-encoding"),
        ("9", "malformed-json"),
    }


def test_truncated_compressed_file_keeps_what_was_read(tmp_path):
    data = gzip.compress(jsonl_bytes(real_records()), mtime=0)
    (tmp_path / "t.jsonl.gz").write_bytes(data[: len(data) // 2])
    _, docs, errors = read_all(spec(tmp_path, "jsonl", ["t.jsonl.gz"]))
    assert 0 < len(docs) < 300
    assert [e.code for e in errors] == ["corrupt-file"]
    assert errors[0].origin.endswith(f":{len(docs) + 1}")


def test_parquet_by_row_groups_and_missing_column_and_corrupt_file(tmp_path):
    records = real_records()
    pq.write_table(pa.Table.from_pylist(records), tmp_path / "a.parquet", row_group_size=40)
    pq.write_table(pa.Table.from_pylist([{"id": "x", "body": "no text column"}]), tmp_path / "b.parquet")
    (tmp_path / "c.parquet").write_bytes(b"PAR1 this is not parquet")
    s = spec(tmp_path, "parquet", ["*.parquet"])
    shards, docs, errors = read_all(s, shard_bytes=2000)
    assert len([sh for sh in shards if sh.location.endswith("a.parquet")]) > 1
    assert [d.text for d in docs] == [r["text"] for r in records]
    assert docs[41].origin.endswith("a.parquet#41")
    assert sorted((e.origin.rsplit("/", 1)[1], e.code) for e in errors) == [
        ("b.parquet", "missing-field"),
        ("c.parquet", "corrupt-file"),
    ]


def test_hugging_face_save_to_disk_folder(tmp_path):
    datasets = pytest.importorskip("datasets")
    records = [{"question": r["text"][:80], "answer": r["text"], "id": r["id"]} for r in real_records(120)]
    datasets.Dataset.from_list(records).save_to_disk(str(tmp_path / "hf"), max_shard_size="20KB")
    s = spec(tmp_path, "arrow", ["hf"], text_field=("question", "answer"), text_field_given=True)
    shards, docs, errors = read_all(s, shard_bytes=4096)
    assert not errors and len(shards) > 1
    assert [d.doc_id for d in docs] == [r["id"] for r in records]
    assert docs[3].text == records[3]["question"] + "\n\n" + records[3]["answer"]


def test_json_records_file_accepts_an_array_or_one_record(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps([{"chapter": "一", "paragraphs": ["甲", "乙"]}]), encoding="utf-8")
    (tmp_path / "b.json").write_text(json.dumps({"chapter": "二", "paragraphs": ["丙"]}), encoding="utf-8")
    (tmp_path / "c.json").write_text("[{", encoding="utf-8")
    s = spec(tmp_path, "json", ["*.json"], text_field=("paragraphs",), text_field_given=True, id_field="chapter")
    _, docs, errors = read_all(s)
    assert [(d.doc_id, d.text) for d in docs] == [("一", "甲\n乙"), ("二", "丙")]
    assert [(e.origin.rsplit("/", 1)[1], e.code) for e in errors] == [("c.json", "malformed-json")]


def test_text_folder_one_document_per_text_file(tmp_path):
    folder = tmp_path / "books"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text(shakespeare()[:5000], encoding="utf-8")
    (folder / "sub" / "b.md").write_text("孟子", encoding="utf-8")
    (folder / "img.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0")
    s = spec(tmp_path, "text", ["books", "missing-folder"])
    _, docs, errors = read_all(s)
    # two roots given, so ids carry the root like origins do (ids are unique within a dataset)
    assert [(d.doc_id, d.origin) for d in docs] == [
        ("books/a.txt", "books/a.txt"),
        ("books/sub/b.md", "books/sub/b.md"),
    ]
    assert sorted(e.code for e in errors) == ["missing-input", "skipped-binary"]
    _, alone, _ = read_all(spec(tmp_path, "text", ["books"]))
    assert [d.doc_id for d in alone] == ["a.txt", "sub/b.md"]  # one root: ids relative to it


def test_lines_over_the_limit_are_measured_not_held():
    import io

    from licenselens.sources.jsonl import _lines

    data = b"a" * 10 + b"\n" + b"b" * 11 + b"\n" + b"c" * 25 + b"\n" + b"d" * 10
    got = list(_lines(io.BufferedReader(io.BytesIO(data), buffer_size=4), 10))
    assert got == [(b"a" * 10 + b"\n", 11), (None, 12), (None, 26), (b"d" * 10, 10)]
    assert list(_lines(io.BytesIO(b"e" * 11), 10)) == [(None, 11)]


def test_zstd_truncation_is_found_at_every_cut(tmp_path):
    from licenselens.sources.jsonl import _zstd_complete

    records = jsonl_bytes(real_records(60))
    frames = [
        zstandard.ZstdCompressor(write_checksum=True).compress(records),
        zstandard.ZstdCompressor(write_content_size=False).compress(records[:5000]),
        b"\x50\x2a\x4d\x18" + (3).to_bytes(4, "little") + b"xyz",  # a skippable frame
        zstandard.ZstdCompressor().compress(b""),
    ]
    whole = b"".join(frames)
    path = tmp_path / "c.jsonl.zst"
    path.write_bytes(whole)
    assert _zstd_complete(str(path))
    ends = {sum(map(len, frames[: i + 1])) for i in range(len(frames))}
    for cut in range(len(whole) - 1, 0, -1):
        os.truncate(path, cut)
        assert _zstd_complete(str(path)) == (cut in ends), cut
