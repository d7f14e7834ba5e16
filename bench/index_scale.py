#!/usr/bin/env python3
"""Benchmark: the overlap index at a billion tokens: build, add, compact, size, memory, guard latency.

Run by hand from the repository root (about an hour and 40 GB of disk at the default size)::

    .venv/bin/python bench/index_scale.py [--tokens 1000000000] [--queries 300] [--workdir DIR]

Corpus: the real text of ``overlap_bench.py`` (shared data, the standard library,
site-packages, /usr/share, ... deduplicated, documents of at most 64 KB) until
this machine's text runs out; then the same documents again, **repeated with
their lines shuffled** (seeded, a new order each round), until the target. The
result file says how many tokens are real and how many repeated. The last
tenth of the corpus is a separate dataset.

1. ``index build`` of the whole corpus, 2 workers (the reference).
2. ``index build`` of the first nine tenths, then ``index add`` of the last tenth: the add's time beside
   the full build's.
3. ``index compact`` of that two-part index; its arrays compared byte for byte with the full build's.
4. Peak memory of each command: the largest resident set of the process tree, sampled every 0.2 s.
5. Guard latency on the compacted index, opened once, its arrays read once first (as a long-running guard
   has them in the page cache): 1,000-token outputs (verbatim, 1 word in 8 edited, original), near search
   on; median, p95; and the checking process's anonymous and file-backed memory. ``--guard-only``
   measures this alone on the index a run left in ``--workdir``.

Results: stdout and bench/results/index_scale-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from overlap_bench import BIN, build_corpus, make_outputs, read_docs  # noqa: E402


def tree_rss(pgid: int) -> int:
    """Resident bytes of every process in a process group (the command and its workers)."""
    total = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid:  # field 5 of stat: the process group
                continue
            with open(f"/proc/{entry.name}/statm") as fh:
                total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            continue
    return total


def run(cmd: list[str]) -> dict:
    """Wall seconds and peak resident memory of a command's process tree."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], tree_rss(proc.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    sampler.join()
    seconds = time.perf_counter() - started
    if proc.returncode not in (0, 2):
        sys.exit(f"failed: {' '.join(cmd)}\n{err[-3000:]}")
    print(
        f"  {' '.join(Path(c).name if c.startswith('/') else c for c in cmd[1:4])}: {seconds:.1f}s, "
        f"peak {peak[0] / 2**30:.2f} GiB; {err.strip().splitlines()[-1] if err.strip() else ''}",
        flush=True,
    )
    return {"seconds": round(seconds, 1), "peak_rss_gib": round(peak[0] / 2**30, 3)}


def write_rounds(real: Path, out_dir: Path, target: int, real_tokens: int, rng: random.Random) -> list[dict]:
    """The real corpus, then rounds of it with each document's lines shuffled, as one file per round; the last
    tenth of the target tokens cut off into its own file (the dataset ``index add`` adds)."""
    from licenselens.tokens import count_tokens

    files, written, cut = [], 0, target * 9 // 10
    current = open(out_dir / "corpus-00.jsonl", "w", encoding="utf-8")
    files.append({"path": str(out_dir / "corpus-00.jsonl"), "tokens": 0, "repeated": False})
    rounds, counts = 0, []  # tokens of each real document (lines shuffled: the same tokens, newlines split them)
    while written < target:
        with open(real, encoding="utf-8") as fh:
            for number, line in enumerate(fh):
                if written >= target:
                    break
                doc = json.loads(line)
                if rounds:
                    lines = doc["text"].split("\n")
                    rng.shuffle(lines)
                    doc = {**doc, "id": f"{doc['id']}-r{rounds}", "text": "\n".join(lines)}
                    tokens = counts[number]
                else:
                    tokens = count_tokens(doc["text"])
                    counts.append(tokens)
                if written < cut <= written + tokens and len(files) == 1:
                    current.close()
                    current = open(out_dir / "corpus-added.jsonl", "w", encoding="utf-8")
                    files.append({"path": str(out_dir / "corpus-added.jsonl"), "tokens": 0, "repeated": bool(rounds)})
                current.write(json.dumps(doc, ensure_ascii=False) + "\n")
                files[-1]["tokens"] += tokens
                files[-1]["repeated"] |= bool(rounds)
                written += tokens
        rounds += 1
        print(f"  corpus round {rounds}: {written:,} tokens", flush=True)
    current.close()
    return files


def memory_of_self() -> dict:
    status = Path("/proc/self/status").read_text()
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    return {k: fields[k].strip() for k in ("VmHWM", "RssAnon", "RssFile") if k in fields}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tokens", type=int, default=1_000_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--workdir", type=Path, help="keep the corpus and indexes here (reuses the corpus)")
    parser.add_argument(
        "--guard-only", action="store_true", help="only the guard latency, on the index a run left in --workdir"
    )
    args = parser.parse_args()
    results: dict = {"command": " ".join([Path(sys.executable).name, *sys.argv])}
    rng = random.Random(0)
    if args.guard_only:
        stats = json.loads((args.workdir / "corpus.json").read_text())
        results["guard"] = guard(args.workdir / "parts", outputs_for(Path(stats["corpus"]["files"][0]["path"]), args))
        print(f"guard: {json.dumps({k: v for k, v in results['guard'].items() if k != 'times_ms'})}", flush=True)
        save(results)
        return
    with tempfile.TemporaryDirectory(prefix="licenselens-index-scale-") as tmp:
        tmp = args.workdir or Path(tmp)
        tmp.mkdir(parents=True, exist_ok=True)
        stats = tmp / "corpus.json"
        saved = json.loads(stats.read_text()) if stats.exists() else {}
        if saved.get("target_tokens") == args.tokens:
            results["corpus"] = saved["corpus"]
        else:
            started = time.perf_counter()
            real = build_corpus(tmp / "real.jsonl", args.tokens)
            files = write_rounds(tmp / "real.jsonl", tmp, args.tokens, real["tokens"], rng)
            results["corpus"] = {"real": real, "files": files, "seconds": round(time.perf_counter() - started)}
            stats.write_text(json.dumps({"target_tokens": args.tokens, "corpus": results["corpus"]}))
        files = [f["path"] for f in results["corpus"]["files"]]
        print(f"corpus: {json.dumps(results['corpus'])}", flush=True)
        licenselens = str(BIN / "licenselens")
        for name in ("full", "parts"):
            shutil.rmtree(tmp / name, ignore_errors=True)
        results["full_build"] = run([licenselens, "index", "build", *files, "-o", str(tmp / "full"), "-j", "2"])
        results["full_manifest_counts"] = json.loads((tmp / "full" / "manifest.json").read_text())["counts"]
        results["first_build"] = run([licenselens, "index", "build", files[0], "-o", str(tmp / "parts"), "-j", "2"])
        results["add"] = run([licenselens, "index", "add", files[1], "--index", str(tmp / "parts"), "-j", "2"])
        results["add_over_full"] = round(results["add"]["seconds"] / results["full_build"]["seconds"], 3)
        results["compact"] = run([licenselens, "index", "compact", str(tmp / "parts")])
        full = json.loads((tmp / "full" / "manifest.json").read_text())
        parts = json.loads((tmp / "parts" / "manifest.json").read_text())
        same = full["counts"] == parts["counts"] and len(full["parts"]) == len(parts["parts"])
        for a, b in zip(full["parts"], parts["parts"]):
            for name in ("postings.npy", "seeds.npy", "tokens.npy", "token_offsets.npy"):
                same &= filecmp(tmp / "full" / "parts" / a["name"] / name, tmp / "parts" / "parts" / b["name"] / name)
        results["compacted_equals_full_build"] = same
        counts = full["counts"]
        results["tokens_per_s"] = round(counts["tokens"] / results["full_build"]["seconds"])
        print(
            f"full build {results['tokens_per_s'] / 1e6:.2f} M tokens/s, {counts['bytes_per_token']} B/token; "
            f"add/full {results['add_over_full']}; compacted == full: {same}",
            flush=True,
        )
        shutil.rmtree(tmp / "full")  # disk: the guard reads the compacted index
        results["guard"] = guard(tmp / "parts", outputs_for(Path(files[0]), args))
        print(f"guard: {json.dumps({k: v for k, v in results['guard'].items() if k != 'times_ms'})}", flush=True)
    save(results)


def outputs_for(corpus: Path, args) -> list[tuple[str, str]]:
    """1,000-token outputs from the corpus's first 20 M tokens: verbatim, one word in eight edited, original."""
    docs = read_docs(corpus, limit_tokens=20_000_000)
    outputs = make_outputs(docs, args.queries, random.Random(0))
    for i in range(1, len(outputs), 3):  # the "edited" third: one word in eight, as the near-copy bench
        words = outputs[i][1].split(" ")
        outputs[i] = ("edited 1/8", " ".join("zq" if k % 8 == 5 else w for k, w in enumerate(words)))
    return outputs


def save(results: dict) -> None:
    out = HERE / "results" / f"index_scale-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(f"results: {out}")


def filecmp(a: Path, b: Path) -> bool:
    with open(a, "rb") as fa, open(b, "rb") as fb:
        while True:
            x, y = fa.read(2**24), fb.read(2**24)
            if x != y:
                return False
            if not x:
                return True


def guard(index_dir: Path, outputs) -> dict:
    import numpy as np

    from licenselens.overlap import OverlapIndex

    for array in sorted(index_dir.glob("parts/*/*.npy")):  # in the page cache, as a long-running guard has them
        with open(array, "rb") as fh:
            while fh.read(2**24):
                pass
    started = time.perf_counter()
    index = OverlapIndex(str(index_dir))
    opened = time.perf_counter() - started
    for _, text in outputs[:20]:
        index.check(text)
    times, verdicts = [], {}
    for kind, text in outputs:
        started = time.perf_counter()
        verdict = index.check(text).verdict
        times.append(time.perf_counter() - started)
        verdicts.setdefault(kind, {}).setdefault(verdict, 0)
        verdicts[kind][verdict] += 1
    return {
        "open_s": round(opened, 3),
        "median_ms": round(float(np.median(times)) * 1000, 1),
        "p95_ms": round(float(np.percentile(times, 95)) * 1000, 1),
        "p99_ms": round(float(np.percentile(times, 99)) * 1000, 1),
        "verdicts": verdicts,
        "memory": memory_of_self(),
        "times_ms": [round(t * 1000, 2) for t in times],
    }


if __name__ == "__main__":
    main()
