#!/usr/bin/env python3
"""Benchmark: memory of the duplicate decisions (corpus/repeats.py) as the kept documents grow, held all in
memory against held in memory up to ``--dedup-memory`` and in an SQLite file beyond; the decisions of both
compared one by one.

Run by hand from the repository root::

    .venv/bin/python bench/dedup_memory.py [--documents 500000] [--memory 50000]

Documents: MinHash signatures of real text are costly at this count, so each document's signature is drawn
at random (uint32, seed 0): a distinct document. One in five is a near copy of the document before it
(115 of its 128 values kept: about 0.9 similar) and one in twenty an exact copy (its digest repeated). Each document is offered in order as `corpus` and `clean` do: digest lookup, LSH lookup, kept
when new. Reported: seconds, microseconds a document, the process's peak RSS growth (ru_maxrss, each
setting in a fresh process) and whether the two settings decided alike.

Results go to stdout and bench/results/dedup_memory-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run(documents: int, memory: int, folder: str) -> dict:
    import numpy as np

    from licenselens.corpus.neardup import band_keys, dedup_settings
    from licenselens.corpus.repeats import NearDuplicates, SeenTexts

    settings = dedup_settings()
    rng = np.random.default_rng(0)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    seen, near = SeenTexts(folder, memory), NearDuplicates(settings, folder, memory)
    decisions = hashlib.sha256()
    started = time.perf_counter()
    kept = 0
    for start in range(0, documents, 10_000):
        count = min(10_000, documents - start)
        signatures = rng.integers(0, 2**32 - 1, size=(count, settings.num_perm), dtype=np.uint32)
        digests = [f"{start + i:064x}" for i in range(count)]
        roll = rng.random(count)
        for i in range(count):
            if start + i > 1000 and roll[i] < 0.2:  # a near copy of an earlier document of this block, or before
                source = signatures[i - 1] if i else signatures[i]
                copy = source.copy()
                changed = rng.choice(settings.num_perm, 13, replace=False)
                copy[changed] = rng.integers(0, 2**32 - 1, size=13, dtype=np.uint32)
                signatures[i] = copy
            elif start + i > 1000 and roll[i] > 0.95:
                digests[i] = digests[i - 1] if i else digests[i]
        keys = band_keys(signatures, settings)
        for i in range(count):
            position = start + i
            name = f"web:{position}"
            exact = seen.first(digests[i])
            seen.add(digests[i], name)
            match = near.match(signatures[i], keys[i]) if exact is None else None
            if exact is None and match is None:
                near.keep(position, name, signatures[i], keys[i])
                kept += 1
            decisions.update(f"{exact}|{match.name if match else None}\n".encode())
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    seen.close()
    near.close()
    return {
        "documents": documents,
        "memory": memory,
        "kept": kept,
        "seconds": round(seconds, 1),
        "us_per_document": round(seconds / documents * 1e6, 1),
        "peak_rss_growth_MB": round((peak - before) / 1024, 1),
        "decisions": decisions.hexdigest()[:16],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--documents", type=int, default=500_000)
    parser.add_argument("--memory", type=int, default=50_000)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a setting, in this process
    args = parser.parse_args()
    if args.one is not None:
        with tempfile.TemporaryDirectory(prefix="licenselens-dedup-") as folder:
            print(json.dumps(run(args.documents, args.one, folder)))
        return
    results = {"command": " ".join([Path(sys.executable).name, *sys.argv]), "runs": []}
    for memory in (args.documents, args.memory):  # all in memory, then bounded
        proc = subprocess.run(
            [sys.executable, __file__, "--documents", str(args.documents), "--one", str(memory)],
            capture_output=True,
            text=True,
            check=True,
        )
        found = json.loads(proc.stdout)
        results["runs"].append(found)
        print(found, flush=True)
    results["same_decisions"] = results["runs"][0]["decisions"] == results["runs"][1]["decisions"]
    print(f"same decisions: {results['same_decisions']}")
    target = HERE / "results" / f"dedup_memory-{time.strftime('%Y%m%d-%H%M%S')}.json"
    target.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
