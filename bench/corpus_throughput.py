#!/usr/bin/env python3
"""Benchmark: ``licenselens corpus`` throughput on a 1 GB JSONL corpus of real text.

Run by hand from the repository root::

    .venv/bin/python bench/corpus_throughput.py [--size-mb 1024] [--peer-docs 300]

The corpus is built at run time (deterministic, seed 0) in a temporary folder:
documents of 1-24 KB cut at random offsets from ``../shared/data`` (Shakespeare,
the Four Books) and from this interpreter's standard library sources (real
code with real licence headers). As on the web, a share of documents carries a
footer: a licence notice or reference taken from ScanCode's own rule texts
(5 %, from a pool of 400 footers, since footers repeat across a site), or a
package's real ``Author-email`` line from site-packages metadata (1 %).

Runs, each on a fresh output folder: local engine with 1 and 2 workers, Ray
engine with 2 workers. MB/s = corpus bytes / wall seconds of the whole
command (Python start, index load and the final merge included). The three
results tables are compared row by row after sorting by document id.

Peer: ScanCode itself (``scancode -l -c --processes 2``) on the first
``--peer-docs`` documents written out as files, against ``licenselens corpus``
on the same documents; the ratio is for that sample.

Results go to stdout and bench/results/corpus_throughput-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"
BIN = Path(sys.executable).parent


def real_texts() -> dict[str, str]:
    texts = {"shakespeare": (SHARED / "tinyshakespeare.txt").read_text(encoding="utf-8")}
    chinese = []
    for path in sorted(SHARED.glob("sishu_*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        for chapter in data if isinstance(data, list) else [data]:
            chinese.extend(chapter["paragraphs"])
    texts["four-books"] = "\n".join(chinese)
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    code = [p.read_text(encoding="utf-8", errors="replace") for p in sorted(stdlib.glob("*.py"))]
    texts["stdlib"] = "\n".join(code)
    return texts


def footers(rng: random.Random) -> list[str]:
    import licensedcode

    rules = sorted((Path(licensedcode.__file__).parent / "data" / "rules").glob("*.RULE"))
    chosen = []
    for path in rng.sample(rules, 3000):
        text = path.read_text(encoding="utf-8", errors="replace")
        head, _, body = text.partition("\n---\n")
        if ("is_license_notice: yes" in head or "is_license_reference: yes" in head) and 20 < len(body) < 1500:
            chosen.append(body.strip())
        if len(chosen) == 400:
            break
    return chosen


def author_emails() -> list[str]:
    site = Path(sysconfig.get_paths()["purelib"])
    lines = []
    for meta in sorted(site.glob("*.dist-info/METADATA")):
        for line in meta.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("Author-email:") and "@" in line:
                lines.append(line)
    return lines or ["Author-email: nobody@example.org"]


def write_documents(path: Path, size_bytes: int, rng: random.Random, body) -> dict:
    """JSON Lines of ``body()`` documents ((text, url or None)) up to ``size_bytes``; 5 % with a licence
    footer, 1 % with an Author-email line."""
    notes, emails = footers(rng), author_emails()
    written = docs = with_footer = with_email = 0
    with open(path, "w", encoding="utf-8") as fh:
        while written < size_bytes:
            text, url = body()
            roll = rng.random()
            if roll < 0.05:
                text += "\n\n" + rng.choice(notes)
                with_footer += 1
            elif roll < 0.06:
                text += "\n\n" + rng.choice(emails)
                with_email += 1
            record = {"id": f"doc-{docs:07d}", "text": text} | ({"url": url.format(docs)} if url else {})
            line = json.dumps(record, ensure_ascii=False) + "\n"
            fh.write(line)
            written += len(line.encode("utf-8"))
            docs += 1
    return {
        "documents": docs,
        "bytes": path.stat().st_size,
        "with_licence_footer": with_footer,
        "with_author_email": with_email,
    }


def build_corpus(path: Path, size_bytes: int, seed: int = 0) -> dict:
    rng = random.Random(seed)
    texts = real_texts()
    names = list(texts)
    weights = [0.5, 0.2, 0.3]

    def window() -> tuple[str, str]:
        source = rng.choices(names, weights)[0]
        text = texts[source]
        length = rng.randint(1000, 24000) // (3 if source == "four-books" else 1)
        start = rng.randrange(0, max(1, len(text) - length))
        return text[start : start + length], f"https://example.org/{source}/{{}}"

    return write_documents(path, size_bytes, rng, window)


def run(cmd: list[str], env=None) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    if proc.returncode not in (0, 2):
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    return seconds


def rows(out_dir: Path) -> list[tuple]:
    table = pq.read_table(out_dir / "corpus.parquet").sort_by("doc_id")
    return [tuple(json.dumps(v, sort_keys=True) for v in row.values()) for row in table.to_pylist()]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--peer-docs", type=int, default=300)
    parser.add_argument("--skip-ray", action="store_true")
    args = parser.parse_args()
    results: dict = {"command": " ".join([Path(sys.executable).name, *sys.argv])}
    with tempfile.TemporaryDirectory(prefix="licenselens-corpus-bench-") as tmp:
        tmp = Path(tmp)
        corpus = tmp / "corpus.jsonl"
        started = time.perf_counter()
        results["corpus"] = build_corpus(corpus, args.size_mb * 2**20)
        print(f"corpus: {results['corpus']} built in {time.perf_counter() - started:.0f}s", flush=True)
        mb = results["corpus"]["bytes"] / 1e6
        env = {**os.environ, "LICENSELENS_CACHE_DIR": str(tmp / "cache")}
        runs = [("local", 1), ("local", 2)] + ([] if args.skip_ray else [("ray", 2)])
        outs = {}
        for engine, jobs in runs:
            out = tmp / f"out-{engine}-{jobs}"
            seconds = run(
                [str(BIN / "licenselens"), "corpus", str(corpus), "-o", str(out), "--engine", engine, "-j", str(jobs)],
                env,
            )
            docs = results["corpus"]["documents"]
            results[f"{engine}-{jobs}"] = {
                "seconds": round(seconds, 1),
                "MB/s": round(mb / seconds, 2),
                "docs/s": round(docs / seconds, 1),
            }
            print(
                f"{engine} engine, {jobs} worker(s): {seconds:.1f}s, {mb / seconds:.2f} MB/s, "
                f"{docs / seconds:.0f} docs/s",
                flush=True,
            )
            outs[(engine, jobs)] = rows(out)
            if (engine, jobs) == ("local", 1):
                dataset = json.loads((out / "corpus-summary.json").read_text(encoding="utf-8"))["datasets"][0]
                results["signals"] = {
                    "documents_with_license": dataset["documents_with_license"],
                    "licenses": dict(list(dataset["licenses"].items())[:6]),
                    "documents_with_personal_information": dataset["personal_information"]["documents"],
                    "tdm_opt_out": dataset["tdm_opt_out"]["documents"],
                    "duplicates": dataset["duplicates"]["documents"],
                }
                print(f"signals found: {results['signals']}", flush=True)
        reference = outs[("local", 1)]
        results["identical_results"] = {f"{e}-{j}": outs[(e, j)] == reference for e, j in outs}
        print(f"identical results across engines and workers: {results['identical_results']}")

        # peer: ScanCode on the first documents, as files
        sample_dir, sample = tmp / "peer-sample", tmp / "peer-sample.jsonl"
        sample_dir.mkdir()
        with open(corpus, encoding="utf-8") as src, open(sample, "w", encoding="utf-8") as dst:
            for i, line in zip(range(args.peer_docs), src):
                dst.write(line)
                (sample_dir / f"doc-{i:07d}.txt").write_text(json.loads(line)["text"], encoding="utf-8")
        sample_mb = sample.stat().st_size / 1e6
        peer = run(
            [str(BIN / "scancode"), "-l", "-c", "--processes", "2", "--json", str(tmp / "peer.json"), str(sample_dir)]
        )
        ours = run([str(BIN / "licenselens"), "corpus", str(sample), "-o", str(tmp / "out-sample"), "-j", "2"], env)
        results["peer_sample"] = {
            "documents": args.peer_docs,
            "MB": round(sample_mb, 2),
            "scancode_seconds": round(peer, 1),
            "licenselens_seconds": round(ours, 1),
            "ratio": round(peer / ours, 1),
        }
        print(
            f"peer sample ({args.peer_docs} docs, {sample_mb:.1f} MB): scancode -l -c {peer:.1f}s, "
            f"licenselens corpus {ours:.1f}s, ratio {peer / ours:.1f}x"
        )
    (HERE / "results").mkdir(exist_ok=True)
    out_file = HERE / "results" / f"corpus_throughput-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out_file.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"written {out_file}")


if __name__ == "__main__":
    main()
