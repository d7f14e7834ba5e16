#!/usr/bin/env python3
"""Benchmark: near-copy recall and false positives of the overlap engine against an exhaustive oracle.

Run by hand from the repository root::

    .venv/bin/python bench/near_copies.py [--cases 200] [--negatives 3000] [--seed 1]
                                          [--en-docs 48] [--zh-docs 36] [--code-docs 48] [--workdir DIR]
    .venv/bin/python bench/near_copies.py --large [--tokens 100000000] [--queries 300] [--workdir DIR]

Small-corpus truth run (the default). Real documents: tinyshakespeare cut into parts of ~10,000 characters,
the chapters of the Four Books, modules of the standard library; every 4th document of each kind is held out
(not indexed). ``licenselens index build`` (2 workers) indexes the rest. Outputs, all seeded (the JSON result
logs every choice, tests/overlap/edit_model.py):

- edited copies: a passage of 50-300 tokens of an indexed document, edited by one condition of
  tests/overlap/near_truth.py CONDITIONS (substitutions at 1/4..1/12, random or periodic; insertions and
  deletions at 1/6..1/12; sentence swaps; identifier renames and changed literals in code), embedded between
  text of held-out documents of the same kind, up to 2,000 tokens;
- negatives: a held-out passage between held-out text, the three kinds in turn.

The oracle (tests/overlap/oracle.py) finds, exhaustively, which indexed documents each output holds a block of
(token similarity >= 0.8 over >= 150 output characters). Per condition and per target group: candidate recall
(an oracle-positive document among ``near_candidates``), block recall (a qualifying near-copy block on an
oracle-positive document overlapping the oracle's range), verdict recall (verbatim or near-verbatim), and false
positives (qualifying blocks on documents where the oracle finds none; copying verdicts where it finds nothing),
each with its Wilson 95 % interval. Targets beside them: recall >= 95 % for English and Chinese at substitution
rate <= 1/5 or indel rate <= 1/8, >= 90 % for renamed code, no false positive. Every miss is listed with its
seed and edit record.

``--large``: bench/overlap_bench.py's corpus (real text of this machine, ``--tokens``), indexed with 2 workers:
build tokens/s, index bytes per token, and guard latency (``OverlapIndex.check``, index opened once) on
1,000-token outputs: edited copies (substitutions 1/8, insertions and deletions 1/8) and originals; median, p95.

Results: stdout and bench/results/near_copies-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests.overlap: the edit model, the oracle, the scoring
sys.path.insert(0, str(HERE))  # overlap_bench: the large corpus

from licenselens.tokens import count_tokens  # noqa: E402
from tests.overlap.edit_model import Doc, is_cjk, make_case, vocabulary  # noqa: E402
from tests.overlap.near_truth import (  # noqa: E402
    CONDITIONS,
    Judge,
    build_index,
    corpus,
    environment,
    make_cases,
    make_negatives,
    misses,
    summarise,
    table,
    write_manifest,
)


def truth_run(args, results: dict, workdir: Path) -> None:
    docs = corpus(args.en_docs, args.zh_docs, args.code_docs)
    results["corpus"] = {
        language: {
            "indexed": len(docs.indexed[language]),
            "held_out": len(docs.held_out[language]),
            "indexed_tokens": sum(count_tokens(d.text) for d in docs.indexed[language]),
            "held_out_ids": [d.doc_id for d in docs.held_out[language]],
        }
        for language in docs.indexed
    }
    print(
        f"corpus: { {k: {x: v[x] for x in ('indexed', 'held_out', 'indexed_tokens')} for k, v in results['corpus'].items()} }"
    )
    manifest = write_manifest(workdir / "corpus", docs)
    started = time.perf_counter()
    build_index(manifest, workdir / "index", args.jobs)
    seconds = time.perf_counter() - started
    counts = json.loads((workdir / "index" / "manifest.json").read_text())["counts"]
    results["build"] = {
        "seconds": round(seconds, 1),
        "tokens": counts["tokens"],
        "bytes_per_token": counts["bytes_per_token"],
    }
    print(f"index: {results['build']}", flush=True)

    judge = Judge(docs, workdir / "index")
    started = time.perf_counter()
    cases = make_cases(docs, CONDITIONS, args.cases, args.seed)
    negatives = make_negatives(docs, args.negatives, args.seed)
    print(
        f"outputs: {len(cases)} edited, {len(negatives)} negatives in {time.perf_counter() - started:.0f}s", flush=True
    )
    judged = []
    started = time.perf_counter()
    for k, case in enumerate(cases + negatives):
        judged.append(judge.judge(case, f"{'case' if k < len(cases) else 'negative'}-{k}"))
        if (k + 1) % 250 == 0:
            print(f"  judged {k + 1}/{len(cases) + len(negatives)} in {time.perf_counter() - started:.0f}s", flush=True)
    results["judge_seconds"] = round(time.perf_counter() - started, 1)
    summary = summarise(judged)
    results["summary"] = summary
    results["misses"] = misses(judged)
    results["outputs"] = [_slim(item) for item in judged]
    print(table(summary))
    print(f"\nmisses ({len(results['misses'])}):")
    for miss in results["misses"]:
        record = miss["record"]
        blocks = {k: (v["extent"], v["similarity"]) for k, v in miss["oracle"]["blocks"].items()}
        engine = [(b["doc"], b["chars"], b["similarity"], b["qualifies"]) for b in miss["engine"]["blocks"]]
        print(
            f"  {miss['id']} seed={record['seed']} {miss['condition']} {miss['problems']}: "
            f"source {record.get('source')} passage {record.get('output_passage_chars')} "
            f"({record.get('passage_tokens')} tokens, a block alone: {miss['oracle'].get('passage_alone_positive')}); "
            f"oracle {blocks}; engine {miss['engine']['verdict']} {engine}"
        )


def _slim(item: dict) -> dict:
    """Every judged output in the JSON, its record whole (the seed and every edit) and its blocks."""
    return {k: item[k] for k in ("id", "condition", "candidate_hit", "block_hit", "verdict_hit", "false_verdict")} | {
        "false_blocks": item["false_blocks"],
        "oracle": item["oracle"],
        "engine": item["engine"],
        "record": item["record"],
    }


def large_run(args, results: dict, workdir: Path) -> None:
    import overlap_bench

    from licenselens.overlap import OverlapIndex

    corpus_path, stats = workdir / "corpus.jsonl", workdir / "corpus.json"
    saved = json.loads(stats.read_text()) if stats.exists() and corpus_path.exists() else {}
    started = time.perf_counter()
    if saved.get("target_tokens") == args.tokens:
        results["corpus"] = saved["corpus"]
    else:
        results["corpus"] = overlap_bench.build_corpus(corpus_path, args.tokens)
        stats.write_text(json.dumps({"target_tokens": args.tokens, "corpus": results["corpus"]}))
    print(f"corpus: {results['corpus']} in {time.perf_counter() - started:.0f}s", flush=True)
    shutil.rmtree(workdir / "index", ignore_errors=True)
    seconds = overlap_bench.run(
        [
            str(Path(sys.executable).parent / "licenselens"),
            "index",
            "build",
            str(corpus_path),
            "-o",
            str(workdir / "index"),
            "-j",
            str(args.jobs),
        ]
    )
    counts = json.loads((workdir / "index" / "manifest.json").read_text())["counts"]
    results["build"] = {
        "seconds": round(seconds, 1),
        "tokens": counts["tokens"],
        "tokens_per_s": round(counts["tokens"] / seconds),
        "index_bytes": counts["bytes"],
        "bytes_per_token": counts["bytes_per_token"],
    }
    print(f"build: {results['build']}", flush=True)

    rng = random.Random(args.seed)
    texts = overlap_bench.read_docs(corpus_path, 5_000_000)  # outputs are drawn from the first 5 M tokens
    docs = [
        Doc("corpus", f"doc-{k:08d}", "zh" if sum(map(is_cjk, t[:200])) > 50 else "en", t)
        for k, t in enumerate(texts)
        if count_tokens(t) > 1_200
    ]
    vocab = {lang: vocabulary([d for d in docs if d.language == lang][:40], lang) for lang in ("en", "zh")}
    outputs: list[tuple[str, str, dict]] = []
    for k in range(args.queries):
        kind = ("substitute", "indel", "original")[k % 3]
        if kind == "original":
            continue
        doc = rng.choice(docs)
        params = {"rate": 1 / 8, "mode": "random"}
        case = make_case(args.seed * 1_000_003 + k, kind, params, [doc], [doc], vocab[doc.language], (1000, 1000), 1000)
        outputs.append((kind, case.output, case.record))
    originals = [text for kind, text in overlap_bench.make_outputs(texts, args.queries, rng) if kind == "original"]
    outputs += [("original", text, {}) for text in originals[: args.queries // 3]]
    index = OverlapIndex(str(workdir / "index"))
    index.check("warm up")
    times: dict[str, list[float]] = {}
    verdicts: dict[str, dict[str, int]] = {}
    for kind, text, _ in outputs:
        started = time.perf_counter()
        result = index.check(text)
        times.setdefault(kind, []).append(time.perf_counter() - started)
        verdicts.setdefault(kind, {}).setdefault(result.verdict, 0)
        verdicts[kind][result.verdict] += 1
    every = [t for ts in times.values() for t in ts]
    results["guard"] = {
        "outputs": len(every),
        "median_ms": round(float(np.median(every)) * 1000, 1),
        "p95_ms": round(float(np.percentile(every, 95)) * 1000, 1),
        "by_kind": {
            kind: {
                "outputs": len(ts),
                "median_ms": round(float(np.median(ts)) * 1000, 1),
                "p95_ms": round(float(np.percentile(ts, 95)) * 1000, 1),
                "verdicts": verdicts[kind],
            }
            for kind, ts in times.items()
        },
        "edited_records": [record for _, _, record in outputs if record],
    }
    print(
        f"guard latency (1,000-token outputs): { {k: v for k, v in results['guard'].items() if k != 'edited_records'} }"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=200, help="edited outputs (the conditions in turn)")
    parser.add_argument("--negatives", type=int, default=3000, help="outputs of held-out text only")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--en-docs", type=int, default=48, help="Shakespeare parts (a quarter held out)")
    parser.add_argument("--zh-docs", type=int, default=36, help="chapters of the Four Books (a quarter held out)")
    parser.add_argument("--code-docs", type=int, default=48, help="standard-library modules (a quarter held out)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--large", action="store_true", help="the 100 M-token build and guard latency instead")
    parser.add_argument("--tokens", type=int, default=100_000_000, help="--large: corpus tokens")
    parser.add_argument("--queries", type=int, default=300, help="--large: outputs timed (a third of each kind)")
    parser.add_argument("--workdir", type=Path, help="keep the corpus and index here (--large reuses its corpus)")
    args = parser.parse_args()
    results: dict = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "mode": "large" if args.large else "truth",
        "args": vars(args) | {"workdir": str(args.workdir)},
    }
    results["environment"] = environment()
    with tempfile.TemporaryDirectory(prefix="licenselens-near-bench-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        if args.large:
            large_run(args, results, workdir)
        else:
            shutil.rmtree(workdir / "index", ignore_errors=True)
            results["conditions"] = [list(c) for c in CONDITIONS]
            truth_run(args, results, workdir)
    (HERE / "results").mkdir(exist_ok=True)
    out = HERE / "results" / f"near_copies-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written {out}")


if __name__ == "__main__":
    main()
