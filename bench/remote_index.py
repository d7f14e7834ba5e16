#!/usr/bin/env python3
"""Benchmark: an overlap index written to and read from an s3:// URI beside the same index in a local folder.

Run by hand from the repository root::

    .venv/bin/python bench/remote_index.py [--tokens 50000000] [--engine local|ray] [--workdir DIR]

The S3 endpoint is moto's server on localhost (pure Python: it, not the network,
bounds the transfer rates here; a real object store is faster per stream). The
corpus is ``overlap_bench.py``'s real text.

1. ``index build`` into a folder and ``index build -o s3://...``, 2 workers each: seconds and the ratio.
2. ``overlap --index s3://...`` from an empty cache (the first query fetches the index), then again (the
   copy is current: a listing, nothing fetched); its JSON compared with the folder's.
3. The fetched copy's arrays compared byte for byte with the folder's.

Results: stdout and bench/results/remote_index-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from overlap_bench import BIN, build_corpus, make_outputs, read_docs  # noqa: E402

CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}


def timed(cmd: list[str], env: dict) -> tuple[float, subprocess.CompletedProcess]:
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)}: exit {proc.returncode}\n{proc.stderr}")
    return round(seconds, 2), proc


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=50_000_000)
    parser.add_argument("--engine", choices=("local", "ray"), default="local")
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args()
    from moto.server import ThreadedMotoServer
    from pyarrow import fs as pafs

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    os.environ.update(CREDENTIALS)
    pafs.S3FileSystem(endpoint_override=f"127.0.0.1:{port}", scheme="http", allow_bucket_creation=True).create_dir(
        "bench"
    )
    uri = f"s3://bench/index?endpoint_override=127.0.0.1:{port}&scheme=http"
    results: dict = {"command": " ".join([Path(sys.executable).name, *sys.argv]), "endpoint": "moto server"}
    with tempfile.TemporaryDirectory(prefix="licenselens-remote-") as tmp:
        tmp = args.workdir or Path(tmp)
        tmp.mkdir(parents=True, exist_ok=True)
        corpus = tmp / "corpus.jsonl"
        if not corpus.exists():
            results["corpus"] = build_corpus(corpus, args.tokens)
        for cache in ("cache-writer", "cache-reader"):  # a copy is keyed by the URI, whose port changes
            shutil.rmtree(tmp / cache, ignore_errors=True)
        env = {**os.environ, "LICENSELENS_CACHE_DIR": str(tmp / "cache-writer")}
        bin_ = str(BIN / "licenselens")
        engine = ["--engine", args.engine, "-j", "2"]
        results["folder_build_s"], _ = timed(
            [bin_, "index", "build", str(corpus), "-o", str(tmp / "folder"), *engine], env
        )
        results["s3_build_s"], proc = timed([bin_, "index", "build", str(corpus), "-o", uri, *engine], env)
        counts = json.loads((tmp / "folder" / "manifest.json").read_text())["counts"]
        results["counts"] = counts
        results["s3_over_folder"] = round(results["s3_build_s"] / results["folder_build_s"], 2)
        results["upload_mb_per_s"] = round(
            counts["bytes"] / 2**20 / max(results["s3_build_s"] - results["folder_build_s"], 1e-3), 1
        )
        print(
            f"build: folder {results['folder_build_s']} s, s3 {results['s3_build_s']} s, {counts['bytes'] / 2**20:.0f} MiB",
            flush=True,
        )

        outputs = tmp / "outputs.jsonl"
        rng = random.Random(1)
        with open(outputs, "w", encoding="utf-8") as fh:
            for i, (kind, text) in enumerate(make_outputs(read_docs(corpus, 5_000_000), 30, rng)):
                fh.write(json.dumps({"id": f"{kind}-{i}", "text": text}) + "\n")
        query = ["overlap", "--format", "json", str(outputs)]
        reader = {**os.environ, "LICENSELENS_CACHE_DIR": str(tmp / "cache-reader")}
        results["folder_query_s"], local = timed([bin_, *query, "--index", str(tmp / "folder")], reader)
        results["s3_first_query_s"], first = timed([bin_, *query, "--index", uri], reader)
        results["s3_again_query_s"], again = timed([bin_, *query, "--index", uri], reader)
        results["download_mb_per_s"] = round(
            counts["bytes"] / 2**20 / max(results["s3_first_query_s"] - results["folder_query_s"], 1e-3), 1
        )
        outputs_of = lambda proc: json.loads(proc.stdout)["outputs"]  # noqa: E731
        results["same_answers"] = outputs_of(local) == outputs_of(first) == outputs_of(again)
        copies = list((tmp / "cache-reader" / "indexes").glob("*/reading"))
        manifest = json.loads((tmp / "folder" / "manifest.json").read_text())
        results["copy_equals_folder"] = len(copies) == 1 and all(
            filecmp.cmp(tmp / "folder" / rel, copies[0] / rel, shallow=False)
            for rel in [
                f"parts/{p['name']}/{a}"
                for p in manifest["parts"]
                for a in ("postings.npy", "seeds.npy", "tokens.npy", "token_offsets.npy")
            ]
        )
    server.stop()
    print(json.dumps(results, indent=2))
    out = HERE / "results" / f"remote_index-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
