"""Pre-commit latency: `licenselens check` on 10 changed ordinary source files, beside ScanCode.

Run: .venv/bin/python bench/check_latency.py [--repeat 5]

Prints, for the same 10 real files (from the Python standard library, chosen
to hold nothing licence-like, as most changed files in a commit do):
- licenselens, first run on a machine (no derived facts yet: loads ScanCode's index once);
- licenselens, cold result cache (facts present, results not cached);
- licenselens, warm (the files were seen before);
- licenselens with ``--warm-server`` (what the pre-commit hooks run), cold result cache, the server
  started by an earlier commit: the pre-commit target (<= 1.5 s);
- `scancode -l -c` on the same files, the peer a hook would otherwise call.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def ordinary_files(count: int, licence_free: bool) -> list[Path]:
    """Stdlib modules without licence headers; with ``licence_free`` also without any token ScanCode could match."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from licenselens.detectors.licensedcode import match_trigger

    stdlib = Path(sysconfig.get_paths()["stdlib"])
    picked = []
    for path in sorted(stdlib.glob("**/*.py")):
        if "site-packages" in path.parts or ("test" in path.parts and not licence_free):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if not 300 < len(text) < 40000 or "copyright" in text.lower() or "license" in text.lower():
            continue
        if licence_free and match_trigger().can_match(text):
            continue
        if path.name not in {p.name for p in picked}:
            picked.append(path)
        if len(picked) == count:
            return picked
    raise SystemExit("not enough ordinary stdlib files")


def timed(cmd: list[str], cwd: Path, env: dict) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return elapsed


def wait_for_socket(folder: Path, seconds: float = 120) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if list(folder.glob("*.sock")):
            return
        time.sleep(0.2)
    raise SystemExit(f"the warm server did not start: {[p.read_text() for p in folder.glob('*.log')]}")


def stop_servers(folder: Path) -> None:
    for lock in folder.glob("*.lock"):
        pid = lock.read_text().strip()
        if pid.isdigit():
            try:
                os.kill(int(pid), signal.SIGTERM)
            except ProcessLookupError:
                pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--files", type=int, default=10)
    args = parser.parse_args()

    # as on a user's machine: this sandbox sets it, so every run would compile licenselens's modules anew
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    for licence_free in (False, True):
        run_set(args, licence_free)


def run_set(args, licence_free: bool) -> None:
    work = Path(tempfile.mkdtemp(prefix="licenselens-check-bench-"))
    try:
        project = work / "project"
        project.mkdir()
        names = []
        for src in ordinary_files(args.files, licence_free):
            shutil.copy(src, project / src.name)
            names.append(src.name)
        check = [str(BIN / "licenselens"), "check", "--policy", "permissive-only", *names]
        results: dict[str, list[float]] = {"first_run": [], "cold": [], "warm": [], "server": [], "scancode": []}

        for i in range(args.repeat):
            env = {**os.environ, "LICENSELENS_CACHE_DIR": str(work / f"fresh-{i}")}
            results["first_run"].append(timed(check, project, env))
            # same facts, empty result cache
            (work / f"fresh-{i}" / "findings.sqlite3").unlink()
            for suffix in ("-wal", "-shm"):
                (work / f"fresh-{i}" / f"findings.sqlite3{suffix}").unlink(missing_ok=True)
            results["cold"].append(timed(check, project, env))
            results["warm"].append(timed(check, project, env))
        runtime = Path(tempfile.mkdtemp(prefix="ll-bench-"))  # the warm server's socket folder
        served_env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "LICENSELENS_WARM_IDLE": "120"}
        try:
            cache = work / "served-cache"
            subprocess.run(
                [*check[:2], "--warm-server", *check[2:]],
                cwd=project,
                env={**served_env, "LICENSELENS_CACHE_DIR": str(cache)},
                capture_output=True,
            )
            wait_for_socket(runtime / "licenselens")
            for _ in range(args.repeat):
                shutil.rmtree(cache, ignore_errors=True)  # every run with a cold result cache
                env = {**served_env, "LICENSELENS_CACHE_DIR": str(cache)}
                results["server"].append(timed([*check[:2], "--warm-server", *check[2:]], project, env))
        finally:
            stop_servers(runtime / "licenselens")
            shutil.rmtree(runtime, ignore_errors=True)
        for _ in range(min(args.repeat, 3)):
            out = work / "sc.json"
            results["scancode"].append(
                timed(
                    [str(BIN / "scancode"), "-l", "-c", "-n", "1", "--json", str(out), "project", "--quiet"],
                    work,
                    dict(os.environ),
                )
            )  # holds just the 10 files

        kind = "with no token ScanCode could match" if licence_free else "without licence headers"
        print(
            f"\n{args.files} ordinary stdlib files {kind}; median of {args.repeat} runs (scancode: {min(args.repeat, 3)})"
        )
        print(f"{'run':<34}{'median s':>10}{'min s':>9}{'vs scancode':>13}")
        sc = statistics.median(results["scancode"])
        labels = {
            "first_run": "licenselens, first run on machine",
            "cold": "licenselens, cold result cache",
            "warm": "licenselens, warm",
            "server": "licenselens, cold cache, server up",
            "scancode": "scancode -l -c",
        }
        summary = {}
        for key, label in labels.items():
            med = statistics.median(results[key])
            summary[key] = {"median_s": round(med, 3), "min_s": round(min(results[key]), 3)}
            print(f"{label:<34}{med:>10.3f}{min(results[key]):>9.3f}{sc / med:>12.1f}x")
        print("files:", ", ".join(names))
        print("command:", " ".join([sys.executable, *sys.argv]))
        out_dir = Path(__file__).resolve().parent / "results"
        out_dir.mkdir(exist_ok=True)
        (
            out_dir
            / f"check_latency-{'licence-free' if licence_free else 'ordinary'}-{time.strftime('%Y%m%d-%H%M%S')}.json"
        ).write_text(json.dumps({"summary": summary, "raw": results, "files": names}, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
