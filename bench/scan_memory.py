#!/usr/bin/env python3
"""Benchmark: the memory of `licenselens scan` with 1 and 2 workers (issue 16's target: 2 workers use at
most 1.5x the memory of 1), beside `scancode -l -c` with 1 and 2 processes.

Run by hand from the repository root::

    .venv/bin/python bench/scan_memory.py [TREE] [--skip-scancode]

TREE defaults to this venv's `rich` package. Each command runs with a fresh cache; every 0.1 s the
proportional set size (PSS: shared pages split between the processes that map them) of the command's whole
process tree is summed from /proc/PID/smaps_rollup, and the peak is reported with the wall time.

Results go to stdout and bench/results/scan_memory-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(HERE.parent))  # tests.scan.process_memory: the same measure as the memory test

from tests.scan.process_memory import tree_pss  # noqa: E402


def measure(command: list[str], env: dict) -> dict:
    started = time.perf_counter()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    peak, processes = 0, 0
    while proc.poll() is None:
        total, count = tree_pss(proc.pid)
        if total > peak:
            peak, processes = total, count
        time.sleep(0.1)
    seconds = time.perf_counter() - started
    if proc.returncode not in (0, 1):  # 1: findings (scancode and licenselens both may say so)
        sys.exit(f"failed ({proc.returncode}): {' '.join(command)}\n{proc.stderr.read().decode()[-2000:]}")
    return {"seconds": round(seconds, 1), "peak_pss_MB": round(peak / 2**20), "processes_at_peak": processes}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("tree", nargs="?", default=str(Path(sysconfig.get_paths()["purelib"]) / "rich"))
    parser.add_argument("--skip-scancode", action="store_true")
    args = parser.parse_args()
    results: dict = {"command": " ".join([Path(sys.executable).name, *sys.argv]), "tree": args.tree}
    with tempfile.TemporaryDirectory(prefix="licenselens-scan-memory-") as tmp:
        for jobs in (1, 2):
            env = {**os.environ, "LICENSELENS_CACHE_DIR": os.path.join(tmp, f"cache-{jobs}")}
            command = [str(BIN / "licenselens"), "scan", args.tree, "-j", str(jobs), "-o", os.path.join(tmp, "o.json")]
            results[f"licenselens-{jobs}"] = measure(command, env)
            print(f"licenselens scan -j {jobs}: {results[f'licenselens-{jobs}']}", flush=True)
            if not args.skip_scancode:
                out = os.path.join(tmp, f"sc-{jobs}.json")
                command = [str(BIN / "scancode"), "-l", "-c", "-n", str(jobs), "--json", out, args.tree]
                results[f"scancode-{jobs}"] = measure(command, dict(os.environ))
                print(f"scancode -n {jobs}: {results[f'scancode-{jobs}']}", flush=True)
    ratio = results["licenselens-2"]["peak_pss_MB"] / results["licenselens-1"]["peak_pss_MB"]
    results["licenselens_ratio_2_to_1"] = round(ratio, 2)
    print(f"licenselens: 2 workers use {ratio:.2f}x the memory of 1 (target <= 1.5)")
    target = HERE / "results" / f"scan_memory-{time.strftime('%Y%m%d-%H%M%S')}.json"
    target.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
