"""One file through the detector stack. Runs inside worker processes."""

from __future__ import annotations

import os

from licenselens.detectors import DETECTORS, Content
from licenselens.scancode.calls import DEFAULT_MEMORY_ALLOWANCE
from licenselens.sources.reading import classify, decode
from licenselens.types.findings import FileError, Findings

SKIP_REASONS = {"binary": "binary file (NUL or control bytes): no text to match", "empty": "empty file"}


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
    if file_type != "text":
        return Findings(file_type=file_type, skipped=SKIP_REASONS[file_type])
    text, replaced = decode(data)
    findings = Findings(warnings=(FileError("decode", "undecodable bytes replaced with U+FFFD"),) if replaced else ())
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
    return findings
