"""The scan runner: sources -> detectors (in worker processes, through the cache) -> results."""

from __future__ import annotations

import hashlib
import os
import stat
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version

import pathspec

from .analyse import analyse_file
from .cache import CacheUnavailable, CacheWarning, FindingsCache
from .cachedir import cache_dir, index_version
from .detectors import DETECTORS
from .detectors.references import follow_references
from .detectors.reuse import apply_reuse
from .expressions import combine_spdx
from .sources.base import Entry
from .sources.tree import TreeSource
from .policy.evaluate import evaluate_files
from .summary import summarise
from .types import FileError, FileResult, Findings, Policy, PolicyReport, RunStats, ScanResult, SourceFile
from .workers import run_tasks

Progress = Callable[[int, int], None]
# errors that depend on the run, not the content: not cached as results (limits: see ``store``)
TRANSIENT_ERRORS = frozenset({"timeout", "detector-failed", "unreadable", "out-of-memory", "worker-died"})
# a file that reached a limit reaches it again under the same limits: cached, keyed by the limits
LIMIT_ERRORS = frozenset({"timeout", "out-of-memory"})


@dataclass(frozen=True)
class ScanOptions:
    jobs: int = field(default_factory=lambda: os.cpu_count() or 1)
    max_file_size: int = 50 * 1024 * 1024
    timeout: float = 120.0
    max_memory: int = 2048 * 2**20  # bytes one file's ScanCode analysis may add to a worker (docs/limits.md)
    use_cache: bool = True
    cache_dir: str | None = None
    detectors: tuple[str, ...] = tuple(DETECTORS)
    exclude: tuple[str, ...] = ()  # gitignore-style patterns on result paths
    paths_as_given: bool = False  # result paths are the arguments' own (relative to cwd), as pre-commit wants


def collect_entries(paths: Sequence[str], options: ScanOptions) -> list[Entry]:
    prefixed = options.paths_as_given or len(paths) > 1
    entries: list[Entry] = []
    for root in paths:
        prefix = os.path.normpath(root).replace(os.sep, "/") if prefixed else ""
        if prefix == ".":
            prefix = ""
        source = TreeSource(root, display_prefix=prefix)
        if prefixed and os.path.isfile(root):
            entries.append(Entry(str(root), prefix))
        else:
            entries.extend(source.entries())
    if options.exclude:
        spec = pathspec.PathSpec.from_lines("gitwildmatch", options.exclude)
        entries = [e for e in entries if not spec.match_file(e.path)]
    return entries


def fingerprint(entry: Entry, max_size: int) -> SourceFile | FileError:
    try:
        st = os.stat(entry.location)
        size = st.st_size
        if not stat.S_ISREG(st.st_mode):  # replaced by a pipe since it was listed: open() would block
            return FileError("not-a-regular-file", "not a regular file: not read")
        if size > max_size:
            return FileError("too-large", f"{size} bytes is over the {max_size}-byte limit (--max-file-size)")
        digest = hashlib.sha256()
        with open(entry.location, "rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
    except OSError as exc:
        return FileError("unreadable", exc.strerror or str(exc))
    return SourceFile(entry.location, entry.path, size, digest.hexdigest())


def content_key(source: SourceFile, stack: str) -> str:
    """What a result depends on: the bytes, the file name (ScanCode reads it) and the detector stack."""
    name = os.path.basename(source.path)
    locale = "locale" in source.location  # ScanCode splits long lines of such files
    return f"{source.sha256}:{name}:{int(locale)}:{stack}"


def stack_version(options: ScanOptions) -> str:
    raw = f"{version('licenselens')}|{index_version()}|{','.join(options.detectors)}"
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _work(args: tuple[str, str, float, tuple[str, ...], int]) -> tuple[str, Findings]:
    location, name, timeout, detectors, max_memory = args
    return location, analyse_file(location, name, timeout, detectors, max_memory)


def run_detectors(work: list[SourceFile], options: ScanOptions, progress: Progress | None) -> dict[str, Findings]:
    """Findings by location for each file in ``work``, computed on ``options.jobs`` processes."""
    # largest first, so one slow file does not leave the other workers idle at the end
    ordered = sorted(work, key=lambda s: (-s.size, s.path))
    tasks = [(s.location, s.path, options.timeout, options.detectors, options.max_memory) for s in ordered]
    results: dict[str, Findings] = {}
    if options.jobs <= 1 or len(tasks) < 2:
        for task in tasks:
            location, findings = _work(task)
            results[location] = findings
            if progress:
                progress(len(results), len(tasks))
        return results

    def done(i: int, value: tuple[str, Findings]) -> None:
        results[value[0]] = value[1]
        if progress:
            progress(len(results), len(tasks))

    def lost(i: int, message: str) -> None:
        done(i, (tasks[i][0], Findings(errors=(FileError("worker-died", message),), file_type="error")))

    run_tasks(_work, tasks, options.jobs, done, lost)
    return results


def open_cache(options: ScanOptions) -> FindingsCache | None:
    if not options.use_cache:
        return None
    try:
        return FindingsCache(cache_dir(options.cache_dir) / "findings.sqlite3")
    except CacheUnavailable as exc:
        warnings.warn(f"licenselens runs without its cache: {exc}", CacheWarning, stacklevel=2)
        return None


def _limits_key(key: str, options: ScanOptions) -> str:
    return f"{key}|timeout={options.timeout:g}|memory={options.max_memory}"


def lookup(cache: FindingsCache, keys: set[str], options: ScanOptions) -> dict[str, Findings]:
    """Cached findings; a file that reached the time or memory limit is only taken as having reached it
    again under the same limits."""
    known = cache.get_many(keys)
    missing = {_limits_key(k, options): k for k in keys - known.keys()}
    known.update({missing[k]: f for k, f in cache.get_many(missing).items()})
    return known


def store(cache: FindingsCache, fresh: dict[str, Findings], options: ScanOptions) -> None:
    items = []
    for key, findings in fresh.items():
        transient = {e.code for e in findings.errors} & TRANSIENT_ERRORS
        if not transient:
            items.append((key, findings))
        elif transient <= LIMIT_ERRORS:
            items.append((_limits_key(key, options), findings))
    cache.put_many(items)


def to_file_result(source: SourceFile, findings: Findings) -> FileResult:
    statements = {"copyright": [], "holder": [], "author": []}
    for st in findings.statements:
        statements[st.kind].append(st)
    return FileResult(
        path=source.path, sha256=source.sha256, size=source.size, file_type=findings.file_type,
        license_expression_spdx=combine_spdx(d.license_expression_spdx for d in findings.detections),
        detections=findings.detections, clues=findings.clues,
        copyrights=tuple(statements["copyright"]), holders=tuple(statements["holder"]),
        authors=tuple(statements["author"]), errors=findings.errors, warnings=findings.warnings,
        skipped=findings.skipped,
    )


def failed_result(path: str, error: FileError, size: int = 0) -> FileResult:
    return FileResult(path=path, sha256=None, size=size, file_type="error", license_expression_spdx=None,
                      detections=(), clues=(), copyrights=(), holders=(), authors=(), errors=(error,))


def scan(paths: Sequence[str], options: ScanOptions = ScanOptions(), progress: Progress | None = None,
         policy: Policy | None = None) -> tuple[ScanResult, RunStats]:
    started = time.monotonic()
    entries = collect_entries(paths, options)
    results: list[FileResult] = []
    sources: list[SourceFile] = []
    for entry in entries:
        if entry.problem:
            results.append(failed_result(entry.path, FileError(*entry.problem)))
            continue
        fp = fingerprint(entry, options.max_file_size)
        if isinstance(fp, FileError):
            results.append(failed_result(entry.path, fp))
        else:
            sources.append(fp)

    stack = stack_version(options)
    keys = {s.location: content_key(s, stack) for s in sources}
    cache = open_cache(options)
    known = lookup(cache, set(keys.values()), options) if cache else {}
    representative: dict[str, SourceFile] = {}
    for s in sources:
        if keys[s.location] not in known:
            representative.setdefault(keys[s.location], s)

    computed = run_detectors(list(representative.values()), options, progress)
    fresh = {keys[loc]: f for loc, f in computed.items()}
    if cache:
        store(cache, fresh, options)
        cache.close()

    for s in sources:
        key = keys[s.location]
        results.append(to_file_result(s, known[key] if key in known else fresh[key]))

    results = follow_references(sorted(results, key=lambda r: r.path))
    results = apply_reuse(results, entries)
    tool = {"name": "licenselens", "version": version("licenselens"), "scancode_index": index_version()}
    report = PolicyReport(policy.name, tuple(evaluate_files(policy, results))) if policy else None
    result = ScanResult(tool=tool, roots=tuple(paths), files=tuple(results), summary=summarise(results), policy=report)
    from_cache = sum(1 for s in sources if keys[s.location] in known)
    stats = RunStats(files=len(results), analysed=len(computed), from_cache=from_cache,
                     deduplicated=len(sources) - from_cache - len(computed),
                     seconds=round(time.monotonic() - started, 3))
    return result, stats
