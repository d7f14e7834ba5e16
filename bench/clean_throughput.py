#!/usr/bin/env python3
"""Benchmark: ``licenselens clean`` throughput on a 1 GB JSONL corpus of real text, beside a peer.

Run by hand from the repository root::

    .venv/bin/python bench/clean_throughput.py [--size-mb 1024] [--peer-mb 64] [--skip-ray] [--corpus windows|mixed]

Corpus (--corpus), built at run time (seed 0) from real text:
- windows (default): bench/corpus_throughput.py's 1 GB corpus, the one the corpus target is measured
  on: documents of 1-24 KB cut at random offsets from Shakespeare, the Four Books and the standard
  library (3 MB of text in all, so at 1 GB most documents nearly repeat another: clean drops them);
- mixed: documents of 1 to 10 random chunks of about 2 KB of Shakespeare, the Four Books and this
  venv's site-packages text files (code and docs, ScanCode's licence texts left out: about 100 MB),
  distinct as web pages are; most chunks are code with licence headers, which ScanCode reads.
Either way, 5 % end with a licence footer from ScanCode's rules and 1 % with a real Author-email
line; then what cleaning removes is planted: 2 % exact copies of recent documents, 2 % near copies
(one space-separated word in 200 changed: estimated similarity about 0.9), 1 % opt-out metas.
MB/s = corpus bytes / wall seconds of the whole command: the measuring pass (licences, opt-outs,
personal data, MinHash), the decisions and the writing, Python start and index load included.

Runs: local engine with 2 workers; Ray with 2 workers (its output compared byte for byte with the
local one's). Peer: what a dataset builder writes without licenselens, on the first --peer-mb of
the same corpus: datasketch MinHash (its default hashing, 128 permutations) and MinHashLSH at 0.8
for near duplicates, sha256 for exact ones, regular expressions for e-mail addresses and phone
numbers, json out. It finds no licence, opt-out or other personal data, so the ratio flatters it.

Results go to stdout and bench/results/clean_throughput-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import corpus_throughput  # noqa: E402
from corpus_throughput import real_texts, write_documents  # noqa: E402

BIN = Path(sys.executable).parent
NOAI = '\n<meta name="robots" content="noai">'


def chunks() -> list[str]:
    """About 2 KB pieces of real text, cut at line ends."""
    import sysconfig

    texts = real_texts()
    sources = [texts["shakespeare"], texts["four-books"]]
    site = Path(sysconfig.get_paths()["purelib"])
    kinds = (".py", ".txt", ".md", ".rst", ".RULE", ".LICENSE", ".c", ".h", ".pyi", ".yml", ".html", ".js")
    for path in sorted(site.rglob("*")):
        if "licensedcode" in path.parts or "licenses" in path.parts:
            continue  # licence texts in every document would make a corpus of licences: footers add 5 %
        if path.suffix in kinds and path.is_file() and 200 < path.stat().st_size < 65536:
            sources.append(path.read_text(encoding="utf-8", errors="replace"))
    pieces = []
    for text in sources:
        start = 0
        while start < len(text):
            end = text.find("\n", start + 2000)
            end = len(text) if end < 0 else end + 1
            pieces.append(text[start:end])
            start = end
    return pieces


def build_mixed_corpus(path: Path, size_bytes: int, seed: int = 0) -> dict:
    rng = random.Random(seed)
    pool = chunks()

    def mixed() -> tuple[str, None]:
        return "\n".join(rng.choice(pool) for _ in range(rng.randint(1, 10))), None

    return {**write_documents(path, size_bytes, rng, mixed), "chunks": len(pool)}


def plant(corpus: Path, out: Path, seed: int = 1) -> dict:
    """The corpus with exact copies, near copies and opt-outs added after the documents they repeat."""
    rng = random.Random(seed)
    counts = {"exact": 0, "near": 0, "opt_out": 0}
    recent: list[dict] = []
    with open(corpus, encoding="utf-8") as src, open(out, "w", encoding="utf-8") as dst:
        for line in src:
            record = json.loads(line)
            roll = rng.random()
            if roll < 0.01:
                record["text"] += NOAI
                counts["opt_out"] += 1
            dst.write(json.dumps(record, ensure_ascii=False) + "\n")
            recent = (recent + [record])[-200:]
            if roll > 0.98:
                copy = dict(rng.choice(recent), id=f"{record['id']}-copy")
                dst.write(json.dumps(copy, ensure_ascii=False) + "\n")
                counts["exact"] += 1
            elif roll > 0.96:
                words = rng.choice(recent)["text"].split(" ")
                edited = " ".join(w + "x" if i % 200 == 17 else w for i, w in enumerate(words))
                dst.write(json.dumps({"id": f"{record['id']}-near", "text": edited}, ensure_ascii=False) + "\n")
                counts["near"] += 1
    return counts


def manifest(folder: Path, corpus: Path) -> Path:
    path = folder / "licenselens.toml"
    path.write_text(
        f'policy = "default"\n[[datasets]]\nname = "web"\nstage = "pretraining"\nkind = "web"\npaths = ["{corpus}"]\n',
        encoding="utf-8",
    )
    return path


def run(cmd: list[str], env=None) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    return seconds


EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
PHONE = re.compile(r"\+?\d[\d ().-]{7,}\d")


def peer(corpus: Path, out: Path, limit: int) -> tuple[float, int, int]:
    """The do-it-yourself cleaner; returns seconds, bytes read and documents kept."""
    from datasketch import MinHash, MinHashLSH

    started = time.perf_counter()
    lsh, seen, kept, read = MinHashLSH(threshold=0.8, num_perm=128), set(), 0, 0
    with open(corpus, encoding="utf-8") as src, open(out, "w", encoding="utf-8") as dst:
        for n, line in enumerate(src):
            read += len(line.encode("utf-8"))
            if read > limit:
                break
            record = json.loads(line)
            text = PHONE.sub("[phone]", EMAIL.sub("[email]", record["text"]))
            digest = hashlib.sha256(text.encode()).hexdigest()
            if digest in seen:
                continue
            words = text.split()
            sketch = MinHash(num_perm=128)
            sketch.update_batch([" ".join(words[i : i + 5]).encode() for i in range(max(1, len(words) - 4))])
            if lsh.query(sketch):
                continue
            lsh.insert(str(n), sketch)
            seen.add(digest)
            dst.write(json.dumps({**record, "text": text}, ensure_ascii=False) + "\n")
            kept += 1
    return time.perf_counter() - started, min(read, limit), kept


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size-mb", type=int, default=1024)
    parser.add_argument("--peer-mb", type=int, default=64)
    parser.add_argument("--skip-ray", action="store_true")
    parser.add_argument(
        "--corpus",
        choices=("windows", "mixed"),
        default="windows",
        help="windows: bench/corpus_throughput.py's corpus (the corpus target's); mixed: distinct documents of chunks",
    )
    args = parser.parse_args()
    results: dict = {"command": " ".join([Path(sys.executable).name, *sys.argv])}
    with tempfile.TemporaryDirectory(prefix="licenselens-clean-bench-") as tmp:
        tmp = Path(tmp)
        started = time.perf_counter()
        builder = corpus_throughput.build_corpus if args.corpus == "windows" else build_mixed_corpus
        base = builder(tmp / "base.jsonl", args.size_mb * 2**20)
        corpus = tmp / "corpus.jsonl"
        results["corpus"] = {**base, "planted": plant(tmp / "base.jsonl", corpus), "bytes": corpus.stat().st_size}
        (tmp / "base.jsonl").unlink()
        print(f"corpus: {results['corpus']} built in {time.perf_counter() - started:.0f}s", flush=True)
        mb = results["corpus"]["bytes"] / 1e6
        env = {**os.environ, "LICENSELENS_CACHE_DIR": str(tmp / "cache")}
        path = manifest(tmp, corpus)
        outs = {}
        for engine in ["local"] + ([] if args.skip_ray else ["ray"]):
            out = tmp / f"clean-{engine}"
            seconds = run(
                [str(BIN / "licenselens"), "clean", str(path), "-o", str(out), "--engine", engine, "-j", "2"], env
            )
            summary = json.loads((out / "clean-summary.json").read_text(encoding="utf-8"))
            results[f"{engine}-2"] = {"seconds": round(seconds, 1), "MB/s": round(mb / seconds, 2), **summary["totals"]}
            print(
                f"clean, {engine} engine, 2 workers: {seconds:.1f}s, {mb / seconds:.2f} MB/s; {summary['totals']}",
                flush=True,
            )
            outs[engine] = out
        if "ray" in outs:
            same = all(
                (outs["local"] / name).read_bytes() == (outs["ray"] / name).read_bytes()
                for name in ("data/web/corpus.jsonl", "removed.parquet", "licenselens.toml")
            )
            results["ray_output_identical"] = same
            print(f"Ray output identical to local: {same}", flush=True)
        limit = args.peer_mb * 2**20
        peer_seconds, peer_bytes, peer_kept = peer(corpus, tmp / "peer.jsonl", limit)
        sample = tmp / "sample.jsonl"
        with open(corpus, "rb") as src, open(sample, "wb") as dst:
            dst.write(src.read(peer_bytes).rsplit(b"\n", 1)[0] + b"\n")
        ours = run(
            [str(BIN / "licenselens"), "clean", str(manifest(tmp, sample)), "-o", str(tmp / "clean-sample"), "-j", "2"],
            env,
        )
        results["peer"] = {
            "sample_MB": round(peer_bytes / 1e6, 1),
            "peer_seconds": round(peer_seconds, 1),
            "peer_MB/s": round(peer_bytes / 1e6 / peer_seconds, 2),
            "peer_kept": peer_kept,
            "licenselens_seconds": round(ours, 1),
            "licenselens_MB/s": round(peer_bytes / 1e6 / ours, 2),
            "ratio": round(peer_seconds / ours, 2),
        }
        print(f"peer (datasketch + regex, 1 process) on {peer_bytes / 1e6:.0f} MB: {results['peer']}", flush=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = HERE / "results" / f"clean_throughput-{stamp}.json"
    target.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
