"""`licenselens index build` killed with SIGKILL at random points, then run to the end, gives the index an
uninterrupted build gives, byte for byte; and no kill leaves an index that looks complete but is not."""

import json
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from licenselens.overlap import OverlapIndex

from ..conftest import REPO, shakespeare
from ..corpus.test_engines import build_corpus

pytestmark = pytest.mark.slow

COPIES = 20  # of the plays: ~22 MB, some 450 shards of 0.05 MiB, a few seconds to index on two cores


def corpus(root):
    """test_engines' corpus (a malformed line, a gzip file) and a larger dataset, for many shards."""
    manifest = build_corpus(root)
    text = shakespeare()
    with open(root / "plays.jsonl", "w", encoding="utf-8") as fh:
        for copy in range(COPIES):
            for i in range(0, len(text), 2000):
                fh.write(json.dumps({"id": f"p{copy}-{i:07d}", "text": f"Copy {copy}.\n{text[i : i + 2000]}"}) + "\n")
    with open(manifest, "a", encoding="utf-8") as fh:
        fh.write('\n[[datasets]]\nname = "plays"\nstage = "pretraining"\nkind = "books"\npaths = ["plays.jsonl"]\n')
    return manifest


def command(manifest, out):
    return [
        sys.executable,
        "-m",
        "licenselens",
        "index",
        "build",
        str(manifest),
        "-o",
        str(out),
        "-j",
        "2",
        "--shard-size",
        "0.05",
    ]


def contents(root):
    """Every file under root with its bytes; done.json without its timing (the only thing that may differ)."""
    files = {}
    for path in sorted(root.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            if path.name == "done.json":
                done = json.loads(data)
                done.get("stats", {}).pop("seconds", None)  # a part's record has no timing
                data = json.dumps(done, sort_keys=True).encode()
            files[str(path.relative_to(root))] = data
    return files


def assert_nothing_looks_complete_that_is_not(out):
    shards = out / "shards"
    if shards.is_dir():
        for shard in shards.iterdir():
            if shard.name.startswith("."):
                continue  # a worker's temporary folder, renamed only when complete
            # a shard folder appears by rename, whole; it may only be missing the arrays merged away
            names = {p.name for p in shard.iterdir()}
            assert {"docs.parquet", "done.json", "offsets.npy", "texts.bin"} <= names, (shard.name, names)
            json.loads((shard / "done.json").read_text(encoding="utf-8"))
            offsets = np.load(shard / "offsets.npy")
            assert offsets[-1] == (shard / "texts.bin").stat().st_size
    if (out / "manifest.json").exists():  # written last: the index must be usable as it stands
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        parts = [out / "parts" / p["name"] for p in manifest["parts"]]
        assert sum(len(np.load(p / "postings.npy", mmap_mode="r")) for p in parts) == manifest["counts"]["postings"]
        assert sum(len(np.load(p / "tokens.npy", mmap_mode="r")) for p in parts) == manifest["counts"]["tokens"]
        index = OverlapIndex(str(out))
        passage = shakespeare()[50_000:51_000]
        assert index.check(passage).verdict == "verbatim"


def run_and_kill(cmd, when) -> bool:
    """Start a command, wait until ``when()`` holds or it ends; SIGKILL it (and its workers) if still running."""
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    while proc.poll() is None and not when():
        time.sleep(0.002)
    killed = proc.poll() is None
    if killed:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    return killed


def merging(out) -> bool:
    """The merge has begun writing a part's arrays (in a folder renamed into place once complete)."""
    try:
        return any(entry.name.startswith(".licenselens-") for entry in os.scandir(out / "parts"))
    except FileNotFoundError:
        return False


def test_kill_and_resume_gives_the_uninterrupted_index(tmp_path, record_property):
    manifest = corpus(tmp_path)
    reference = tmp_path / "reference"
    started = time.monotonic()
    done = subprocess.run(command(manifest, reference), cwd=REPO, capture_output=True, text=True, timeout=600)
    took = time.monotonic() - started
    assert done.returncode == 2, done.stderr  # the malformed line is reported, everything else indexed
    assert len(list((reference / "shards").iterdir())) > 100
    rng = random.Random(8)
    out = tmp_path / "resumed"
    kills = 0
    for _ in range(6):  # at random points: interpreter start, shards, merge, manifest, clean-up
        deadline = time.monotonic() + rng.uniform(0.3, took)
        kills += run_and_kill(command(manifest, out), lambda deadline=deadline: time.monotonic() >= deadline)
        assert_nothing_looks_complete_that_is_not(out)
    # and once at the point most likely to leave a half-written file: while a part's arrays are written
    kills += run_and_kill(command(manifest, out), lambda: merging(out))
    assert_nothing_looks_complete_that_is_not(out)
    assert kills >= 4
    record_property("kills", kills)  # figures for docs/reliability.md (pytest --junitxml)
    record_property("shards", len(list((reference / "shards").iterdir())))
    record_property("uninterrupted_seconds", round(took, 1))
    finished = subprocess.run(command(manifest, out), cwd=REPO, capture_output=True, text=True, timeout=600)
    assert finished.returncode == 2, finished.stderr
    want, got = contents(reference), contents(out)
    assert sorted(set(got) - set(want)) == [], f"after {kills} kills"  # no temporary file or folder left behind
    assert sorted(set(want) - set(got)) == []
    assert [name for name in want if got[name] != want[name]] == []
