"""Golden files: results.json and report.md of the audit of samples/.

When a change to licenselens, rules/ or samples/ changes them on purpose, regenerate with

    LICENSELENS_UPDATE_GOLDEN=1 .venv/bin/pytest tests/audit/test_golden.py

and review the diff of tests/audit/golden/ like any other change.
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path

import pytest

from licenselens.scancode.licensedb import index_version

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("LICENSELENS_UPDATE_GOLDEN") == "1"


def normalised(text: str) -> str:
    """The ScanCode index stamp holds the index file's mtime, which differs per installation."""
    return text.replace(index_version(), "<scancode-index>")


@pytest.mark.parametrize("name", ["results.json", "report.md"])
def test_golden(samples_audit, name):
    out, done = samples_audit
    assert done.returncode == 0, done.stderr
    actual = normalised((out / name).read_text(encoding="utf-8"))
    golden = GOLDEN / name
    if UPDATE:
        golden.write_text(actual, encoding="utf-8")
        return
    expected = golden.read_text(encoding="utf-8")
    if actual != expected:
        diff = "".join(
            list(
                difflib.unified_diff(
                    expected.splitlines(True), actual.splitlines(True), f"golden/{name}", f"audit/{name}"
                )
            )[:80]
        )
        pytest.fail(f"{name} differs from tests/audit/golden/{name} (regenerate: see this module's doc):\n{diff}")
