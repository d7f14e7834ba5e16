"""Two scan workers share one ScanCode index (issue 16: 2 workers use at most 1.5x the memory of 1): the
index is loaded before the workers are forked, so its pages are shared, not loaded once per worker."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from ..conftest import REPO
from .process_memory import tree_pss

# a real package whose files keep both workers matching (ScanCode reads many of them): rich, a dependency
RICH = os.path.dirname(__import__("rich").__file__)


def _peak_pss(jobs: int, cache: str) -> int:
    env = {**os.environ, "LICENSELENS_CACHE_DIR": cache}
    command = [sys.executable, "-m", "licenselens", "scan", RICH, "-j", str(jobs), "-o", os.devnull]
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, tree_pss(proc.pid)[0])
        time.sleep(0.05)
    assert proc.returncode in (0, 1), proc.stderr.read().decode()[-2000:]
    return peak


@pytest.mark.skipif(not os.path.exists("/proc/self/smaps_rollup"), reason="needs Linux's smaps_rollup")
def test_two_workers_use_at_most_one_and_a_half_times_the_memory_of_one(tmp_path):
    one = _peak_pss(1, str(tmp_path / "one"))
    two = _peak_pss(2, str(tmp_path / "two"))
    assert one > 500 * 2**20  # the index was loaded: the case measures what it claims
    assert two <= 1.5 * one, (two / 2**20, one / 2**20)
