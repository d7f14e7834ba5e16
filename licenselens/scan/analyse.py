"""Files through the detector stack: one (``analyse_file``, in a worker process) or many on worker
processes (``analyse_files``: the scan's local run and the warm server's)."""

from __future__ import annotations

import os
from collections.abc import Callable

from licenselens.detectors import DETECTORS, Content
from licenselens.detectors.merge import one_per_statement
from licenselens.execution.pool import run_tasks
from licenselens.scancode.api import text_scancode_reads
from licenselens.scancode.calls import DEFAULT_MEMORY_ALLOWANCE, load_index
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


def analyse_file(
    location: str,
    name: str,
    timeout: float,
    detector_names: tuple[str, ...],
    memory_allowance: int = DEFAULT_MEMORY_ALLOWANCE,
) -> Findings:
    try:
        with open(location, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        return Findings(errors=(FileError("unreadable", f"{exc.strerror or exc}"),), file_type="error")
    file_type = classify(data)
    replaced = False
    if file_type == "text":
        text, replaced = decode(data)
    elif file_type == "binary":
        # ScanCode's detectors read what its typecode finds in such a file, so the pre-tests must see it too
        extracted, error = text_scancode_reads(location, timeout, memory_allowance)
        if error:
            return Findings(errors=(error,), file_type=file_type)
        if extracted is None:
            return Findings(file_type=file_type, skipped=SKIP_REASONS[file_type])
        text = extracted
    else:
        return Findings(file_type=file_type, skipped=SKIP_REASONS[file_type])
    findings = Findings(
        warnings=(FileError("decode", "undecodable bytes replaced with U+FFFD"),) if replaced else (),
        file_type=file_type,
    )
    content = Content(
        location=location, name=os.path.basename(name), text=text, timeout=timeout, memory_allowance=memory_allowance
    )
    for detector_name in detector_names:
        detector = DETECTORS[detector_name]()
        try:
            if detector.wants(content):
                findings = findings.merged(detector.detect(content))
        except Exception as exc:  # one detector failing must not lose the others' results
            findings = findings.merged(
                Findings(errors=(FileError("detector-failed", f"{type(exc).__name__}: {exc}", detector_name),))
            )
    # a REUSE sidecar's tags are another file's licence (scan/reuse.py): kept as the tags say it
    return findings if name.endswith(".license") else one_per_statement(findings)


def _work(task: Task) -> tuple[str, Findings]:
    location, name, timeout, detectors, max_memory = task
    return location, analyse_file(location, name, timeout, tuple(detectors), max_memory)


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

    if any(needs_index(task[0], task[1], task[3]) for task in tasks):
        # loaded once, here: the forked workers share its pages (their memory is not one index each) and
        # start matching at once, where each would otherwise load its own in the same seconds
        load_index()

    def done(i: int, value: tuple[str, Findings]) -> None:
        results[value[0]] = value[1]
        if progress:
            progress(len(results), len(tasks))

    def lost(i: int, message: str) -> None:
        done(i, (tasks[i][0], Findings(errors=(FileError("worker-died", message),), file_type="error")))

    run_tasks(_work, tasks, jobs, done, lost, install_scancode_patches)
    return results
