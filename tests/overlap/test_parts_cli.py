"""`licenselens index add` and `index compact` as a user runs them: on the samples, killed and resumed, and in
bounded memory."""

import json
import os
import random
import subprocess
import sys
import time
import tomllib

import pytest
import tomli_w

from licenselens.overlap import OverlapIndex

from ..conftest import REPO, shakespeare
from .test_build_resume import contents, corpus, run_and_kill

pytestmark = pytest.mark.slow


def licenselens(*args, stdin=None):
    return subprocess.run(
        [sys.executable, "-m", "licenselens", *args], capture_output=True, text=True, input=stdin, cwd=REPO, timeout=600
    )


def split_samples(root):
    """samples/licenselens.toml as two manifests: its first four datasets, and the rest (paths made absolute)."""
    data = tomllib.loads((REPO / "samples" / "licenselens.toml").read_text(encoding="utf-8"))
    for dataset in data["datasets"]:
        dataset["paths"] = [str((REPO / "samples" / p).resolve()) for p in dataset["paths"]]
    halves = []
    for name, datasets in (("first", data["datasets"][:4]), ("rest", data["datasets"][4:])):
        path = root / f"{name}.toml"
        path.write_text(tomli_w.dumps({**data, "datasets": datasets}), encoding="utf-8")
        halves.append(path)
    return halves


def overlap_json(index):
    proc = licenselens("overlap", "--index", str(index), "--format", "json", str(REPO / "samples" / "licenselens.toml"))
    assert proc.returncode in (0, 1), proc.stderr
    return json.loads(proc.stdout)["outputs"]


def test_samples_built_added_and_compacted_answer_alike(tmp_path):
    first, rest = split_samples(tmp_path)
    whole = tmp_path / "whole"
    proc = licenselens("index", "build", str(first), str(rest), "-o", str(whole))
    assert proc.returncode == 0, proc.stderr
    added = tmp_path / "added"
    assert licenselens("index", "build", str(first), "-o", str(added)).returncode == 0
    proc = licenselens("index", "add", str(rest), "--index", str(added))
    assert proc.returncode == 0, proc.stderr
    assert "added in" in proc.stderr and "in 2 part(s)" in proc.stderr
    want = overlap_json(whole)
    assert [o["verdict"] for o in want].count("transformative") < len(want)  # the samples' copies are found
    assert overlap_json(added) == want
    again = licenselens("index", "add", str(rest), "--index", str(added))
    assert again.returncode == 2 and "already holds dataset" in again.stderr and "Traceback" not in again.stderr
    proc = licenselens("index", "compact", str(added))
    assert proc.returncode == 0 and "in 1 part(s)" in proc.stderr, proc.stderr
    assert overlap_json(added) == want
    missing = licenselens("index", "compact", str(tmp_path / "nothing"))
    assert missing.returncode == 2 and "Traceback" not in missing.stderr


def _plays(root):
    """A second dataset for the corpus of test_build_resume: the plays once more, under other ids."""
    text = shakespeare()
    with open(root / "more.jsonl", "w", encoding="utf-8") as fh:
        for copy in range(8):
            for i in range(0, len(text), 2000):
                fh.write(json.dumps({"id": f"m{copy}-{i:07d}", "text": f"More {copy}.\n{text[i : i + 2000]}"}) + "\n")
    return root / "more.jsonl"


def _writing_part(out) -> bool:
    try:
        return any(e.name.startswith(".licenselens-") for e in os.scandir(out / "parts"))
    except FileNotFoundError:
        return False


def _answers(out):
    index = OverlapIndex(str(out))
    return [index.check(shakespeare()[a : a + 1500]) for a in (10_000, 400_000, 900_000)]


def test_add_and_compact_killed_at_random_resume_to_the_uninterrupted_index(tmp_path, record_property):
    """And the compact's memory does not grow with the index: compacting 70 MB of arrays with a 1 MiB
    allowance takes about the memory of a compact with nothing to merge (the bound, scaled down)."""
    manifest = corpus(tmp_path)
    more = _plays(tmp_path)
    base = ["-j", "2", "--shard-size", "0.05"]
    start = tmp_path / "start"
    assert licenselens("index", "build", str(manifest), "-o", str(start), *base).returncode == 2  # a bad line
    reference = tmp_path / "reference"
    subprocess.run(["cp", "-a", str(start), str(reference)], check=True)
    began = time.monotonic()
    add = [sys.executable, "-m", "licenselens", "index", "add", str(more), "--index", str(reference), *base]
    assert subprocess.run(add, cwd=REPO, capture_output=True, timeout=600).returncode == 0
    took = time.monotonic() - began
    before = _answers(start)

    out = tmp_path / "resumed"
    subprocess.run(["cp", "-a", str(start), str(out)], check=True)
    add[add.index(str(reference))] = str(out)
    rng = random.Random(4)
    kills = 0
    for when in [rng.uniform(0.5, took) for _ in range(2)] + [None]:
        if when is None:  # while a part's arrays are written
            kills += run_and_kill(add, lambda: _writing_part(out))
        else:
            deadline = time.monotonic() + when
            kills += run_and_kill(add, lambda deadline=deadline: time.monotonic() >= deadline)
        manifest_now = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        if len(manifest_now["parts"]) == 1:  # not yet added: the index answers as it did
            assert _answers(out) == before
    assert kills >= 1
    assert subprocess.run(add, cwd=REPO, capture_output=True, timeout=600).returncode == 0
    assert contents(out) == contents(reference)

    arrays = sum(f.stat().st_size for f in (reference / "parts").rglob("*.npy"))
    idle = peak_rss_kib("index", "compact", str(start), "--merge-memory", "1")  # one part: nothing to merge
    merging = peak_rss_kib("index", "compact", str(reference), "--merge-memory", "1")
    record_property("compact_peak_rss_mb", (round(idle / 1024, 1), round(merging / 1024, 1), round(arrays / 2**20)))
    assert arrays > 60 * 2**20 and merging - idle < 24 * 1024, (idle, merging, arrays)

    compact = [sys.executable, "-m", "licenselens", "index", "compact", str(out), "--merge-memory", "1"]
    kills = run_and_kill(compact, lambda: _writing_part(out))
    assert _answers(out) == _answers(reference)  # before or after the compact, the same answers
    assert subprocess.run(compact, cwd=REPO, capture_output=True, timeout=600).returncode == 0
    assert contents(out) == contents(reference) and kills == 1


PEAK_RSS = (
    "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, capture_output=True); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
)


def peak_rss_kib(*args) -> int:
    proc = subprocess.run(
        [sys.executable, "-c", PEAK_RSS, sys.executable, "-m", "licenselens", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    return int(proc.stdout)
