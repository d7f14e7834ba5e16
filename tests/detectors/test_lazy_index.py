"""ScanCode's index (seconds to load) must not be loaded for files with nothing licence-like."""

from __future__ import annotations

import subprocess
import sys

from licenselens.scancode.licensedb import load_facts

PROBE = """
import sys
import licensedcode.cache as c
from licenselens.scan.analyse import analyse_file
from licenselens.detectors import DETECTORS
f = analyse_file(sys.argv[1], "plain.py", 30, tuple(DETECTORS))
print("loaded" if c._LICENSE_CACHE is not None else "not-loaded", len(f.detections))
"""


def run_probe(path) -> str:
    proc = subprocess.run([sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, check=True)
    return proc.stdout.split()


def test_index_not_loaded_for_ordinary_code(tmp_path):
    load_facts()  # derived facts exist, as after any first run
    plain = tmp_path / "plain.py"
    plain.write_text("def area(w, h):\n    return w * h\n\nprint(area(2, 3))\n")
    assert run_probe(plain) == ["not-loaded", "0"]


def test_index_loaded_when_a_file_needs_it(tmp_path):
    load_facts()
    notice = tmp_path / "plain.py"
    notice.write_text("# Licensed under the Apache License, Version 2.0 (the \"License\");\nx = 1\n")
    status, detections = run_probe(notice)
    assert status == "loaded" and int(detections) >= 1
