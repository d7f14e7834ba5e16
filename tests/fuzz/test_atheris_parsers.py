"""bench/fuzz_parsers.py under atheris (libFuzzer) for ~20 s: it must end by its time limit with no crash."""

import re
import subprocess
import sys

import pytest

from ..conftest import REPO

pytestmark = pytest.mark.slow


def test_the_parsers_survive_twenty_seconds_of_coverage_guided_fuzzing(record_property):
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "fuzz_parsers.py"), "-max_total_time=20"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    summary = re.search(r"fuzz_parsers: (\d+) inputs in \d+ s, (\d+) crashes", done.stdout)
    assert done.returncode == 0 and summary, done.stdout[-3000:] + done.stderr[-3000:]
    assert int(summary.group(2)) == 0
    record_property("inputs", int(summary.group(1)))  # figures for docs/reliability.md (pytest --junitxml)
    assert int(summary.group(1)) > 1000  # it really ran: ~800 inputs a second on one core here
    assert "Done" in done.stderr and "ERROR: libFuzzer" not in done.stderr
