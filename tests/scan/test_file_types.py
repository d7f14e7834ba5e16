"""Files that are not plain text, read as ScanCode reads them (its typecode and textcode): a PDF's text,
the strings of a compiled binary, source with stray control bytes. ScanCode's CLI function is the oracle."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from fpdf import FPDF
from scancode.api import get_licenses

from licenselens.detectors import DETECTORS
from licenselens.scan.analyse import analyse_file
from licenselens.sources.reading import classify

from ..conftest import scancode_licence_text, strip_front_matter


def _scancode(path) -> list[tuple[str, int]]:
    return [
        (d["license_expression"], d["matches"][0]["start_line"]) for d in get_licenses(str(path))["license_detections"]
    ]


def _ours(path) -> list[tuple[str, int]]:
    found = analyse_file(str(path), path.name, 120, tuple(DETECTORS))
    assert not found.errors and found.skipped is None, found
    return [(d.license_expression, d.start_line) for d in found.detections if d.detector == "licensedcode"]


def test_pdf_written_by_a_pdf_library(tmp_path):
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    pdf.multi_cell(0, 5, strip_front_matter(scancode_licence_text("mit").read_text(encoding="utf-8")))
    path = tmp_path / "LICENSE.pdf"
    pdf.output(str(path))
    assert classify(path.read_bytes()) == "binary"
    assert _ours(path) == _scancode(path) == [("mit", 1)]


@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler")
def test_licence_string_in_a_compiled_binary(tmp_path):
    source = tmp_path / "prog.c"
    source.write_text(
        '#include <stdio.h>\nconst char *notice = "Licensed under the Apache License, Version 2.0 (the \\"License\\"); '
        'you may not use this file except in compliance with the License.";\nint main(void) { puts(notice); return 0; }\n',
        encoding="utf-8",
    )
    binary = tmp_path / "prog"
    subprocess.run(["cc", "-O0", "-o", str(binary), str(source)], check=True)
    assert classify(binary.read_bytes()) == "binary"
    expected = _scancode(binary)
    assert [e for e, _ in expected] == ["apache-2.0"]
    assert _ours(binary) == expected


def test_source_with_control_bytes_in_a_string_literal(tmp_path):
    path = tmp_path / "Escapes.java"
    path.write_bytes(
        b"/*\n * Licensed under the Apache License, Version 2.0 (the \"License\");\n"
        b" * you may not use this file except in compliance with the License.\n */\n"
        b'public class Escapes {\n    static final String S = "a\x00b\x01c\x02";\n}\n'
    )
    assert classify(path.read_bytes()) == "binary"
    assert _ours(path) == _scancode(path) == [("apache-2.0", 2)]


def test_image_is_still_skipped(tmp_path):
    path = tmp_path / "pixel.png"
    path.write_bytes(
        bytes.fromhex(
            "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
            "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082"
        )
    )
    found = analyse_file(str(path), path.name, 60, tuple(DETECTORS))
    assert found.file_type == "binary" and found.skipped and not found.detections
