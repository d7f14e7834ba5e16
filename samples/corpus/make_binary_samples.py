"""Regenerate the binary sample datasets from their readable sources in src/.

    .venv/bin/python samples/corpus/make_binary_samples.py

Deterministic: records are written with sorted keys, gzip with mtime 0 and no
file name, fixed compression levels and column orders. Needs pyarrow, zstandard
and (for the arrow folder) the Hugging Face `datasets` library; without
`datasets` the folder is written with pyarrow in the same layout.
"""

import gzip
import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"


def read_jsonl(name):
    with open(SRC / name, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def jsonl_bytes(records):
    return "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records).encode("utf-8")


def strings_table(records, columns):
    return pa.table({c: pa.array([r[c] for r in records], pa.string()) for c in columns})


def write_parquet(records, columns, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(strings_table(records, columns), path, compression="snappy")


def write_hf_arrow(records, columns, folder, license_id, description):
    records = [{c: r[c] for c in columns} for r in records]
    if folder.exists():
        shutil.rmtree(folder)
    try:
        import datasets
    except ImportError:
        datasets = None
    if datasets is not None:
        info = datasets.DatasetInfo(description=description, license=license_id)
        datasets.Dataset.from_list(records, info=info).save_to_disk(str(folder))
        return "datasets " + datasets.__version__
    # Same layout as Dataset.save_to_disk: one Arrow IPC stream plus two JSON files.
    folder.mkdir(parents=True)
    features = {c: {"dtype": "string", "_type": "Value"} for c in columns}
    table = strings_table(records, columns)
    table = table.replace_schema_metadata({"huggingface": json.dumps({"info": {"features": features}})})
    with pa.OSFile(str(folder / "data-00000-of-00001.arrow"), "wb") as sink:
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
    info = {"citation": "", "description": description, "features": features, "homepage": "", "license": license_id}
    (folder / "dataset_info.json").write_text(json.dumps(info, indent=2), encoding="utf-8")
    state = {"_data_files": [{"filename": "data-00000-of-00001.arrow"}], "_fingerprint": "licenselens-sample",
             "_format_columns": None, "_format_kwargs": {}, "_format_type": None,
             "_output_all_columns": False, "_split": None}
    (folder / "state.json").write_text(json.dumps(state, indent=2), encoding="utf-8")
    return "pyarrow fallback"


def write_gzip(records, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
        gz.write(jsonl_bytes(records))


def write_zstd(records, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(zstandard.ZstdCompressor(level=19).compress(jsonl_bytes(records)))


def main():
    write_parquet(read_jsonl("encyclopedia.jsonl"), ["id", "title", "url", "license", "text"],
                  HERE / "encyclopedia" / "articles.parquet")
    how = write_hf_arrow(read_jsonl("qa-forum.jsonl"), ["id", "question", "answer", "url", "license"],
                         HERE / "qa-forum", "CC-BY-SA-4.0",
                         "licenselens sample: professional Q&A posts (question and accepted answer)")
    write_gzip(read_jsonl("sft-pairs.jsonl"), HERE / "sft" / "pairs.jsonl.gz")
    write_zstd(read_jsonl("rlhf-preferences.jsonl"), HERE / "rlhf" / "preferences.jsonl.zst")
    print(f"wrote articles.parquet, qa-forum/ ({how}), pairs.jsonl.gz, preferences.jsonl.zst")


if __name__ == "__main__":
    main()
