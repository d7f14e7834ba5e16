#!/usr/bin/env python3
"""Benchmark: licenselens against plain ScanCode (``scancode -l -c``) on the same tree.

Not a test; run it by hand from the repository root::

    .venv/bin/python bench/scan_vs_scancode.py [--jobs 2] [--max-files 3000] [--tree DIR]

Both tools get the same tree and the same number of processes, and are timed
wall clock (time.perf_counter) around the whole command, index loading
included.  licenselens runs twice with one brand-new cache folder: cold (empty
cache) then warm (same cache).  Files/s = files in the tree / seconds.

Licence agreement is judged file by file with ScanCode as the reference.  The
key of a file is the sorted list of its matches, each as expression, start and end line, ScanCode
rule identifier and matcher (clues marked as clues):

* ScanCode: the matches of all ``license_detections`` plus ``license_clues``;
* licenselens: the matches of the detections whose detector is
  ``licensedcode`` plus ``clues``.

Without --tree a deterministic tree is built in a temporary folder by copying
real files from this interpreter's site-packages (whole top-level packages and
dist-info folders in sorted order, skipping ``__pycache__``, ``*.pyc``,
symbolic links and ScanCode's ``licensedcode/data`` rule folder).

Everything is also written as JSON to bench/results/scan_vs_scancode-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS_DIR = HERE / "results"
BIN_DIR = Path(sys.executable).parent
EXAMPLES = 15
STDERR_TAIL_LINES = 40


class CommandFailed(Exception):
    pass


# --------------------------------------------------------------------------- tree


def _regular_file(path: str) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)  # lstat: a symlink is never "regular"
    except OSError:
        return False


def _unit_files(purelib: Path, top: str) -> list[str]:
    """Relative paths (sorted walk) of the files of one top-level site-packages entry."""
    location = purelib / top
    if os.path.islink(location):
        return []
    if not location.is_dir():
        if top.endswith(".pyc") or not _regular_file(str(location)):
            return []
        return [top]
    found: list[str] = []
    for dirpath, dirnames, filenames in os.walk(location, followlinks=False):
        rel_dir = os.path.relpath(dirpath, purelib).replace(os.sep, "/")
        kept = []
        for d in sorted(dirnames):
            rel = f"{rel_dir}/{d}"
            if d == "__pycache__" or rel == "licensedcode/data" or os.path.islink(os.path.join(dirpath, d)):
                continue
            kept.append(d)
        dirnames[:] = kept
        for name in sorted(filenames):
            if name.endswith(".pyc") or not _regular_file(os.path.join(dirpath, name)):
                continue
            found.append(f"{rel_dir}/{name}")
    return found


def build_tree(dest: Path, max_files: int) -> dict:
    """Copy whole top-level units of site-packages, in sorted order, up to ``max_files`` files.

    A unit that would take the tree past ``max_files`` is left out and the next
    ones are tried, so the tree never holds more than ``max_files`` files and
    every unit in it is complete.
    """
    purelib = Path(sysconfig.get_paths()["purelib"])
    chosen: list[str] = []
    units: list[str] = []
    for top in sorted(os.listdir(purelib)):
        if top == "__pycache__" or len(chosen) >= max_files:
            continue
        files = _unit_files(purelib, top)
        if not files or len(chosen) + len(files) > max_files:
            continue
        units.append(top)
        chosen.extend(files)
    for rel in chosen:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(purelib / rel, target)
    return {"source": str(purelib), "units": units}


def tree_stats(root: Path) -> tuple[int, int]:
    files = size = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = [d for d in dirnames if d != ".git"]
        for name in filenames:
            p = os.path.join(dirpath, name)
            if _regular_file(p):
                files += 1
                size += os.lstat(p).st_size
    return files, size


# --------------------------------------------------------------------------- running


def tool(name: str) -> str:
    candidate = BIN_DIR / name
    if candidate.exists():
        return str(candidate)
    found = shutil.which(name)
    if not found:
        raise CommandFailed(f"cannot find the '{name}' command next to {sys.executable} or on PATH")
    return found


def timed(label: str, cmd: list[str]) -> dict:
    print(f"[{label}] $ {shlex.join(cmd)}", flush=True)
    env = os.environ.copy()
    # as on a user's machine: this sandbox sets it, so every run would compile the tools' modules anew
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, errors="replace")
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        tail = "\n".join((proc.stderr or proc.stdout or "(no output)").splitlines()[-STDERR_TAIL_LINES:])
        raise CommandFailed(
            f"{label} failed: exit code {proc.returncode} after {seconds:.1f}s\n"
            f"command: {shlex.join(cmd)}\n--- stderr tail ---\n{tail}"
        )
    print(f"[{label}] {seconds:.2f}s", flush=True)
    # licenselens ends with a one-line summary on stderr, which rich may wrap: unwrap it
    summary = re.search(r"\d+ files: .*?; [\d.]+s\b", " ".join(proc.stderr.split()))
    return {
        "command": cmd,
        "seconds": seconds,
        "tool_summary": summary.group(0) if summary else None,
        "stderr_tail": proc.stderr.strip().splitlines()[-STDERR_TAIL_LINES:],
    }


def version_of(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        return " ".join(out.stdout.split()) or out.stderr.strip()
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"unknown ({exc})"


# --------------------------------------------------------------------------- agreement


def match_key(m: dict) -> str:
    """One match as both tools write it: expression, lines, ScanCode rule and matcher."""
    return f"{m['license_expression']} @{m['start_line']}-{m['end_line']} {m['rule_identifier']} {m['matcher']}"


def scancode_keys(data: dict) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {}
    for f in data.get("files", []):
        if f.get("type") != "file":
            continue
        path = f["path"].split("/", 1)[1] if "/" in f["path"] else f["path"]
        exprs = [match_key(m) for d in f.get("license_detections") or [] for m in d.get("matches") or []]
        exprs += ["clue " + match_key(m) for m in f.get("license_clues") or []]
        keys[path] = sorted(exprs)
    return keys


def licenselens_files(data: dict) -> dict[str, tuple[str, list[str]]]:
    out: dict[str, tuple[str, list[str]]] = {}
    for f in data.get("files", []):
        exprs = [
            match_key(m)
            for d in f.get("detections") or []
            if d.get("detector") == "licensedcode"
            for m in d.get("matches") or []
        ]
        exprs += ["clue " + match_key(m) for m in f.get("clues") or []]
        kind = f.get("file_type", "?")
        out[f["path"]] = (f"{kind} (skipped)" if f.get("skipped") and kind == "binary" else kind, sorted(exprs))
    return out


def agreement(sc: dict[str, list[str]], ll: dict[str, tuple[str, list[str]]]) -> dict:
    scanned_total = scanned_agree = overall_agree = 0
    binary_with_licences: list[str] = []
    missing = [p for p in sc if p not in ll]
    extra = sorted(p for p in ll if p not in sc)
    disagreements: list[dict] = []
    type_counts: dict[str, int] = {}
    for path in sorted(sc):
        sc_key = sc[path]
        file_type, ll_key = ll.get(path, ("missing", []))
        type_counts[file_type] = type_counts.get(file_type, 0) + 1
        same = sc_key == ll_key  # binary/missing files have an empty licenselens key
        if file_type in ("text", "empty", "binary"):  # a binary file is read as ScanCode reads it
            scanned_total += 1
            scanned_agree += same
        if file_type == "binary (skipped)" and sc_key:
            binary_with_licences.append(path)
        overall_agree += same
        if not same:
            disagreements.append({"path": path, "file_type": file_type, "scancode": sc_key, "licenselens": ll_key})
    return {
        "read_by_licenselens": {"agree": scanned_agree, "files": scanned_total},
        "overall": {"agree": overall_agree, "files": len(sc)},
        "binary_skipped_with_scancode_licences": len(binary_with_licences),
        "binary_skipped_with_scancode_licences_paths": binary_with_licences,
        "licenselens_file_types": type_counts,
        "missing_in_licenselens": missing,
        "only_in_licenselens": extra,
        "disagreements": disagreements,
    }


# --------------------------------------------------------------------------- report


def pct(agree: int, files: int) -> str:
    return f"{agree}/{files} ({100.0 * agree / files:.1f}%)" if files else f"{agree}/{files} (n/a)"


def print_report(report: dict) -> None:
    runs = report["runs"]
    files = report["tree"]["files"]
    sc_fps = runs["scancode"]["files_per_second"]
    print()
    print(f"{'tool':<18}{'seconds':>10}{'files/s':>10}{'vs scancode':>13}")
    for name in ("scancode", "licenselens_cold", "licenselens_warm"):
        r = runs[name]
        ratio = "1.00x" if name == "scancode" else f"{r['files_per_second'] / sc_fps:.2f}x"
        print(f"{name:<18}{r['seconds']:>10.2f}{r['files_per_second']:>10.2f}{ratio:>13}")
    print(f"(files/s = {files} tree files / wall-clock seconds; jobs = {report['jobs']})")
    for name in ("licenselens_cold", "licenselens_warm"):
        if runs[name]["tool_summary"]:
            print(f"{name}: {runs[name]['tool_summary']}")

    a = report["agreement"]
    print()
    print("licence agreement (ScanCode = reference)")
    print(f"  (a) files licenselens read (text, empty, binary with text): {pct(**a['read_by_licenselens'])}")
    print(f"  (b) all files ScanCode listed:               {pct(**a['overall'])}")
    print(f"  (c) binary files skipped that hold ScanCode licences: {a['binary_skipped_with_scancode_licences']}")
    print(f"  licenselens file types: {json.dumps(a['licenselens_file_types'], sort_keys=True)}")
    if a["missing_in_licenselens"] or a["only_in_licenselens"]:
        print(
            f"  listed by ScanCode only: {len(a['missing_in_licenselens'])}; "
            f"by licenselens only: {len(a['only_in_licenselens'])}"
        )
    if a["disagreements"]:
        shown = a["disagreements"][:EXAMPLES]
        print(f"  (d) disagreements: {len(a['disagreements'])}; first {len(shown)}:")
        for d in shown:
            print(f"    {d['path']} [{d['file_type']}]")
            print(f"      scancode:    {d['scancode']}")
            print(f"      licenselens: {d['licenselens']}")
    else:
        print("  (d) no disagreements")


# --------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=2, help="processes for both tools (default: 2)")
    parser.add_argument(
        "--max-files", type=int, default=3000, help="files in the generated site-packages tree (default: 3000)"
    )
    parser.add_argument("--tree", type=Path, help="scan this directory as-is instead of building a tree")
    parser.add_argument("--keep-temp", action="store_true", help="keep the temporary folder (tree, raw outputs)")
    args = parser.parse_args(argv)
    if args.jobs < 1 or args.max_files < 1:
        parser.error("--jobs and --max-files must be at least 1")
    command_line = shlex.join([sys.executable, *sys.argv])

    work = Path(tempfile.mkdtemp(prefix="licenselens-bench-"))
    try:
        return run(args, work, command_line)
    except CommandFailed as exc:
        print(f"\nERROR: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.keep_temp:
            print(f"temporary folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def run(args: argparse.Namespace, work: Path, command_line: str) -> int:
    scancode, licenselens = tool("scancode"), tool("licenselens")
    if args.tree:
        tree = args.tree.resolve()
        if not tree.is_dir():
            raise CommandFailed(f"--tree {args.tree}: not a directory")
        origin = {"source": str(tree), "units": None}
    else:
        tree = work / "tree"
        tree.mkdir()
        print(f"building the tree from {sysconfig.get_paths()['purelib']} ...", flush=True)
        origin = build_tree(tree, args.max_files)
    files, size = tree_stats(tree)
    if not files:
        raise CommandFailed(f"no files in {tree}")
    print(
        f"tree: {tree}: {files} files, {size} bytes ({size / 1e6:.1f} MB)"
        + (f", {len(origin['units'])} site-packages units" if origin["units"] is not None else ""),
        flush=True,
    )

    jobs = str(args.jobs)
    sc_out, cold_out, warm_out = work / "scancode.json", work / "licenselens-cold.json", work / "licenselens-warm.json"
    cache = Path(tempfile.mkdtemp(prefix="cache-", dir=work))  # brand-new, empty: cold cache

    runs = {
        "scancode": timed("scancode", [scancode, "-l", "-c", "-n", jobs, "--json", str(sc_out), str(tree), "--quiet"]),
        "licenselens_cold": timed(
            "licenselens cold",
            [
                licenselens,
                "scan",
                str(tree),
                "--jobs",
                jobs,
                "--format",
                "json",
                "-o",
                str(cold_out),
                "--cache-dir",
                str(cache),
            ],
        ),
        "licenselens_warm": timed(
            "licenselens warm",
            [
                licenselens,
                "scan",
                str(tree),
                "--jobs",
                jobs,
                "--format",
                "json",
                "-o",
                str(warm_out),
                "--cache-dir",
                str(cache),
            ],
        ),
    }
    for r in runs.values():
        r["files_per_second"] = files / r["seconds"]
    sc_fps = runs["scancode"]["files_per_second"]

    try:
        sc_data = json.loads(sc_out.read_text(encoding="utf-8"))
        cold_data = json.loads(cold_out.read_text(encoding="utf-8"))
        warm_data = json.loads(warm_out.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommandFailed(f"cannot read a tool's JSON output: {exc}") from exc
    sc_keys = scancode_keys(sc_data)
    cold_files = licenselens_files(cold_data)
    warm_files = licenselens_files(warm_data)
    runs["scancode"]["files_listed"] = len(sc_keys)
    runs["licenselens_cold"]["files_listed"] = len(cold_files)
    runs["licenselens_warm"]["files_listed"] = len(warm_files)

    report = {
        "command_line": command_line,
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "jobs": args.jobs,
        "max_files": None if args.tree else args.max_files,
        "machine": {"platform": platform.platform(), "python": sys.version.split()[0], "cpu_count": os.cpu_count()},
        "versions": {
            "scancode": version_of([scancode, "--version"]),
            "licenselens": version_of([licenselens, "--version"]),
        },
        "tree": {"path": str(tree), "generated": not args.tree, "files": files, "bytes": size, **origin},
        "runs": runs,
        "ratios_files_per_second": {
            "licenselens_cold/scancode": runs["licenselens_cold"]["files_per_second"] / sc_fps,
            "licenselens_warm/scancode": runs["licenselens_warm"]["files_per_second"] / sc_fps,
        },
        "agreement": agreement(sc_keys, cold_files),
        "warm_equals_cold": warm_files == cold_files,
    }
    print_report(report)
    if not report["warm_equals_cold"]:
        print("  WARNING: the warm run's licence keys differ from the cold run's")

    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    out = RESULTS_DIR / f"scan_vs_scancode-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print()
    print(f"results: {out}")
    print(f"command: {command_line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
