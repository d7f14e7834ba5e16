#!/usr/bin/env python3
"""Benchmark: the overlap index (build, size, guard latency) and a straightforward baseline, in one run.

Run by hand from the repository root::

    .venv/bin/python bench/overlap_bench.py [--tokens 100000000] [--queries 200] [--baseline-tokens 3000000]
                                            [--workdir DIR]

``--workdir`` keeps the corpus and indexes (default: a temporary folder,
removed); a corpus already there for the same ``--tokens`` is reused, the
indexes are always rebuilt (their build is measured).

Corpus, built at run time: real text on this machine, in sorted order and
deduplicated by content: ``../shared/data`` (Shakespeare, the Four Books), then
the text and source files (Python, C, JavaScript, Rust, Perl, documentation,
ScanCode's licence rule texts, ...) of the standard library, site-packages,
/usr/include, /usr/share, /usr/lib, /usr/local/lib, ~/.rustup (Rust's sources and
documentation) and ~/.pyenv (the other installed Pythons' packages), cut into
documents of at most 64 KB, until the target number of tokens (licenselens's
tokeniser) is reached.

1. ``licenselens index build`` with 2 workers: wall seconds (whole command),
   tokens/s, MB/s, index bytes per corpus token.
2. Guard latency: ``OverlapIndex.check`` (index opened once) on outputs of
   1,000 tokens: a third copied verbatim from random documents, a third copied
   with 5 % of the words replaced, a third original (words drawn at random
   from the corpus vocabulary); median and p95 per output.
3. Baseline, on the first ``--baseline-tokens`` tokens of the same corpus, the
   verbatim-span task as a user would write it: datasketch MinHashLSH over
   200-token passages (stride 100, word 5-gram shingles, 128 permutations,
   threshold 0.3) to find candidates, then difflib's SequenceMatcher on the
   token lists for the matching blocks of at least 13 tokens. licenselens
   builds and answers on the same subset; build and query times are compared,
   and the baseline's recall of the span tokens licenselens reports (which the
   tests prove complete against a brute-force reference).

Results: stdout and bench/results/overlap_bench-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared" / "data"
BIN = Path(sys.executable).parent
SUFFIXES = (
    ".py",
    ".pyi",
    ".txt",
    ".md",
    ".rst",
    ".c",
    ".h",
    ".html",
    ".js",
    ".ts",
    ".rs",
    ".pm",
    ".java",
    ".cpp",
    ".cc",
    ".hpp",
    ".go",
    ".rb",
    ".sh",
    ".pyx",
    ".RULE",
    ".LICENSE",
    ".yml",
    ".yaml",
    ".toml",
)
# where real text is on every machine of this kind, in this order
ROOTS = (
    sysconfig.get_paths()["stdlib"],
    sysconfig.get_paths()["purelib"],
    "/usr/include",
    "/usr/share",
    "/usr/lib",
    "/usr/local/lib",
    os.path.expanduser("~/.rustup"),
    os.path.expanduser("~/.pyenv"),
)
DOC_CHARS = 64_000
N = 13


def source_files() -> list[Path]:
    files = [SHARED / "tinyshakespeare.txt"]
    for root in ROOTS:
        for dirpath, dirnames, names in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in ("__pycache__",))
            files.extend(Path(dirpath) / n for n in sorted(names) if n.endswith(SUFFIXES))
    return files


def build_corpus(path: Path, target_tokens: int) -> dict:
    from licenselens.tokens import count_tokens

    seen, tokens, docs, size = set(), 0, 0, 0
    with open(path, "w", encoding="utf-8") as fh:
        chinese = []
        for p in sorted(SHARED.glob("sishu_*.json")):
            data = json.loads(p.read_text(encoding="utf-8"))
            chinese += ["\n".join(c["paragraphs"]) for c in (data if isinstance(data, list) else [data])]
        texts = iter(chinese)
        for file in source_files():
            if tokens >= target_tokens:
                break
            try:
                text = file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
            digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
            if digest in seen or not text.strip():
                continue
            seen.add(digest)
            for start in range(0, len(text), DOC_CHARS):
                piece = text[start : start + DOC_CHARS]
                line = json.dumps({"id": f"doc-{docs:08d}", "text": piece, "path": str(file)}, ensure_ascii=False)
                fh.write(line + "\n")
                tokens += count_tokens(piece)
                size += len(line.encode("utf-8")) + 1
                docs += 1
            for piece in (next(texts, None),):
                if piece:
                    fh.write(json.dumps({"id": f"doc-{docs:08d}", "text": piece}, ensure_ascii=False) + "\n")
                    tokens += count_tokens(piece)
                    docs += 1
    return {"documents": docs, "tokens": tokens, "bytes": path.stat().st_size}


def read_docs(path: Path, limit_tokens: int | None = None) -> list[str]:
    from licenselens.tokens import count_tokens

    docs, tokens = [], 0
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            text = json.loads(line)["text"]
            docs.append(text)
            tokens += count_tokens(text)
            if limit_tokens and tokens >= limit_tokens:
                break
    return docs


def make_outputs(docs: list[str], count: int, rng: random.Random, length: int = 1000) -> list[tuple[str, str]]:
    from licenselens.tokens import token_spans

    long_docs = [d for d in docs if len(d) > 12 * length]
    vocabulary = sorted({w for d in rng.sample(docs, min(200, len(docs))) for w in d.split() if w.isalpha()})
    outputs = []
    for i in range(count):
        kind = ("verbatim", "edited", "original")[i % 3]
        if kind == "original":
            outputs.append((kind, " ".join(rng.choice(vocabulary) for _ in range(length))))
            continue
        doc = rng.choice(long_docs)
        starts, ends = token_spans(doc)
        if len(starts) <= length:
            outputs.append(("original", " ".join(rng.choice(vocabulary) for _ in range(length))))
            continue
        a = rng.randrange(len(starts) - length)
        text = doc[starts[a] : ends[a + length - 1]]
        if kind == "edited":
            words = text.split(" ")
            text = " ".join(w if rng.random() > 0.05 else rng.choice(vocabulary) for w in words)
        outputs.append((kind, text))
    return outputs


def run(cmd: list[str]) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode not in (0, 2):
        sys.exit(f"failed: {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    return time.perf_counter() - started


def latency(index_dir: Path, outputs) -> dict:
    from licenselens.overlap import OverlapIndex

    index = OverlapIndex(str(index_dir))
    index.check("warm up")
    times, verdicts = [], {}
    for kind, text in outputs:  # the same fixed outputs every run (seeded), so runs compare output by output
        started = time.perf_counter()
        result = index.check(text)
        times.append(time.perf_counter() - started)
        verdicts.setdefault(kind, {}).setdefault(result.verdict, 0)
        verdicts[kind][result.verdict] += 1
    return {
        "median_ms": round(float(np.median(times)) * 1000, 1),
        "p95_ms": round(float(np.percentile(times, 95)) * 1000, 1),
        "verdicts": verdicts,
        "outputs": len(outputs),
        "times_ms": [round(t * 1000, 2) for t in times],
    }


def baseline(docs: list[str], outputs, index_dir: Path) -> dict:
    from datasketch import MinHash, MinHashLSH

    from licenselens.overlap import OverlapIndex
    from licenselens.tokens import tokens

    started = time.perf_counter()
    lsh = MinHashLSH(threshold=0.3, num_perm=128)
    passages = []
    for doc in docs:
        toks = tokens(doc)
        for start in range(0, max(1, len(toks) - 100), 100):
            window = toks[start : start + 200]
            sketch = MinHash(num_perm=128)
            sketch.update_batch([" ".join(window[i : i + 5]).encode() for i in range(max(1, len(window) - 4))])
            lsh.insert(len(passages), sketch)
            passages.append(window)
    build_seconds = time.perf_counter() - started
    index = OverlapIndex(str(index_dir))
    ours_times, base_times, found, reference = [], [], 0, 0
    for _, text in outputs:
        started = time.perf_counter()
        result = index.check(text)
        ours_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        out = tokens(text)
        covered = set()
        for start in range(0, max(1, len(out) - 100), 100):
            window = out[start : start + 200]
            sketch = MinHash(num_perm=128)
            sketch.update_batch([" ".join(window[i : i + 5]).encode() for i in range(max(1, len(window) - 4))])
            for candidate in lsh.query(sketch):
                matcher = difflib.SequenceMatcher(None, out, passages[candidate], autojunk=False)
                for block in matcher.get_matching_blocks():
                    if block.size >= N:
                        covered.update(range(block.a, block.a + block.size))
        base_times.append(time.perf_counter() - started)
        from licenselens.tokens import token_spans

        starts, _ = token_spans(text)
        ours = set()
        for span in result.spans:
            a = int(np.searchsorted(starts, span.start_char))
            ours.update(range(a, a + span.tokens))
        reference += len(ours)
        found += len(ours & covered)
    return {
        "baseline_build_seconds": round(build_seconds, 1),
        "passages": len(passages),
        "baseline_query_median_ms": round(float(np.median(base_times)) * 1000, 1),
        "licenselens_query_median_ms": round(float(np.median(ours_times)) * 1000, 1),
        "query_ratio": round(float(np.median(base_times)) / float(np.median(ours_times)), 1),
        "baseline_recall_of_span_tokens": round(found / reference, 4) if reference else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=100_000_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--baseline-tokens", type=int, default=3_000_000)
    parser.add_argument("--baseline-queries", type=int, default=30)
    parser.add_argument("--workdir", type=Path, help="keep the corpus and indexes here (reuses the corpus)")
    args = parser.parse_args()
    results: dict = {"command": " ".join([Path(sys.executable).name, *sys.argv])}
    rng = random.Random(0)
    with tempfile.TemporaryDirectory(prefix="licenselens-overlap-bench-") as tmp:
        tmp = args.workdir or Path(tmp)
        tmp.mkdir(parents=True, exist_ok=True)
        for name in ("index", "subset-index"):
            shutil.rmtree(tmp / name, ignore_errors=True)
        corpus, corpus_stats = tmp / "corpus.jsonl", tmp / "corpus.json"
        started = time.perf_counter()
        saved = json.loads(corpus_stats.read_text()) if corpus_stats.exists() and corpus.exists() else {}
        if saved.get("target_tokens") == args.tokens:
            results["corpus"] = saved["corpus"]
        else:
            results["corpus"] = build_corpus(corpus, args.tokens)
            corpus_stats.write_text(json.dumps({"target_tokens": args.tokens, "corpus": results["corpus"]}))
        print(f"corpus: {results['corpus']} in {time.perf_counter() - started:.0f}s", flush=True)
        seconds = run([str(BIN / "licenselens"), "index", "build", str(corpus), "-o", str(tmp / "index"), "-j", "2"])
        manifest = json.loads((tmp / "index" / "manifest.json").read_text())
        c = manifest["counts"]
        results["build"] = {
            "seconds": round(seconds, 1),
            "tokens_per_s": round(c["tokens"] / seconds),
            "MB_per_s": round(results["corpus"]["bytes"] / 1e6 / seconds, 1),
            "index_bytes": c["bytes"],
            "bytes_per_token": c["bytes_per_token"],
            "postings": c["postings"],
            "n": manifest["n"],
            "gram": manifest["gram"],
        }
        print(f"build: {results['build']}", flush=True)
        docs = read_docs(corpus)
        outputs = make_outputs(docs, args.queries, rng)
        results["guard"] = latency(tmp / "index", outputs)
        print(f"guard latency (1,000-token outputs): {results['guard']}", flush=True)

        subset = tmp / "subset.jsonl"
        sub_docs = read_docs(corpus, args.baseline_tokens)
        with open(subset, "w", encoding="utf-8") as fh:
            for i, text in enumerate(sub_docs):
                fh.write(json.dumps({"id": f"s{i}", "text": text}, ensure_ascii=False) + "\n")
        ours_build = run(
            [str(BIN / "licenselens"), "index", "build", str(subset), "-o", str(tmp / "subset-index"), "-j", "2"]
        )
        base = baseline(sub_docs, make_outputs(sub_docs, args.baseline_queries, rng), tmp / "subset-index")
        base["licenselens_build_seconds"] = round(ours_build, 1)
        base["build_ratio"] = round(base["baseline_build_seconds"] / ours_build, 1)
        results["baseline"] = {"tokens": args.baseline_tokens, **base}
        print(f"baseline (datasketch MinHashLSH + difflib) on {args.baseline_tokens:,} tokens: {base}", flush=True)
    (HERE / "results").mkdir(exist_ok=True)
    out = HERE / "results" / f"overlap_bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"written {out}")


if __name__ == "__main__":
    main()
