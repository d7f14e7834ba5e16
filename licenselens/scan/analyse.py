"""Files through the detector stack: one (``analyse_file``, in a worker process) or many on worker
processes (``analyse_files``: the scan's local run and the warm server's)."""

from __future__ import annotations

import gc
import os
import tempfile
from collections.abc import Callable

from licenselens.detectors import DETECTORS, Content
from licenselens.detectors.merge import one_per_statement
from licenselens.execution.pool import HeadStart, run_tasks
from licenselens.scancode.api import text_scancode_reads
from licenselens.scancode.calls import DEFAULT_MEMORY_ALLOWANCE, forget_file_types
from licenselens.scancode.patches import install as install_scancode_patches
from licenselens.sources.reading import classify, decode
from licenselens.types.findings import FileError, Findings

Task = tuple[str, str, float, tuple[str, ...], int]  # location, name, timeout, detectors, memory allowance
Progress = Callable[[int, int], None]
SKIP_REASONS = {"binary": "binary file with no text that ScanCode reads", "empty": "empty file"}


def needs_index(location: str, name: str, detector_names: tuple[str, ...]) -> bool:
    """Whether analysing this file would load ScanCode's index: the detectors' own cheap tests."""
    try:
        with open(location, "rb") as fh:
            data = fh.read()
    except OSError:
        return False
    file_type = classify(data)
    if file_type != "text":
        return file_type == "binary"  # its text comes from ScanCode's extraction, then likely its matcher
    content = Content(location=location, name=os.path.basename(name), text=decode(data)[0], timeout=0.0)
    return any(DETECTORS[d].needs_index and DETECTORS[d]().wants(content) for d in detector_names)


Part = tuple[Findings, tuple[tuple[str, Findings], ...]]  # the file's own findings, then each detector's


def examine(
    location: str,
    name: str,
    timeout: float,
    detector_names: tuple[str, ...],
    memory_allowance: int = DEFAULT_MEMORY_ALLOWANCE,
) -> Part:
    """What reading the file found (its type, a decoding warning, why it was skipped, an error), and what
    each of ``detector_names`` that wants it found, in that order."""
    try:
        with open(location, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        return Findings(errors=(FileError("unreadable", f"{exc.strerror or exc}"),), file_type="error"), ()
    file_type = classify(data)
    replaced = False
    if file_type == "text":
        text, replaced = decode(data)
    elif file_type == "binary":
        # ScanCode's detectors read what its typecode finds in such a file, so the pre-tests must see it too
        extracted, error = text_scancode_reads(location, timeout, memory_allowance)
        if error:
            return Findings(errors=(error,), file_type=file_type), ()
        if extracted is None:
            return Findings(file_type=file_type, skipped=SKIP_REASONS[file_type]), ()
        text = extracted
    else:
        return Findings(file_type=file_type, skipped=SKIP_REASONS[file_type]), ()
    own = Findings(
        warnings=(FileError("decode", "undecodable bytes replaced with U+FFFD"),) if replaced else (),
        file_type=file_type,
    )
    content = Content(
        location=location, name=os.path.basename(name), text=text, timeout=timeout, memory_allowance=memory_allowance
    )
    found: list[tuple[str, Findings]] = []
    for detector_name in detector_names:
        detector = DETECTORS[detector_name]()
        try:
            if detector.wants(content):
                found.append((detector_name, detector.detect(content)))
        except Exception as exc:  # one detector failing must not lose the others' results
            error = FileError("detector-failed", f"{type(exc).__name__}: {exc}", detector_name)
            found.append((detector_name, Findings(errors=(error,))))
    return own, tuple(found)


def combine(name: str, parts: list[Part], detector_names: tuple[str, ...]) -> Findings:
    """One file's findings from its parts, detectors in the given order. Each part read the file itself: its
    own findings are the first part's, plus any error only another part met (its worker died)."""
    by_detector = dict(pair for part in parts for pair in part[1])
    findings = parts[0][0]
    for own, _ in parts[1:]:
        findings = findings.merged(Findings(errors=tuple(e for e in own.errors if e not in findings.errors)))
    for detector_name in detector_names:
        if detector_name in by_detector:
            findings = findings.merged(by_detector[detector_name])
    # a REUSE sidecar's tags are another file's licence (scan/reuse.py): kept as the tags say it
    return findings if name.endswith(".license") else one_per_statement(findings)


def analyse_file(
    location: str,
    name: str,
    timeout: float,
    detector_names: tuple[str, ...],
    memory_allowance: int = DEFAULT_MEMORY_ALLOWANCE,
) -> Findings:
    return combine(name, [examine(location, name, timeout, detector_names, memory_allowance)], detector_names)


# one small file through the detector stack builds what ScanCode and the patches otherwise build on a
# process's first file: the copyright grammar and lexer, licence symbols, the candidate selection arrays
WARM_UP = (
    "# SPDX-License-Identifier: MIT\n# Copyright (c) 2024 Example Org <dev@example.org>\n"
    "# Licensed under the Apache License, Version 2.0 (the \"License\");\n"
    "# you may not use this file except in compliance with the License.\n"
    # altered on purpose: no rule matches it exactly, so the approximate matcher runs (its arrays are built)
    "# Permission is granted, free of any charge, to every person who obtains a copy of this software\n"
    "# and its documentation, to deal in it without restriction, subject to the conditions below.\n"
    "\ndef main():\n    return 0\n"
)


def warm_up(detector_names: tuple[str, ...]) -> None:
    """Build that state here, once, before processes fork: each would otherwise spend about a second of CPU
    building its own copy (and keep it in its own memory). ScanCode's index is loaded when one of
    ``detector_names`` needs it."""
    with tempfile.TemporaryDirectory(prefix="licenselens-warm-") as folder:  # never in a scanned tree
        sample = os.path.join(folder, "warm_up.py")
        with open(sample, "w", encoding="utf-8") as fh:
            fh.write(WARM_UP)
        analyse_file(sample, "warm_up.py", 120.0, detector_names)
    forget_file_types()
    gc.freeze()  # the forked processes' collections then skip (and do not touch) what was built here


def _work(task: Task) -> tuple[str, Findings]:
    location, name, timeout, detectors, max_memory = task
    return location, analyse_file(location, name, timeout, tuple(detectors), max_memory)


# a file's task, which part (0: the detectors that need no index, 1: the others, 2: all), its detectors
Item = tuple[Task, int, tuple[str, ...]]


def _work_part(item: Item) -> Part:
    (location, name, timeout, _, max_memory), _, detector_names = item
    return examine(location, name, timeout, detector_names, max_memory)


def analyse_files(tasks: list[Task], jobs: int, progress: Progress | None = None) -> dict[str, Findings]:
    """Findings by location for each task, on ``jobs`` forked processes (which inherit a loaded index)."""
    results: dict[str, Findings] = {}
    install_scancode_patches()  # in this process; forked workers inherit them (and install them again)
    if jobs <= 1 or len(tasks) < 2:
        for task in tasks:
            location, findings = _work(task)
            results[location] = findings
            if progress:
                progress(len(results), len(tasks))
        return results

    names = tuple(dict.fromkeys(name for task in tasks for name in task[3]))
    plain = tuple(d for d in names if not DETECTORS[d].needs_index)
    parts: dict[str, dict[int, Part]] = {task[0]: {} for task in tasks}
    expected = {task[0]: 1 for task in tasks}

    def done(item: Item, part: Part) -> None:
        task, which = item[0], item[1]
        parts[task[0]][which] = part
        if len(parts[task[0]]) == expected[task[0]]:
            results[task[0]] = combine(task[1], [parts[task[0]][w] for w in sorted(parts[task[0]])], task[3])
            if progress:
                progress(len(results), len(tasks))

    def died(item: Item, message: str) -> None:
        done(item, (Findings(errors=(FileError("worker-died", message),), file_type="error"), ()))

    def run(items: list[Item]) -> None:
        run_tasks(
            _work_part,
            items,
            jobs,
            lambda i, part: done(items[i], part),
            lambda i, m: died(items[i], m),
            install_scancode_patches,
        )

    if not any(needs_index(task[0], task[1], task[3]) for task in tasks):
        run([(task, 2, task[3]) for task in tasks])  # no index to load: nothing to do meanwhile
        return results

    # ScanCode's index takes seconds to load, here, once (forked workers then share its pages). Meanwhile a
    # process forked before the load runs the detectors that need no index on files from the front; the
    # workers then run the other detectors on those files, and all detectors on the rest (each file's text
    # and type read once there, not twice)
    first: list[Item] = [(task, 0, tuple(d for d in task[3] if d in plain)) for task in tasks]
    head = HeadStart(_work_part, first, install_scancode_patches)
    try:
        warm_up(tuple(d for d in names if d not in plain))  # the others' state: built where they run
        started = head.stop()
        second: list[Item] = []
        for task in tasks[:started]:
            rest = tuple(d for d in task[3] if d not in plain)
            if rest:
                expected[task[0]] = 2
                second.append((task, 1, rest))
        second += [(task, 2, task[3]) for task in tasks[started:]]
        for j, early in head.ready():
            done(first[j], early)

        def on_result(i: int, part: Part) -> None:
            done(second[i], part)
            for j, early in head.ready():
                done(first[j], early)

        run_tasks(_work_part, second, jobs, on_result, lambda i, m: died(second[i], m), install_scancode_patches)
    finally:
        found, unfinished = head.finish()
    for j, early in found:
        done(first[j], early)
    run([first[j] for j in unfinished])  # its process died on one of these: judged on runs of their own
    return results
