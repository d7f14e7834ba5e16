"""A corpus run killed with SIGKILL at random points and started again ends with the uninterrupted results."""

import os
import random
import signal
import subprocess
import sys
import time

import pytest

from .test_engines import build_corpus

pytestmark = pytest.mark.slow


def command(manifest, out):
    return [
        sys.executable,
        "-m",
        "licenselens",
        "corpus",
        str(manifest),
        "-o",
        str(out),
        "-j",
        "2",
        "--shard-size",
        "0.02",
        "--format",
        "json",
    ]


def test_kill_and_resume_gives_the_uninterrupted_result(tmp_path):
    manifest = build_corpus(tmp_path)
    reference = tmp_path / "reference"
    done = subprocess.run(command(manifest, reference), capture_output=True, timeout=600)
    assert done.returncode == 2  # the corpus has one malformed line, reported
    rng = random.Random(4)
    out = tmp_path / "resumed"
    kills = 0
    for _ in range(4):
        proc = subprocess.Popen(
            command(manifest, out), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        time.sleep(rng.uniform(1.0, 9.0))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
        # a killed run never leaves a results file that looks complete but is not
        if (out / "corpus.parquet").exists():
            assert (out / "corpus.parquet").read_bytes() == (reference / "corpus.parquet").read_bytes()
    assert kills >= 2
    finished = subprocess.run(command(manifest, out), capture_output=True, timeout=600)
    assert finished.returncode == 2
    assert (out / "corpus.parquet").read_bytes() == (reference / "corpus.parquet").read_bytes()
    assert (out / "corpus-summary.json").read_bytes() == (reference / "corpus-summary.json").read_bytes()
    work = out / ".licenselens-work"
    assert not [p for p in work.iterdir() if p.name.startswith(".licenselens-")]  # no temporary files left
