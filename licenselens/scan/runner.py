"""The scan pipeline: ``scan_tree`` walks trees and files, analyses each file with the detectors (in worker
processes, through the cache), then applies the cross-file steps (ScanCode's reference following, REUSE).
``scan``, ``check`` and the source-tree datasets of ``corpus`` and ``audit`` all go through it."""

from __future__ import annotations

import hashlib
import os
import stat
import time
from collections.abc import Sequence

import pathspec

from licenselens.expressions import combine_spdx
from licenselens.policy.evaluate import evaluate_files
from licenselens.privacy import redact
from licenselens.scan.analyse import Progress, analyse_files, needs_index
from licenselens.scan.cache import content_key, lookup, open_cache, stack_version, store
from licenselens.scan.options import ScanOptions
from licenselens.scan.references import follow_references
from licenselens.scan.reuse import apply_reuse
from licenselens.scan.summary import summarise
from licenselens.scan.warm import analyse_warm
from licenselens.scancode.licensedb import facts_ready, index_version
from licenselens.sources.base import Entry
from licenselens.sources.tree import TreeSource
from licenselens.stamp import tool_stamp
from licenselens.types.findings import FileError, Findings, Statement
from licenselens.types.policy import Policy, PolicyReport
from licenselens.types.scan import FileResult, RunStats, ScanResult, SourceFile

# the warm server analyses in one process: past about this many files, workers that load the index
# themselves finish first (about 5 s to load it, then files at twice the rate on two cores)
WARM_MAX_FILES = 100


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


def run_detectors(work: list[SourceFile], options: ScanOptions, progress: Progress | None) -> dict[str, Findings]:
    """Findings by location for each file in ``work``, computed on ``options.jobs`` processes."""
    # largest first, so one slow file does not leave the other workers idle at the end
    ordered = sorted(work, key=lambda s: (-s.size, s.path))
    tasks = [(s.location, s.path, options.timeout, options.detectors, options.max_memory) for s in ordered]
    results: dict[str, Findings] = {}
    if not tasks:  # all from the cache: not even ScanCode's modules are imported (a warm pre-commit run)
        return results
    # the server saves the index load only: files that do not need the index are faster on local workers;
    # without the index's facts (a fresh cache folder) telling which need it would itself load the index
    if (
        options.warm_server
        and len(tasks) <= WARM_MAX_FILES
        and (not facts_ready() or any(needs_index(t[0], t[1], options.detectors) for t in tasks))
    ):
        served = analyse_warm(tasks, options)
        if served is not None:
            results = {task[0]: found for task, found in zip(tasks, served, strict=True)}
            if progress:
                progress(len(results), len(tasks))
            return results
    return analyse_files(tasks, options.jobs, progress)


def to_file_result(source: SourceFile, findings: Findings) -> FileResult:
    statements: dict[str, list[Statement]] = {"copyright": [], "holder": [], "author": []}
    for st in findings.statements:
        statements[st.kind].append(st)
    return FileResult(
        path=source.path,
        sha256=source.sha256,
        size=source.size,
        file_type=findings.file_type,
        license_expression_spdx=combine_spdx(d.license_expression_spdx for d in findings.detections),
        detections=findings.detections,
        clues=findings.clues,
        copyrights=tuple(statements["copyright"]),
        holders=tuple(statements["holder"]),
        authors=tuple(statements["author"]),
        errors=findings.errors,
        warnings=findings.warnings,
        skipped=findings.skipped,
    )


def findings_of(result: FileResult) -> Findings:
    """A file's result as the detectors' Findings again (statements of every kind together)."""
    return Findings(
        detections=result.detections,
        clues=result.clues,
        statements=result.copyrights + result.holders + result.authors,
        errors=result.errors,
        warnings=result.warnings,
        file_type=result.file_type,
        skipped=result.skipped,
    )


def failed_result(path: str, error: FileError, size: int = 0) -> FileResult:
    return FileResult(
        path=path,
        sha256=None,
        size=size,
        file_type="error",
        license_expression_spdx=None,
        detections=(),
        clues=(),
        copyrights=(),
        holders=(),
        authors=(),
        errors=(error,),
    )


def scan_tree(
    paths: Sequence[str],
    options: ScanOptions = ScanOptions(),
    progress: Progress | None = None,
    policy: Policy | None = None,
) -> tuple[ScanResult, RunStats]:
    """Every file under ``paths`` (folders or files): per-file findings, then the cross-file steps,
    the summary and, given a policy, its findings."""
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
    # masked before anything keeps them: the cache is a file too, and cached and fresh findings stay equal
    fresh = {keys[loc]: redact(f) for loc, f in computed.items()}
    if cache:
        store(cache, fresh, options)
        cache.close()

    for s in sources:
        key = keys[s.location]
        results.append(to_file_result(s, known[key] if key in known else fresh[key]))

    results = follow_references(sorted(results, key=lambda r: r.path))
    results = apply_reuse(results, entries)
    report = PolicyReport(policy.name, tuple(evaluate_files(policy, results))) if policy else None
    result = ScanResult(
        tool=tool_stamp(index_version()),
        roots=tuple(paths),
        files=tuple(results),
        summary=summarise(results),
        policy=report,
    )
    from_cache = sum(1 for s in sources if keys[s.location] in known)
    stats = RunStats(
        files=len(results),
        analysed=len(computed),
        from_cache=from_cache,
        deduplicated=len(sources) - from_cache - len(computed),
        seconds=round(time.monotonic() - started, 3),
    )
    return result, stats
