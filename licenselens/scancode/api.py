"""The ScanCode analyses licenselens uses, each as Findings: of a file (licences, copyrights, package
manifests) or of a text region (licences, copyrights). Errors for the item go into ``Findings.errors``."""

from __future__ import annotations

from licenselens.scancode.calls import DEFAULT_MEMORY_ALLOWANCE, call_scancode, load_index
from licenselens.scancode.convert import to_detection, to_match
from licenselens.types.findings import Detection, FileError, Findings, Statement

STATEMENT_KINDS = (("copyright", "copyrights"), ("holder", "holders"), ("author", "authors"))


def query_tokens(text: str) -> set[str]:
    """The tokens ScanCode's licence matcher sees in ``text`` (no index needed)."""
    from licensedcode.tokenize import query_tokenizer

    return set(query_tokenizer(text))


def _query_text(location: str, deadline: float) -> str | None:
    from licensedcode.tokenize import query_lines

    # ScanCode breaks long lines into pieces with the same number: one line again, so numbers agree
    lines: list[str] = []
    for number, piece in query_lines(location):
        while len(lines) < number:
            lines.append("")
        lines[number - 1] = f"{lines[number - 1]} {piece}" if lines[number - 1] else piece
    return "\n".join(lines) if any(lines) else None


def text_scancode_reads(
    location: str, timeout: float, memory_allowance: int = DEFAULT_MEMORY_ALLOWANCE
) -> tuple[str | None, FileError | None]:
    """The text ScanCode's licence matcher reads from a file, as its typecode classifies it (a PDF's text,
    the strings of a binary, text with stray control bytes): None where it reads no text at all."""
    return call_scancode(_query_text, location, timeout, "typecode", memory_allowance=memory_allowance)


def _get_licenses(location: str, deadline: float) -> dict:
    """``scancode.api.get_licenses``'s detections and clues, built as it builds them; without its combined
    expression, unused here, whose import loads packagedcode's ~150 modules (0.35 s in every process)."""
    from licensedcode.detection import detect_licenses

    detections, clues = [], []
    for detection in detect_licenses(location=location, min_score=0, deadline=deadline, unknown_licenses=False):
        mapping = detection.to_dict(include_text=False, license_text_diagnostics=False, license_diagnostics=False)
        if detection.license_expression is None:
            clues.extend(mapping["matches"])
        else:
            detections.append(mapping)
    return {"license_detections": detections, "license_clues": clues}


def file_licenses(
    location: str, timeout: float, detector: str, memory_allowance: int = DEFAULT_MEMORY_ALLOWANCE
) -> Findings:
    load_index()
    value, error = call_scancode(_get_licenses, location, timeout, detector, memory_allowance=memory_allowance)
    if error:
        return Findings(errors=(error,))
    return Findings(
        detections=tuple(to_detection(d, detector) for d in value["license_detections"]),
        clues=tuple(to_match(m) for m in value.get("license_clues", [])),
    )


def file_copyrights(
    location: str, timeout: float, detector: str, memory_allowance: int = DEFAULT_MEMORY_ALLOWANCE
) -> Findings:
    from scancode.api import get_copyrights

    value, error = call_scancode(get_copyrights, location, timeout, detector, memory_allowance=memory_allowance)
    if error:
        return Findings(errors=(error,))
    return Findings(
        statements=tuple(
            Statement(kind, item[kind], item["start_line"], item["end_line"], detector)
            for kind, plural in STATEMENT_KINDS
            for item in value.get(plural, [])
        )
    )


def _get_package_data(location, deadline):
    from scancode.api import get_package_data

    return get_package_data(location, deadline=deadline)


def file_packages(
    location: str, timeout: float, detector: str, memory_allowance: int = DEFAULT_MEMORY_ALLOWANCE
) -> Findings:
    """Declared licences of the package manifests packagedcode reads in the file."""
    load_index()  # packagedcode matches declared licence statements with it
    value, error = call_scancode(_get_package_data, location, timeout, detector, memory_allowance=memory_allowance)
    if error:
        return Findings(errors=(error,))
    detections: list[Detection] = []
    for package in value.get("package_data", []):
        found = [to_detection(d, detector) for d in package.get("license_detections") or []]
        if not found and package.get("declared_license_expression"):
            found = [
                to_detection(
                    {
                        "license_expression": package["declared_license_expression"],
                        "license_expression_spdx": package.get("declared_license_expression_spdx"),
                        "matches": [],
                    },
                    detector,
                )
            ]
        detections.extend(found)
    return Findings(detections=tuple(detections))


def _license_mappings(query_string: str, deadline: float) -> list[dict]:
    from licensedcode.detection import detect_licenses

    return [
        d.to_dict(include_text=False, license_text_diagnostics=False, license_diagnostics=False)
        | {"clue": d.license_expression is None}
        for d in detect_licenses(query_string=query_string, deadline=deadline)
    ]


def text_licenses(text: str, timeout: float, detector: str) -> Findings:
    load_index()
    value, error = call_scancode(_license_mappings, None, timeout, detector, query_string=text)
    if error:
        return Findings(errors=(error,))
    return Findings(
        detections=tuple(to_detection(d, detector) for d in value if not d["clue"]),
        clues=tuple(to_match(m) for d in value if d["clue"] for m in d["matches"]),
    )


def _copyright_statements(lines: list[tuple[int, str]], deadline: float) -> list[tuple[str, str, int, int]]:
    from cluecode.copyrights import detect_copyrights_from_lines

    found = []
    for detection in detect_copyrights_from_lines(lines, deadline=deadline):
        for kind, _ in STATEMENT_KINDS:
            value = getattr(detection, kind, None)
            if value:
                found.append((kind, value, detection.start_line, detection.end_line))
    return found


def text_copyrights(text: str, timeout: float, detector: str) -> Findings:
    lines = list(enumerate(text.splitlines(), 1))
    value, error = call_scancode(_copyright_statements, None, timeout, detector, lines=lines)
    if error:
        return Findings(errors=(error,))
    return Findings(statements=tuple(Statement(k, v, s, e, detector) for k, v, s, e in value))
