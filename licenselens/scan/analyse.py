"""One file through the detector stack. Runs inside worker processes."""

from __future__ import annotations

import os

from licenselens.detectors import DETECTORS, Content
from licenselens.detectors.merge import one_per_statement
from licenselens.scancode.api import text_scancode_reads
from licenselens.scancode.calls import DEFAULT_MEMORY_ALLOWANCE
from licenselens.sources.reading import classify, decode
from licenselens.types.findings import FileError, Findings

SKIP_REASONS = {"binary": "binary file with no text that ScanCode reads", "empty": "empty file"}


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
